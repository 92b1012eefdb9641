package delivery

import (
	"math"
	"slices"
	"testing"
	"time"
)

const (
	ms  = time.Millisecond
	sec = time.Second
)

// TestScheduleBackoffFunctions checks each backoff function on the policy
// min 1 s, max 16 s, 8 retries: 1 without delay, 1 at min, 1 at max, so
// B = 8 − 1 − 1 − 1 = 5 backoff retries, i = 1..5.
func TestScheduleBackoffFunctions(t *testing.T) {
	tests := []struct {
		fn      string
		backoff []time.Duration // retries 3..7 (i = 1..5)
		total   time.Duration
	}{
		{
			// 1 + 15·i/5 = 1 + 3i: 4, 7, 10, 13, 16.
			fn:      "linear",
			backoff: []time.Duration{4 * sec, 7 * sec, 10 * sec, 13 * sec, 16 * sec},
			// 0 + 1 + (4+7+10+13+16) + 16 = 67
			total: 67 * sec,
		},
		{
			// 1 + 15·i(i+1)/(5·6) = 1 + i(i+1)/2: 1+1, 1+3, 1+6, 1+10, 1+15.
			fn:      "arithmetic",
			backoff: []time.Duration{2 * sec, 4 * sec, 7 * sec, 11 * sec, 16 * sec},
			// 0 + 1 + (2+4+7+11+16) + 16 = 57
			total: 57 * sec,
		},
		{
			// 1·16^(i/5) = 2^(4i/5): 2^0.8 = 1.74110…, 2^1.6 = 3.03143…,
			// 2^2.4 = 5.27803…, 2^3.2 = 9.18958…, 2^4 = 16.
			fn:      "geometric",
			backoff: []time.Duration{1741 * ms, 3031 * ms, 5278 * ms, 9190 * ms, 16 * sec},
			// 0 + 1 + (1.741+3.031+5.278+9.190+16) + 16 = 52.240
			total: 52240 * ms,
		},
		{
			// 1 + 15·(2^i − 1)/(2^5 − 1) = 1 + 15·(2^i − 1)/31:
			// 1+15/31 = 1.48387…, 1+45/31 = 2.45161…, 1+105/31 = 4.38709…,
			// 1+225/31 = 8.25806…, 1+465/31 = 16.
			fn:      "exponential",
			backoff: []time.Duration{1484 * ms, 2452 * ms, 4387 * ms, 8258 * ms, 16 * sec},
			// 0 + 1 + (1.484+2.452+4.387+8.258+16) + 16 = 49.581
			total: 49581 * ms,
		},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			p := RetryPolicy{
				MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 8,
				NumNoDelayRetries: 1, NumMinDelayRetries: 1, NumMaxDelayRetries: 1,
				BackoffFunction: tt.fn,
			}
			want := append([]time.Duration{0, sec}, tt.backoff...)
			want = append(want, 16*sec)
			if got := p.Schedule(); !slices.Equal(got, want) {
				t.Fatalf("Schedule() = %v, want %v", got, want)
			}
			for n, w := range want {
				if d, ok := p.Delay(n + 1); !ok || d != w {
					t.Errorf("Delay(%d) = %v, %v; want %v, true", n+1, d, ok, w)
				}
			}
			if d, ok := p.Delay(9); ok || d != 0 {
				t.Errorf("Delay(9) = %v, %v; want 0, false", d, ok)
			}
			if got := p.Total(); got != tt.total {
				t.Errorf("Total() = %v, want %v", got, tt.total)
			}
		})
	}
}

// TestBackoffFunctionCase checks that Delay resolves the function name
// case-insensitively, as the JSON may spell it.
func TestBackoffFunctionCase(t *testing.T) {
	p := RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 5, BackoffFunction: "Arithmetic"}
	// B = 5, same backoff as the arithmetic case above.
	want := []time.Duration{2 * sec, 4 * sec, 7 * sec, 11 * sec, 16 * sec}
	if got := p.Schedule(); !slices.Equal(got, want) {
		t.Fatalf("Schedule() = %v, want %v", got, want)
	}
}

// TestSingleBackoffRetryIsMax checks that with B = 1 the only backoff
// delay is the maximum, for every function.
func TestSingleBackoffRetryIsMax(t *testing.T) {
	for _, fn := range []string{"linear", "arithmetic", "geometric", "exponential"} {
		p := RetryPolicy{MinDelayTarget: 2, MaxDelayTarget: 50, NumRetries: 2, NumNoDelayRetries: 1, BackoffFunction: fn}
		if got, want := p.Schedule(), []time.Duration{0, 50 * sec}; !slices.Equal(got, want) {
			t.Errorf("%s: Schedule() = %v, want %v", fn, got, want)
		}
	}
}

func TestDefaultHTTP(t *testing.T) {
	p := DefaultHTTP()
	want := RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}
	if p != want {
		t.Fatalf("DefaultHTTP() = %+v, want %+v", p, want)
	}
	if got := p.Schedule(); !slices.Equal(got, []time.Duration{20 * sec, 20 * sec, 20 * sec}) {
		t.Fatalf("Schedule() = %v, want [20s 20s 20s]", got)
	}
	if got := p.Total(); got != 60*sec {
		t.Errorf("Total() = %v, want 1m0s", got)
	}
	if _, ok := p.Delay(4); ok {
		t.Error("Delay(4) ok: DefaultHTTP makes 4 attempts, 3 of them retries")
	}
	if d, ok := p.Delay(0); ok || d != 0 {
		t.Errorf("Delay(0) = %v, %v; want 0, false", d, ok)
	}
	if d, ok := p.Delay(-3); ok || d != 0 {
		t.Errorf("Delay(-3) = %v, %v; want 0, false", d, ok)
	}
}

func TestManaged(t *testing.T) {
	p := Managed()
	// 3 no-delay, 2 at min (1 s), B = 100015 − 3 − 2 − 100000 = 10
	// exponential retries 1 + 19·(2^i − 1)/1023, then 100000 at 20 s.
	want := []time.Duration{
		0, 0, 0, // no delay
		sec, sec, // min delay
		1019 * ms,  // 1 + 19·1/1023   = 1.01857…
		1056 * ms,  // 1 + 19·3/1023   = 1.05571…
		1130 * ms,  // 1 + 19·7/1023   = 1.13000…
		1279 * ms,  // 1 + 19·15/1023  = 1.27859…
		1576 * ms,  // 1 + 19·31/1023  = 1.57575…
		2170 * ms,  // 1 + 19·63/1023  = 2.17008…
		3359 * ms,  // 1 + 19·127/1023 = 3.35874…
		5736 * ms,  // 1 + 19·255/1023 = 5.73607…
		10491 * ms, // 1 + 19·511/1023 = 10.49071…
		20 * sec,   // i = B: max
		// max delay phase
		20 * sec, 20 * sec, 20 * sec, 20 * sec, 20 * sec,
	}
	s := p.Schedule()
	if len(s) != 100015 {
		t.Fatalf("len(Schedule()) = %d, want 100015", len(s))
	}
	if !slices.Equal(s[:20], want) {
		t.Fatalf("Schedule()[:20] = %v, want %v", s[:20], want)
	}
	if d, ok := p.Delay(100015); !ok || d != 20*sec {
		t.Errorf("Delay(100015) = %v, %v; want 20s, true", d, ok)
	}
	if d, ok := p.Delay(100016); ok || d != 0 {
		t.Errorf("Delay(100016) = %v, %v; want 0, false", d, ok)
	}
	// 2·1 s + (1.019+1.056+1.130+1.279+1.576+2.170+3.359+5.736+10.491+20) s
	// + 100000·20 s = 2 s + 47.816 s + 2000000 s.
	if got, want := p.Total(), 2000049816*ms; got != want {
		t.Errorf("Total() = %v, want %v", got, want)
	}
}

// TestScheduleUnvalidated checks that policies built by hand, outside the
// parser's limits, still give a sane schedule.
func TestScheduleUnvalidated(t *testing.T) {
	tests := []struct {
		name string
		p    RetryPolicy
		want []time.Duration
	}{
		{"zero value", RetryPolicy{}, []time.Duration{}},
		{"negative retries", RetryPolicy{NumRetries: -4, MinDelayTarget: 1, MaxDelayTarget: 2}, []time.Duration{}},
		{
			// phases cut in order: 2 no-delay, then 1 left for min.
			"counts above numRetries",
			RetryPolicy{NumRetries: 3, NumNoDelayRetries: 2, NumMinDelayRetries: 5, NumMaxDelayRetries: 5, MinDelayTarget: 1, MaxDelayTarget: 9},
			[]time.Duration{0, 0, sec},
		},
		{
			"negative counts and delays",
			RetryPolicy{NumRetries: 2, NumNoDelayRetries: -1, MinDelayTarget: -5, MaxDelayTarget: 4},
			// B = 2, linear from 0 to 4: 2, 4.
			[]time.Duration{2 * sec, 4 * sec},
		},
		{
			// a constant ratio from 0 is undefined: linear 0 + 8·i/4.
			"geometric from zero",
			RetryPolicy{NumRetries: 4, MaxDelayTarget: 8, BackoffFunction: "geometric"},
			[]time.Duration{2 * sec, 4 * sec, 6 * sec, 8 * sec},
		},
		{
			"unknown function is linear",
			RetryPolicy{NumRetries: 2, MinDelayTarget: 2, MaxDelayTarget: 4, BackoffFunction: "cubic"},
			[]time.Duration{3 * sec, 4 * sec},
		},
		{
			// max below min: the backoff goes down, within [max, min].
			"max below min",
			RetryPolicy{NumRetries: 2, MinDelayTarget: 10, MaxDelayTarget: 4, BackoffFunction: "exponential"},
			// 10 + (4−10)·(2^1−1)/(2^2−1) = 10 − 2 = 8, then 4.
			[]time.Duration{8 * sec, 4 * sec},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Schedule()
			if got == nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Schedule() = %#v, want %v", got, tt.want)
			}
			var sum time.Duration
			for _, d := range got {
				sum += d
			}
			if tot := tt.p.Total(); tot != sum {
				t.Errorf("Total() = %v, want the schedule's sum %v", tot, sum)
			}
		})
	}
}

// TestLongBackoffNoOverflow checks that very long backoff phases (where
// 2^B and friends overflow a float64) stay finite, monotonic and bounded,
// and end at the maximum.
func TestLongBackoffNoOverflow(t *testing.T) {
	for _, fn := range []string{"linear", "arithmetic", "geometric", "exponential"} {
		p := RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 3600, NumRetries: 100000, BackoffFunction: fn}
		s := p.Schedule()
		if len(s) != 100000 {
			t.Fatalf("%s: len = %d", fn, len(s))
		}
		prev := time.Duration(0)
		for i, d := range s {
			if d < sec || d > 3600*sec || d < prev {
				t.Fatalf("%s: delay %d = %v (previous %v): not within [1s, 1h] and non-decreasing", fn, i+1, d, prev)
			}
			prev = d
		}
		if s[len(s)-1] != 3600*sec {
			t.Errorf("%s: last delay %v, want 1h0m0s", fn, s[len(s)-1])
		}
		if fn == "exponential" && s[0] != sec {
			// 2^1−1 over 2^100000−1 is far below a millisecond's worth.
			t.Errorf("exponential: first delay %v, want 1s", s[0])
		}
	}
}

func TestTotalSaturates(t *testing.T) {
	p := RetryPolicy{NumRetries: math.MaxInt32, NumMaxDelayRetries: math.MaxInt32, MaxDelayTarget: math.MaxInt32}
	if got := p.Total(); got != time.Duration(math.MaxInt64) {
		t.Errorf("Total() = %v, want the largest duration", got)
	}
}

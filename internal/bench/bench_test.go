package bench

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"512", 512, false},
		{"512B", 512, false},
		{"512 b", 512, false},
		{"1KiB", 1024, false},
		{"1kib", 1024, false},
		{"4KB", 4096, false},
		{"2k", 2048, false},
		{"2K", 2048, false},
		{"1MiB", 1 << 20, false},
		{"1mb", 1 << 20, false},
		{"256KiB", 256 << 10, false},
		{"1.5KiB", 1536, false},
		{" 64 ", 64, false},
		{"1G", 1 << 30, false},
		{"", 0, true},
		{"KiB", 0, true},
		{"abc", 0, true},
		{"-1", 0, true},
		{"0", 0, true},
		{"0KiB", 0, true},
		{"1.5", 0, true},      // not a whole number of bytes
		{"1.2.3KiB", 0, true}, // malformed number
		{"1KiBx", 0, true},
		{"1TB", 0, true}, // unknown unit
		{"1e3", 0, true},
		{"4GiB", 0, true}, // too large
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSize(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestHistIndexBounds(t *testing.T) {
	// Every value falls inside its bucket's bounds, bucket indexes are
	// monotonic, and buckets tile the value range without gaps.
	prev := -1
	check := func(v uint64) {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d out of range [0,%d)", v, i, histBuckets)
		}
		lo, hi := histBounds(i)
		if v < lo || v > hi {
			t.Fatalf("value %d in bucket %d with bounds [%d,%d]", v, i, lo, hi)
		}
		if i < prev {
			t.Fatalf("histIndex not monotonic at %d: %d after %d", v, i, prev)
		}
		prev = i
	}
	for v := uint64(0); v < 1<<16; v++ {
		check(v)
	}
	for v := uint64(1 << 16); v < histMaxValue; v += v/997 + 1 {
		check(v)
	}
	check(histMaxValue)
	for i := 1; i < histBuckets; i++ {
		_, prevHi := histBounds(i - 1)
		lo, hi := histBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("gap between bucket %d (hi %d) and %d (lo %d)", i-1, prevHi, i, lo)
		}
		// Relative bucket width stays within 1/32.
		if w := hi - lo + 1; w > 1 && float64(w)/float64(lo) > 1.0/histSubCount+1e-9 {
			t.Fatalf("bucket %d [%d,%d] too wide", i, lo, hi)
		}
	}
}

// within reports whether got is within frac of want.
func within(got, want time.Duration, frac float64) bool {
	d := float64(got - want)
	if d < 0 {
		d = -d
	}
	return d <= frac*float64(want)
}

func TestHistogramQuantiles(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		h := NewHistogram()
		if h.Quantile(0.5) != 0 || h.Quantile(0.99) != 0 || h.Max() != 0 || h.Count() != 0 {
			t.Fatalf("empty histogram: p50 %v p99 %v max %v count %d", h.Quantile(0.5), h.Quantile(0.99), h.Max(), h.Count())
		}
	})

	t.Run("uniform", func(t *testing.T) {
		h := NewHistogram()
		// 1ms..100ms in 1µs steps, shuffled.
		vals := make([]time.Duration, 0, 100000)
		for us := 1000; us <= 100000; us++ {
			vals = append(vals, time.Duration(us)*time.Microsecond)
		}
		rand.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		for _, v := range vals {
			h.Record(v)
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		for _, q := range []float64{0.01, 0.25, 0.5, 0.9, 0.99, 0.999} {
			exact := vals[int(q*float64(len(vals)))-1]
			if got := h.Quantile(q); !within(got, exact, 0.02) {
				t.Errorf("q%v = %v, want %v ±2%%", q, got, exact)
			}
		}
		if h.Max() != 100*time.Millisecond {
			t.Errorf("max = %v, want 100ms", h.Max())
		}
		if h.Count() != uint64(len(vals)) {
			t.Errorf("count = %d, want %d", h.Count(), len(vals))
		}
	})

	t.Run("constant", func(t *testing.T) {
		h := NewHistogram()
		for range 1000 {
			h.Record(1234 * time.Microsecond)
		}
		// Clamping to the observed min/max makes a constant exact.
		for _, q := range []float64{0.5, 0.99, 1} {
			if got := h.Quantile(q); got != 1234*time.Microsecond {
				t.Errorf("q%v = %v, want 1.234ms", q, got)
			}
		}
	})

	t.Run("tail", func(t *testing.T) {
		h := NewHistogram()
		for range 990 {
			h.Record(time.Millisecond)
		}
		for range 10 {
			h.Record(time.Second)
		}
		if got := h.Quantile(0.5); !within(got, time.Millisecond, 0.02) {
			t.Errorf("p50 = %v, want 1ms", got)
		}
		if got := h.Quantile(0.99); !within(got, time.Millisecond, 0.02) {
			t.Errorf("p99 = %v, want 1ms (rank 990 is the last 1ms sample)", got)
		}
		if got := h.Quantile(0.995); !within(got, time.Second, 0.02) {
			t.Errorf("p99.5 = %v, want 1s", got)
		}
		if h.Max() != time.Second {
			t.Errorf("max = %v, want 1s", h.Max())
		}
	})

	t.Run("extremes", func(t *testing.T) {
		h := NewHistogram()
		h.Record(-time.Second) // clock skew: recorded as 0
		h.Record(1000 * time.Hour)
		if got := h.Quantile(0.5); got != 0 {
			t.Errorf("p50 = %v, want 0", got)
		}
		if got, want := h.Max(), time.Duration(histMaxValue)*time.Microsecond; got != want {
			t.Errorf("max = %v, want clamp %v", got, want)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		h := NewHistogram()
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 10000 {
					h.Record(time.Duration(g*10000+i+1) * time.Microsecond)
				}
			})
		}
		wg.Wait()
		if h.Count() != 80000 {
			t.Fatalf("count = %d, want 80000", h.Count())
		}
		if got := h.Quantile(0.5); !within(got, 40*time.Millisecond, 0.02) {
			t.Errorf("p50 = %v, want 40ms", got)
		}
		if h.Max() != 80*time.Millisecond {
			t.Errorf("max = %v, want 80ms", h.Max())
		}
	})
}

func TestBodyRoundTrip(t *testing.T) {
	r := &runner{runID: "deadbeef"}
	for _, size := range []int{1, headerLen, 1024} {
		r.pad = strings.Repeat("x", max(0, size-headerLen))
		now := time.Now()
		b := r.body(now)
		if want := max(size, headerLen); len(b) != want {
			t.Errorf("size %d: body length %d, want %d", size, len(b), want)
		}
		sent, id, ok := parseBody(b)
		if !ok || id != "deadbeef" || sent.UnixNano() != now.UnixNano() {
			t.Errorf("parseBody(%q) = %v, %q, %v", b[:headerLen], sent, id, ok)
		}
	}
	for _, bad := range []string{"", "hello", "t=;r=x;", "t=12;", "t=12;r=abc", "t=x1;r=abc;"} {
		if _, _, ok := parseBody(bad); ok {
			t.Errorf("parseBody(%q) ok, want failure", bad)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Batch: 11},
		{Batch: -1},
		{Queues: -1},
		{WaitTime: 21},
		{Size: -5},
	} {
		if _, err := Run(context.Background(), o, nil); err == nil {
			t.Errorf("Run(%+v) succeeded, want validation error", o)
		}
	}
}

// startServer runs a real Abanico server in-process for the load tool.
func startServer(t *testing.T) string {
	t.Setenv("AWS_ACCESS_KEY_ID", "bench")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "bench")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.Durability = "relaxed" }).URL()
}

func queueNames(t *testing.T, url, prefix string) []string {
	t.Helper()
	out, err := abanicotest.SQS(url).ListQueues(context.Background(), &sqs.ListQueuesInput{QueueNamePrefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	return out.QueueUrls
}

// TestRun runs the whole load generator against a real server, for both
// the batch and single-message paths.
func TestRun(t *testing.T) {
	url := startServer(t)
	for _, batch := range []int{10, 1} {
		var out bytes.Buffer
		res, err := Run(context.Background(), Options{
			Endpoint:  url,
			Queues:    3,
			Senders:   2,
			Receivers: 2,
			Size:      100,
			Batch:     batch,
			Duration:  500 * time.Millisecond,
			Progress:  100 * time.Millisecond,
		}, &out)
		if err != nil {
			t.Fatalf("batch %d: Run: %v", batch, err)
		}
		if res.Sent == 0 || res.Deleted != res.Sent || res.Received != res.Sent || res.Errors != 0 || res.Stale != 0 {
			t.Fatalf("batch %d: unexpected counts %+v", batch, res)
		}
		if res.SendRate <= 0 || res.ReceiveRate <= 0 || res.LatencyP50 <= 0 || res.LatencyMax < res.LatencyP99 || res.LatencyP99 < res.LatencyP50 {
			t.Fatalf("batch %d: unexpected rates/latencies %+v", batch, res)
		}
		if res.SendElapsed < 500*time.Millisecond || res.ReceiveElapsed < res.SendElapsed || res.Elapsed < res.ReceiveElapsed {
			t.Fatalf("batch %d: unexpected windows %+v", batch, res)
		}
		if !strings.Contains(out.String(), "sent") || !strings.Contains(out.String(), "p99") {
			t.Errorf("batch %d: no progress lines in output:\n%s", batch, out.String())
		}
		if left := queueNames(t, url, "abanico-bench-"); len(left) != 0 {
			t.Errorf("batch %d: queues left behind: %v", batch, left)
		}
		var sum bytes.Buffer
		res.Print(&sum)
		for _, want := range []string{"send throughput", "receive throughput", "p50", "p99", "max", "errors"} {
			if !strings.Contains(sum.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, sum.String())
			}
		}
	}
}

func TestRunStaleMessagesAndKeepQueues(t *testing.T) {
	url := startServer(t)
	c := abanicotest.SQS(url)
	q, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("abanico-bench-0")})
	if err != nil {
		t.Fatal(err)
	}
	// Leftovers from another run sit in the queue.
	for _, b := range []string{"t=1;r=other;xx", "garbage"} {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), Options{
		Endpoint: url, Senders: 1, Receivers: 1, Duration: 300 * time.Millisecond, KeepQueues: true,
	}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Stale != 2 || res.Deleted != res.Sent+2 || res.Errors != 0 {
		t.Errorf("want 2 stale messages deleted beyond sent: %+v", res)
	}
	if left := queueNames(t, url, "abanico-bench-"); len(left) != 1 {
		t.Errorf("KeepQueues: queues %v", left)
	}
}

func TestRunCancel(t *testing.T) {
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Options{Endpoint: url, Duration: time.Minute}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
	if res.Sent == 0 || res.Errors != 0 {
		t.Errorf("partial result %+v", res)
	}
	if left := queueNames(t, url, "abanico-bench-"); len(left) != 0 {
		t.Errorf("queues not cleaned up after cancel: %v", left)
	}
}

// TestRunAgainstEndpoint runs a short benchmark against a real SQS endpoint
// given by ABANICO_BENCH_ENDPOINT (e.g. http://127.0.0.1:4566).
func TestRunAgainstEndpoint(t *testing.T) {
	ep := os.Getenv("ABANICO_BENCH_ENDPOINT")
	if ep == "" {
		t.Skip("ABANICO_BENCH_ENDPOINT not set")
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{
		Endpoint:    ep,
		Queues:      1,
		QueuePrefix: "abanico-bench-test-",
		Duration:    2 * time.Second,
		Progress:    time.Second,
	}, &out)
	res.Print(&out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Sent == 0 || res.Deleted == 0 || res.Errors != 0 {
		t.Fatalf("want Sent>0, Deleted>0, Errors==0; got %+v", res)
	}
}

// TestRunHTTPAndFanout runs the SNS load tools against a real server: every
// published message reaches every subscription, enveloped and raw.
func TestRunHTTPAndFanout(t *testing.T) {
	url := startServer(t)
	for _, raw := range []bool{false, true} {
		res, err := RunHTTP(context.Background(), HTTPOptions{Endpoint: url, Raw: raw, Progress: 100 * time.Millisecond,
			Load: Load{Subs: 2, Publishers: 2, Size: 100, Duration: 400 * time.Millisecond, Batch: 2}}, nil)
		if err != nil {
			t.Fatalf("RunHTTP: %v", err)
		}
		if res.Published == 0 || res.Delivered != res.Published*2 || res.Errors != 0 || res.LatencyP50 <= 0 {
			t.Fatalf("http raw=%v: %+v", raw, res)
		}
	}
	res, err := RunFanout(context.Background(), FanoutOptions{Endpoint: url,
		Load: Load{Subs: 2, Publishers: 2, Size: 100, Duration: 400 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatalf("RunFanout: %v", err)
	}
	if res.Published == 0 || res.Delivered != res.Published*2 || res.Errors != 0 {
		t.Fatalf("fanout: %+v", res)
	}
}

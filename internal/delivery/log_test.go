package delivery

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// ids returns the message IDs of attempts, in order.
func ids(as []Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.MessageID
	}
	return out
}

func addN(l *Log, from, to int) {
	for i := from; i <= to; i++ {
		l.Add(Attempt{MessageID: fmt.Sprint(i), Attempt: i})
	}
}

func TestLogRing(t *testing.T) {
	tests := []struct {
		name  string
		added int // attempts 1..added added to a log of 3
		last  int
		want  []string
	}{
		{"empty", 0, 0, []string{}},
		{"empty, some asked", 0, 2, []string{}},
		{"partly filled", 2, 0, []string{"2", "1"}},
		{"partly filled, more asked", 2, 5, []string{"2", "1"}},
		{"exactly full", 3, 0, []string{"3", "2", "1"}},
		{"wrapped once", 4, 0, []string{"4", "3", "2"}},
		{"wrapped", 5, 0, []string{"5", "4", "3"}},
		{"wrapped, fewer asked", 5, 2, []string{"5", "4"}},
		{"wrapped, one asked", 5, 1, []string{"5"}},
		{"wrapped, more asked", 5, 9, []string{"5", "4", "3"}},
		{"negative means all", 5, -1, []string{"5", "4", "3"}},
		{"wrapped many times", 3*7 + 2, 0, []string{"23", "22", "21"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLog(3)
			addN(l, 1, tt.added)
			got := l.Last(tt.last)
			if got == nil {
				t.Fatal("Last returned nil")
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Fatalf("Last(%d) = %v, want %v", tt.last, ids(got), tt.want)
			}
			if l.Len() != min(tt.added, 3) {
				t.Errorf("Len() = %d, want %d", l.Len(), min(tt.added, 3))
			}
		})
	}
}

func TestLogDefaultSize(t *testing.T) {
	for _, n := range []int{0, -5} {
		l := NewLog(n)
		if l.Cap() != 100 {
			t.Fatalf("NewLog(%d).Cap() = %d, want 100", n, l.Cap())
		}
		addN(l, 1, 150)
		got := l.Last(0)
		if len(got) != 100 || got[0].MessageID != "150" || got[99].MessageID != "51" {
			t.Fatalf("after 150 adds: %d kept, newest %q, oldest %q; want 100, 150, 51",
				len(got), got[0].MessageID, got[len(got)-1].MessageID)
		}
	}
	if c := NewLog(1).Cap(); c != 1 {
		t.Fatalf("NewLog(1).Cap() = %d", c)
	}
}

func TestLogLastIsACopy(t *testing.T) {
	l := NewLog(2)
	addN(l, 1, 2)
	got := l.Last(0)
	got[0].MessageID = "changed"
	if again := ids(l.Last(0)); !slices.Equal(again, []string{"2", "1"}) {
		t.Fatalf("modifying Last's result changed the log: %v", again)
	}
}

// TestLogConcurrent adds from many goroutines while others read, under the
// race detector, and checks that the log keeps exactly the newest
// attempts: each writer's attempts come out newest first.
func TestLogConcurrent(t *testing.T) {
	const writers, each, size = 8, 1000, 64
	l := NewLog(size)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				l.Add(Attempt{MessageID: fmt.Sprint(w), Attempt: i})
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 200 {
				if n := len(l.Last(10)); n > 10 {
					t.Errorf("Last(10) returned %d attempts", n)
					return
				}
			}
		})
	}
	wg.Wait()
	got := l.Last(0)
	if len(got) != size {
		t.Fatalf("kept %d attempts, want %d", len(got), size)
	}
	prev := map[string]int{}
	for _, a := range got {
		if p, seen := prev[a.MessageID]; seen && a.Attempt >= p {
			t.Fatalf("writer %s: attempt %d listed after %d, want newest first", a.MessageID, a.Attempt, p)
		}
		prev[a.MessageID] = a.Attempt
	}
	// Whoever wrote last wrote its final attempt last.
	if got[0].Attempt != each-1 {
		t.Fatalf("newest attempt is #%d of writer %s, want a writer's last (#%d)", got[0].Attempt, got[0].MessageID, each-1)
	}
}

func TestAttemptJSON(t *testing.T) {
	a := Attempt{
		Time: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), MessageID: "m-1", Attempt: 2,
		Latency: 1500 * time.Microsecond, Error: "connection refused", Outcome: OutcomeRetrying,
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2025-03-01T12:00:00Z","messageId":"m-1","attempt":2,"latencyNs":1500000,"error":"connection refused","outcome":"retrying"}`
	if string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
	a.Status, a.Error, a.Outcome = 200, "", OutcomeDelivered
	b, err = json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"time":"2025-03-01T12:00:00Z","messageId":"m-1","attempt":2,"status":200,"latencyNs":1500000,"outcome":"delivered"}`
	if string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
}

func TestOutcomes(t *testing.T) {
	got := []Outcome{OutcomeDelivered, OutcomeRetrying, OutcomeDeadLettered, OutcomeDropped, OutcomeRefused}
	want := []Outcome{"delivered", "retrying", "dead-lettered", "dropped", "refused"}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}

func TestCounters(t *testing.T) {
	var c Counters
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				c.Delivered.Add(1)
				c.Failed.Add(2)
				c.Retried.Add(3)
				c.DeadLettered.Add(4)
				c.Dropped.Add(5)
				_ = c.Snapshot()
			}
		})
	}
	wg.Wait()
	want := CountersSnapshot{Delivered: 1000, Failed: 2000, Retried: 3000, DeadLettered: 4000, Dropped: 5000}
	if got := c.Snapshot(); got != want {
		t.Fatalf("Snapshot() = %+v, want %+v", got, want)
	}
	b, err := json.Marshal(c.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"delivered":1000,"failed":2000,"retried":3000,"deadLettered":4000,"dropped":5000}`; got != want {
		t.Fatalf("JSON = %s, want %s", got, want)
	}
}

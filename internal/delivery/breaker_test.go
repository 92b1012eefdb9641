package delivery

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func expectAllow(t *testing.T, b *Breaker, wantOK bool, wantWait time.Duration) {
	t.Helper()
	ok, wait := b.Allow()
	if ok != wantOK || wait != wantWait {
		t.Fatalf("Allow() = %v, %v; want %v, %v", ok, wait, wantOK, wantWait)
	}
}

func expectState(t *testing.T, b *Breaker, want BreakerState) {
	t.Helper()
	if got := b.State(); got != want {
		t.Fatalf("State() = %q, want %q", got, want)
	}
}

func expectSnapshot(t *testing.T, b *Breaker, want BreakerSnapshot) {
	t.Helper()
	if got := b.Snapshot(); got != want {
		t.Fatalf("Snapshot() = %+v, want %+v", got, want)
	}
}

// concurrentProbes has n goroutines call Allow at once and returns how
// many were allowed.
func concurrentProbes(b *Breaker, n int) int {
	var allowed atomic.Int32
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Go(func() {
			start.Wait()
			if ok, _ := b.Allow(); ok {
				allowed.Add(1)
			}
		})
	}
	start.Done()
	done.Wait()
	return int(allowed.Load())
}

func TestBreakerLifecycle(t *testing.T) {
	clk := &fakeClock{t: t0}
	b := NewBreaker(BreakerConfig{Failures: 3, Cooldown: 10 * time.Second, MaxCooldown: 25 * time.Second}, clk.Now)

	// Closed: everything allowed; a success resets the failure count.
	expectState(t, b, BreakerClosed)
	expectAllow(t, b, true, 0)
	b.Record(false)
	b.Record(false)
	expectSnapshot(t, b, BreakerSnapshot{State: BreakerClosed, ConsecutiveFailures: 2, Cooldown: 10 * time.Second})
	b.Record(true)
	expectSnapshot(t, b, BreakerSnapshot{State: BreakerClosed, Cooldown: 10 * time.Second})
	b.Record(false)
	b.Record(false)
	expectState(t, b, BreakerClosed)
	expectAllow(t, b, true, 0)

	// The third consecutive failure opens it for the cooldown.
	b.Record(false)
	expectState(t, b, BreakerOpen)
	expectSnapshot(t, b, BreakerSnapshot{
		State: BreakerOpen, ConsecutiveFailures: 3, OpenedAt: t0,
		NextProbe: t0.Add(10 * time.Second), Cooldown: 10 * time.Second, Trips: 1,
	})
	expectAllow(t, b, false, 10*time.Second)
	clk.Advance(4 * time.Second)
	expectAllow(t, b, false, 6*time.Second)
	// Results of attempts that were in flight change nothing while open.
	b.Record(true)
	b.Record(false)
	expectState(t, b, BreakerOpen)
	clk.Advance(6*time.Second - time.Nanosecond)
	expectAllow(t, b, false, time.Nanosecond)

	// Cooldown over: half-open, exactly one probe among concurrent callers.
	clk.Advance(time.Nanosecond)
	expectState(t, b, BreakerHalfOpen)
	if n := concurrentProbes(b, 50); n != 1 {
		t.Fatalf("%d concurrent callers got the probe, want 1", n)
	}
	expectAllow(t, b, false, time.Second) // probe held: poll again in 1 s
	expectState(t, b, BreakerHalfOpen)

	// The probe fails: open again, cooldown doubled to 20 s.
	opened2 := clk.Now()
	b.Record(false)
	expectSnapshot(t, b, BreakerSnapshot{
		State: BreakerOpen, ConsecutiveFailures: 4, OpenedAt: opened2,
		NextProbe: opened2.Add(20 * time.Second), Cooldown: 20 * time.Second, Trips: 2,
	})
	expectAllow(t, b, false, 20*time.Second)
	clk.Advance(10 * time.Second)
	expectAllow(t, b, false, 10*time.Second)
	clk.Advance(10 * time.Second)

	// Half-open: a released probe can be taken again.
	expectAllow(t, b, true, 0)
	expectAllow(t, b, false, time.Second)
	b.Release()
	expectState(t, b, BreakerHalfOpen)
	expectAllow(t, b, true, 0)

	// Failing again doubles the cooldown up to MaxCooldown: min(40, 25).
	opened3 := clk.Now()
	b.Record(false)
	expectState(t, b, BreakerOpen)
	expectAllow(t, b, false, 25*time.Second)
	if s := b.Snapshot(); s.Cooldown != 25*time.Second || s.Trips != 3 || !s.OpenedAt.Equal(opened3) {
		t.Fatalf("Snapshot() = %+v, want cooldown 25s, 3 trips, opened at %v", s, opened3)
	}
	clk.Advance(25 * time.Second)

	// A successful probe closes it and resets the cooldown.
	expectState(t, b, BreakerHalfOpen)
	if n := concurrentProbes(b, 20); n != 1 {
		t.Fatalf("%d concurrent callers got the probe, want 1", n)
	}
	b.Record(true)
	expectSnapshot(t, b, BreakerSnapshot{State: BreakerClosed, Cooldown: 10 * time.Second, Trips: 3})
	for range 5 {
		expectAllow(t, b, true, 0)
	}
	b.Release() // no probe held: nothing happens
	expectState(t, b, BreakerClosed)

	// It trips again after Failures failures, with the base cooldown.
	for range 3 {
		b.Record(false)
	}
	expectAllow(t, b, false, 10*time.Second)
	expectSnapshot(t, b, BreakerSnapshot{
		State: BreakerOpen, ConsecutiveFailures: 3, OpenedAt: clk.Now(),
		NextProbe: clk.Now().Add(10 * time.Second), Cooldown: 10 * time.Second, Trips: 4,
	})
}

func TestBreakerDisabled(t *testing.T) {
	clk := &fakeClock{t: t0}
	b := NewBreaker(BreakerConfig{Failures: 0, Cooldown: time.Minute}, clk.Now)
	for range 1000 {
		expectAllow(t, b, true, 0)
		b.Record(false)
	}
	expectState(t, b, BreakerClosed)
	if n := concurrentProbes(b, 20); n != 20 {
		t.Fatalf("%d of 20 concurrent callers allowed, want all", n)
	}
	expectSnapshot(t, b, BreakerSnapshot{State: BreakerClosed, ConsecutiveFailures: 1000, Cooldown: time.Minute})
	b.Record(true)
	expectSnapshot(t, b, BreakerSnapshot{State: BreakerClosed, Cooldown: time.Minute})
}

func TestBreakerConfigNormalised(t *testing.T) {
	clk := &fakeClock{t: t0}
	// MaxCooldown below Cooldown: the cooldown does not grow.
	b := NewBreaker(BreakerConfig{Failures: 1, Cooldown: 2 * time.Second, MaxCooldown: time.Second}, clk.Now)
	if got, want := b.Config(), (BreakerConfig{Failures: 1, Cooldown: 2 * time.Second, MaxCooldown: 2 * time.Second}); got != want {
		t.Fatalf("Config() = %+v, want %+v", got, want)
	}
	b.Record(false)
	expectAllow(t, b, false, 2*time.Second)
	clk.Advance(2 * time.Second)
	expectAllow(t, b, true, 0)
	// Half-open with the probe held: poll again in 1 s (the cooldown is
	// longer).
	expectAllow(t, b, false, time.Second)
	b.Record(false)
	expectAllow(t, b, false, 2*time.Second)

	// A short cooldown shortens the half-open polling interval.
	s := NewBreaker(BreakerConfig{Failures: 1, Cooldown: 100 * time.Millisecond}, clk.Now)
	s.Record(false)
	clk.Advance(100 * time.Millisecond)
	expectAllow(t, s, true, 0)
	expectAllow(t, s, false, 100*time.Millisecond)

	// A zero cooldown probes at once.
	z := NewBreaker(BreakerConfig{Failures: 2, Cooldown: -time.Second}, clk.Now)
	z.Record(false)
	z.Record(false)
	expectState(t, z, BreakerHalfOpen)
	expectAllow(t, z, true, 0)
	expectAllow(t, z, false, time.Second)
	if got := z.Snapshot().Trips; got != 1 {
		t.Errorf("Trips = %d, want 1", got)
	}
}

func TestDefaultBreakerConfig(t *testing.T) {
	want := BreakerConfig{Failures: 10, Cooldown: 30 * time.Second, MaxCooldown: 5 * time.Minute}
	if got := DefaultBreakerConfig(); got != want {
		t.Fatalf("DefaultBreakerConfig() = %+v, want %+v", got, want)
	}
	b := NewBreaker(want, nil) // real clock
	for range 9 {
		b.Record(false)
	}
	expectAllow(t, b, true, 0)
	b.Record(false)
	ok, wait := b.Allow()
	if ok || wait <= 0 || wait > 30*time.Second {
		t.Fatalf("Allow() = %v, %v; want false and a wait of at most 30s", ok, wait)
	}
}

func TestBreakerSnapshotJSON(t *testing.T) {
	clk := &fakeClock{t: t0}
	b := NewBreaker(BreakerConfig{Failures: 1, Cooldown: time.Second}, clk.Now)
	closed, err := json.Marshal(b.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(closed), `{"state":"closed","consecutiveFailures":0,"cooldownNs":1000000000,"trips":0}`; got != want {
		t.Errorf("closed snapshot JSON = %s, want %s", got, want)
	}
	b.Record(false)
	open, err := json.Marshal(b.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"state":"open","consecutiveFailures":1,"openedAt":"2025-03-01T12:00:00Z","nextProbe":"2025-03-01T12:00:01Z","cooldownNs":1000000000,"trips":1}`
	if string(open) != want {
		t.Errorf("open snapshot JSON = %s, want %s", open, want)
	}
}

// TestBreakerConcurrentUse drives a breaker from many goroutines (for the
// race detector) while the clock moves, and checks that it did trip and
// ends in a valid state.
func TestBreakerConcurrentUse(t *testing.T) {
	clk := &fakeClock{t: t0}
	b := NewBreaker(BreakerConfig{Failures: 2, Cooldown: time.Millisecond, MaxCooldown: 4 * time.Millisecond}, clk.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				if g == 0 {
					clk.Advance(time.Millisecond)
				}
				ok, _ := b.Allow()
				_ = b.State()
				_ = b.Snapshot()
				switch {
				case !ok:
				case i%7 == 0:
					b.Release()
				default:
					b.Record((i+g)%3 == 0)
				}
			}
		})
	}
	wg.Wait()
	s := b.Snapshot()
	switch s.State {
	case BreakerClosed, BreakerOpen, BreakerHalfOpen:
	default:
		t.Fatalf("final state %q", s.State)
	}
	if s.Trips == 0 {
		t.Fatal("two failures in three never opened the breaker")
	}
	if s.Cooldown < time.Millisecond || s.Cooldown > 4*time.Millisecond {
		t.Fatalf("cooldown %v outside [1ms, 4ms]", s.Cooldown)
	}
}

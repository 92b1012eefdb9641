package delivery

import (
	"sync"
	"time"
)

// BreakerState is the state of a Breaker.
type BreakerState string

// The states of a Breaker.
const (
	// BreakerClosed lets every attempt through.
	BreakerClosed BreakerState = "closed"
	// BreakerOpen lets no attempt through until its cooldown ends.
	BreakerOpen BreakerState = "open"
	// BreakerHalfOpen lets one probe attempt through at a time.
	BreakerHalfOpen BreakerState = "half-open"
)

// probeWait is what Allow answers in half-open state while another caller
// holds the probe (or the cooldown, when shorter and not 0): how long to
// wait before asking again.
const probeWait = time.Second

// BreakerConfig configures a Breaker.
type BreakerConfig struct {
	// Failures is how many consecutive failed attempts open the circuit;
	// 0 (or less) disables the breaker, which then always allows.
	Failures int
	// Cooldown is how long the circuit stays open after it first opens
	// (negative counts as 0: probe at once).
	Cooldown time.Duration
	// MaxCooldown caps the cooldown, which doubles each time a probe
	// fails. A MaxCooldown below Cooldown counts as Cooldown (no growth).
	MaxCooldown time.Duration
}

// DefaultBreakerConfig returns the default configuration: open after 10
// consecutive failures, for 30 s at first and at most 5 min.
func DefaultBreakerConfig() BreakerConfig {
	return BreakerConfig{Failures: 10, Cooldown: 30 * time.Second, MaxCooldown: 5 * time.Minute}
}

// Breaker is a per-endpoint circuit breaker.
//
// Closed: everything is allowed. After Failures consecutive failed attempts
// it opens for Cooldown; then it is half-open: exactly one probe is allowed
// at a time. A successful probe closes it (and resets the cooldown); a
// failed one re-opens it with the cooldown doubled, up to MaxCooldown. A
// success in closed state resets the failure count. Failures == 0 disables
// the breaker (always closed).
//
// In half-open state any result given to Record settles the probe, whoever
// made the attempt. Results recorded while open (from attempts already in
// flight when it opened) change nothing.
//
// A Breaker reads time only from its clock, so it is deterministic under
// an injected one. It is safe for concurrent use.
type Breaker struct {
	cfg BreakerConfig
	now func() time.Time

	mu       sync.Mutex
	state    BreakerState
	failures int           // consecutive failed attempts
	cooldown time.Duration // of the current (or next) opening
	openedAt time.Time     // when it last opened; zero when closed
	until    time.Time     // when an open circuit turns half-open
	probing  bool          // half-open and a caller holds the probe
	trips    int64         // times it opened
}

// NewBreaker returns a closed breaker configured by cfg, reading time from
// now (time.Now when nil).
func NewBreaker(cfg BreakerConfig, now func() time.Time) *Breaker {
	if now == nil {
		now = time.Now
	}
	cfg.Cooldown = max(cfg.Cooldown, 0)
	cfg.MaxCooldown = max(cfg.MaxCooldown, cfg.Cooldown)
	return &Breaker{cfg: cfg, now: now, state: BreakerClosed, cooldown: cfg.Cooldown}
}

// Config returns the breaker's configuration, normalised as NewBreaker
// applies it.
func (b *Breaker) Config() BreakerConfig { return b.cfg }

// Allow reports whether an attempt may be made now. When it returns false,
// wait (> 0) is how long until the next probe may be made: the rest of the
// cooldown when open, or a short polling interval (1 s, or the cooldown when
// shorter) when half-open with the probe taken. When it returns true, wait is 0.
//
// In half-open state, the caller that got true holds the probe until it
// calls Record (or Release, when it makes no attempt after all); until
// then every other caller gets false.
func (b *Breaker) Allow() (ok bool, wait time.Duration) {
	ok, _, wait = b.AllowProbe()
	return ok, wait
}

// AllowProbe is Allow that also says whether the caller got the half-open
// probe (and so must settle it with Record or Release).
func (b *Breaker) AllowProbe() (ok, probe bool, wait time.Duration) {
	if b.cfg.Failures <= 0 {
		return true, false, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.advance(now)
	switch b.state {
	case BreakerOpen:
		return false, false, b.until.Sub(now)
	case BreakerHalfOpen:
		if b.probing {
			w := probeWait
			if b.cooldown > 0 && b.cooldown < w {
				w = b.cooldown
			}
			return false, false, w
		}
		b.probing = true
		return true, true, 0
	default:
		return true, false, 0
	}
}

// Record records the result of an attempt; see Breaker for the
// transitions it makes.
func (b *Breaker) Record(success bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg.Failures <= 0 {
		if success {
			b.failures = 0
		} else {
			b.failures++
		}
		return
	}
	now := b.now()
	b.advance(now)
	switch b.state {
	case BreakerClosed:
		if success {
			b.failures = 0
			return
		}
		b.failures++
		if b.failures >= b.cfg.Failures {
			b.open(now)
		}
	case BreakerHalfOpen:
		b.probing = false
		if success {
			b.state, b.failures, b.cooldown = BreakerClosed, 0, b.cfg.Cooldown
			b.openedAt, b.until = time.Time{}, time.Time{}
			return
		}
		b.failures++
		b.cooldown = min(b.cooldown*2, b.cfg.MaxCooldown)
		if b.cooldown < 0 { // doubling overflowed
			b.cooldown = b.cfg.MaxCooldown
		}
		b.open(now)
	}
}

// Release gives back the probe of a half-open breaker without a result,
// for a caller that got true from Allow but made no attempt; the next
// Allow may then probe. It does nothing in other states or when no probe
// is held.
func (b *Breaker) Release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerHalfOpen {
		b.probing = false
	}
}

// State returns the current state; an open breaker whose cooldown has
// ended reports (and becomes) half-open.
func (b *Breaker) State() BreakerState {
	if b.cfg.Failures <= 0 {
		return BreakerClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(b.now())
	return b.state
}

// BreakerSnapshot is a Breaker's state for observability.
type BreakerSnapshot struct {
	State BreakerState `json:"state"`
	// ConsecutiveFailures is the number of failed attempts since the last
	// success.
	ConsecutiveFailures int `json:"consecutiveFailures"`
	// OpenedAt is when the breaker last opened; zero when closed.
	OpenedAt time.Time `json:"openedAt,omitzero"`
	// NextProbe is when an open breaker will allow a probe; zero unless
	// open.
	NextProbe time.Time `json:"nextProbe,omitzero"`
	// Cooldown is the length of the current opening, or of the next one
	// when closed.
	Cooldown time.Duration `json:"cooldownNs"`
	// Trips is how many times the breaker has opened (re-openings after a
	// failed probe included).
	Trips int64 `json:"trips"`
}

// Snapshot returns the breaker's current state for observability. Like
// State, it turns an open breaker whose cooldown has ended half-open.
func (b *Breaker) Snapshot() BreakerSnapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg.Failures > 0 {
		b.advance(b.now())
	}
	s := BreakerSnapshot{
		State:               b.state,
		ConsecutiveFailures: b.failures,
		OpenedAt:            b.openedAt,
		Cooldown:            b.cooldown,
		Trips:               b.trips,
	}
	if b.state == BreakerOpen {
		s.NextProbe = b.until
	}
	return s
}

// advance turns an open breaker whose cooldown has ended half-open.
// b.mu must be held.
func (b *Breaker) advance(now time.Time) {
	if b.state == BreakerOpen && !now.Before(b.until) {
		b.state, b.probing = BreakerHalfOpen, false
	}
}

// open opens the circuit for the current cooldown. b.mu must be held.
func (b *Breaker) open(now time.Time) {
	b.state, b.probing = BreakerOpen, false
	b.openedAt, b.until = now, now.Add(b.cooldown)
	b.trips++
}

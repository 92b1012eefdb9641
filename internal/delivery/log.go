package delivery

import (
	"sync"
	"sync/atomic"
	"time"
)

// Outcome is what became of a message after one delivery attempt.
type Outcome string

// The outcomes of an attempt.
const (
	// OutcomeDelivered: the endpoint accepted the message.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeRetrying: the attempt failed and another one is scheduled.
	OutcomeRetrying Outcome = "retrying"
	// OutcomeDeadLettered: retries are exhausted (or pointless) and the
	// message went to the subscription's dead-letter queue.
	OutcomeDeadLettered Outcome = "dead-lettered"
	// OutcomeDropped: retries are exhausted (or pointless) and the message
	// was discarded.
	OutcomeDropped Outcome = "dropped"
	// OutcomeRefused: the attempt was not made (for instance, the endpoint
	// address is not allowed).
	OutcomeRefused Outcome = "refused"
)

// Attempt is one delivery attempt.
type Attempt struct {
	Time      time.Time     `json:"time"`
	MessageID string        `json:"messageId"`
	Attempt   int           `json:"attempt"`          // 1 = first attempt
	Status    int           `json:"status,omitempty"` // HTTP status, 0 when no response
	Latency   time.Duration `json:"latencyNs"`
	Error     string        `json:"error,omitempty"`
	Outcome   Outcome       `json:"outcome"`
}

// DefaultLogSize is how many attempts a Log keeps when NewLog is given
// n <= 0.
const DefaultLogSize = 100

// Log keeps the last N attempts in a ring: Add is O(1) and, once N are
// kept, overwrites the oldest. It is safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	buf  []Attempt // ring of capacity N
	next int       // index the next Add writes
	full bool      // buf has wrapped: all N slots hold attempts
}

// NewLog returns an empty log that keeps the last n attempts
// (DefaultLogSize when n <= 0).
func NewLog(n int) *Log {
	if n <= 0 {
		n = DefaultLogSize
	}
	return &Log{buf: make([]Attempt, n)}
}

// Cap returns how many attempts the log keeps at most.
func (l *Log) Cap() int { return len(l.buf) }

// Add records a, dropping the oldest attempt when the log is full.
func (l *Log) Add(a Attempt) {
	l.mu.Lock()
	l.buf[l.next] = a
	l.next++
	if l.next == len(l.buf) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// Len returns how many attempts the log holds.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lenLocked()
}

func (l *Log) lenLocked() int {
	if l.full {
		return len(l.buf)
	}
	return l.next
}

// Last returns up to n of the most recent attempts, newest first (in the
// order they were added, reversed); n <= 0 means all kept. The result is a
// fresh slice, never nil, that the caller may keep and modify.
func (l *Log) Last(n int) []Attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	have := l.lenLocked()
	if n <= 0 || n > have {
		n = have
	}
	out := make([]Attempt, n)
	i := l.next
	for k := range out {
		i--
		if i < 0 {
			i = len(l.buf) - 1
		}
		out[k] = l.buf[i]
	}
	return out
}

// Counters are monotonic per-subscription totals. Each is updated
// atomically, so a Counters value is safe for concurrent use; it must not
// be copied after first use.
type Counters struct {
	// Delivered counts attempts the endpoint accepted.
	Delivered atomic.Int64
	// Failed counts attempts that failed (whatever followed).
	Failed atomic.Int64
	// Retried counts failed attempts after which a retry was scheduled.
	Retried atomic.Int64
	// DeadLettered counts messages sent to a dead-letter queue.
	DeadLettered atomic.Int64
	// Dropped counts messages given up on without a dead-letter queue.
	Dropped atomic.Int64
}

// CountersSnapshot is a copy of Counters at one moment.
type CountersSnapshot struct {
	Delivered    int64 `json:"delivered"`
	Failed       int64 `json:"failed"`
	Retried      int64 `json:"retried"`
	DeadLettered int64 `json:"deadLettered"`
	Dropped      int64 `json:"dropped"`
}

// Snapshot returns the current totals. Each is read atomically; the five
// are not read as one atomic unit, so a snapshot taken during updates may
// mix totals from slightly different moments.
func (c *Counters) Snapshot() CountersSnapshot {
	return CountersSnapshot{
		Delivered:    c.Delivered.Load(),
		Failed:       c.Failed.Load(),
		Retried:      c.Retried.Load(),
		DeadLettered: c.DeadLettered.Load(),
		Dropped:      c.Dropped.Load(),
	}
}

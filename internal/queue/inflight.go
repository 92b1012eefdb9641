package queue

import (
	"sync"
	"time"
)

// inflightTable remembers, per received message, its latest delivery and
// visibility deadline and its first receive time. It serves
// ApproximateFirstReceiveTimestamp, MessageNotInflight and the split of
// JetStream's pending count into visible and not visible messages. It is
// node-local and best effort: a message received through another node, or
// before a restart, is unknown here and treated as in flight.
type inflightTable struct {
	mu sync.Mutex
	q  map[string]map[uint64]*inflight
}

type inflight struct {
	dc       uint64
	first    time.Time
	deadline time.Time
	gone     bool // deleted; kept until the deadline to answer late changes
}

func newInflightTable() *inflightTable {
	return &inflightTable{q: map[string]map[uint64]*inflight{}}
}

// received records a delivery and returns the first receive time.
func (t *inflightTable) received(qid string, seq, dc uint64, now, deadline time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.q[qid]
	if m == nil {
		m = map[uint64]*inflight{}
		t.q[qid] = m
	}
	e := m[seq]
	if e == nil {
		e = &inflight{first: now}
		m[seq] = e
	}
	e.dc, e.deadline = dc, deadline
	return e.first
}

func (t *inflightTable) extend(qid string, seq uint64, deadline time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.q[qid][seq]; e != nil {
		e.deadline = deadline
	}
}

// inFlight reports whether delivery dc of seq is still hidden. Unknown
// messages count as in flight.
func (t *inflightTable) inFlight(qid string, seq, dc uint64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.q[qid][seq]
	if e == nil {
		return true
	}
	return e.dc == dc && now.Before(e.deadline)
}

// deleted marks a message deleted until its visibility deadline passes.
func (t *inflightTable) deleted(qid string, seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.q[qid][seq]; e != nil {
		e.gone = true
	}
}

func (t *inflightTable) isDeleted(qid string, seq uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.q[qid][seq]
	return e != nil && e.gone
}

func (t *inflightTable) remove(qid string, seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.q[qid], seq)
}

func (t *inflightTable) dropQueue(qid string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.q, qid)
}

// countExpired counts received messages whose visibility timeout passed:
// JetStream still counts them as pending, SQS as visible.
func (t *inflightTable) countExpired(qid string, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.q[qid] {
		if !e.gone && !now.Before(e.deadline) {
			n++
		}
	}
	return n
}

// sweep forgets messages whose visibility ended before cutoff.
func (t *inflightTable) sweep(cutoff time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for qid, m := range t.q {
		for seq, e := range m {
			if e.deadline.Before(cutoff) {
				delete(m, seq)
			}
		}
		if len(m) == 0 {
			delete(t.q, qid)
		}
	}
}

// lookup returns a copy of what is known of a received message.
func (t *inflightTable) lookup(qid string, seq uint64) (inflight, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.q[qid][seq]
	if e == nil {
		return inflight{}, false
	}
	return *e, true
}

package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// States of a peeked message.
const (
	// PeekVisible: the next receive may return it.
	PeekVisible = "visible"
	// PeekInFlight: received, and hidden until its visibility timeout
	// ends (or it is deleted).
	PeekInFlight = "inflight"
	// PeekDelayed: sent with a delay that has not passed yet.
	PeekDelayed = "delayed"
)

// MaxPeek is the most messages one Peek returns.
const MaxPeek = 100

// peekScanLimit bounds how many stored messages one Peek reads while it
// looks for visible messages to put first.
const peekScanLimit = 1000

// PeekedMessage is a stored message as Peek sees it. ReceiveCount is
// approximate, as SQS's ApproximateReceiveCount: exact for messages
// received through this process; a message received through another node,
// or before a restart, is in flight with a count of 1 (at least once).
// VisibleAt is when an in-flight or delayed message becomes visible (zero
// when unknown or already visible).
type PeekedMessage struct {
	Sequence       uint64
	MessageID      string
	Body           string
	Attributes     map[string]MessageAttribute
	SentTimestamp  int64 // unix milliseconds
	SenderID       string
	DLQSourceArn   string
	State          string
	ReceiveCount   int
	VisibleAt      time.Time
	FirstReceiveAt time.Time // zero unless received through this process
}

// Peek returns up to max (1 to MaxPeek) of the messages stored in a queue
// without receiving them: visible messages first, then those in flight,
// then delayed ones, each group oldest first. It reads the stream directly
// (direct gets, no consumer, no acknowledgement), so receive counts,
// visibility timeouts and receipt handles are untouched. It looks at no
// more than the first 1000 stored messages, and skips messages past the
// queue's retention period (receives never return them).
func (s *Service) Peek(ctx context.Context, name string, max int) ([]PeekedMessage, error) {
	if max < 1 || max > MaxPeek {
		return nil, errorf(CodeInvalidParameterValue, "Value %d for parameter max is invalid. Reason: Must be between 1 and %d.", max, MaxPeek)
	}
	q, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := apiCtx(ctx)
	defer cancel()
	st, err := s.js.Stream(ctx, streamName(q.Shard))
	if err != nil {
		return nil, internal(fmt.Errorf("stream of queue %s: %w", name, err))
	}
	// The consumer's delivered sequence tells the messages received at
	// least once from those never received. Reading its info changes
	// nothing; a missing consumer means nothing was received since it
	// was (re)created.
	var delivered uint64
	cons, err := st.Consumer(ctx, q.ID)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
	case err != nil:
		return nil, internal(fmt.Errorf("consumer of queue %s: %w", name, err))
	default:
		delivered = cons.CachedInfo().Delivered.Stream
	}

	now := s.now()
	retention := time.Duration(attrInt(q.Attributes, "MessageRetentionPeriod")) * time.Second
	var visible, hidden, delayed []PeekedMessage
	scanned := 0
	// scan reads the messages on subject (a wildcard is allowed) in
	// stream order until keep says stop or the scan limit is reached.
	scan := func(subject string, keep func(PeekedMessage) bool) error {
		for seq := uint64(0); scanned < peekScanLimit; scanned++ {
			m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				return nil
			}
			if err != nil {
				return internal(fmt.Errorf("read messages of queue %s: %w", name, err))
			}
			seq = m.Sequence + 1
			p := PeekedMessage{
				Sequence: m.Sequence, MessageID: m.Header.Get(hdrID), Body: string(m.Data),
				Attributes: decodeAttrs(m.Header.Get(hdrAttrs)), SenderID: m.Header.Get(hdrSender),
				DLQSourceArn: m.Header.Get(hdrDLQSource),
			}
			p.SentTimestamp, _ = strconv.ParseInt(m.Header.Get(hdrSent), 10, 64)
			if p.SentTimestamp > 0 && now.Sub(time.UnixMilli(p.SentTimestamp)) > retention {
				continue
			}
			if sched, ok := strings.CutPrefix(m.Header.Get("Nats-Schedule"), "@at "); ok {
				p.State = PeekDelayed
				p.VisibleAt, _ = time.Parse(time.RFC3339Nano, sched)
			} else {
				s.peekState(q, &p, delivered, now)
			}
			if !keep(p) {
				return nil
			}
		}
		return nil
	}
	err = scan(msgSubject(q), func(p PeekedMessage) bool {
		if p.State == PeekVisible {
			visible = append(visible, p)
		} else if len(hidden) < max {
			hidden = append(hidden, p)
		}
		return len(visible) < max
	})
	if err != nil {
		return nil, err
	}
	if len(visible)+len(hidden) < max {
		err = scan(delaySubjectPrefix(q)+".*", func(p PeekedMessage) bool {
			delayed = append(delayed, p)
			return len(visible)+len(hidden)+len(delayed) < max
		})
		if err != nil {
			return nil, err
		}
		// Delayed messages are stored in the order they were sent; show
		// the ones that become visible first first.
		sort.SliceStable(delayed, func(i, j int) bool { return delayed[i].VisibleAt.Before(delayed[j].VisibleAt) })
	}
	out := append(append(visible, hidden...), delayed...)
	if len(out) > max {
		out = out[:max]
	}
	if out == nil {
		out = []PeekedMessage{}
	}
	return out, nil
}

// peekState sets the state and receive count of a stored message of q's
// message subject, from the consumer's delivered sequence and what this
// process knows of the message's receives.
func (s *Service) peekState(q *Queue, p *PeekedMessage, delivered uint64, now time.Time) {
	if p.Sequence > delivered {
		p.State = PeekVisible
		return
	}
	e, ok := s.inflight.lookup(q.ID, p.Sequence)
	if !ok {
		p.State, p.ReceiveCount = PeekInFlight, 1
		return
	}
	p.ReceiveCount = int(e.dc)
	p.FirstReceiveAt = e.first
	if now.Before(e.deadline) {
		p.State, p.VisibleAt = PeekInFlight, e.deadline
		return
	}
	p.State = PeekVisible
}

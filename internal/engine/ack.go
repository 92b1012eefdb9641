package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// AckInfo is what a JetStream delivery's ack subject says about it.
type AckInfo struct {
	Stream      string
	Consumer    string
	Delivered   uint64 // how many times this message was delivered
	StreamSeq   uint64
	ConsumerSeq uint64
	Timestamp   int64 // stored time, unix nanoseconds
}

// ErrNotAckSubject is returned for a subject that is not a JetStream ack
// subject.
var ErrNotAckSubject = errors.New("not a JetStream ack subject")

// ParseAck parses a JetStream ack subject, in both the original form
// ($JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>) and
// the form with domain and account hash
// ($JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>]).
func ParseAck(subject string) (AckInfo, error) {
	t := strings.Split(subject, ".")
	if len(t) < 9 || t[0] != "$JS" || t[1] != "ACK" {
		return AckInfo{}, ErrNotAckSubject
	}
	var off int
	switch {
	case len(t) == 9:
		off = 2
	case len(t) == 11 || len(t) == 12:
		off = 4
	default:
		return AckInfo{}, ErrNotAckSubject
	}
	num := func(s string) (uint64, bool) {
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil
	}
	var a AckInfo
	var ok1, ok2, ok3, ok4 bool
	a.Stream, a.Consumer = t[off], t[off+1]
	a.Delivered, ok1 = num(t[off+2])
	a.StreamSeq, ok2 = num(t[off+3])
	a.ConsumerSeq, ok3 = num(t[off+4])
	var ts uint64
	ts, ok4 = num(t[off+5])
	a.Timestamp = int64(ts)
	if !ok1 || !ok2 || !ok3 || !ok4 || a.Stream == "" || a.Consumer == "" || a.StreamSeq == 0 {
		return AckInfo{}, ErrNotAckSubject
	}
	return a, nil
}

// AckSync sends payload (+ACK, +TERM, ...) to every ack subject and waits
// until the server confirmed each one.
func (e *Engine) AckSync(ctx context.Context, replies []string, payload []byte) error {
	if len(replies) == 0 {
		return nil
	}
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, len(replies))
	sub, err := e.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return fmt.Errorf("ack subscribe: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	for _, r := range replies {
		if err := e.nc.PublishRequest(r, inbox, payload); err != nil {
			return fmt.Errorf("ack %s: %w", r, err)
		}
	}
	for range replies {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for ack confirmations: %w", ctx.Err())
		}
	}
	return nil
}

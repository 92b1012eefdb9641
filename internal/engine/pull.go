package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// ErrNoConsumer is returned by Pull when the consumer does not exist (it
// was never created, or was deleted, e.g. for inactivity).
var ErrNoConsumer = errors.New("consumer does not exist")

// Pull asks a durable pull consumer for up to batch messages. With noWait it
// returns at once with what is available; otherwise it waits up to expires
// for the first message and returns as soon as batch messages arrived or the
// request expired. If ctx ends first, Pull returns ctx's error and every
// message the server still delivers to the abandoned request is handed back
// (NAKed) so it becomes visible again.
func (e *Engine) Pull(ctx context.Context, stream, consumer string, batch int, expires time.Duration, noWait bool) ([]*nats.Msg, error) {
	if expires < time.Millisecond {
		expires = time.Millisecond
	}
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, batch+4)
	sub, err := e.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil, fmt.Errorf("pull subscribe: %w", err)
	}
	req, _ := json.Marshal(struct {
		Batch   int   `json:"batch"`
		Expires int64 `json:"expires"`
		NoWait  bool  `json:"no_wait,omitempty"`
	}{batch, int64(expires), noWait})
	subj := fmt.Sprintf("$JS.API.CONSUMER.MSG.NEXT.%s.%s", stream, consumer)
	if err := e.nc.PublishRequest(subj, inbox, req); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("pull request: %w", err)
	}
	deadline := time.NewTimer(expires + 2*time.Second)
	defer deadline.Stop()
	var msgs []*nats.Msg
	for {
		select {
		case m := <-ch:
			if isStatus(m) {
				switch m.Header.Get("Status") {
				case "100": // heartbeat or flow control
					continue
				case "503":
					_ = sub.Unsubscribe()
					return msgs, ErrNoConsumer
				case "409":
					_ = sub.Unsubscribe()
					if strings.Contains(strings.ToLower(m.Header.Get("Description")), "deleted") {
						return msgs, ErrNoConsumer
					}
					return msgs, nil
				case "404", "408":
					_ = sub.Unsubscribe()
					return msgs, nil
				default:
					_ = sub.Unsubscribe()
					return msgs, fmt.Errorf("pull %s/%s: status %s %s", stream, consumer, m.Header.Get("Status"), m.Header.Get("Description"))
				}
			}
			msgs = append(msgs, m)
			if len(msgs) >= batch {
				_ = sub.Unsubscribe()
				return msgs, nil
			}
		case <-deadline.C:
			_ = sub.Unsubscribe()
			return msgs, nil
		case <-ctx.Done():
			// The server may still deliver to this request until it
			// expires; hand such messages back.
			go drainAbandoned(sub, ch, expires+2*time.Second)
			for _, m := range msgs {
				_ = m.Nak()
			}
			return nil, ctx.Err()
		}
	}
}

func drainAbandoned(sub *nats.Subscription, ch chan *nats.Msg, wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	defer func() { _ = sub.Unsubscribe() }()
	for {
		select {
		case m := <-ch:
			if isStatus(m) {
				if s := m.Header.Get("Status"); s == "404" || s == "408" || s == "409" {
					return
				}
				continue
			}
			_ = m.Nak()
		case <-t.C:
			return
		}
	}
}

func isStatus(m *nats.Msg) bool {
	return len(m.Data) == 0 && m.Header.Get("Status") != ""
}

// FirstSeqSince returns the sequence of the first message on subject stored
// at or after t (found is false when there is none). It uses the stream's
// direct get API, so the stream must allow direct access.
func (e *Engine) FirstSeqSince(ctx context.Context, stream, subject string, t time.Time) (seq uint64, found bool, err error) {
	req, _ := json.Marshal(struct {
		NextFor   string    `json:"next_by_subj"`
		StartTime time.Time `json:"start_time"`
	}{subject, t.UTC()})
	resp, err := e.nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET."+stream, req)
	if err != nil {
		return 0, false, fmt.Errorf("direct get on %s: %w", stream, err)
	}
	if st := resp.Header.Get("Status"); st != "" {
		if st == "404" {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("direct get on %s: status %s %s", stream, st, resp.Header.Get("Description"))
	}
	seq, err = strconv.ParseUint(resp.Header.Get("Nats-Sequence"), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("direct get on %s: bad sequence header: %w", stream, err)
	}
	return seq, true, nil
}

// Fetch returns up to max messages from a durable pull consumer as soon as
// at least one is available, waiting up to wait for the first. It returns
// no messages (and no error) when none arrived in time; ctx ending the wait
// early also returns none with ctx's error.
func (e *Engine) Fetch(ctx context.Context, stream, consumer string, max int, wait time.Duration) ([]*nats.Msg, error) {
	msgs, err := e.Pull(ctx, stream, consumer, max, 50*time.Millisecond, true)
	if err != nil || len(msgs) > 0 || wait <= 0 {
		return msgs, err
	}
	msgs, err = e.Pull(ctx, stream, consumer, 1, wait, false)
	if err != nil || len(msgs) == 0 || max == 1 {
		return msgs, err
	}
	more, err := e.Pull(ctx, stream, consumer, max-1, 50*time.Millisecond, true)
	return append(msgs, more...), err
}

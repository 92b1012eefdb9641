package queue

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/abanico/abanico/internal/engine"
)

// Delivery is a message another Abanico service (a topic subscription)
// puts into a queue.
type Delivery struct {
	QueueArn   string
	Body       string
	Attributes map[string]MessageAttribute
	Sender     string
	// DedupID makes the delivery idempotent: a second delivery with the same
	// id within five minutes is not stored again. Deterministic ids (message
	// x subscription) give exactly-once copies across crashes and retries.
	DedupID string
}

// Deliver stores deliveries, grouped per stream, with the engine's
// durability. The result holds one error per delivery: nil, a client-side
// *Error (the queue does not exist, the message is invalid for the queue)
// that retrying cannot fix, or another error worth retrying.
func (s *Service) Deliver(ctx context.Context, ds []Delivery) []error {
	errs := make([]error, len(ds))
	type pending struct {
		recs []engine.Record
		idx  []int
	}
	byShard := map[int]*pending{}
	now := s.now()
	for i, d := range ds {
		q, err := s.ByARN(d.QueueArn)
		if err != nil {
			errs[i] = err
			continue
		}
		in := SendInput{Body: d.Body, Attributes: d.Attributes}
		if e := s.validateSend(q, &in); e != nil {
			errs[i] = e
			continue
		}
		rec := s.record(q, &in, NewMessageID(), d.Sender, now)
		if d.DedupID != "" {
			if rec.Header == nil {
				rec.Header = nats.Header{}
			}
			rec.Header.Set("Nats-Msg-Id", "d."+q.ID+"."+d.DedupID)
		}
		p := byShard[q.Shard]
		if p == nil {
			p = &pending{}
			byShard[q.Shard] = p
		}
		p.recs = append(p.recs, rec)
		p.idx = append(p.idx, i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for shard, p := range byShard {
		wg.Add(1)
		go func(shard int, p *pending) {
			defer wg.Done()
			_, err := s.writers[shard].Write(ctx, p.recs)
			if err != nil {
				err = fmt.Errorf("store deliveries: %w", err)
				mu.Lock()
				for _, i := range p.idx {
					errs[i] = err
				}
				mu.Unlock()
			}
		}(shard, p)
	}
	wg.Wait()
	return errs
}

package topic

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/snssign"
	"github.com/abanico/abanico/internal/uuid"
	"github.com/abanico/abanico/internal/webhook"
)

// startWorkers starts a worker for every endpoint subscription; from then
// on syncWorker keeps them in step with the registry.
func (s *Service) startWorkers() {
	s.wmu.Lock()
	s.wstarted = true
	s.wmu.Unlock()
	for _, sub := range s.subs.List("") {
		s.syncWorker(sub.ID, sub)
	}
}

// stopWorkers stops every worker and waits for them.
func (s *Service) stopWorkers() {
	s.wmu.Lock()
	ws := s.workers
	s.workers = map[string]*endpointWorker{}
	s.wstarted = false
	s.wmu.Unlock()
	for _, w := range ws {
		w.cancel()
	}
	for _, w := range ws {
		w.stop()
	}
}

// syncWorker starts, updates or stops the worker of one subscription after
// a change made on any node.
func (s *Service) syncWorker(id string, sub *Subscription) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.wstarted {
		return
	}
	if sub == nil {
		s.forgetQueueStats(id)
	}
	w := s.workers[id]
	if sub == nil || !isEndpoint(sub.Protocol) {
		if w != nil {
			delete(s.workers, id)
			go w.stop()
		}
		return
	}
	tg := s.target(sub)
	if w != nil {
		w.tg.Store(tg)
		return
	}
	t, _, ok := s.topics.Get(sub.TopicName)
	if !ok {
		return
	}
	w, err := s.startWorker(tg, t.Shard)
	if err != nil {
		s.log.Error("start endpoint worker", "subscription", tg.arn, "err", err)
		return
	}
	s.workers[id] = w
}

func (s *Service) worker(id string) *endpointWorker {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.workers[id]
}

// expireLoop deletes subscriptions left unconfirmed past their token's
// expiry, and forgets expired unsubscribe tokens.
func (s *Service) expireLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		s.expire(context.Background())
		select {
		case <-tick.C:
		case <-s.stop:
			return
		}
	}
}

func (s *Service) expire(ctx context.Context) {
	now := s.now().UnixMilli()
	s.mu.RLock()
	var expired []*Subscription
	for _, sub := range s.pending {
		if sub.TokenExpires > 0 && now > sub.TokenExpires {
			expired = append(expired, sub)
		}
	}
	s.mu.RUnlock()
	for _, sub := range expired {
		if err := s.subs.Delete(ctx, sub.ID); err != nil {
			s.log.Warn("delete unconfirmed subscription", "subscription", sub.ID, "err", err)
			continue
		}
		if t, _, ok := s.topics.Get(sub.TopicName); ok {
			s.deleteCursor(ctx, t.Shard, sub.ID)
		}
		s.log.Info("unconfirmed subscription expired", "topic", sub.TopicName, "endpoint", sub.Endpoint)
	}
	for _, old := range s.unsubscribed.List("") {
		if now > old.TokenExpires {
			_ = s.unsubscribed.Delete(ctx, old.Token)
		}
	}
}

// confirmUnsubscribe keeps a deleted endpoint subscription restorable by a
// new token and sends its endpoint the UnsubscribeConfirmation. SNS does
// not dead-letter these; the message is tried a few times in the
// background and then given up.
func (s *Service) confirmUnsubscribe(ctx context.Context, t *Topic, sub *Subscription) {
	old := sub.clone()
	old.Token = newToken()
	old.TokenExpires = s.now().Add(s.opts.TokenTTL).UnixMilli()
	if err := s.unsubscribed.Create(ctx, old.Token, old); err != nil {
		s.log.Warn("keep unsubscribe token", "err", err)
		return
	}
	id := uuid.New()
	msg := "You have chosen to deactivate subscription " + s.SubscriptionArn(sub) +
		".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
	body := s.confirmationBody(t, snssign.TypeUnsubscribeConfirmation, id, old.Token, msg, s.now().UnixMilli())
	pol := effectivePolicy(t.Attributes["DeliveryPolicy"], sub.Attributes["DeliveryPolicy"])
	hdr := snsHeaders(snssign.TypeUnsubscribeConfirmation, id, s.TopicArn(t.Name), "", pol.ContentType(), false)
	var key []byte
	if k := sub.Attributes[attrWebhookSecret]; k != "" {
		key, _ = webhook.ParseSecret(k)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		client, err := webhook.NewClient(s.opts.Webhook, 1)
		if err != nil {
			s.log.Warn("unsubscribe confirmation", "err", err)
			return
		}
		defer client.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		for i := 1; i <= 3 && ctx.Err() == nil; i++ {
			if key != nil {
				webhook.SetHeaders(hdr, key, id, s.now(), []byte(body))
			}
			res := client.Post(ctx, webhook.Request{URL: sub.Endpoint, Header: hdr, Body: []byte(body)})
			if res.Err == nil && webhook.SNSSuccess(res.Status) {
				return
			}
			sleepCtx(ctx, time.Duration(i)*time.Second)
		}
		s.log.Warn("unsubscribe confirmation not delivered", "endpoint", sub.Endpoint)
	}()
}

// SubscriptionStats is what one node knows of a subscription's
// deliveries, plus its backlog from the engine.
type SubscriptionStats struct {
	// Backlog is how many messages wait: for an endpoint subscription,
	// those its cursor has not handed out yet; for a queue subscription,
	// the queue's visible messages.
	Backlog uint64 `json:"backlog"`
	// InFlight is how many are being attempted or waiting for a retry
	// (endpoint subscriptions), or received and not yet deleted (queue
	// subscriptions).
	InFlight int                       `json:"inFlight"`
	Counters delivery.CountersSnapshot `json:"counters"`
	// Breaker is the endpoint's circuit; nil for queue subscriptions,
	// which have none.
	Breaker  *delivery.BreakerSnapshot `json:"breaker,omitempty"`
	Attempts []delivery.Attempt        `json:"attempts"`
}

// queueSubscriptionStats fills st for a queue subscription: what this
// node's dispatchers stored, and the queue's visible and in-flight
// messages.
func (s *Service) queueSubscriptionStats(ctx context.Context, sub *Subscription, st *SubscriptionStats) (*SubscriptionStats, error) {
	qs := s.queueStats(sub.ID)
	st.Counters = qs.counters.Snapshot()
	st.Attempts = qs.attempts.Last(0)
	q, err := s.queues.ByARN(sub.Endpoint)
	if err != nil {
		return st, nil // the queue is gone (or elsewhere): nothing waits here
	}
	attrs, err := s.queues.GetAttributes(ctx, q.Name, []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"})
	if err != nil {
		var qe *queue.Error
		if errors.As(err, &qe) && !qe.Server {
			return st, nil // deleted meanwhile
		}
		return nil, internal(fmt.Errorf("backlog of queue %s: %w", q.Name, err))
	}
	backlog, _ := strconv.ParseUint(attrs["ApproximateNumberOfMessages"], 10, 64)
	st.Backlog = backlog
	st.InFlight, _ = strconv.Atoi(attrs["ApproximateNumberOfMessagesNotVisible"])
	return st, nil
}

// deliveryStats is what a node's dispatchers did for one queue
// subscription: every copy they stored (or failed to) is an attempt.
type deliveryStats struct {
	counters delivery.Counters
	attempts *delivery.Log
}

// queueStats returns the delivery stats of a queue subscription, created
// on first use and kept across route rebuilds.
func (s *Service) queueStats(id string) *deliveryStats {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	st := s.qstats[id]
	if st == nil {
		st = &deliveryStats{attempts: delivery.NewLog(s.opts.AttemptLogSize)}
		s.qstats[id] = st
	}
	return st
}

func (s *Service) forgetQueueStats(id string) {
	s.qmu.Lock()
	delete(s.qstats, id)
	s.qmu.Unlock()
}

// record notes one attempt to store a copy in a queue.
func (st *deliveryStats) record(a delivery.Attempt) {
	switch a.Outcome {
	case delivery.OutcomeDelivered:
		st.counters.Delivered.Add(1)
	case delivery.OutcomeRetrying:
		st.counters.Failed.Add(1)
		st.counters.Retried.Add(1)
	case delivery.OutcomeDeadLettered:
		st.counters.Failed.Add(1)
		st.counters.DeadLettered.Add(1)
	case delivery.OutcomeDropped:
		st.counters.Failed.Add(1)
		st.counters.Dropped.Add(1)
	}
	st.attempts.Add(a)
}

// DeliveryStats returns a subscription's recent attempts (the last
// Options.AttemptLogSize, newest first) and counters as seen by this node,
// its backlog and, for an http/https or lambda subscription, its circuit
// state. A queue subscription's attempts are the copies the dispatchers
// stored in its queue (or failed to).
func (s *Service) DeliveryStats(ctx context.Context, subscriptionArn string) (*SubscriptionStats, error) {
	sub, e := s.subByArn(subscriptionArn)
	if e != nil {
		return nil, e
	}
	st := &SubscriptionStats{Attempts: []delivery.Attempt{}}
	if sub.Protocol == "sqs" {
		return s.queueSubscriptionStats(ctx, sub, st)
	}
	if !isEndpoint(sub.Protocol) {
		return nil, invalidParameter("SubscriptionArn Reason: " + sub.Protocol + " subscriptions keep no attempt log")
	}
	if w := s.worker(sub.ID); w != nil {
		st.Counters = w.counters.Snapshot()
		b := w.breaker.Snapshot()
		st.Breaker = &b
		st.Attempts = w.attempts.Last(0)
	} else {
		st.Breaker = &delivery.BreakerSnapshot{State: delivery.BreakerClosed}
	}
	if t, _, ok := s.topics.Get(sub.TopicName); ok {
		c, err := s.js.Consumer(ctx, streamName(t.Shard), consumerName(sub.ID))
		if err == nil {
			var info *jetstream.ConsumerInfo
			if info, err = c.Info(ctx); err == nil {
				st.Backlog, st.InFlight = info.NumPending, info.NumAckPending
			}
		}
		if err != nil && ctx.Err() != nil {
			return nil, internal(err)
		}
	}
	return st, nil
}

package topic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/function"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/snssign"
	"github.com/abanico/abanico/internal/webhook"
)

// endpointAckWait bounds one attempt as JetStream sees it: a message a
// worker took and neither acknowledged nor scheduled for retry in this time
// (the node died mid-attempt) is delivered again. Function invocations may
// run up to Lambda's 900 s timeout.
func endpointAckWait(protocol string) time.Duration {
	if protocol == "lambda" {
		return 16 * time.Minute
	}
	return 60 * time.Second
}

// endpointMaxAckPending bounds the messages of one subscription that are
// being attempted or waiting for their next retry; beyond it, the
// subscription's cursor stops advancing until some finish.
const endpointMaxAckPending = 20000

// isEndpoint reports whether a protocol is delivered by endpoint workers
// (each subscription on its own cursor) rather than by the dispatchers.
func isEndpoint(protocol string) bool {
	return protocol == "http" || protocol == "https" || protocol == "lambda"
}

// consumerName is the JetStream consumer that is a subscription's cursor.
func consumerName(subID string) string { return "s_" + subID }

// ensureCursor creates a subscription's cursor on its topic's stream; it
// starts at the next message stored.
func (s *Service) ensureCursor(ctx context.Context, t *Topic, subID, protocol string) error {
	_, err := s.js.CreateOrUpdateConsumer(ctx, streamName(t.Shard), jetstream.ConsumerConfig{
		Durable:       consumerName(subID),
		FilterSubject: topicSubject(t),
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       endpointAckWait(protocol),
		MaxDeliver:    -1,
		MaxAckPending: endpointMaxAckPending,
		MaxWaiting:    64,
		Replicas:      s.eng.Replicas(),
	})
	if err != nil {
		return fmt.Errorf("create cursor of subscription %s: %w", subID, err)
	}
	return nil
}

// deleteCursor removes a subscription's cursor (and with it its backlog
// and pending retries).
func (s *Service) deleteCursor(ctx context.Context, shard int, subID string) {
	err := s.js.DeleteConsumer(ctx, streamName(shard), consumerName(subID))
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Warn("delete subscription cursor", "subscription", subID, "err", err)
	}
}

// endpointWorker delivers one http/https subscription on this node: it
// reads the subscription's own cursor, POSTs each matching message with a
// bounded number of requests in flight on the subscription's own
// connection pool, and retries, throttles, dead-letters and breaks the
// circuit by the subscription's policies. Nothing it does can delay
// another subscription. Retry state lives in the cursor (a message waiting
// for its next attempt is a JetStream delivery delayed by a NAK), so it
// survives restarts and is shared by every node serving the subscription.
type endpointWorker struct {
	s        *Service
	subID    string
	shard    int
	stream   string
	consumer string
	tg       atomic.Pointer[target]
	client   *webhook.Client
	limiter  *rate.Limiter
	breaker  *delivery.Breaker
	attempts *delivery.Log
	counters delivery.Counters
	slots    chan struct{}

	mu        sync.Mutex
	policyKey string
	policy    delivery.Policy

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (s *Service) startWorker(tg *target, shard int) (*endpointWorker, error) {
	var client *webhook.Client
	if tg.sub.Protocol != "lambda" {
		var err error
		if client, err = webhook.NewClient(s.opts.Webhook, s.opts.EndpointConcurrency); err != nil {
			return nil, err
		}
	}
	w := &endpointWorker{
		s: s, subID: tg.sub.ID, shard: shard, stream: streamName(shard), consumer: consumerName(tg.sub.ID),
		client: client, limiter: rate.NewLimiter(rate.Inf, 1),
		breaker:  delivery.NewBreaker(*s.opts.Breaker, s.now),
		attempts: delivery.NewLog(s.opts.AttemptLogSize),
		slots:    make(chan struct{}, s.opts.EndpointConcurrency),
	}
	w.tg.Store(tg)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Add(1)
	go w.run(ctx)
	return w, nil
}

// stop ends the worker and waits for its attempts in flight to end; an
// interrupted attempt leaves its message on the cursor for the next run.
func (w *endpointWorker) stop() {
	w.cancel()
	w.wg.Wait()
	if w.client != nil {
		w.client.Close()
	}
}

// effective returns the subscription's effective delivery policy (topic
// defaults merged with the subscription's own), re-parsed only when either
// attribute changed, and keeps the throttle in step with it.
func (w *endpointWorker) effective(t *Topic, tg *target) delivery.Policy {
	topicDP, subDP := t.Attributes["DeliveryPolicy"], tg.sub.Attributes["DeliveryPolicy"]
	key := topicDP + "\x00" + subDP
	w.mu.Lock()
	defer w.mu.Unlock()
	if key == w.policyKey && w.policyKey != "" {
		return w.policy
	}
	w.policyKey = key
	w.policy = effectivePolicy(topicDP, subDP)
	if th := w.policy.Throttle; th != nil && th.MaxReceivesPerSecond > 0 {
		w.limiter.SetLimit(rate.Limit(th.MaxReceivesPerSecond))
		w.limiter.SetBurst(1)
	} else {
		w.limiter.SetLimit(rate.Inf)
	}
	return w.policy
}

// effectivePolicy merges stored (already validated) policy attributes.
func effectivePolicy(topicDP, subDP string) delivery.Policy {
	var tp *delivery.TopicPolicy
	var sp *delivery.SubscriptionPolicy
	if topicDP != "" {
		tp, _ = delivery.ParseTopicPolicy(topicDP)
	}
	if subDP != "" {
		sp, _ = delivery.ParseSubscriptionPolicy(subDP)
	}
	return delivery.Effective(tp, sp)
}

// batchLimit is how many messages the worker takes at once: no more than
// the throttle lets it send in about a second, so that taken messages do
// not wait long.
func (w *endpointWorker) batchLimit() int {
	l := w.limiter.Limit()
	if l == rate.Inf {
		return cap(w.slots)
	}
	return max(1, min(cap(w.slots), int(l)))
}

func (w *endpointWorker) run(ctx context.Context) {
	defer w.wg.Done()
	for ctx.Err() == nil {
		ok, probe, wait := w.breaker.AllowProbe()
		if !ok {
			sleepCtx(ctx, wait)
			continue
		}
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			if probe {
				w.breaker.Release()
			}
			return
		}
		n, limit := 1, w.batchLimit()
		for !probe && n < limit {
			select {
			case w.slots <- struct{}{}:
				n++
				continue
			default:
			}
			break
		}
		msgs, err := w.s.eng.Fetch(ctx, w.stream, w.consumer, n, 20*time.Second)
		for i := len(msgs); i < n; i++ {
			<-w.slots
		}
		if probe && len(msgs) == 0 {
			w.breaker.Release()
		}
		for _, m := range msgs {
			w.wg.Add(1)
			go w.handle(ctx, m, probe)
		}
		if err != nil && ctx.Err() == nil {
			w.fetchFailed(ctx, err)
		}
	}
}

// fetchFailed recovers from a failed read: a missing cursor is created
// again (unless the subscription is gone), anything else is retried after
// a pause.
func (w *endpointWorker) fetchFailed(ctx context.Context, err error) {
	if errors.Is(err, engine.ErrNoConsumer) {
		tg := w.tg.Load()
		if _, _, ok := w.s.subs.Get(w.subID); ok {
			if r := w.s.route(tg.sub.TopicID); r != nil && r.topic != nil {
				if err := w.s.ensureCursor(ctx, r.topic, w.subID, tg.sub.Protocol); err == nil {
					return
				}
			} else if t, _, ok := w.s.topics.Get(tg.sub.TopicName); ok {
				if err := w.s.ensureCursor(ctx, t, w.subID, tg.sub.Protocol); err == nil {
					return
				}
			}
		}
	} else {
		w.s.log.Warn("subscription cursor read failed", "subscription", w.tg.Load().arn, "err", err)
	}
	sleepCtx(ctx, time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// request is one prepared POST.
type request struct {
	kind string // SNS message type
	body string
	hdr  http.Header
}

// prepare builds the POST for a message, or returns false when this
// subscription has nothing to send for it (another subscription's
// confirmation, a message published while this one was pending, or one its
// filter policy rejects).
func (w *endpointWorker) prepare(t *Topic, tg *target, p *published, pol delivery.Policy) (request, bool) {
	topicArn := w.s.TopicArn(t.Name)
	switch p.control {
	case "":
		if tg.sub.Pending {
			return request{}, false
		}
		if tg.policy != nil && !tg.policy.Match(p.messageFor(tg.sub.Protocol), p.filterAt) {
			return request{}, false
		}
		r := request{kind: snssign.TypeNotification}
		if tg.sub.Protocol == "lambda" {
			r.body = string(w.s.lambdaEvent(t, tg, p))
			return r, true
		}
		if tg.raw {
			r.body = p.messageFor(tg.sub.Protocol)
		} else {
			r.body = w.s.envelope(t, tg, p)
		}
		r.hdr = snsHeaders(r.kind, p.id, topicArn, tg.arn, pol.ContentType(), tg.raw)
		return r, true
	case snssign.TypeSubscriptionConfirmation:
		if p.msg.Header.Get(hdrSubID) != tg.sub.ID || !tg.sub.Pending {
			return request{}, false
		}
		r := request{kind: p.control}
		r.body = w.s.confirmationBody(t, p.control, p.id, p.msg.Header.Get(hdrToken), p.message, p.ts)
		r.hdr = snsHeaders(r.kind, p.id, topicArn, "", pol.ContentType(), false)
		return r, true
	}
	return request{}, false
}

// handle makes one attempt of one message and settles it: acknowledged
// when delivered or finally given up, scheduled for its next attempt by
// the retry policy otherwise.
func (w *endpointWorker) handle(ctx context.Context, m *nats.Msg, probe bool) {
	attempted := false
	defer func() {
		if probe && !attempted {
			w.breaker.Release()
		}
		<-w.slots
		w.wg.Done()
	}()
	tg := w.tg.Load()
	r := w.s.route(tg.sub.TopicID)
	if r == nil || r.topic == nil {
		_ = m.Ack() // topic deleted
		return
	}
	p := decodePublished(m)
	pol := w.effective(r.topic, tg)
	req, ok := w.prepare(r.topic, tg, p, pol)
	if !ok {
		_ = m.Ack()
		return
	}
	if tg.secret != nil {
		webhook.SetHeaders(req.hdr, tg.secret, p.id, w.s.now(), []byte(req.body))
	}
	if err := w.limiter.Wait(ctx); err != nil {
		return // shutting down: the message stays on the cursor
	}
	attempt := 1
	if info, err := engine.ParseAck(m.Reply); err == nil && info.Delivered > 0 {
		attempt = int(info.Delivered)
	}
	attempted = true
	start := w.s.now()
	var out sendOutcome
	if tg.sub.Protocol == "lambda" {
		out = w.invoke(ctx, tg, req, pol)
	} else {
		out = w.post(ctx, tg, req, pol)
	}
	if ctx.Err() != nil {
		if probe {
			w.breaker.Release()
		}
		return // interrupted by shutdown; delivered again later
	}
	a := delivery.Attempt{Time: start, MessageID: p.id, Attempt: attempt, Status: out.status, Latency: out.latency, Error: out.err}
	if a.Error == "" {
		a.Outcome = delivery.OutcomeDelivered
		w.counters.Delivered.Add(1)
		w.breaker.Record(true)
		w.attempts.Add(a)
		_ = m.Ack()
		return
	}
	w.counters.Failed.Add(1)
	if out.permanent {
		if probe {
			w.breaker.Release()
		}
	} else {
		w.breaker.Record(false)
		if d, more := out.retry.Delay(attempt); more {
			a.Outcome = delivery.OutcomeRetrying
			w.counters.Retried.Add(1)
			w.attempts.Add(a)
			_ = m.NakWithDelay(d)
			return
		}
	}
	w.giveUp(ctx, m, r.topic, tg, p, a, out)
}

// sendOutcome is what one attempt came to: err is empty when delivered;
// a permanent failure is not retried; retry is the schedule that applies
// to this kind of failure.
type sendOutcome struct {
	status    int
	latency   time.Duration
	err       string
	code      string // dead-letter ErrorCode
	permanent bool
	retry     delivery.RetryPolicy
}

// post makes one HTTP/S attempt.
func (w *endpointWorker) post(ctx context.Context, tg *target, req request, pol delivery.Policy) sendOutcome {
	res := w.client.Post(ctx, webhook.Request{URL: tg.sub.Endpoint, Header: req.hdr, Body: []byte(req.body)})
	out := sendOutcome{status: res.Status, latency: res.Latency, retry: pol.Retry, code: "EndpointUnavailable"}
	switch {
	case res.Refused:
		out.err, out.permanent, out.code = res.Err.Error(), true, "EndpointRefused"
	case res.Err != nil:
		out.err = res.Err.Error()
	case !w.succeeded(tg, res.Status):
		out.err = fmt.Sprintf("endpoint answered HTTP %d", res.Status)
	}
	return out
}

// invoke makes one function invocation, as SNS invokes Lambda: the
// function's failures are retried after one and two minutes up to its
// MaximumRetryAttempts; throttling and service errors follow SNS's policy
// for AWS-managed endpoints; a missing function is not retried.
func (w *endpointWorker) invoke(ctx context.Context, tg *target, req request, pol delivery.Policy) sendOutcome {
	start := time.Now()
	out := sendOutcome{retry: delivery.Managed(), code: "LambdaError"}
	if w.s.opts.Functions == nil {
		out.err, out.permanent, out.code = "functions are not enabled on this server", true, "FunctionNotFound"
		return out
	}
	res, err := w.s.opts.Functions.Deliver(ctx, tg.sub.Endpoint, []byte(req.body))
	out.latency = time.Since(start)
	var fe *function.Error
	switch {
	case errors.As(err, &fe) && fe.Code == function.CodeResourceNotFound:
		out.err, out.permanent, out.code = fe.Message, true, "FunctionNotFound"
	case err != nil:
		out.err, out.code = err.Error(), "LambdaThrottled"
	case res.FunctionError != "":
		out.err = "function error (" + res.FunctionError + "): " + truncate(string(res.Payload), 512)
		out.retry = delivery.RetryPolicy{NumRetries: res.MaxRetries, NumMinDelayRetries: min(res.MaxRetries, 1),
			NumMaxDelayRetries: max(res.MaxRetries-1, 0), MinDelayTarget: int(function.AsyncRetryDelay(1).Seconds()),
			MaxDelayTarget: int(function.AsyncRetryDelay(2).Seconds()), BackoffFunction: "linear"}
	default:
		out.status = 200
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// succeeded applies SNS's rule (any answer from 200 to 499 is a delivery),
// or the Standard Webhooks rule (2xx only) for subscriptions that use it.
func (w *endpointWorker) succeeded(tg *target, status int) bool {
	if tg.secret != nil {
		return status >= 200 && status < 300
	}
	return webhook.SNSSuccess(status)
}

// giveUp ends a message's delivery after its last attempt: a notification
// goes to the subscription's dead-letter queue when it has one, with the
// error attributes SNS adds; otherwise it is dropped and counted.
func (w *endpointWorker) giveUp(ctx context.Context, m *nats.Msg, t *Topic, tg *target, p *published, a delivery.Attempt, out sendOutcome) {
	code, msg := out.code, fmt.Sprintf("%s after %d attempts", a.Error, a.Attempt)
	if out.permanent {
		msg = a.Error
		a.Outcome = delivery.OutcomeRefused
	}
	if p.control != "" || tg.dlq == "" {
		if !out.permanent {
			a.Outcome = delivery.OutcomeDropped
		}
		w.counters.Dropped.Add(1)
		w.attempts.Add(a)
		w.s.log.Warn("delivery given up, message dropped (no dead-letter queue)",
			"subscription", tg.arn, "message", p.id, "attempts", a.Attempt, "err", a.Error)
		_ = m.Ack()
		return
	}
	d := w.s.sqsCopy(t, tg, p)
	d.QueueArn = tg.dlq
	d.DedupID = "dlq." + d.DedupID
	d.Attributes = withError(d.Attributes, code, msg)
	if err := w.s.queues.Deliver(ctx, []queue.Delivery{d})[0]; err != nil {
		var qe *queue.Error
		if !errors.As(err, &qe) || qe.Server {
			// The dead-letter queue could not take it now: try again.
			_ = m.NakWithDelay(time.Second)
			return
		}
		w.s.log.Error("dead-letter queue refused the message, dropped",
			"subscription", tg.arn, "dlq", tg.dlq, "err", qe.Message)
		a.Outcome = delivery.OutcomeDropped
		w.counters.Dropped.Add(1)
	} else {
		if !out.permanent {
			a.Outcome = delivery.OutcomeDeadLettered
		}
		w.counters.DeadLettered.Add(1)
	}
	w.attempts.Add(a)
	_ = m.Ack()
}

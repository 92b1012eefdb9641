package topic

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/filter"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/uuid"
)

// snsSenderID is the SenderId of messages SNS puts into queues.
const snsSenderID = "AIDAABANICOSNSSERVICE"

// dispatchBatch is how many topic messages one dispatcher takes at a time.
const dispatchBatch = 256

// dispatchLoop fans out one shard's messages: it takes batches from the
// shard's dispatch consumer, matches each message against its topic's
// subscriptions, stores one copy per matching subscription (each with a
// deterministic deduplication id, so a redelivered message never produces a
// second copy), and then removes the message. Copies that can never be
// delivered (the queue is gone, the message does not fit it) go to the
// subscription's dead-letter queue, or are dropped and logged; copies that
// failed for a reason worth retrying keep their message for a new attempt.
func (s *Service) dispatchLoop(shard int) {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.stop
		cancel()
	}()
	stream := streamName(shard)
	for ctx.Err() == nil {
		msgs, err := s.eng.Fetch(ctx, stream, "dispatch", dispatchBatch, 5*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("dispatch fetch", "stream", stream, "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
			continue
		}
		if len(msgs) > 0 {
			s.dispatch(ctx, msgs)
		}
	}
}

// published is a stored topic message, decoded.
type published struct {
	msg       *nats.Msg
	id        string
	ts        int64
	subject   string
	structure string
	message   string
	attrs     map[string]MessageAttribute
	filterAt  map[string]filter.Attribute
	perProto  map[string]string // MessageStructure=json bodies
	control   string            // control message type ("" for a published message)
	attempts  int               // how often the engine handed it out; 0: not read yet
}

// attempt is how many times the dispatchers have been handed the message,
// this time included.
func (p *published) attempt() int {
	if p.attempts == 0 {
		p.attempts = 1
		if md, err := p.msg.Metadata(); err == nil {
			p.attempts = int(md.NumDelivered)
		}
	}
	return p.attempts
}

func decodePublished(m *nats.Msg) *published {
	p := &published{msg: m, id: m.Header.Get(hdrID), subject: m.Header.Get(hdrSubject),
		structure: m.Header.Get(hdrStructure), message: string(m.Data), control: m.Header.Get(hdrControl)}
	p.ts, _ = strconv.ParseInt(m.Header.Get(hdrTime), 10, 64)
	if a := m.Header.Get(hdrAttrs); a != "" {
		_ = json.Unmarshal([]byte(a), &p.attrs)
	}
	p.filterAt = make(map[string]filter.Attribute, len(p.attrs))
	for k, a := range p.attrs {
		v := a.StringValue
		if a.BinaryValue != nil {
			v = string(a.BinaryValue)
		}
		p.filterAt[k] = filter.Attribute{Type: a.DataType, Value: v}
	}
	if p.structure == "json" {
		_ = json.Unmarshal(m.Data, &p.perProto)
	}
	return p
}

// messageFor is the message text a protocol receives.
func (p *published) messageFor(protocol string) string {
	if p.perProto != nil {
		if m, ok := p.perProto[protocol]; ok {
			return m
		}
		return p.perProto["default"]
	}
	return p.message
}

// messageKey names the text messageFor returns, for caching its signature.
func (p *published) messageKey(protocol string) string {
	if p.perProto != nil {
		if _, ok := p.perProto[protocol]; ok {
			return protocol
		}
		return "default"
	}
	return ""
}

type copyRef struct {
	pub *published
	tg  *target
}

func (s *Service) dispatch(ctx context.Context, msgs []*nats.Msg) {
	var deliveries []queue.Delivery
	var refs []copyRef
	pubs := make([]*published, len(msgs))
	var matched []int
	for i, m := range msgs {
		topicID := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
		r := s.route(topicID)
		p := decodePublished(m)
		pubs[i] = p
		if r == nil || r.topic == nil || p.control != "" {
			continue // topic deleted, or a message for one endpoint's cursor
		}
		// Queue subscriptions are fanned out here; endpoint subscriptions
		// (http/https) read the topic on cursors of their own.
		matched = r.set.Match(matched[:0], p.messageFor("sqs"), p.filterAt)
		for _, idx := range matched {
			tg := r.subs[idx]
			if tg.sub.Protocol != "sqs" {
				continue
			}
			d := s.sqsCopy(r.topic, tg, p)
			deliveries = append(deliveries, d)
			refs = append(refs, copyRef{pub: p, tg: tg})
		}
	}
	retry := map[*published]bool{}
	if len(deliveries) > 0 {
		start := s.now()
		errs := s.queues.Deliver(ctx, deliveries)
		latency := s.now().Sub(start)
		// record notes the outcome of copy i in its subscription's stats.
		record := func(ref copyRef, outcome delivery.Outcome, err string) {
			if ref.tg.stats == nil {
				return
			}
			ref.tg.stats.record(delivery.Attempt{Time: start, MessageID: ref.pub.id, Attempt: ref.pub.attempt(),
				Latency: latency, Error: err, Outcome: outcome})
		}
		var dead []queue.Delivery
		var deadRefs []copyRef
		var deadErrs []string
		for i, err := range errs {
			if err == nil {
				record(refs[i], delivery.OutcomeDelivered, "")
				continue
			}
			var qe *queue.Error
			if errors.As(err, &qe) && !qe.Server {
				// Client-side failure: retrying cannot help.
				if refs[i].tg.dlq != "" {
					d := deliveries[i]
					d.QueueArn = refs[i].tg.dlq
					d.DedupID = "dlq." + d.DedupID
					d.Attributes = withError(d.Attributes, qe.Code, qe.Message)
					dead = append(dead, d)
					deadRefs = append(deadRefs, refs[i])
					deadErrs = append(deadErrs, qe.Message)
				} else {
					record(refs[i], delivery.OutcomeDropped, qe.Message)
					s.log.Warn("delivery failed, message dropped (no dead-letter queue)",
						"subscription", refs[i].tg.arn, "message", refs[i].pub.id, "err", qe.Message)
				}
				continue
			}
			record(refs[i], delivery.OutcomeRetrying, err.Error())
			s.log.Warn("delivery failed, will retry", "subscription", refs[i].tg.arn, "err", err)
			retry[refs[i].pub] = true
		}
		for i, err := range s.queues.Deliver(ctx, dead) {
			if err == nil {
				record(deadRefs[i], delivery.OutcomeDeadLettered, deadErrs[i])
				continue
			}
			var qe *queue.Error
			if errors.As(err, &qe) && !qe.Server {
				record(deadRefs[i], delivery.OutcomeDropped, deadErrs[i]+"; dead-letter queue: "+qe.Message)
				s.log.Error("dead-letter queue refused the message, dropped",
					"subscription", deadRefs[i].tg.arn, "dlq", deadRefs[i].tg.dlq, "err", qe.Message)
				continue
			}
			record(deadRefs[i], delivery.OutcomeRetrying, deadErrs[i]+"; dead-letter queue: "+err.Error())
			retry[deadRefs[i].pub] = true
		}
	}
	var acks []string
	for _, p := range pubs {
		if retry[p] {
			_ = p.msg.NakWithDelay(time.Second)
			continue
		}
		acks = append(acks, p.msg.Reply)
	}
	if err := s.eng.AckSync(ctx, acks, []byte("+ACK")); err != nil && ctx.Err() == nil {
		s.log.Warn("dispatch ack", "err", err)
	}
}

// withError adds the attributes SNS sets on a message it dead-letters.
func withError(attrs map[string]queue.MessageAttribute, code, message string) map[string]queue.MessageAttribute {
	out := make(map[string]queue.MessageAttribute, len(attrs)+3)
	for k, v := range attrs {
		out[k] = v
	}
	out["ErrorCode"] = queue.MessageAttribute{DataType: "String", StringValue: code}
	out["ErrorMessage"] = queue.MessageAttribute{DataType: "String", StringValue: message}
	out["RequestID"] = queue.MessageAttribute{DataType: "String", StringValue: uuid.New()}
	return out
}

// sqsCopy is the queue message of one subscription: the raw message with
// its attributes as SQS attributes, or the signed SNS envelope. For an
// endpoint subscription it is what its dead-letter queue receives.
func (s *Service) sqsCopy(t *Topic, tg *target, p *published) queue.Delivery {
	d := queue.Delivery{QueueArn: tg.sub.Endpoint, Sender: snsSenderID, DedupID: p.id + "." + tg.sub.ID}
	if tg.raw {
		d.Body = p.messageFor(tg.sub.Protocol)
		if len(p.attrs) > 0 {
			d.Attributes = make(map[string]queue.MessageAttribute, len(p.attrs))
			for k, a := range p.attrs {
				d.Attributes[k] = queue.MessageAttribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
			}
		}
		return d
	}
	d.Body = s.envelope(t, tg, p)
	return d
}

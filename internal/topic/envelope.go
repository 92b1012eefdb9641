package topic

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/abanico/abanico/internal/snssign"
)

// timestamp formats a publish time as SNS does (UTC, milliseconds).
func timestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// signatureVersion is the topic's SignatureVersion attribute (default 1).
func signatureVersion(t *Topic) string {
	if v := t.Attributes["SignatureVersion"]; v != "" {
		return v
	}
	return snssign.SignatureVersion1
}

// envelopeWriter renders SNS's JSON envelopes in SNS's exact layout: two
// spaces of indentation, " : " between key and value, fields in order.
type envelopeWriter struct {
	b     []byte
	first bool
}

func (e *envelopeWriter) open() {
	e.b = append(e.b, "{\n"...)
	e.first = true
}

func (e *envelopeWriter) sep() {
	if !e.first {
		e.b = append(e.b, ",\n"...)
	}
	e.first = false
}

func (e *envelopeWriter) field(name, value string) {
	e.sep()
	e.b = append(e.b, "  "...)
	e.b = appendJSONString(e.b, name)
	e.b = append(e.b, " : "...)
	e.b = appendJSONString(e.b, value)
}

// attributes writes the MessageAttributes object of a Notification.
func (e *envelopeWriter) attributes(attrs map[string]MessageAttribute) {
	if len(attrs) == 0 {
		return
	}
	e.sep()
	e.b = append(e.b, "  \"MessageAttributes\" : {\n"...)
	for i, name := range sortedAttrNames(attrs) {
		a := attrs[name]
		value := a.StringValue
		if a.BinaryValue != nil {
			value = base64Std(a.BinaryValue)
		}
		e.b = append(e.b, "    "...)
		e.b = appendJSONString(e.b, name)
		e.b = append(e.b, ` : {"Type":`...)
		e.b = appendJSONString(e.b, a.DataType)
		e.b = append(e.b, `,"Value":`...)
		e.b = appendJSONString(e.b, value)
		e.b = append(e.b, '}')
		if i < len(attrs)-1 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, '\n')
	}
	e.b = append(e.b, "  }"...)
}

func (e *envelopeWriter) close() string {
	e.b = append(e.b, "\n}"...)
	return string(e.b)
}

// envelope renders the Notification JSON of one message for one
// subscription. The signature covers only fields that do not depend on the
// subscription, so it is computed once per message, version and message
// text, however many subscriptions receive it.
func (s *Service) envelope(t *Topic, tg *target, p *published) string {
	version, sig := s.signNotification(t, tg, p)
	msg := p.messageFor(tg.sub.Protocol)
	ts := timestamp(p.ts)
	topicArn := s.TopicArn(t.Name)
	var e envelopeWriter
	e.open()
	e.field("Type", snssign.TypeNotification)
	e.field("MessageId", p.id)
	e.field("TopicArn", topicArn)
	if p.subject != "" {
		e.field("Subject", p.subject)
	}
	e.field("Message", msg)
	e.field("Timestamp", ts)
	e.field("SignatureVersion", version)
	e.field("Signature", sig)
	e.field("SigningCertURL", s.opts.PublicURL+s.CertPath())
	e.field("UnsubscribeURL", s.opts.PublicURL+"/?Action=Unsubscribe&SubscriptionArn="+tg.arn)
	e.attributes(p.attrs)
	return e.close()
}

// signNotification returns the signature version and signature of a
// notification as one subscription receives it, computed once per message,
// version and message text.
func (s *Service) signNotification(t *Topic, tg *target, p *published) (version, sig string) {
	version = signatureVersion(t)
	sig = s.sigs.get(version+"|"+p.id+"|"+p.messageKey(tg.sub.Protocol), func() string {
		sig, err := s.signer.Sign(snssign.Message{Type: snssign.TypeNotification, MessageId: p.id, TopicArn: s.TopicArn(t.Name),
			Subject: p.subject, Message: p.messageFor(tg.sub.Protocol), Timestamp: timestamp(p.ts)}, version)
		if err != nil {
			s.log.Error("sign notification", "err", err)
		}
		return sig
	})
	return version, sig
}

// lambdaEvent renders the event SNS invokes a function with: one record
// holding the notification (note the Url spellings and the null Subject).
func (s *Service) lambdaEvent(t *Topic, tg *target, p *published) []byte {
	version, sig := s.signNotification(t, tg, p)
	type attr struct {
		Type  string
		Value string
	}
	attrs := make(map[string]attr, len(p.attrs))
	for k, a := range p.attrs {
		v := a.StringValue
		if a.BinaryValue != nil {
			v = base64Std(a.BinaryValue)
		}
		attrs[k] = attr{Type: a.DataType, Value: v}
	}
	var subject *string
	if p.subject != "" {
		subject = &p.subject
	}
	ev := map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": tg.arn,
		"Sns": map[string]any{
			"Type": snssign.TypeNotification, "MessageId": p.id, "TopicArn": s.TopicArn(t.Name), "Subject": subject,
			"Message": p.messageFor(tg.sub.Protocol), "Timestamp": timestamp(p.ts), "SignatureVersion": version,
			"Signature": sig, "SigningCertUrl": s.opts.PublicURL + s.CertPath(),
			"UnsubscribeUrl": s.opts.PublicURL + "/?Action=Unsubscribe&SubscriptionArn=" + tg.arn, "MessageAttributes": attrs,
		},
	}}}
	b, _ := json.Marshal(ev)
	return b
}

// sigCache remembers recent signatures so that the subscriptions of a
// topic, each reading the message on its own cursor, sign it once between
// them; concurrent callers for one key wait for a single signing.
type sigCache struct {
	mu    sync.Mutex
	m     map[string]*sigEntry
	order []string // ring of keys, oldest evicted first
	next  int
}

type sigEntry struct {
	once sync.Once
	sig  string
}

const sigCacheSize = 8192

func newSigCache() *sigCache {
	return &sigCache{m: make(map[string]*sigEntry, sigCacheSize), order: make([]string, sigCacheSize)}
}

func (c *sigCache) get(key string, sign func() string) string {
	c.mu.Lock()
	e := c.m[key]
	if e == nil {
		e = &sigEntry{}
		if old := c.order[c.next]; old != "" {
			delete(c.m, old)
		}
		c.order[c.next] = key
		c.next = (c.next + 1) % len(c.order)
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.sig = sign() })
	return e.sig
}

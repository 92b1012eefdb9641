package topic

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/uuid"
)

// Headers of a stored topic message.
const (
	hdrID        = "Abanico-Id"
	hdrTime      = "Abanico-Ts"
	hdrSubject   = "Abanico-Subject"
	hdrStructure = "Abanico-Structure"
	hdrAttrs     = "Abanico-Attrs"
)

// MaxMessageSize is SNS's limit on message plus attributes.
const MaxMessageSize = 262144

func attrSize(attrs map[string]MessageAttribute) int {
	n := 0
	for k, a := range attrs {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// validateAttributes checks SNS message attributes: SQS's rules for
// String, Number and Binary, plus String.Array (a JSON array of strings,
// numbers, booleans and nulls).
func validateAttributes(attrs map[string]MessageAttribute) *Error {
	if len(attrs) > 10 {
		return invalidParameter("MessageAttributes Reason: Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	plain := map[string]queue.MessageAttribute{}
	for name, a := range attrs {
		if strings.HasPrefix(a.DataType, "String.Array") {
			var arr []any
			if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
				return invalidParameter("Message attribute '%s' value is not a valid String.Array.", name)
			}
			for _, e := range arr {
				switch e.(type) {
				case string, float64, bool, nil:
				default:
					return invalidParameter("Message attribute '%s' value is not a valid String.Array.", name)
				}
			}
			a = MessageAttribute{DataType: "String", StringValue: a.StringValue}
		}
		plain[name] = queue.MessageAttribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
	if err := queue.ValidateMessageAttributes(plain); err != nil {
		msg := err.Error()
		if qe, ok := err.(*queue.Error); ok {
			msg = qe.Message
		}
		return invalidParameter("MessageAttributes Reason: %s", msg)
	}
	return nil
}

func validSubject(s string) bool {
	if s == "" || len(s) > 100 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

// validatePublish checks one message as SNS does.
func validatePublish(in *PublishInput) *Error {
	if in.Message == "" {
		return invalidParameter("Empty message")
	}
	if in.Subject != "" && !validSubject(in.Subject) {
		return invalidParameter("Subject")
	}
	switch in.MessageStructure {
	case "":
	case "json":
		var m map[string]any
		if err := json.Unmarshal([]byte(in.Message), &m); err != nil {
			return invalidParameter("Message Structure - JSON message body failed to parse")
		}
		if d, ok := m["default"].(string); !ok || d == "" {
			return invalidParameter("Message Structure - No default entry in JSON message body")
		}
		for k, v := range m {
			if _, ok := v.(string); !ok {
				return invalidParameter("Message Structure - JSON message body failed to parse: %s is not a string", k)
			}
		}
	default:
		return invalidParameter("MessageStructure")
	}
	if e := validateAttributes(in.MessageAttributes); e != nil {
		return e
	}
	if len(in.Message)+attrSize(in.MessageAttributes) > MaxMessageSize {
		return invalidParameter("Message too long")
	}
	if in.MessageDeduplicationID != "" {
		return invalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	return nil
}

func (s *Service) record(t *Topic, in *PublishInput, id string) engine.Record {
	h := nats.Header{}
	h.Set(hdrID, id)
	h.Set(hdrTime, strconv.FormatInt(s.now().UnixMilli(), 10))
	if in.Subject != "" {
		h.Set(hdrSubject, in.Subject)
	}
	if in.MessageStructure != "" {
		h.Set(hdrStructure, in.MessageStructure)
	}
	if len(in.MessageAttributes) > 0 {
		b, _ := json.Marshal(in.MessageAttributes)
		h.Set(hdrAttrs, string(b))
	}
	return engine.Record{Subject: topicSubject(t), Header: h, Data: []byte(in.Message)}
}

// hasSubscribers reports whether a topic has confirmed subscriptions; a
// message published to a topic without any is not stored, as on SNS.
func (s *Service) hasSubscribers(t *Topic) bool {
	r := s.route(t.ID)
	return r != nil && len(r.subs) > 0
}

// Publish stores one message durably and returns its MessageId; the fanout
// happens after, never inside the call.
func (s *Service) Publish(ctx context.Context, in PublishInput) (string, error) {
	t, e := s.topicByArn(in.TopicArn)
	if e != nil {
		return "", e
	}
	if e := validatePublish(&in); e != nil {
		return "", e
	}
	id := uuid.New()
	if !s.hasSubscribers(t) {
		return id, nil
	}
	if _, err := s.writers[t.Shard].Write(ctx, []engine.Record{s.record(t, &in, id)}); err != nil {
		return "", internal(err)
	}
	return id, nil
}

// PublishBatch publishes up to 10 messages to one topic; entries fail
// individually, and the valid ones are stored together.
func (s *Service) PublishBatch(ctx context.Context, topicArn string, in []PublishInput) ([]PublishResult, error) {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return nil, e
	}
	if len(in) == 0 {
		return nil, errorf(CodeEmptyBatchRequest, "The batch request doesn't contain any entries")
	}
	if len(in) > 10 {
		return nil, errorf(CodeTooManyEntriesInBatchRequest, "The batch request contains more entries than permissible")
	}
	seen := map[string]bool{}
	total := 0
	for _, m := range in {
		if !queue.ValidBatchID(m.ID) {
			return nil, errorf(CodeInvalidBatchEntryID, "The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[m.ID] {
			return nil, errorf(CodeBatchEntryIdsNotDistinct, "Two or more batch entries in the request have the same Id")
		}
		seen[m.ID] = true
		total += len(m.Message) + attrSize(m.MessageAttributes)
	}
	if total > MaxMessageSize {
		return nil, errorf(CodeBatchRequestTooLong, "The length of all the messages put together is more than the limit")
	}
	res := make([]PublishResult, len(in))
	var recs []engine.Record
	store := s.hasSubscribers(t)
	for i := range in {
		res[i].ID = in[i].ID
		if e := validatePublish(&in[i]); e != nil {
			res[i].Err = e
			continue
		}
		res[i].MessageID = uuid.New()
		if store {
			recs = append(recs, s.record(t, &in[i], res[i].MessageID))
		}
	}
	if len(recs) > 0 {
		if _, err := s.writers[t.Shard].Write(ctx, recs); err != nil {
			return nil, internal(err)
		}
	}
	return res, nil
}

package queue

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/abanico/abanico/internal/engine"
)

// Message headers Abanico stores with every queue message.
const (
	hdrID        = "Abanico-Id"
	hdrSent      = "Abanico-Sent"
	hdrSender    = "Abanico-Sender"
	hdrAttrs     = "Abanico-Attrs"
	hdrSysAttrs  = "Abanico-Sys-Attrs"
	hdrDLQSource = "Abanico-Dlq-Source"
	hdrMD5       = "Abanico-Md5"
)

// SendInput is one message to send.
type SendInput struct {
	// ID is the batch entry id (empty for SendMessage).
	ID               string
	Body             string
	DelaySeconds     *int
	Attributes       map[string]MessageAttribute
	SystemAttributes map[string]MessageAttribute
}

// SendResult is the outcome of one SendInput: either Err or the rest.
type SendResult struct {
	ID            string
	MessageID     string
	MD5OfBody     string
	MD5OfAttrs    string
	MD5OfSysAttrs string
	Err           *Error
}

// MaxBatch is the most entries an SQS batch request may carry.
const MaxBatch = 10

// ValidateBatchIDs checks batch entry ids as SQS does for every batch
// action; entryType names the entries in messages (e.g.
// "SendMessageBatchRequestEntry").
func ValidateBatchIDs(entryType string, ids []string) error {
	if len(ids) == 0 {
		return errorf(CodeEmptyBatchRequest, "There should be at least one %s in the request.", entryType)
	}
	if len(ids) > MaxBatch {
		return errorf(CodeTooManyEntriesInBatchRequest, "Maximum number of entries per request are %d. You have sent %d.", MaxBatch, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !ValidBatchID(id) {
			return errorf(CodeInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return errorf(CodeBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// ValidBatchID reports whether id is a valid batch entry id: 1 to 80
// letters, digits, hyphens and underscores (SQS and SNS alike).
func ValidBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *Service) validateSend(q *Queue, in *SendInput) *Error {
	if in.Body == "" {
		return errorf(CodeMissingParameter, "The request must contain the parameter MessageBody.")
	}
	if !validChars(in.Body) {
		return errorf(CodeInvalidMessageContents, "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	if err := ValidateMessageAttributes(in.Attributes); err != nil {
		return err.(*Error)
	}
	for name, a := range in.SystemAttributes {
		if name != "AWSTraceHeader" {
			return errorf(CodeInvalidParameterValue, "Message system attribute name '%s' is invalid.", name)
		}
		if a.DataType != "String" || a.StringValue == "" {
			return errorf(CodeInvalidParameterValue, "Message system attribute '%s' must be of type String with a non-empty value.", name)
		}
	}
	if in.DelaySeconds != nil && (*in.DelaySeconds < 0 || *in.DelaySeconds > 900) {
		return errorf(CodeInvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *in.DelaySeconds)
	}
	max := attrInt(q.Attributes, "MaximumMessageSize")
	if len(in.Body)+attributesSize(in.Attributes) > max {
		return errorf(CodeInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", max)
	}
	return nil
}

// Send stores messages. Entries that fail validation get an Err; the others
// are stored together (atomically and with the engine's durability) before
// Send returns. A non-nil error means nothing was stored.
func (s *Service) Send(ctx context.Context, name, sender string, in []SendInput) ([]SendResult, error) {
	q, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	res := make([]SendResult, len(in))
	var recs []engine.Record
	var idx []int
	now := s.now()
	for i := range in {
		res[i].ID = in[i].ID
		if e := s.validateSend(q, &in[i]); e != nil {
			res[i].Err = e
			continue
		}
		id := NewMessageID()
		rec := s.record(q, &in[i], id, sender, now)
		recs = append(recs, rec)
		idx = append(idx, i)
		res[i].MessageID = id
		res[i].MD5OfBody = rec.Header.Get(hdrMD5)
		res[i].MD5OfAttrs = MD5OfAttributes(in[i].Attributes)
		res[i].MD5OfSysAttrs = MD5OfAttributes(in[i].SystemAttributes)
	}
	if len(recs) > 0 {
		if _, err := s.writers[q.Shard].Write(ctx, recs); err != nil {
			return nil, internal(fmt.Errorf("store messages in %s: %w", name, err))
		}
	}
	return res, nil
}

func (s *Service) record(q *Queue, in *SendInput, id, sender string, now time.Time) engine.Record {
	h := nats.Header{}
	h.Set(hdrID, id)
	h.Set(hdrSent, strconv.FormatInt(now.UnixMilli(), 10))
	h.Set(hdrSender, sender)
	h.Set(hdrMD5, MD5OfBody(in.Body))
	if a := encodeAttrs(in.Attributes); a != "" {
		h.Set(hdrAttrs, a)
	}
	if a := encodeAttrs(in.SystemAttributes); a != "" {
		h.Set(hdrSysAttrs, a)
	}
	delay := attrInt(q.Attributes, "DelaySeconds")
	if in.DelaySeconds != nil {
		delay = *in.DelaySeconds
	}
	subject := msgSubject(q)
	if delay > 0 {
		subject = delaySubjectPrefix(q) + "." + nuid.Next()
		h.Set("Nats-Schedule", "@at "+now.Add(time.Duration(delay)*time.Second).UTC().Format(time.RFC3339Nano))
		h.Set("Nats-Schedule-Target", msgSubject(q))
	}
	return engine.Record{Subject: subject, Header: h, Data: []byte(in.Body)}
}

// ReceiveInput is a ReceiveMessage request.
type ReceiveInput struct {
	// MaxMessages is 1 to 10; nil means 1.
	MaxMessages           *int
	WaitTimeSeconds       *int
	VisibilityTimeout     *int
	AttributeNames        []string
	MessageAttributeNames []string
}

// Message is a received message.
type Message struct {
	MessageID         string
	ReceiptHandle     string
	Body              string
	MD5OfBody         string
	MD5OfAttrs        string
	Attributes        map[string]string
	MessageAttributes map[string]MessageAttribute
}

var systemAttributeNames = map[string]bool{
	"All": true, "SenderId": true, "SentTimestamp": true, "ApproximateReceiveCount": true,
	"ApproximateFirstReceiveTimestamp": true, "SequenceNumber": true, "MessageDeduplicationId": true,
	"MessageGroupId": true, "AWSTraceHeader": true, "DeadLetterQueueSourceArn": true,
}

// ValidateReceive checks a receive request's parameters.
func ValidateReceive(in *ReceiveInput) error {
	if m := in.MaxMessages; m != nil && (*m < 1 || *m > 10) {
		return errorf(CodeInvalidParameterValue, "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *m)
	}
	if w := in.WaitTimeSeconds; w != nil && (*w < 0 || *w > 20) {
		return errorf(CodeInvalidParameterValue, "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *w)
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > 43200) {
		return errorf(CodeInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *v)
	}
	for _, n := range in.AttributeNames {
		if !systemAttributeNames[n] {
			return errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	for _, n := range in.MessageAttributeNames {
		if n == "All" || n == ".*" {
			continue
		}
		if err := validateAttributeName(strings.TrimSuffix(n, ".*")); err != nil {
			return errorf(CodeInvalidParameterValue, "Value %s for parameter MessageAttributeNames is invalid.", n)
		}
	}
	return nil
}

// Receive returns up to MaxMessages messages, waiting up to the wait time
// for the first one, and hides them for the visibility timeout.
func (s *Service) Receive(ctx context.Context, name string, in ReceiveInput) ([]Message, error) {
	if err := ValidateReceive(&in); err != nil {
		return nil, err
	}
	q, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	wait := attrInt(q.Attributes, "ReceiveMessageWaitTimeSeconds")
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	max := 1
	if in.MaxMessages != nil {
		max = *in.MaxMessages
	}
	deadline := s.now().Add(time.Duration(wait) * time.Second)
	if err := s.ensureConsumer(ctx, q); err != nil {
		return nil, internal(err)
	}
	// A drain (shutdown) ends the wait early with an empty answer.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.draining:
			cancel()
		case <-waitCtx.Done():
		}
	}()
	for {
		msgs, err := s.pull(ctx, q, max, 50*time.Millisecond, true)
		if err != nil {
			return nil, pullError(ctx, err)
		}
		if len(msgs) == 0 {
			remaining := deadline.Sub(s.now())
			if remaining <= 0 {
				return nil, nil
			}
			msgs, err = s.pull(waitCtx, q, 1, remaining, false)
			if err != nil {
				if ctx.Err() == nil && waitCtx.Err() != nil {
					return nil, nil
				}
				return nil, pullError(ctx, err)
			}
			if len(msgs) == 1 && max > 1 {
				more, err := s.pull(ctx, q, max-1, 50*time.Millisecond, true)
				if err == nil {
					msgs = append(msgs, more...)
				}
			}
		}
		out := s.prepare(ctx, q, msgs, in)
		if len(out) > 0 || !s.now().Before(deadline) {
			return out, nil
		}
	}
}

// pull wraps Engine.Pull, recreating the queue's consumer once when
// JetStream deleted it for inactivity.
func (s *Service) pull(ctx context.Context, q *Queue, batch int, expires time.Duration, noWait bool) ([]*nats.Msg, error) {
	msgs, err := s.eng.Pull(ctx, streamName(q.Shard), q.ID, batch, expires, noWait)
	if errors.Is(err, engine.ErrNoConsumer) {
		s.consumers.Delete(q.ID)
		if err := s.ensureConsumer(ctx, q); err != nil {
			return msgs, err
		}
		more, err := s.eng.Pull(ctx, streamName(q.Shard), q.ID, batch-len(msgs), expires, noWait)
		return append(msgs, more...), err
	}
	return msgs, err
}

func pullError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return internal(err)
}

// prepare turns delivered messages into results, moving dead letters and
// dropping expired ones on the way.
func (s *Service) prepare(ctx context.Context, q *Queue, msgs []*nats.Msg, in ReceiveInput) []Message {
	vt := attrInt(q.Attributes, "VisibilityTimeout")
	if in.VisibilityTimeout != nil {
		vt = *in.VisibilityTimeout
	}
	consumerVT := attrInt(q.Attributes, "VisibilityTimeout")
	if consumerVT <= 0 {
		consumerVT = 30
	}
	var redrive RedrivePolicy
	if rp := q.Attributes["RedrivePolicy"]; rp != "" {
		redrive, _, _ = parseRedrivePolicy(rp)
	}
	retention := time.Duration(attrInt(q.Attributes, "MessageRetentionPeriod")) * time.Second
	now := s.now()
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		meta, err := engine.ParseAck(m.Reply)
		if err != nil {
			s.log.Error("message without metadata", "queue", q.Name, "err", err)
			continue
		}
		sent, _ := strconv.ParseInt(m.Header.Get(hdrSent), 10, 64)
		if sent > 0 && now.Sub(time.UnixMilli(sent)) > retention {
			_ = m.Term()
			s.inflight.remove(q.ID, meta.StreamSeq)
			continue
		}
		if redrive.MaxReceiveCount > 0 && int(meta.Delivered) > redrive.MaxReceiveCount {
			if s.moveToDLQ(ctx, q, m, meta.StreamSeq, redrive.DeadLetterTargetArn) {
				continue
			}
		}
		if vt != consumerVT {
			if vt == 0 {
				_ = m.Nak()
			} else {
				_ = m.NakWithDelay(time.Duration(vt) * time.Second)
			}
		}
		first := s.inflight.received(q.ID, meta.StreamSeq, meta.Delivered, now, now.Add(time.Duration(vt)*time.Second))
		out = append(out, s.toMessage(q, m, meta, first, in))
	}
	if len(out) != len(msgs) || vt != consumerVT {
		_ = s.eng.Conn().Flush()
	}
	return out
}

func (s *Service) toMessage(q *Queue, m *nats.Msg, meta engine.AckInfo, firstReceive time.Time, in ReceiveInput) Message {
	msg := Message{
		MessageID:     m.Header.Get(hdrID),
		ReceiptHandle: encodeHandle(q.ID, m.Reply),
		Body:          string(m.Data),
		MD5OfBody:     m.Header.Get(hdrMD5),
	}
	if msg.MD5OfBody == "" {
		msg.MD5OfBody = MD5OfBody(msg.Body)
	}
	if len(in.AttributeNames) > 0 {
		want := map[string]bool{}
		for _, n := range in.AttributeNames {
			want[n] = true
		}
		all := want["All"]
		attrs := map[string]string{}
		add := func(k, v string) {
			if (all || want[k]) && v != "" {
				attrs[k] = v
			}
		}
		add("SenderId", m.Header.Get(hdrSender))
		add("SentTimestamp", m.Header.Get(hdrSent))
		add("ApproximateReceiveCount", strconv.FormatUint(meta.Delivered, 10))
		add("ApproximateFirstReceiveTimestamp", strconv.FormatInt(firstReceive.UnixMilli(), 10))
		add("DeadLetterQueueSourceArn", m.Header.Get(hdrDLQSource))
		if sys := decodeAttrs(m.Header.Get(hdrSysAttrs)); sys != nil {
			add("AWSTraceHeader", sys["AWSTraceHeader"].StringValue)
		}
		if len(attrs) > 0 {
			msg.Attributes = attrs
		}
	}
	if len(in.MessageAttributeNames) > 0 {
		all := decodeAttrs(m.Header.Get(hdrAttrs))
		sel := map[string]MessageAttribute{}
		for name, a := range all {
			if matchAttributeName(name, in.MessageAttributeNames) {
				sel[name] = a
			}
		}
		if len(sel) > 0 {
			msg.MessageAttributes = sel
			msg.MD5OfAttrs = MD5OfAttributes(sel)
		}
	}
	return msg
}

func matchAttributeName(name string, patterns []string) bool {
	for _, p := range patterns {
		switch {
		case p == "All" || p == ".*":
			return true
		case strings.HasSuffix(p, ".*"):
			if strings.HasPrefix(name, strings.TrimSuffix(p, "*")) {
				return true
			}
		case p == name:
			return true
		}
	}
	return false
}

// moveToDLQ stores the message in the dead-letter queue (idempotently, keyed
// by source queue and sequence) and then removes it from q. It reports false
// when the dead-letter queue does not exist, leaving the message in q.
func (s *Service) moveToDLQ(ctx context.Context, q *Queue, m *nats.Msg, seq uint64, dlqArn string) bool {
	dlq, err := s.ByARN(dlqArn)
	if err != nil {
		return false
	}
	h := nats.Header{}
	for k, v := range m.Header {
		if !strings.HasPrefix(k, "Nats-") {
			h[k] = v
		}
	}
	h.Set(hdrDLQSource, s.ARN(q.Name))
	h.Set("Nats-Msg-Id", fmt.Sprintf("dlq.%s.%d", q.ID, seq))
	sent, _ := strconv.ParseInt(m.Header.Get(hdrSent), 10, 64)
	if s.now().Sub(time.UnixMilli(sent)) >= time.Duration(attrInt(dlq.Attributes, "MessageRetentionPeriod"))*time.Second {
		// Already past the dead-letter queue's retention: drop it.
		_ = m.Term()
		return true
	}
	if _, err := s.writers[dlq.Shard].Write(ctx, []engine.Record{{Subject: msgSubject(dlq), Header: h, Data: m.Data}}); err != nil {
		s.log.Error("move to dead-letter queue", "queue", q.Name, "dlq", dlq.Name, "err", err)
		return false
	}
	if err := m.Term(); err != nil {
		s.log.Error("remove dead letter", "queue", q.Name, "err", err)
	}
	s.inflight.remove(q.ID, seq)
	return true
}

// Receipt handles carry the queue id and the JetStream ack subject of one
// delivery.
func encodeHandle(qid, reply string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(qid + "|" + reply))
}

type handle struct {
	qid   string
	reply string
	seq   uint64
	dc    uint64
}

func decodeHandle(q *Queue, h string) (handle, *Error) {
	bad := errorf(CodeReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", h)
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return handle{}, bad
	}
	qid, reply, ok := strings.Cut(string(b), "|")
	if !ok || qid != q.ID || !strings.HasPrefix(reply, "$JS.ACK.") {
		return handle{}, bad
	}
	a, err := engine.ParseAck(reply)
	if err != nil || a.Consumer != q.ID || a.Stream != streamName(q.Shard) {
		return handle{}, bad
	}
	return handle{qid: qid, reply: reply, seq: a.StreamSeq, dc: a.Delivered}, nil
}

// DeleteMessages deletes by receipt handle; the result holds one error (or
// nil) per handle. It returns once JetStream has processed every ack.
// Deleting an already deleted message succeeds, as on SQS.
func (s *Service) DeleteMessages(ctx context.Context, name string, handles []string) ([]*Error, error) {
	q, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	errs := make([]*Error, len(handles))
	var replies []string
	var seqs []uint64
	for i, h := range handles {
		hd, e := decodeHandle(q, h)
		if e != nil {
			errs[i] = e
			continue
		}
		replies = append(replies, hd.reply)
		seqs = append(seqs, hd.seq)
	}
	ctx, cancel := apiCtx(ctx)
	defer cancel()
	if err := s.eng.AckSync(ctx, replies, []byte("+ACK")); err != nil {
		return nil, internal(fmt.Errorf("ack: %w", err))
	}
	for _, seq := range seqs {
		s.inflight.deleted(q.ID, seq)
	}
	return errs, nil
}

// VisibilityChange is one ChangeMessageVisibility entry.
type VisibilityChange struct {
	ReceiptHandle string
	Timeout       int
}

// ChangeVisibility sets the remaining visibility timeout of received
// messages, counted from now.
func (s *Service) ChangeVisibility(ctx context.Context, name string, changes []VisibilityChange) ([]*Error, error) {
	q, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	errs := make([]*Error, len(changes))
	ctx, cancel := apiCtx(ctx)
	defer cancel()
	st, err := s.js.Stream(ctx, streamName(q.Shard))
	if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	for i, c := range changes {
		if c.Timeout < 0 || c.Timeout > 43200 {
			errs[i] = errorf(CodeInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", c.Timeout)
			continue
		}
		hd, e := decodeHandle(q, c.ReceiptHandle)
		if e != nil {
			errs[i] = e
			continue
		}
		if s.inflight.isDeleted(q.ID, hd.seq) {
			errs[i] = errorf(CodeInvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", c.ReceiptHandle)
			continue
		}
		if _, err := st.GetMsg(ctx, hd.seq); err != nil {
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				errs[i] = errorf(CodeInvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", c.ReceiptHandle)
			} else {
				errs[i] = internal(err)
			}
			continue
		}
		if !s.inflight.inFlight(q.ID, hd.seq, hd.dc, now) {
			errs[i] = errorf(CodeMessageNotInflight, "The message referred to isn't in flight.")
			continue
		}
		var payload []byte
		if c.Timeout == 0 {
			payload = []byte("-NAK")
		} else {
			payload = []byte(fmt.Sprintf("-NAK {\"delay\":%d}", int64(time.Duration(c.Timeout)*time.Second)))
		}
		if err := s.eng.Conn().Publish(hd.reply, payload); err != nil {
			errs[i] = internal(err)
			continue
		}
		s.inflight.extend(q.ID, hd.seq, now.Add(time.Duration(c.Timeout)*time.Second))
	}
	if err := s.eng.Conn().FlushWithContext(ctx); err != nil {
		return nil, internal(err)
	}
	return errs, nil
}

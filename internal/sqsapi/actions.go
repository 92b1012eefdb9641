package sqsapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/abanico/abanico/internal/queue"
)

type actionFunc func(h *Handler, ctx context.Context, c *call) (obj, error)

var actions map[string]actionFunc

func init() {
	actions = map[string]actionFunc{
		"CreateQueue":                  (*Handler).createQueue,
		"DeleteQueue":                  (*Handler).deleteQueue,
		"GetQueueUrl":                  (*Handler).getQueueURL,
		"ListQueues":                   (*Handler).listQueues,
		"GetQueueAttributes":           (*Handler).getQueueAttributes,
		"SetQueueAttributes":           (*Handler).setQueueAttributes,
		"SendMessage":                  (*Handler).sendMessage,
		"SendMessageBatch":             (*Handler).sendMessageBatch,
		"ReceiveMessage":               (*Handler).receiveMessage,
		"DeleteMessage":                (*Handler).deleteMessage,
		"DeleteMessageBatch":           (*Handler).deleteMessageBatch,
		"ChangeMessageVisibility":      (*Handler).changeMessageVisibility,
		"ChangeMessageVisibilityBatch": (*Handler).changeMessageVisibilityBatch,
		"PurgeQueue":                   (*Handler).purgeQueue,
		"TagQueue":                     (*Handler).tagQueue,
		"UntagQueue":                   (*Handler).untagQueue,
		"ListQueueTags":                (*Handler).listQueueTags,
		"ListDeadLetterSourceQueues":   (*Handler).listDeadLetterSourceQueues,
		"StartMessageMoveTask":         (*Handler).startMessageMoveTask,
		"ListMessageMoveTasks":         (*Handler).listMessageMoveTasks,
		"CancelMessageMoveTask":        (*Handler).cancelMessageMoveTask,
		"AddPermission":                (*Handler).addPermission,
		"RemovePermission":             (*Handler).removePermission,
	}
}

func missing(name string) error {
	return &queue.Error{Code: queue.CodeMissingParameter, Message: "The request must contain the parameter " + name + "."}
}

func invalid(msg string) error {
	return &queue.Error{Code: queue.CodeInvalidParameterValue, Message: msg}
}

// queueURL builds the URL of a queue from the request's Host header, so
// clients get URLs that reach this server however they addressed it.
func (h *Handler) queueURL(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + "/" + h.svc.AccountID() + "/" + name
}

// queueName resolves the request's queue from QueueUrl, or from the path
// of a request POSTed to the queue's URL.
func (h *Handler) queueName(c *call) (string, error) {
	raw := c.in.QueueURL
	if raw == "" {
		raw = c.pathURL
	}
	if raw == "" {
		return "", missing("QueueUrl")
	}
	return QueueNameFromURL(raw, h.svc.AccountID())
}

// QueueNameFromURL extracts the queue name from a queue URL
// (scheme://host/ACCOUNT/NAME); a URL of another account names no queue.
func QueueNameFromURL(raw, account string) (string, error) {
	path := raw
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", &queue.Error{Code: queue.CodeInvalidAddress, Message: "The address " + raw + " is not valid for this endpoint."}
		}
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	name := parts[len(parts)-1]
	if len(parts) >= 2 && parts[len(parts)-2] != account {
		return "", &queue.Error{Code: queue.CodeQueueDoesNotExist, Message: "The specified queue does not exist."}
	}
	if len(parts) > 2 || name == "" {
		return "", &queue.Error{Code: queue.CodeInvalidAddress, Message: "The address " + raw + " is not valid for this endpoint."}
	}
	return name, nil
}

// senderID is the access key of a SigV4-signed request, else the account.
func (h *Handler) senderID(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		cred := auth[i+len("Credential="):]
		if j := strings.IndexAny(cred, "/, "); j > 0 {
			return cred[:j]
		}
	}
	return h.svc.AccountID()
}

func (h *Handler) createQueue(ctx context.Context, c *call) (obj, error) {
	if c.in.QueueName == "" {
		return nil, missing("QueueName")
	}
	q, err := h.svc.Create(ctx, c.in.QueueName, c.in.Attributes, c.in.CreateTags)
	if err != nil {
		return nil, err
	}
	return obj{f("QueueUrl", h.queueURL(c.r, q.Name))}, nil
}

func (h *Handler) deleteQueue(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Delete(ctx, name)
}

func (h *Handler) getQueueURL(ctx context.Context, c *call) (obj, error) {
	if c.in.QueueName == "" {
		return nil, missing("QueueName")
	}
	if o := c.in.QueueOwnerAWSAccountID; o != "" && o != h.svc.AccountID() {
		return nil, &queue.Error{Code: queue.CodeQueueDoesNotExist, Message: "The specified queue does not exist."}
	}
	q, err := h.svc.Get(c.in.QueueName)
	if err != nil {
		return nil, err
	}
	return obj{f("QueueUrl", h.queueURL(c.r, q.Name))}, nil
}

// page applies MaxResults/NextToken paging to sorted names.
func page(names []string, maxResults *int, token string) ([]string, string, error) {
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", invalid("Invalid NextToken value.")
		}
		after := string(b)
		i := 0
		for i < len(names) && names[i] <= after {
			i++
		}
		names = names[i:]
	}
	limit := 1000
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			return nil, "", invalid("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
		}
		limit = *maxResults
	}
	next := ""
	if len(names) > limit {
		names = names[:limit]
		if maxResults != nil {
			next = base64.RawURLEncoding.EncodeToString([]byte(names[len(names)-1]))
		}
	}
	return names, next, nil
}

func (h *Handler) urlList(r *http.Request, names []string) list {
	l := make(list, len(names))
	for i, n := range names {
		l[i] = h.queueURL(r, n)
	}
	return l
}

func (h *Handler) listQueues(ctx context.Context, c *call) (obj, error) {
	qs := h.svc.List(c.in.QueueNamePrefix)
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.Name
	}
	names, next, err := page(names, c.in.MaxResults, c.in.NextToken)
	if err != nil {
		return nil, err
	}
	return obj{fx("QueueUrls", "QueueUrl", h.urlList(c.r, names)), f("NextToken", next)}, nil
}

func (h *Handler) getQueueAttributes(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	attrs, err := h.svc.GetAttributes(ctx, name, c.in.AttributeNames)
	if err != nil {
		return nil, err
	}
	return obj{fx("Attributes", "Attribute", strMap{Key: "Name", Value: "Value", M: attrs})}, nil
}

func (h *Handler) setQueueAttributes(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.SetAttributes(ctx, name, c.in.Attributes)
}

func convertAttrs(in map[string]attrValueIn) (map[string]queue.MessageAttribute, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]queue.MessageAttribute, len(in))
	for k, v := range in {
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return nil, invalid("Message attribute list values in SendMessage operation are not supported.")
		}
		a := queue.MessageAttribute{DataType: v.DataType, BinaryValue: v.BinaryValue}
		if v.StringValue != nil {
			a.StringValue = *v.StringValue
		}
		out[k] = a
	}
	return out, nil
}

func (h *Handler) sendInput(e *entryIn) (queue.SendInput, error) {
	in := queue.SendInput{ID: e.ID, DelaySeconds: e.DelaySeconds}
	if e.MessageBody != nil {
		in.Body = *e.MessageBody
	}
	if e.MessageGroupID != "" || e.MessageDeduplicationID != "" {
		return in, invalid("The request include parameter that is not valid for this queue type.")
	}
	var err error
	if in.Attributes, err = convertAttrs(e.MessageAttributes); err != nil {
		return in, err
	}
	if in.SystemAttributes, err = convertAttrs(e.MessageSystemAttributes); err != nil {
		return in, err
	}
	return in, nil
}

func (h *Handler) sendMessage(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if c.in.MessageBody == nil {
		return nil, missing("MessageBody")
	}
	in, err := h.sendInput(&entryIn{
		MessageBody: c.in.MessageBody, DelaySeconds: c.in.DelaySeconds,
		MessageAttributes: c.in.MessageAttributes, MessageSystemAttributes: c.in.MessageSystemAttributes,
		MessageGroupID: c.in.MessageGroupID, MessageDeduplicationID: c.in.MessageDeduplicationID,
	})
	if err != nil {
		return nil, err
	}
	res, err := h.svc.Send(ctx, name, h.senderID(c.r), []queue.SendInput{in})
	if err != nil {
		return nil, err
	}
	r := res[0]
	if r.Err != nil {
		return nil, r.Err
	}
	return obj{
		f("MD5OfMessageBody", r.MD5OfBody), f("MD5OfMessageAttributes", r.MD5OfAttrs),
		f("MD5OfMessageSystemAttributes", r.MD5OfSysAttrs), f("MessageId", r.MessageID),
	}, nil
}

func batchIDs(entries []entryIn) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return ids
}

func failed(id string, e *queue.Error) obj {
	return obj{f("Id", id), f("SenderFault", !e.Server), f("Code", QueryCode(e.Code)), f("Message", e.Message)}
}

func toError(err error) *queue.Error {
	if qe, ok := err.(*queue.Error); ok {
		return qe
	}
	return &queue.Error{Code: queue.CodeInternalError, Message: err.Error(), Server: true}
}

func (h *Handler) sendMessageBatch(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if err := queue.ValidateBatchIDs("SendMessageBatchRequestEntry", batchIDs(c.in.Entries)); err != nil {
		return nil, err
	}
	total := 0
	var ins []queue.SendInput
	var failures list
	for i := range c.in.Entries {
		e := &c.in.Entries[i]
		in, err := h.sendInput(e)
		if err != nil {
			failures = append(failures, failed(e.ID, toError(err)))
			continue
		}
		total += len(in.Body)
		for k, a := range in.Attributes {
			total += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		}
		ins = append(ins, in)
	}
	if total > 1048576 {
		return nil, &queue.Error{Code: queue.CodeBatchRequestTooLong, Message: "Batch requests cannot be longer than 1048576 bytes."}
	}
	var ok list
	if len(ins) > 0 {
		res, err := h.svc.Send(ctx, name, h.senderID(c.r), ins)
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if r.Err != nil {
				failures = append(failures, failed(r.ID, r.Err))
				continue
			}
			ok = append(ok, obj{
				f("Id", r.ID), f("MessageId", r.MessageID), f("MD5OfMessageBody", r.MD5OfBody),
				f("MD5OfMessageAttributes", r.MD5OfAttrs), f("MD5OfMessageSystemAttributes", r.MD5OfSysAttrs),
			})
		}
	}
	return obj{
		fx("Successful", "SendMessageBatchResultEntry", okOrEmpty(ok)),
		fx("Failed", "BatchResultErrorEntry", okOrEmpty(failures)),
	}, nil
}

// okOrEmpty keeps an empty list in JSON output, where SDKs expect the
// Successful and Failed members to be present.
func okOrEmpty(l list) any {
	if len(l) == 0 {
		return emptyList{}
	}
	return l
}

func (h *Handler) receiveMessage(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	in := queue.ReceiveInput{
		WaitTimeSeconds:       c.in.WaitTimeSeconds,
		VisibilityTimeout:     c.in.VisibilityTimeout,
		AttributeNames:        append(append([]string(nil), c.in.AttributeNames...), c.in.MessageSystemAttributeNames...),
		MessageAttributeNames: c.in.MessageAttributeNames,
	}
	in.MaxMessages = c.in.MaxNumberOfMessages
	msgs, err := h.svc.Receive(ctx, name, in)
	if err != nil {
		return nil, err
	}
	var l list
	for _, m := range msgs {
		var attrs attrMap
		if len(m.MessageAttributes) > 0 {
			attrs = attrMap{}
			for k, a := range m.MessageAttributes {
				attrs[k] = attrValue{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
			}
		}
		l = append(l, obj{
			f("MessageId", m.MessageID), f("ReceiptHandle", m.ReceiptHandle), f("MD5OfBody", m.MD5OfBody),
			f("Body", m.Body), fx("Attributes", "Attribute", strMap{Key: "Name", Value: "Value", M: m.Attributes}),
			f("MD5OfMessageAttributes", m.MD5OfAttrs), fx("MessageAttributes", "MessageAttribute", attrs),
		})
	}
	return obj{fx("Messages", "Message", l)}, nil
}

func (h *Handler) deleteMessage(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if c.in.ReceiptHandle == nil || *c.in.ReceiptHandle == "" {
		return nil, missing("ReceiptHandle")
	}
	errs, err := h.svc.DeleteMessages(ctx, name, []string{*c.in.ReceiptHandle})
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	return nil, nil
}

func (h *Handler) deleteMessageBatch(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if err := queue.ValidateBatchIDs("DeleteMessageBatchRequestEntry", batchIDs(c.in.Entries)); err != nil {
		return nil, err
	}
	handles := make([]string, len(c.in.Entries))
	for i, e := range c.in.Entries {
		if e.ReceiptHandle != nil {
			handles[i] = *e.ReceiptHandle
		}
	}
	errs, err := h.svc.DeleteMessages(ctx, name, handles)
	if err != nil {
		return nil, err
	}
	return batchResult(c.in.Entries, errs, "DeleteMessageBatchResultEntry"), nil
}

func batchResult(entries []entryIn, errs []*queue.Error, okName string) obj {
	var ok, bad list
	for i, e := range entries {
		if errs[i] != nil {
			bad = append(bad, failed(e.ID, errs[i]))
		} else {
			ok = append(ok, obj{f("Id", e.ID)})
		}
	}
	return obj{fx("Successful", okName, okOrEmpty(ok)), fx("Failed", "BatchResultErrorEntry", okOrEmpty(bad))}
}

func (h *Handler) changeMessageVisibility(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if c.in.ReceiptHandle == nil || *c.in.ReceiptHandle == "" {
		return nil, missing("ReceiptHandle")
	}
	if c.in.VisibilityTimeout == nil {
		return nil, missing("VisibilityTimeout")
	}
	errs, err := h.svc.ChangeVisibility(ctx, name, []queue.VisibilityChange{{ReceiptHandle: *c.in.ReceiptHandle, Timeout: *c.in.VisibilityTimeout}})
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	return nil, nil
}

func (h *Handler) changeMessageVisibilityBatch(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if err := queue.ValidateBatchIDs("ChangeMessageVisibilityBatchRequestEntry", batchIDs(c.in.Entries)); err != nil {
		return nil, err
	}
	changes := make([]queue.VisibilityChange, len(c.in.Entries))
	for i, e := range c.in.Entries {
		if e.ReceiptHandle != nil {
			changes[i].ReceiptHandle = *e.ReceiptHandle
		}
		if e.VisibilityTimeout != nil {
			changes[i].Timeout = *e.VisibilityTimeout
		}
	}
	errs, err := h.svc.ChangeVisibility(ctx, name, changes)
	if err != nil {
		return nil, err
	}
	return batchResult(c.in.Entries, errs, "ChangeMessageVisibilityBatchResultEntry"), nil
}

func (h *Handler) purgeQueue(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Purge(ctx, name)
}

func (h *Handler) tagQueue(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if len(c.in.Tags) == 0 {
		return nil, missing("Tags")
	}
	return nil, h.svc.Tag(ctx, name, c.in.Tags)
}

func (h *Handler) untagQueue(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if len(c.in.TagKeys) == 0 {
		return nil, missing("TagKeys")
	}
	return nil, h.svc.Untag(ctx, name, c.in.TagKeys)
}

func (h *Handler) listQueueTags(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	q, err := h.svc.Get(name)
	if err != nil {
		return nil, err
	}
	return obj{fx("Tags", "Tag", strMap{Key: "Key", Value: "Value", M: q.Tags})}, nil
}

func (h *Handler) listDeadLetterSourceQueues(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	qs, err := h.svc.DeadLetterSources(name)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.Name
	}
	names, next, err := page(names, c.in.MaxResults, c.in.NextToken)
	if err != nil {
		return nil, err
	}
	return obj{fx("queueUrls", "QueueUrl", okOrEmpty(h.urlList(c.r, names))), f("NextToken", next)}, nil
}

func (h *Handler) startMessageMoveTask(ctx context.Context, c *call) (obj, error) {
	if c.in.SourceArn == "" {
		return nil, missing("SourceArn")
	}
	handle, err := h.svc.StartMoveTask(ctx, c.in.SourceArn, c.in.DestinationArn, c.in.MaxNumberOfMessagesPerSecond)
	if err != nil {
		return nil, err
	}
	return obj{f("TaskHandle", handle)}, nil
}

func (h *Handler) listMessageMoveTasks(ctx context.Context, c *call) (obj, error) {
	if c.in.SourceArn == "" {
		return nil, missing("SourceArn")
	}
	max := 0
	if c.in.MaxResults != nil {
		max = *c.in.MaxResults
		if max == 0 {
			max = -1
		}
	}
	tasks, err := h.svc.ListMoveTasks(c.in.SourceArn, max)
	if err != nil {
		return nil, err
	}
	var l list
	for _, t := range tasks {
		o := obj{
			f("TaskHandle", t.Handle), f("Status", t.Status), f("SourceArn", t.SourceArn),
			f("DestinationArn", t.DestinationArn),
		}
		if t.MaxPerSecond > 0 {
			o = append(o, f("MaxNumberOfMessagesPerSecond", int64(t.MaxPerSecond)))
		}
		o = append(o,
			f("ApproximateNumberOfMessagesMoved", t.Moved),
			f("ApproximateNumberOfMessagesToMove", t.ToMove),
			f("FailureReason", t.FailureReason),
			f("StartedTimestamp", t.Started),
		)
		l = append(l, o)
	}
	return obj{fx("Results", "ListMessageMoveTasksResultEntry", okOrEmpty(l))}, nil
}

func (h *Handler) cancelMessageMoveTask(ctx context.Context, c *call) (obj, error) {
	if c.in.TaskHandle == "" {
		return nil, missing("TaskHandle")
	}
	moved, err := h.svc.CancelMoveTask(c.in.TaskHandle)
	if err != nil {
		return nil, err
	}
	return obj{f("ApproximateNumberOfMessagesMoved", moved)}, nil
}

func (h *Handler) addPermission(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.AddPermission(ctx, name, queue.Permission{Label: c.in.Label, Accounts: c.in.AWSAccountIDs, Actions: c.in.Actions})
}

func (h *Handler) removePermission(ctx context.Context, c *call) (obj, error) {
	name, err := h.queueName(c)
	if err != nil {
		return nil, err
	}
	if c.in.Label == "" {
		return nil, missing("Label")
	}
	return nil, h.svc.RemovePermission(ctx, name, c.in.Label)
}

package nativeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/queue"
)

func (h *Handler) queueView(ctx context.Context, q *queue.Queue) (*abanico.Queue, error) {
	attrs, err := h.queues.GetAttributes(ctx, q.Name, []string{"All"})
	if err != nil {
		return nil, fmt.Errorf("attributes of queue %s: %w", q.Name, err)
	}
	tags := map[string]string{}
	for k, v := range q.Tags {
		tags[k] = v
	}
	return &abanico.Queue{Name: q.Name, ARN: h.queues.ARN(q.Name), Attributes: attrs, Tags: tags}, nil
}

// queueField names the request field an SQS validation message is about.
func queueField(msg string) string {
	switch {
	case strings.Contains(msg, "RedrivePolicy") || strings.Contains(msg, "deadLetterTargetArn") || strings.Contains(msg, "maxReceiveCount"):
		return "deadLetterQueue"
	case strings.Contains(msg, "ttribute"):
		return "attributes"
	case strings.Contains(msg, "ag"):
		return "tags"
	case strings.Contains(msg, "alphanumeric"):
		return "name"
	}
	return ""
}

func (h *Handler) createQueue(w http.ResponseWriter, r *http.Request) {
	var req abanico.CreateQueueInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	attrs := map[string]string{}
	for k, v := range req.Attributes {
		attrs[k] = v
	}
	if d := req.DeadLetterQueue; d != nil {
		if _, ok := attrs["RedrivePolicy"]; ok {
			h.writeError(w, badRequest("deadLetterQueue", "give either deadLetterQueue or the RedrivePolicy attribute, not both"), "")
			return
		}
		b, err := json.Marshal(map[string]any{"deadLetterTargetArn": h.queues.ARN(d.Name), "maxReceiveCount": d.MaxReceiveCount})
		if err != nil {
			h.writeError(w, fmt.Errorf("encode redrive policy: %w", err), "")
			return
		}
		attrs["RedrivePolicy"] = string(b)
	}
	q, err := h.queues.Create(r.Context(), req.Name, attrs, req.Tags)
	if err != nil {
		h.writeError(w, fmt.Errorf("create queue %s: %w", req.Name, err), queueField(err.Error()))
		return
	}
	v, err := h.queueView(r.Context(), q)
	h.reply(w, http.StatusCreated, v, err, "")
}

func (h *Handler) listQueues(w http.ResponseWriter, r *http.Request) {
	out, err := views(r.Context(), h.queues.List(r.URL.Query().Get("prefix")), h.queueView)
	h.reply(w, http.StatusOK, map[string][]*abanico.Queue{"queues": out}, err, "")
}

func (h *Handler) getQueue(w http.ResponseWriter, r *http.Request) {
	q, err := h.queues.Get(r.PathValue("name"))
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	v, err := h.queueView(r.Context(), q)
	h.reply(w, http.StatusOK, v, err, "name")
}

// updateQueue sets the given attributes together: nothing changes when
// the service rejects one.
func (h *Handler) updateQueue(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.UpdateAttributesInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	if err := h.queues.SetAttributes(r.Context(), name, req.Attributes); err != nil {
		h.writeError(w, fmt.Errorf("set attributes of queue %s: %w", name, err), "attributes")
		return
	}
	q, err := h.queues.Get(name)
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	v, err := h.queueView(r.Context(), q)
	h.reply(w, http.StatusOK, v, err, "")
}

func (h *Handler) deleteQueue(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := h.queues.Delete(r.Context(), name); err != nil {
		h.writeError(w, fmt.Errorf("delete queue %s: %w", name, err), "name")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) purgeQueue(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := h.queues.Purge(r.Context(), name); err != nil {
		h.writeError(w, fmt.Errorf("purge queue %s: %w", name, err), "name")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func sendInput(prefix string, m *abanico.QueueMessage) (queue.SendInput, error) {
	attrs, err := decodeAttributes(prefix+"attributes", m.Attributes)
	if err != nil {
		return queue.SendInput{}, err
	}
	return queue.SendInput{ID: m.ID, Body: m.Body, DelaySeconds: m.DelaySeconds, Attributes: queueAttributes(attrs)}, nil
}

// sendField names the request field an SQS send message is about.
func sendField(msg, prefix string) string {
	switch {
	case strings.Contains(msg, "DelaySeconds"):
		return prefix + "delaySeconds"
	case strings.Contains(msg, "ttribute"):
		return prefix + "attributes"
	case strings.Contains(msg, "essage"):
		return prefix + "body"
	}
	return ""
}

func (h *Handler) sendMessage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.QueueMessage
	if err := readMessage(w, r, &req, &req.ID); err != nil {
		h.writeError(w, err, "")
		return
	}
	in, err := sendInput("", &req)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	res, err := h.queues.Send(r.Context(), name, h.queues.AccountID(), []queue.SendInput{in})
	if err != nil {
		h.writeError(w, fmt.Errorf("send to %s: %w", name, err), "name")
		return
	}
	if e := res[0].Err; e != nil {
		h.writeError(w, fmt.Errorf("send to %s: %w", name, e), sendField(e.Message, ""))
		return
	}
	writeJSON(w, http.StatusCreated, abanico.SendResult{MessageID: res[0].MessageID, MD5OfBody: res[0].MD5OfBody})
}

func (h *Handler) sendMessageBatch(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.SendBatchInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	ins, err := batchInputs(req.Messages, sendInput)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	ids := make([]string, len(ins))
	for i, in := range ins {
		ids[i] = in.ID
	}
	if err := queue.ValidateBatchIDs("message", ids); err != nil {
		h.writeError(w, fmt.Errorf("send batch to %s: %w", name, err), "messages")
		return
	}
	res, err := h.queues.Send(r.Context(), name, h.queues.AccountID(), ins)
	if err != nil {
		h.writeError(w, fmt.Errorf("send batch to %s: %w", name, err), "name")
		return
	}
	out := make([]abanico.BatchResult, len(res))
	for i, sr := range res {
		out[i] = batchResult(i, abanico.BatchResult{ID: sr.ID, MessageID: sr.MessageID, MD5OfBody: sr.MD5OfBody}, sr.Err, sendField)
	}
	writeJSON(w, http.StatusOK, map[string][]abanico.BatchResult{"results": out})
}

// receiveMessages receives up to ?max messages, long polling up to ?wait
// seconds; with ?delete=true they are deleted before the answer, so the
// caller gets each at most once.
func (h *Handler) receiveMessages(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	in := queue.ReceiveInput{AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}}
	var err error
	if in.MaxMessages, err = queryInt(r, "max"); err != nil {
		h.writeError(w, err, "")
		return
	}
	if in.WaitTimeSeconds, err = queryInt(r, "wait"); err != nil {
		h.writeError(w, err, "")
		return
	}
	if in.VisibilityTimeout, err = queryInt(r, "visibility"); err != nil {
		h.writeError(w, err, "")
		return
	}
	del, err := queryBool(r, "delete")
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	msgs, err := h.queues.Receive(r.Context(), name, in)
	if err != nil {
		h.writeError(w, fmt.Errorf("receive from %s: %w", name, err), receiveField(err.Error()))
		return
	}
	out := make([]abanico.ReceivedMessage, len(msgs))
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
		out[i] = abanico.ReceivedMessage{MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, Attributes: nativeAttributes(m.MessageAttributes)}
		out[i].ReceiveCount, _ = strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		if ms, err := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64); err == nil {
			out[i].SentAt = apiTime(time.UnixMilli(ms))
		}
	}
	if del && len(handles) > 0 {
		errs, err := h.queues.DeleteMessages(r.Context(), name, handles)
		if err != nil {
			h.writeError(w, fmt.Errorf("delete received messages of %s: %w", name, err), "")
			return
		}
		for _, e := range errs {
			if e != nil {
				h.writeError(w, fmt.Errorf("delete received message of %s: %w", name, e), "")
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string][]abanico.ReceivedMessage{"messages": out})
}

// defaultPeek is how many messages a peek returns without ?max.
const defaultPeek = 10

func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// peekMessages returns up to ?max (default 10, at most 100) of a queue's
// messages without receiving them: visible ones first, then in-flight,
// then delayed ones.
func (h *Handler) peekMessages(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	max, err := queryInt(r, "max")
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	n := defaultPeek
	if max != nil {
		n = *max
	}
	msgs, err := h.queues.Peek(r.Context(), name, n)
	if err != nil {
		h.writeError(w, fmt.Errorf("peek into %s: %w", name, err), fieldOf(err, "name", "parameter max", "max"))
		return
	}
	out := make([]abanico.PeekedMessage, len(msgs))
	for i, m := range msgs {
		out[i] = abanico.PeekedMessage{
			MessageID: m.MessageID, Sequence: m.Sequence, State: m.State, ReceiveCount: m.ReceiveCount,
			VisibleAt: apiTime(m.VisibleAt), FirstReceivedAt: apiTime(m.FirstReceiveAt),
			Body: m.Body, Attributes: nativeAttributes(m.Attributes),
		}
		if m.SentTimestamp > 0 {
			out[i].SentAt = apiTime(time.UnixMilli(m.SentTimestamp))
		}
		if m.DLQSourceArn != "" {
			out[i].DeadLetterSourceQueue = m.DLQSourceArn
			if src, ok := h.queueNameOf(m.DLQSourceArn); ok {
				out[i].DeadLetterSourceQueue = src
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string][]abanico.PeekedMessage{"messages": out})
}

// receiveField names the query parameter an SQS receive message is about.
func receiveField(msg string) string {
	switch {
	case strings.Contains(msg, "MaxNumberOfMessages"):
		return "max"
	case strings.Contains(msg, "WaitTimeSeconds"):
		return "wait"
	case strings.Contains(msg, "VisibilityTimeout"):
		return "visibility"
	}
	return "name"
}

func (h *Handler) deleteMessage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	errs, err := h.queues.DeleteMessages(r.Context(), name, []string{r.PathValue("receiptHandle")})
	if err != nil {
		h.writeError(w, fmt.Errorf("delete message of %s: %w", name, err), "name")
		return
	}
	if errs[0] != nil {
		h.writeError(w, fmt.Errorf("delete message of %s: %w", name, errs[0]), "receiptHandle")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) changeVisibility(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.ChangeVisibilityInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	if req.VisibilityTimeout == nil {
		h.writeError(w, badRequest("visibilityTimeout", "visibilityTimeout is required"), "")
		return
	}
	errs, err := h.queues.ChangeVisibility(r.Context(), name, []queue.VisibilityChange{{ReceiptHandle: r.PathValue("receiptHandle"), Timeout: *req.VisibilityTimeout}})
	if err != nil {
		h.writeError(w, fmt.Errorf("change visibility in %s: %w", name, err), "name")
		return
	}
	if e := errs[0]; e != nil {
		h.writeError(w, fmt.Errorf("change visibility in %s: %w", name, e), fieldOf(e, "receiptHandle", "VisibilityTimeout", "visibilityTimeout"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// redrive starts moving the messages of a dead-letter queue to destination,
// or back to their source queues when none is given, at most
// maxMessagesPerSecond when given.
func (h *Handler) redrive(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.RedriveInput
	if err := decodeBody(w, r, &req, true); err != nil {
		h.writeError(w, err, "")
		return
	}
	dest := ""
	if req.Destination != "" {
		dest = h.queues.ARN(req.Destination)
	}
	var rate *int
	if req.MaxMessagesPerSecond != 0 {
		rate = &req.MaxMessagesPerSecond
	}
	handle, err := h.queues.StartMoveTask(r.Context(), h.queues.ARN(name), dest, rate)
	if err != nil {
		field := fieldOf(err, "name", "DestinationArn", "destination", "MaxNumberOfMessagesPerSecond", "maxMessagesPerSecond")
		if isNotFound(err) && field == "destination" {
			// A missing destination is a fault of the request body, not of
			// the addressed resource.
			h.writeError(w, badRequest("destination", "destination queue %s does not exist", req.Destination), "")
			return
		}
		h.writeError(w, fmt.Errorf("redrive %s: %w", name, err), field)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"taskHandle": handle})
}

// defaultRedriveTasks is how many tasks a listing returns without ?max.
const defaultRedriveTasks = 10

// redriveTaskView renders a move task; a destination of this account and
// region is shown by its queue name, any other by its ARN.
func (h *Handler) redriveTaskView(t queue.MoveTask) abanico.RedriveTask {
	v := abanico.RedriveTask{
		TaskHandle: t.Handle, Status: t.Status, MaxMessagesPerSecond: t.MaxPerSecond, MovedMessages: t.Moved, MessagesToMove: t.ToMove,
		FailureReason: t.FailureReason, StartedAt: apiTime(time.UnixMilli(t.Started)),
	}
	if t.DestinationArn != "" {
		v.Destination = t.DestinationArn
		if name, ok := h.queueNameOf(t.DestinationArn); ok {
			v.Destination = name
		}
	}
	return v
}

// redriveTasks lists a queue's most recent move tasks (?max, 1 to 10,
// default 10), newest first. As in SQS, only running tasks show their
// handle.
func (h *Handler) redriveTasks(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	max, err := queryInt(r, "max")
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	n := defaultRedriveTasks
	if max != nil {
		if n = *max; n == 0 {
			n = -1 // the service takes 0 for its own default
		}
	}
	tasks, err := h.queues.ListMoveTasks(h.queues.ARN(name), n)
	if err != nil {
		h.writeError(w, fmt.Errorf("redrive tasks of %s: %w", name, err), fieldOf(err, "name", "MaxResults", "max"))
		return
	}
	out := make([]abanico.RedriveTask, len(tasks))
	for i, t := range tasks {
		out[i] = h.redriveTaskView(t)
	}
	writeJSON(w, http.StatusOK, map[string][]abanico.RedriveTask{"tasks": out})
}

// moveTaskOf returns the move task of queue name with the handle of the
// request's path; a handle of another queue is not found.
func (h *Handler) moveTaskOf(r *http.Request) (queue.MoveTask, error) {
	name, handle := r.PathValue("name"), r.PathValue("taskHandle")
	if _, err := h.queues.Get(name); err != nil {
		return queue.MoveTask{}, err
	}
	t, err := h.queues.MoveTask(handle)
	if err == nil && t.SourceArn != h.queues.ARN(name) {
		err = &requestError{http.StatusNotFound, abanico.Error{Code: abanico.CodeNotFound, Message: "queue " + name + " has no redrive task with this handle"}}
	}
	return t, err
}

// redriveTask shows one move task, whatever its status, with its handle.
func (h *Handler) redriveTask(w http.ResponseWriter, r *http.Request) {
	t, err := h.moveTaskOf(r)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	writeJSON(w, http.StatusOK, h.redriveTaskView(t))
}

// cancelRedrive cancels a running move task and answers how many messages
// it had moved; the rest stay in the dead-letter queue.
func (h *Handler) cancelRedrive(w http.ResponseWriter, r *http.Request) {
	t, err := h.moveTaskOf(r)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	moved, err := h.queues.CancelMoveTask(t.Handle)
	if err != nil {
		h.writeError(w, fmt.Errorf("cancel redrive of %s: %w", r.PathValue("name"), err), "taskHandle")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"movedMessages": moved})
}

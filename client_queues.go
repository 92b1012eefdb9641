package abanico

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Queue is a queue as the server shows it: every SQS queue attribute, and
// tags.
type Queue struct {
	Name       string            `json:"name"`
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

// DeadLetter names a queue's dead-letter queue and after how many receives
// a message moves there.
type DeadLetter struct {
	Name            string `json:"name"`
	MaxReceiveCount int    `json:"maxReceiveCount"`
}

// CreateQueueInput describes a queue to create. Attributes are SQS queue
// attributes (VisibilityTimeout, FifoQueue, ...); DeadLetterQueue, when
// set, must not be combined with a RedrivePolicy attribute.
type CreateQueueInput struct {
	Name            string            `json:"name"`
	Attributes      map[string]string `json:"attributes,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	DeadLetterQueue *DeadLetter       `json:"deadLetterQueue,omitempty"`
}

// QueueMessage is a message to send. ID is for batch entries only (it
// must be set, and unique, in [Client.SendMessageBatch] and empty in
// [Client.SendMessage]); DelaySeconds, when set, overrides the queue's
// delay.
type QueueMessage struct {
	ID           string                      `json:"id,omitempty"`
	Body         string                      `json:"body"`
	Attributes   map[string]MessageAttribute `json:"attributes,omitempty"`
	DelaySeconds *int                        `json:"delaySeconds,omitempty"`
}

// SendBatchInput is the body of a batch send, as [Client.SendMessageBatch]
// sends it.
type SendBatchInput struct {
	Messages []QueueMessage `json:"messages"`
}

// SendResult identifies a sent message.
type SendResult struct {
	MessageID string `json:"messageId"`
	MD5OfBody string `json:"md5OfBody"`
}

// ReceivedMessage is a received message. ReceiptHandle identifies this
// receipt for [Client.DeleteMessage] and [Client.ChangeVisibility]; SentAt
// is RFC 3339 with milliseconds, in UTC.
type ReceivedMessage struct {
	MessageID     string                      `json:"messageId"`
	ReceiptHandle string                      `json:"receiptHandle"`
	Body          string                      `json:"body"`
	Attributes    map[string]MessageAttribute `json:"attributes"`
	ReceiveCount  int                         `json:"receiveCount"`
	SentAt        string                      `json:"sentAt,omitempty"`
}

// ReceiveInput tunes a receive. Max is the most messages to return (0: the
// server's default, one). Wait is how long to long-poll for a first
// message, in whole seconds rounded up (0: return at once). Visibility,
// when set, overrides the queue's visibility timeout for these messages
// (whole seconds, rounded up). Delete deletes the messages before they are
// returned, so each is received at most once.
type ReceiveInput struct {
	Max        int
	Wait       time.Duration
	Visibility *time.Duration
	Delete     bool
}

// waitMargin is how much longer than its wait a long poll may take before
// an HTTP client timeout ends it.
const waitMargin = 15 * time.Second

// CreateQueue creates a queue and returns it. Creating a queue that exists
// with other attributes is a conflict error.
func (c *Client) CreateQueue(ctx context.Context, in CreateQueueInput) (*Queue, error) {
	var q Queue
	if _, err := c.run(ctx, fmt.Sprintf("create queue %q", in.Name), &call{method: http.MethodPost, path: "/v1/queues", body: in}, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// ListQueues returns the queues whose names start with prefix (all of them
// for ""), never nil on success.
func (c *Client) ListQueues(ctx context.Context, prefix string) ([]Queue, error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	var out struct {
		Queues []Queue `json:"queues"`
	}
	if _, err := c.run(ctx, "list queues", &call{method: http.MethodGet, path: "/v1/queues", query: q}, &out); err != nil {
		return nil, err
	}
	if out.Queues == nil {
		out.Queues = []Queue{}
	}
	return out.Queues, nil
}

// GetQueue returns the named queue; a missing queue is a not_found error.
func (c *Client) GetQueue(ctx context.Context, name string) (*Queue, error) {
	var q Queue
	if _, err := c.run(ctx, fmt.Sprintf("get queue %q", name), &call{method: http.MethodGet, path: pathOf("/v1/queues/", name)}, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// UpdateQueue sets the given queue attributes together (on an error none
// is changed) and returns the queue as it then is.
func (c *Client) UpdateQueue(ctx context.Context, name string, attributes map[string]string) (*Queue, error) {
	if attributes == nil {
		attributes = map[string]string{}
	}
	var q Queue
	if _, err := c.run(ctx, fmt.Sprintf("update queue %q", name), &call{method: http.MethodPatch, path: pathOf("/v1/queues/", name), body: UpdateAttributesInput{attributes}}, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// DeleteQueue deletes a queue and its messages; a missing queue is a
// not_found error.
func (c *Client) DeleteQueue(ctx context.Context, name string) error {
	_, err := c.run(ctx, fmt.Sprintf("delete queue %q", name), &call{method: http.MethodDelete, path: pathOf("/v1/queues/", name)}, nil)
	return err
}

// PurgeQueue deletes every message of a queue. A purge shortly after
// another may be refused with a throttled error.
func (c *Client) PurgeQueue(ctx context.Context, name string) error {
	_, err := c.run(ctx, fmt.Sprintf("purge queue %q", name), &call{method: http.MethodPost, path: pathOf("/v1/queues/", name, "/purge")}, nil)
	return err
}

// SendMessage sends one message to a queue. On success the message is
// stored and will be received (after its delay, if any).
func (c *Client) SendMessage(ctx context.Context, queue string, msg QueueMessage) (*SendResult, error) {
	var r SendResult
	if _, err := c.run(ctx, fmt.Sprintf("send to queue %q", queue), &call{method: http.MethodPost, path: pathOf("/v1/queues/", queue, "/messages"), body: msg}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// SendMessageBatch sends up to ten messages to a queue. A nil error means
// the batch as a whole was accepted; each entry may still have failed, as
// told by its [BatchResult.Error]. Results are in the order of msgs.
func (c *Client) SendMessageBatch(ctx context.Context, queue string, msgs []QueueMessage) ([]BatchResult, error) {
	if msgs == nil {
		msgs = []QueueMessage{}
	}
	var out struct {
		Results []BatchResult `json:"results"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("send batch to queue %q", queue), &call{method: http.MethodPost, path: pathOf("/v1/queues/", queue, "/messages:batch"), body: SendBatchInput{msgs}}, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// ReceiveMessages receives messages from a queue, long polling up to
// in.Wait for the first one; it returns an empty (non-nil) slice when none
// arrived. The request is bounded by ctx alone: if the Client's HTTP client
// has a Timeout shorter than the wait plus a margin, this request is sent
// with that timeout raised, so a long poll is not cut short. A ctx whose
// deadline is shorter than the wait ends the receive early with its error.
func (c *Client) ReceiveMessages(ctx context.Context, queue string, in ReceiveInput) ([]ReceivedMessage, error) {
	q := url.Values{}
	if in.Max != 0 {
		q.Set("max", strconv.Itoa(in.Max))
	}
	wait := seconds(in.Wait)
	if in.Wait > 0 {
		q.Set("wait", strconv.Itoa(wait))
	}
	if in.Visibility != nil {
		q.Set("visibility", strconv.Itoa(seconds(*in.Visibility)))
	}
	if in.Delete {
		q.Set("delete", "true")
	}
	cl := &call{method: http.MethodGet, path: pathOf("/v1/queues/", queue, "/messages"), query: q}
	if need := time.Duration(wait)*time.Second + waitMargin; c.hc.Timeout > 0 && c.hc.Timeout < need {
		hc := *c.hc
		hc.Timeout = need
		cl.hc = &hc
	}
	var out struct {
		Messages []ReceivedMessage `json:"messages"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("receive from queue %q", queue), cl, &out); err != nil {
		return nil, err
	}
	if out.Messages == nil {
		out.Messages = []ReceivedMessage{}
	}
	return out.Messages, nil
}

// States of a [PeekedMessage].
const (
	StateVisible  = "visible"
	StateInFlight = "inflight"
	StateDelayed  = "delayed"
)

// PeekedMessage is a message looked at by [Client.PeekMessages]. State is
// visible, inflight or delayed. ReceiveCount is approximate: exact for
// receives through the server process answering, else 1 for a message
// received at least once. VisibleAt is when an in-flight or delayed
// message becomes visible, when known; times are RFC 3339 with
// milliseconds, in UTC. DeadLetterSourceQueue names the queue a
// dead-lettered message came from.
type PeekedMessage struct {
	MessageID             string                      `json:"messageId"`
	Sequence              uint64                      `json:"sequence"`
	State                 string                      `json:"state"`
	ReceiveCount          int                         `json:"receiveCount"`
	SentAt                string                      `json:"sentAt,omitempty"`
	VisibleAt             string                      `json:"visibleAt,omitempty"`
	FirstReceivedAt       string                      `json:"firstReceivedAt,omitempty"`
	DeadLetterSourceQueue string                      `json:"deadLetterSourceQueue,omitempty"`
	Body                  string                      `json:"body"`
	Attributes            map[string]MessageAttribute `json:"attributes"`
}

// PeekMessages returns up to max (1 to 100; 0 for the server's default,
// 10) of a queue's stored messages without receiving them: visible ones
// first, then those in flight, then delayed ones. Receive counts,
// visibility timeouts and receipt handles are untouched. The server looks
// at no more than the first 1000 stored messages.
func (c *Client) PeekMessages(ctx context.Context, queue string, max int) ([]PeekedMessage, error) {
	q := url.Values{}
	if max != 0 {
		q.Set("max", strconv.Itoa(max))
	}
	var out struct {
		Messages []PeekedMessage `json:"messages"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("peek into queue %q", queue), &call{method: http.MethodGet, path: pathOf("/v1/queues/", queue, "/messages:peek"), query: q}, &out); err != nil {
		return nil, err
	}
	if out.Messages == nil {
		out.Messages = []PeekedMessage{}
	}
	return out.Messages, nil
}

// DeleteMessage deletes the message received with receiptHandle. A handle
// that is malformed or of another queue is an invalid_parameter error.
func (c *Client) DeleteMessage(ctx context.Context, queue, receiptHandle string) error {
	_, err := c.run(ctx, fmt.Sprintf("delete message from queue %q", queue), &call{method: http.MethodDelete, path: pathOf("/v1/queues/", queue, "/messages/", receiptHandle)}, nil)
	return err
}

// ChangeVisibilityInput is the body of a visibility change, as
// [Client.ChangeVisibility] sends it: the new timeout in seconds, counted
// from now. It is required, hence a pointer: absence is not 0.
type ChangeVisibilityInput struct {
	VisibilityTimeout *int `json:"visibilityTimeout"`
}

// ChangeVisibility makes the message received with receiptHandle visible
// again after timeout (whole seconds, rounded up; 0 or less makes it
// visible at once), counted from now.
func (c *Client) ChangeVisibility(ctx context.Context, queue, receiptHandle string, timeout time.Duration) error {
	secs := seconds(timeout)
	_, err := c.run(ctx, fmt.Sprintf("change visibility in queue %q", queue), &call{method: http.MethodPatch, path: pathOf("/v1/queues/", queue, "/messages/", receiptHandle), body: ChangeVisibilityInput{&secs}}, nil)
	return err
}

// RedriveInput describes a redrive. Destination is the queue to move the
// messages to, "" for back to the queues they came from.
// MaxMessagesPerSecond, 1 to 500, bounds the pace of the move; 0 moves
// them as fast as the server can.
type RedriveInput struct {
	Destination          string `json:"destination,omitempty"`
	MaxMessagesPerSecond int    `json:"maxMessagesPerSecond,omitempty"`
}

// Statuses of a [RedriveTask].
const (
	RedriveRunning    = "RUNNING"
	RedriveCompleted  = "COMPLETED"
	RedriveCancelling = "CANCELLING"
	RedriveCancelled  = "CANCELLED"
	RedriveFailed     = "FAILED"
)

// RedriveTask is a move of a dead-letter queue's messages, as the server
// shows it (SQS's message move tasks). Status is RUNNING, COMPLETED,
// CANCELLING, CANCELLED or FAILED; FailureReason says why a task failed.
// Destination is the queue the messages go to ("" for back to their
// source queues) and MaxMessagesPerSecond its pace (0: unbounded).
// MessagesToMove is how many messages the queue held when
// the task started and MovedMessages how many it has moved so far (more
// than MessagesToMove when messages arrived meanwhile). StartedAt is RFC
// 3339 with milliseconds, in UTC. In a listing, TaskHandle is given for
// running tasks only, as SQS does; [Client.RedriveTask] always gives it.
type RedriveTask struct {
	TaskHandle           string `json:"taskHandle,omitempty"`
	Status               string `json:"status"`
	Destination          string `json:"destination,omitempty"`
	MaxMessagesPerSecond int    `json:"maxMessagesPerSecond,omitempty"`
	MovedMessages        int64  `json:"movedMessages"`
	MessagesToMove       int64  `json:"messagesToMove"`
	FailureReason        string `json:"failureReason,omitempty"`
	StartedAt            string `json:"startedAt"`
}

// Done reports whether the task has ended: completed, cancelled or failed.
func (t *RedriveTask) Done() bool {
	return t.Status == RedriveCompleted || t.Status == RedriveCancelled || t.Status == RedriveFailed
}

// Redrive starts moving the messages of a dead-letter queue to the queue
// named destination, or back to their source queues when destination is
// "", and returns the move task's handle. The move runs in the background:
// success means it started, not that it finished (see
// [Client.WaitRedrive]). A queue that is no queue's dead-letter queue, or
// that has a move running, is an invalid_parameter error.
func (c *Client) Redrive(ctx context.Context, queue, destination string) (string, error) {
	return c.StartRedrive(ctx, queue, RedriveInput{Destination: destination})
}

// StartRedrive is [Client.Redrive] with every option of a redrive.
func (c *Client) StartRedrive(ctx context.Context, queue string, in RedriveInput) (string, error) {
	var out struct {
		TaskHandle string `json:"taskHandle"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("redrive queue %q", queue), &call{method: http.MethodPost, path: pathOf("/v1/queues/", queue, "/redrive"), body: in}, &out); err != nil {
		return "", err
	}
	return out.TaskHandle, nil
}

// RedriveTasks returns the most recent (at most 10) redrive tasks of a
// dead-letter queue, newest first, never nil on success. Tasks live in
// the memory of the server that runs them: a restart forgets them.
func (c *Client) RedriveTasks(ctx context.Context, queue string) ([]RedriveTask, error) {
	var out struct {
		Tasks []RedriveTask `json:"tasks"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("redrive tasks of queue %q", queue), &call{method: http.MethodGet, path: pathOf("/v1/queues/", queue, "/redrive")}, &out); err != nil {
		return nil, err
	}
	if out.Tasks == nil {
		out.Tasks = []RedriveTask{}
	}
	return out.Tasks, nil
}

// RedriveTask returns the redrive task of a queue with the given handle,
// whatever its status; an unknown handle is a not_found error.
func (c *Client) RedriveTask(ctx context.Context, queue, handle string) (*RedriveTask, error) {
	var t RedriveTask
	if _, err := c.run(ctx, fmt.Sprintf("redrive task of queue %q", queue), &call{method: http.MethodGet, path: pathOf("/v1/queues/", queue, "/redrive/", handle)}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// CancelRedrive cancels a running redrive task and returns how many
// messages it had moved. The messages not moved yet stay in the
// dead-letter queue. Cancelling a task that has ended is an
// invalid_parameter error; an unknown handle a not_found error.
func (c *Client) CancelRedrive(ctx context.Context, queue, handle string) (int64, error) {
	var out struct {
		MovedMessages int64 `json:"movedMessages"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("cancel redrive of queue %q", queue), &call{method: http.MethodDelete, path: pathOf("/v1/queues/", queue, "/redrive/", handle)}, &out); err != nil {
		return 0, err
	}
	return out.MovedMessages, nil
}

// WaitRedrive polls a redrive task every interval (a second when 0 or
// less) until it ends, and returns it as it ended. progress, when not
// nil, is called with the task each time it is seen still running, the
// first time at once. A task that ends failed or cancelled is returned
// without error: see its Status. When ctx ends first, WaitRedrive returns
// the task as last seen (nil if never) with ctx's error; the task goes on
// on the server.
func (c *Client) WaitRedrive(ctx context.Context, queue, handle string, interval time.Duration, progress func(*RedriveTask)) (*RedriveTask, error) {
	if interval <= 0 {
		interval = time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var last *RedriveTask
	for {
		t, err := c.RedriveTask(ctx, queue, handle)
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			return last, err
		}
		last = t
		if t.Done() {
			return t, nil
		}
		if progress != nil {
			progress(t)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-tick.C:
		}
	}
}

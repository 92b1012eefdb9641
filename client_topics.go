package abanico

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Topic is a topic as the server shows it: every attribute, tags, and its
// subscription counts.
type Topic struct {
	Name                   string            `json:"name"`
	ARN                    string            `json:"arn"`
	Attributes             map[string]string `json:"attributes"`
	Tags                   map[string]string `json:"tags"`
	SubscriptionsConfirmed int               `json:"subscriptionsConfirmed"`
	SubscriptionsPending   int               `json:"subscriptionsPending"`
}

// CreateTopicInput describes a topic to create. Attributes are SNS topic
// attributes (DisplayName, Policy, ...).
type CreateTopicInput struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// UpdateAttributesInput is the body of an attribute update of a topic or
// a queue, as [Client.UpdateTopic] and [Client.UpdateQueue] send it.
type UpdateAttributesInput struct {
	Attributes map[string]string `json:"attributes"`
}

// MessageAttribute is a typed message attribute: Type is the data type
// (String, Number, Binary or String.Array, optionally with a custom suffix
// such as "Number.int") and Value its value, base64 for Binary types.
type MessageAttribute struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// TopicMessage is a message to publish. ID is for batch entries only (it
// must be set, and unique, in [Client.PublishBatch] and empty in
// [Client.Publish]). Structure is "" or "json" (Message then holds a JSON
// object of per-protocol messages with a "default" entry).
type TopicMessage struct {
	ID         string                      `json:"id,omitempty"`
	Message    string                      `json:"message"`
	Subject    string                      `json:"subject,omitempty"`
	Structure  string                      `json:"structure,omitempty"`
	Attributes map[string]MessageAttribute `json:"attributes,omitempty"`
}

// PublishBatchInput is the body of a batch publish, as
// [Client.PublishBatch] sends it.
type PublishBatchInput struct {
	Messages []TopicMessage `json:"messages"`
}

// BatchResult is the outcome of one batch entry, in the order of the
// request: either MessageID (and, for queues, MD5OfBody) or Error, whose
// Status is 0 and whose Field names the entry's field at fault (for
// example "messages[1].message").
type BatchResult struct {
	ID        string `json:"id"`
	MessageID string `json:"messageId,omitempty"`
	MD5OfBody string `json:"md5OfBody,omitempty"`
	Error     *Error `json:"error,omitempty"`
}

// CreateTopic creates a topic and returns it. Creating a topic that exists
// with the same attributes returns the existing topic; see the server's
// SNS rules for other cases.
func (c *Client) CreateTopic(ctx context.Context, in CreateTopicInput) (*Topic, error) {
	var t Topic
	if _, err := c.run(ctx, fmt.Sprintf("create topic %q", in.Name), &call{method: http.MethodPost, path: "/v1/topics", body: in}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTopics returns every topic (never nil on success).
func (c *Client) ListTopics(ctx context.Context) ([]Topic, error) {
	var out struct {
		Topics []Topic `json:"topics"`
	}
	if _, err := c.run(ctx, "list topics", &call{method: http.MethodGet, path: "/v1/topics"}, &out); err != nil {
		return nil, err
	}
	if out.Topics == nil {
		out.Topics = []Topic{}
	}
	return out.Topics, nil
}

// GetTopic returns the named topic; a missing topic is a not_found error.
func (c *Client) GetTopic(ctx context.Context, name string) (*Topic, error) {
	var t Topic
	if _, err := c.run(ctx, fmt.Sprintf("get topic %q", name), &call{method: http.MethodGet, path: pathOf("/v1/topics/", name)}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// UpdateTopic sets the given topic attributes and returns the topic as it
// then is. The server sets them one by one in name order and stops at the
// first it rejects: on an error, the attributes before it stay set.
func (c *Client) UpdateTopic(ctx context.Context, name string, attributes map[string]string) (*Topic, error) {
	if attributes == nil {
		attributes = map[string]string{}
	}
	var t Topic
	if _, err := c.run(ctx, fmt.Sprintf("update topic %q", name), &call{method: http.MethodPatch, path: pathOf("/v1/topics/", name), body: UpdateAttributesInput{attributes}}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTopic deletes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds.
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	_, err := c.run(ctx, fmt.Sprintf("delete topic %q", name), &call{method: http.MethodDelete, path: pathOf("/v1/topics/", name)}, nil)
	return err
}

// Publish publishes one message to a topic and returns its message ID. On
// success the message is stored for delivery to every subscription whose
// filter it matches.
func (c *Client) Publish(ctx context.Context, topic string, msg TopicMessage) (string, error) {
	var out struct {
		MessageID string `json:"messageId"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("publish to topic %q", topic), &call{method: http.MethodPost, path: pathOf("/v1/topics/", topic, "/messages"), body: msg}, &out); err != nil {
		return "", err
	}
	return out.MessageID, nil
}

// PublishBatch publishes up to ten messages to a topic. A nil error means
// the batch as a whole was accepted; each entry may still have failed, as
// told by its [BatchResult.Error]. Results are in the order of msgs.
func (c *Client) PublishBatch(ctx context.Context, topic string, msgs []TopicMessage) ([]BatchResult, error) {
	if msgs == nil {
		msgs = []TopicMessage{}
	}
	var out struct {
		Results []BatchResult `json:"results"`
	}
	if _, err := c.run(ctx, fmt.Sprintf("publish batch to topic %q", topic), &call{method: http.MethodPost, path: pathOf("/v1/topics/", topic, "/messages:batch"), body: PublishBatchInput{msgs}}, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// Subscription is a subscription as the server shows it. Protocol is the
// native protocol (queue, http, https or function) and Endpoint the
// endpoint as given natively: a queue or function name, or a URL.
// Attributes are its SNS subscription attributes.
type Subscription struct {
	ARN        string            `json:"arn"`
	Topic      string            `json:"topic"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Pending    bool              `json:"pending"`
	Attributes map[string]string `json:"attributes"`
}

// Subscription protocols.
const (
	ProtocolQueue    = "queue"
	ProtocolHTTP     = "http"
	ProtocolHTTPS    = "https"
	ProtocolFunction = "function"
)

// SubscribeInput describes a subscription. Protocol is queue, http, https
// or function, and Endpoint a queue name, URL or function name.
// FilterPolicy and DeliveryPolicy, when set, must be JSON objects;
// FilterScope is "", "body" or "attributes". Raw asks for raw message
// delivery; DeadLetterQueue names a queue for messages that cannot be
// delivered; WebhookSecret signs http(s) deliveries.
type SubscribeInput struct {
	Protocol        string          `json:"protocol"`
	Endpoint        string          `json:"endpoint"`
	FilterPolicy    json.RawMessage `json:"filterPolicy,omitempty"`
	FilterScope     string          `json:"filterScope,omitempty"`
	Raw             bool            `json:"raw,omitempty"`
	DeadLetterQueue string          `json:"deadLetterQueue,omitempty"`
	DeliveryPolicy  json.RawMessage `json:"deliveryPolicy,omitempty"`
	WebhookSecret   string          `json:"webhookSecret,omitempty"`
}

// Subscribe subscribes an endpoint to a topic and returns the
// subscription (which may be pending confirmation for http(s) endpoints).
func (c *Client) Subscribe(ctx context.Context, topic string, in SubscribeInput) (*Subscription, error) {
	var s Subscription
	if _, err := c.run(ctx, fmt.Sprintf("subscribe to topic %q", topic), &call{method: http.MethodPost, path: pathOf("/v1/topics/", topic, "/subscriptions"), body: in}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ListSubscriptions returns the subscriptions of a topic, or every
// subscription when topic is "" (never nil on success). Listing the
// subscriptions of a missing topic is a not_found error.
func (c *Client) ListSubscriptions(ctx context.Context, topic string) ([]Subscription, error) {
	q := url.Values{}
	if topic != "" {
		q.Set("topic", topic)
	}
	var out struct {
		Subscriptions []Subscription `json:"subscriptions"`
	}
	if _, err := c.run(ctx, "list subscriptions", &call{method: http.MethodGet, path: "/v1/subscriptions", query: q}, &out); err != nil {
		return nil, err
	}
	if out.Subscriptions == nil {
		out.Subscriptions = []Subscription{}
	}
	return out.Subscriptions, nil
}

// GetSubscription returns the subscription with the given ARN; a missing
// subscription is a not_found error.
func (c *Client) GetSubscription(ctx context.Context, arn string) (*Subscription, error) {
	var s Subscription
	if _, err := c.run(ctx, fmt.Sprintf("get subscription %q", arn), &call{method: http.MethodGet, path: pathOf("/v1/subscriptions/", arn)}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// UpdateSubscriptionInput changes a subscription's options; a field left
// at its zero value (nil, "") is not changed. FilterPolicy and
// DeliveryPolicy are JSON objects; json.RawMessage("null") removes them
// (for FilterPolicy, "{}" too). FilterScope is "body" or "attributes". A
// DeadLetterQueue or WebhookSecret pointing to "" removes the redrive
// policy or the secret.
type UpdateSubscriptionInput struct {
	FilterPolicy    json.RawMessage `json:"filterPolicy,omitempty"`
	FilterScope     string          `json:"filterScope,omitempty"`
	Raw             *bool           `json:"raw,omitempty"`
	DeadLetterQueue *string         `json:"deadLetterQueue,omitempty"`
	DeliveryPolicy  json.RawMessage `json:"deliveryPolicy,omitempty"`
	WebhookSecret   *string         `json:"webhookSecret,omitempty"`
}

// UpdateSubscription changes the given options of the subscription with
// the given ARN and returns it as it then is. When the server rejects one
// option, none is changed. A missing subscription is a not_found error.
func (c *Client) UpdateSubscription(ctx context.Context, arn string, in UpdateSubscriptionInput) (*Subscription, error) {
	var s Subscription
	if _, err := c.run(ctx, fmt.Sprintf("update subscription %q", arn), &call{method: http.MethodPatch, path: pathOf("/v1/subscriptions/", arn), body: in}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Unsubscribe deletes the subscription with the given ARN. Deleting a
// subscription that does not exist succeeds.
func (c *Client) Unsubscribe(ctx context.Context, arn string) error {
	_, err := c.run(ctx, fmt.Sprintf("unsubscribe %q", arn), &call{method: http.MethodDelete, path: pathOf("/v1/subscriptions/", arn)}, nil)
	return err
}

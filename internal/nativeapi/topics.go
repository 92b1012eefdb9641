package nativeapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/topic"
)

// topicView reads a topic's attributes and tags.
func (h *Handler) topicView(ctx context.Context, name string) (*abanico.Topic, error) {
	arn := h.topics.TopicArn(name)
	attrs, err := h.topics.GetTopicAttributes(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("topic attributes of %s: %w", name, err)
	}
	tags, err := h.topics.ListTagsForResource(arn)
	if err != nil {
		return nil, fmt.Errorf("tags of topic %s: %w", name, err)
	}
	if tags == nil {
		tags = map[string]string{}
	}
	t := &abanico.Topic{Name: name, ARN: arn, Attributes: attrs, Tags: tags}
	t.SubscriptionsConfirmed, _ = strconv.Atoi(attrs["SubscriptionsConfirmed"])
	t.SubscriptionsPending, _ = strconv.Atoi(attrs["SubscriptionsPending"])
	return t, nil
}

func (h *Handler) createTopic(w http.ResponseWriter, r *http.Request) {
	var req abanico.CreateTopicInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	t, err := h.topics.CreateTopic(r.Context(), req.Name, req.Attributes, req.Tags)
	if err != nil {
		h.writeError(w, fmt.Errorf("create topic %s: %w", req.Name, err), topicField(err, "name"))
		return
	}
	v, err := h.topicView(r.Context(), t.Name)
	h.reply(w, http.StatusCreated, v, err, "")
}

// topicField names the request field an SNS validation message is about:
// attributes and tags by their names, anything else def.
func topicField(err error, def string) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Topic Name"):
		return "name"
	case strings.Contains(msg, "Tag"):
		return "tags"
	case strings.Contains(msg, "Attribute"):
		return "attributes"
	}
	return def
}

func (h *Handler) listTopics(w http.ResponseWriter, r *http.Request) {
	out, err := views(r.Context(), h.topics.ListTopics(), func(ctx context.Context, t *topic.Topic) (*abanico.Topic, error) {
		return h.topicView(ctx, t.Name)
	})
	h.reply(w, http.StatusOK, map[string][]*abanico.Topic{"topics": out}, err, "")
}

func (h *Handler) getTopic(w http.ResponseWriter, r *http.Request) {
	v, err := h.topicView(r.Context(), r.PathValue("name"))
	h.reply(w, http.StatusOK, v, err, "name")
}

// updateTopic sets each given attribute in name order; it stops at the
// first one the service rejects (the earlier ones stay set).
func (h *Handler) updateTopic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.UpdateAttributesInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	arn := h.topics.TopicArn(name)
	keys := make([]string, 0, len(req.Attributes))
	for k := range req.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := h.topics.SetTopicAttribute(r.Context(), arn, k, req.Attributes[k]); err != nil {
			h.writeError(w, fmt.Errorf("set attribute %s of topic %s: %w", k, name, err), "attributes."+k)
			return
		}
	}
	v, err := h.topicView(r.Context(), name)
	h.reply(w, http.StatusOK, v, err, "name")
}

// deleteTopic deletes a topic and its subscriptions; deleting a topic that
// does not exist succeeds, as the service's DeleteTopic does.
func (h *Handler) deleteTopic(w http.ResponseWriter, r *http.Request) {
	if err := h.topics.DeleteTopic(r.Context(), h.topics.TopicArn(r.PathValue("name"))); err != nil {
		h.writeError(w, fmt.Errorf("delete topic: %w", err), "name")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// publishInput translates one message; prefix is its request field path
// ("" or "messages[i].").
func (h *Handler) publishInput(arn, prefix string, m *abanico.TopicMessage) (topic.PublishInput, error) {
	attrs, err := decodeAttributes(prefix+"attributes", m.Attributes)
	if err != nil {
		return topic.PublishInput{}, err
	}
	return topic.PublishInput{
		ID: m.ID, TopicArn: arn, Message: m.Message, Subject: m.Subject,
		MessageStructure: m.Structure, MessageAttributes: topicAttributes(attrs),
	}, nil
}

// publishField names the request field an SNS publish message is about.
func publishField(msg, prefix string) string {
	msg = strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "subject"):
		return prefix + "subject"
	case strings.Contains(msg, "structure"):
		return prefix + "structure"
	case strings.Contains(msg, "attribute"):
		return prefix + "attributes"
	case strings.Contains(msg, "message"):
		return prefix + "message"
	}
	return ""
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.TopicMessage
	if err := readMessage(w, r, &req, &req.ID); err != nil {
		h.writeError(w, err, "")
		return
	}
	in, err := h.publishInput(h.topics.TopicArn(name), "", &req)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	id, err := h.topics.Publish(r.Context(), in)
	if err != nil {
		h.writeError(w, fmt.Errorf("publish to %s: %w", name, err), publishField(err.Error(), ""))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"messageId": id})
}

func (h *Handler) publishBatch(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.PublishBatchInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	arn := h.topics.TopicArn(name)
	ins, err := batchInputs(req.Messages, func(prefix string, m *abanico.TopicMessage) (topic.PublishInput, error) {
		return h.publishInput(arn, prefix, m)
	})
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	res, err := h.topics.PublishBatch(r.Context(), arn, ins)
	if err != nil {
		h.writeError(w, fmt.Errorf("publish batch to %s: %w", name, err), "messages")
		return
	}
	out := make([]abanico.BatchResult, len(res))
	for i, pr := range res {
		out[i] = batchResult(i, abanico.BatchResult{ID: pr.ID, MessageID: pr.MessageID}, pr.Err, publishField)
	}
	writeJSON(w, http.StatusOK, map[string][]abanico.BatchResult{"results": out})
}

// queueNameOf returns the queue name of a queue ARN of this account and
// region.
func (h *Handler) queueNameOf(arn string) (string, bool) {
	region, account, name, ok := queue.ParseARN(arn)
	if !ok || region != h.queues.Region() || account != h.queues.AccountID() {
		return "", false
	}
	return name, true
}

package nativeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/apierr"
	"github.com/abanico/abanico/internal/topic"
)

// Native subscription protocols and the SNS protocols they stand for.
var protocolToSNS = map[string]string{"queue": "sqs", "http": "http", "https": "https", "function": "lambda"}

func isNotFound(err error) bool {
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		return false
	}
	status, _ := classify(ae.Code)
	return status == http.StatusNotFound
}

// nativeEndpoint turns an SNS protocol and endpoint back into the native
// ones; endpoints of another account or region stay ARNs.
func (h *Handler) nativeEndpoint(protocol, endpoint string) (string, string) {
	switch protocol {
	case "sqs":
		if name, ok := h.queueNameOf(endpoint); ok {
			return "queue", name
		}
		return "queue", endpoint
	case "lambda":
		prefix := h.functions.FunctionArn("")
		if name, ok := strings.CutPrefix(endpoint, prefix); ok && name != "" && !strings.Contains(name, ":") {
			return "function", name
		}
		return "function", endpoint
	}
	return protocol, endpoint
}

func (h *Handler) subscriptionView(ctx context.Context, sub *topic.Subscription) (*abanico.Subscription, error) {
	arn := h.topics.SubscriptionArn(sub)
	attrs, err := h.topics.GetSubscriptionAttributes(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("subscription attributes of %s: %w", arn, err)
	}
	return h.subscriptionFromAttributes(arn, sub.TopicName, attrs), nil
}

func (h *Handler) subscriptionFromAttributes(arn, topicName string, attrs map[string]string) *abanico.Subscription {
	protocol, endpoint := h.nativeEndpoint(attrs["Protocol"], attrs["Endpoint"])
	pending, _ := strconv.ParseBool(attrs["PendingConfirmation"])
	return &abanico.Subscription{ARN: arn, Topic: topicName, Protocol: protocol, Endpoint: endpoint, Pending: pending, Attributes: attrs}
}

// subscribeRequest is the body of a subscribe, an abanico.SubscribeInput
// read with the options of an update (abanico.UpdateSubscriptionInput),
// which tell an absent option from a zero one: raw false, given, is set
// on the new subscription as given, and one function turns both bodies
// into attributes.
type subscribeRequest struct {
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	abanico.UpdateSubscriptionInput
}

// compactJSON re-serializes a raw JSON object given in field; null, {}
// and absence give "".
func compactJSON(field string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return "", badRequest(field, "%s must be a JSON object", field)
	}
	if len(obj) == 0 {
		return "", nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("re-encode %s: %w", field, err)
	}
	return string(b), nil
}

// settingsAttributes translates the given subscription options into SNS
// subscription attributes: only the fields present are in the map, and a
// removal is an empty value (the service drops attributes set to "").
// It checks the shapes of the fields, never the values the service checks.
func (h *Handler) settingsAttributes(req *abanico.UpdateSubscriptionInput) (map[string]string, error) {
	attrs := map[string]string{}
	if len(req.FilterPolicy) > 0 {
		fp, err := compactJSON("filterPolicy", req.FilterPolicy)
		if err != nil {
			return nil, err
		}
		attrs["FilterPolicy"] = fp
	}
	switch req.FilterScope {
	case "":
	case "body":
		attrs["FilterPolicyScope"] = "MessageBody"
	case "attributes":
		attrs["FilterPolicyScope"] = "MessageAttributes"
	default:
		return nil, badRequest("filterScope", "filterScope must be body or attributes")
	}
	if req.Raw != nil {
		attrs["RawMessageDelivery"] = strconv.FormatBool(*req.Raw)
	}
	if req.DeadLetterQueue != nil {
		attrs["RedrivePolicy"] = ""
		if q := *req.DeadLetterQueue; q != "" {
			b, err := json.Marshal(map[string]string{"deadLetterTargetArn": h.queues.ARN(q)})
			if err != nil {
				return nil, fmt.Errorf("encode redrive policy: %w", err)
			}
			attrs["RedrivePolicy"] = string(b)
		}
	}
	if len(req.DeliveryPolicy) > 0 {
		dp, err := compactJSON("deliveryPolicy", req.DeliveryPolicy)
		if err != nil {
			return nil, err
		}
		attrs["DeliveryPolicy"] = dp
	}
	if req.WebhookSecret != nil {
		attrs["StandardWebhooksSecret"] = *req.WebhookSecret
	}
	return attrs, nil
}

// subscribeAttributes translates the native subscription options into the
// attributes of a new subscription (removals mean "not set").
func (h *Handler) subscribeAttributes(req *abanico.UpdateSubscriptionInput) (map[string]string, error) {
	attrs, err := h.settingsAttributes(req)
	if err != nil {
		return nil, err
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	return attrs, nil
}

// subscribeField names the request field an SNS subscribe message is about.
func subscribeField(msg string) string {
	for _, f := range []struct{ sns, native string }{
		{"FilterPolicyScope", "filterScope"}, {"FilterPolicy", "filterPolicy"}, {"RawMessageDelivery", "raw"},
		{"RedrivePolicy", "deadLetterQueue"}, {"DeliveryPolicy", "deliveryPolicy"},
		{"StandardWebhooksSecret", "webhookSecret"}, {"Protocol", "protocol"}, {"ndpoint", "endpoint"},
		{"Filter", "filterPolicy"},
	} {
		if strings.Contains(msg, f.sns) {
			return f.native
		}
	}
	return ""
}

func (h *Handler) subscribe(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req subscribeRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	protocol, ok := protocolToSNS[req.Protocol]
	if !ok {
		h.writeError(w, badRequest("protocol", "protocol must be queue, http, https or function"), "")
		return
	}
	endpoint := req.Endpoint
	switch {
	case endpoint == "":
		h.writeError(w, badRequest("endpoint", "endpoint is required"), "")
		return
	case protocol == "sqs":
		endpoint = h.queues.ARN(endpoint)
	case protocol == "lambda":
		endpoint = h.functions.FunctionArn(endpoint)
	}
	attrs, err := h.subscribeAttributes(&req.UpdateSubscriptionInput)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	sub, err := h.topics.Subscribe(r.Context(), h.topics.TopicArn(name), protocol, endpoint, attrs)
	if err != nil {
		h.writeError(w, fmt.Errorf("subscribe to %s: %w", name, err), subscribeField(err.Error()))
		return
	}
	v, err := h.subscriptionView(r.Context(), sub)
	h.reply(w, http.StatusCreated, v, err, "")
}

func (h *Handler) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	var subs []*topic.Subscription
	if name := r.URL.Query().Get("topic"); name != "" {
		var err error
		if subs, err = h.topics.ListSubscriptionsByTopic(h.topics.TopicArn(name)); err != nil {
			h.writeError(w, fmt.Errorf("subscriptions of %s: %w", name, err), "topic")
			return
		}
	} else {
		subs = h.topics.ListSubscriptions()
	}
	out, err := views(r.Context(), subs, h.subscriptionView)
	h.reply(w, http.StatusOK, map[string][]*abanico.Subscription{"subscriptions": out}, err, "")
}

func (h *Handler) getSubscription(w http.ResponseWriter, r *http.Request) {
	v, err := h.subscriptionByARN(r.Context(), r.PathValue("arn"))
	h.reply(w, http.StatusOK, v, err, "arn")
}

// subscriptionByARN reads a subscription's attributes and renders it.
func (h *Handler) subscriptionByARN(ctx context.Context, arn string) (*abanico.Subscription, error) {
	attrs, err := h.topics.GetSubscriptionAttributes(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", arn, err)
	}
	topicName := attrs["TopicArn"]
	if i := strings.LastIndexByte(topicName, ':'); i >= 0 {
		topicName = topicName[i+1:]
	}
	return h.subscriptionFromAttributes(arn, topicName, attrs), nil
}

// updateOrder is the order in which an update sets attributes. The filter
// policy and its scope are ordered by the scope they end with: a policy is
// checked against the scope in force, and every policy valid on
// attributes is valid on bodies, so a change to body scope sets the scope
// first and a change to attribute scope sets the policy first.
func updateOrder(attrs map[string]string) []string {
	names := []string{"FilterPolicy", "FilterPolicyScope"}
	if attrs["FilterPolicyScope"] == "MessageBody" {
		names = []string{"FilterPolicyScope", "FilterPolicy"}
	}
	names = append(names, "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy", "StandardWebhooksSecret")
	out := names[:0]
	for _, n := range names {
		if _, ok := attrs[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// updateSubscription changes the given options of a subscription; absent
// ones stay as they are. The request's shapes are checked before anything
// changes; the service then sets the attributes one by one, and when it
// rejects one, those already set are put back as they were.
func (h *Handler) updateSubscription(w http.ResponseWriter, r *http.Request) {
	arn := r.PathValue("arn")
	var req abanico.UpdateSubscriptionInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	attrs, err := h.settingsAttributes(&req)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	old, err := h.topics.GetSubscriptionAttributes(r.Context(), arn)
	if err != nil {
		h.writeError(w, fmt.Errorf("subscription %s: %w", arn, err), "arn")
		return
	}
	var done []string
	for _, name := range updateOrder(attrs) {
		if err := h.topics.SetSubscriptionAttribute(r.Context(), arn, name, attrs[name]); err != nil {
			for i := len(done) - 1; i >= 0; i-- {
				if rerr := h.topics.SetSubscriptionAttribute(r.Context(), arn, done[i], old[done[i]]); rerr != nil {
					h.log.Error("native api: restore subscription attribute", "subscription", arn, "attribute", done[i], "err", rerr)
				}
			}
			h.writeError(w, fmt.Errorf("set %s of subscription %s: %w", name, arn, err), subscribeField(name))
			return
		}
		done = append(done, name)
	}
	v, err := h.subscriptionByARN(r.Context(), arn)
	h.reply(w, http.StatusOK, v, err, "arn")
}

// unsubscribe deletes a subscription; deleting one that does not exist
// succeeds, as the service's Unsubscribe does.
func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	arn := r.PathValue("arn")
	if err := h.topics.Unsubscribe(r.Context(), arn); err != nil {
		h.writeError(w, fmt.Errorf("unsubscribe %s: %w", arn, err), "arn")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// attempts returns a subscription's recent delivery attempts, counters,
// backlog and (for endpoints) circuit state.
func (h *Handler) attempts(w http.ResponseWriter, r *http.Request) {
	st, err := h.topics.DeliveryStats(r.Context(), r.PathValue("arn"))
	if err != nil {
		h.writeError(w, err, "arn")
		return
	}
	writeJSON(w, http.StatusOK, statsView(st))
}

// statsView renders a subscription's delivery state.
func statsView(st *topic.SubscriptionStats) abanico.SubscriptionStats {
	c := st.Counters
	out := abanico.SubscriptionStats{
		Backlog: st.Backlog, InFlight: st.InFlight,
		Counters: abanico.DeliveryCounters{
			Delivered: c.Delivered, Failed: c.Failed, Retried: c.Retried, DeadLettered: c.DeadLettered, Dropped: c.Dropped,
		},
		Attempts: make([]abanico.Attempt, len(st.Attempts)),
	}
	if b := st.Breaker; b != nil {
		out.Breaker = &abanico.BreakerStatus{
			State: string(b.State), ConsecutiveFailures: b.ConsecutiveFailures, OpenedAt: b.OpenedAt,
			NextProbe: b.NextProbe, Cooldown: b.Cooldown, Trips: b.Trips,
		}
	}
	for i, a := range st.Attempts {
		out.Attempts[i] = abanico.Attempt{
			Time: a.Time, MessageID: a.MessageID, Attempt: a.Attempt, Status: a.Status,
			Latency: a.Latency, Error: a.Error, Outcome: string(a.Outcome),
		}
	}
	return out
}

// codeOf is the service error code of err ("" for other errors).
func codeOf(err error) string {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

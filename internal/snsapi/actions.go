package snsapi

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/abanico/abanico/internal/awsproto"
	"github.com/abanico/abanico/internal/topic"
)

type obj = awsproto.Obj

var f = awsproto.F

// action is one SNS action: decode turns the form into the action's input
// value (no service needed), run calls the service with it.
type action struct {
	decode func(url.Values) (any, error)
	run    func(h *Handler, ctx context.Context, in any) (obj, error)
}

func op[I any](decode func(url.Values) (I, error), run func(*Handler, context.Context, I) (obj, error)) action {
	return action{
		decode: func(form url.Values) (any, error) { return decode(form) },
		run:    func(h *Handler, ctx context.Context, in any) (obj, error) { return run(h, ctx, in.(I)) },
	}
}

// noResult is the result of actions whose output has no members but a
// result wrapper (TagResource, UntagResource): an empty <XResult/>.
var noResult = obj{}

var actions = map[string]action{
	"CreateTopic":               op(decodeCreateTopic, (*Handler).createTopic),
	"DeleteTopic":               op(decodeTopicArn, (*Handler).deleteTopic),
	"ListTopics":                op(decodeList, (*Handler).listTopics),
	"GetTopicAttributes":        op(decodeTopicArn, (*Handler).getTopicAttributes),
	"SetTopicAttributes":        op(decodeSetAttribute("TopicArn"), (*Handler).setTopicAttributes),
	"Subscribe":                 op(decodeSubscribe, (*Handler).subscribe),
	"ConfirmSubscription":       op(decodeConfirmSubscription, (*Handler).confirmSubscription),
	"Unsubscribe":               op(decodeSubscriptionArn, (*Handler).unsubscribe),
	"ListSubscriptions":         op(decodeList, (*Handler).listSubscriptions),
	"ListSubscriptionsByTopic":  op(decodeListByTopic, (*Handler).listSubscriptionsByTopic),
	"GetSubscriptionAttributes": op(decodeSubscriptionArn, (*Handler).getSubscriptionAttributes),
	"SetSubscriptionAttributes": op(decodeSetAttribute("SubscriptionArn"), (*Handler).setSubscriptionAttributes),
	"Publish":                   op(decodePublish, (*Handler).publish),
	"PublishBatch":              op(decodePublishBatch, (*Handler).publishBatch),
	"TagResource":               op(decodeTagResource, (*Handler).tagResource),
	"UntagResource":             op(decodeUntagResource, (*Handler).untagResource),
	"ListTagsForResource":       op(decodeResourceArn, (*Handler).listTagsForResource),
	"AddPermission":             op(decodeAddPermission, (*Handler).addPermission),
	"RemovePermission":          op(decodeRemovePermission, (*Handler).removePermission),
}

// Topics.

func (h *Handler) createTopic(ctx context.Context, in createTopicInput) (obj, error) {
	t, err := h.svc.CreateTopic(ctx, in.Name, in.Attributes, in.Tags)
	if err != nil {
		return nil, err
	}
	return obj{f("TopicArn", h.svc.TopicArn(t.Name))}, nil
}

func (h *Handler) deleteTopic(ctx context.Context, in topicArnInput) (obj, error) {
	return nil, h.svc.DeleteTopic(ctx, in.TopicArn)
}

func (h *Handler) listTopics(_ context.Context, in listInput) (obj, error) {
	topics := h.svc.ListTopics()
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	sort.Strings(names)
	start, end, next, err := page(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	arns := make([]string, 0, end-start)
	for _, n := range names[start:end] {
		arns = append(arns, h.svc.TopicArn(n))
	}
	return listTopicsResult(arns, next), nil
}

func (h *Handler) getTopicAttributes(ctx context.Context, in topicArnInput) (obj, error) {
	attrs, err := h.svc.GetTopicAttributes(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	return attributesResult(attrs), nil
}

func (h *Handler) setTopicAttributes(ctx context.Context, in setAttributeInput) (obj, error) {
	return nil, h.svc.SetTopicAttribute(ctx, in.Arn, in.AttributeName, in.AttributeValue)
}

// Subscriptions.

func (h *Handler) subscribe(ctx context.Context, in subscribeInput) (obj, error) {
	sub, err := h.svc.Subscribe(ctx, in.TopicArn, in.Protocol, in.Endpoint, in.Attributes)
	if err != nil {
		return nil, err
	}
	return subscriptionArnResult(subscribeArn(h.svc.SubscriptionArn(sub), sub.Pending, in.ReturnSubscriptionArn)), nil
}

func (h *Handler) confirmSubscription(ctx context.Context, in confirmSubscriptionInput) (obj, error) {
	sub, err := h.svc.ConfirmSubscription(ctx, in.TopicArn, in.Token, in.AuthenticateOnUnsubscribe)
	if err != nil {
		return nil, err
	}
	return subscriptionArnResult(h.svc.SubscriptionArn(sub)), nil
}

func (h *Handler) unsubscribe(ctx context.Context, in subscriptionArnInput) (obj, error) {
	return nil, h.svc.Unsubscribe(ctx, in.SubscriptionArn)
}

func (h *Handler) listSubscriptions(_ context.Context, in listInput) (obj, error) {
	return h.subscriptionsPage(h.svc.ListSubscriptions(), in.NextToken)
}

func (h *Handler) listSubscriptionsByTopic(_ context.Context, in listByTopicInput) (obj, error) {
	subs, err := h.svc.ListSubscriptionsByTopic(in.TopicArn)
	if err != nil {
		return nil, err
	}
	return h.subscriptionsPage(subs, in.NextToken)
}

// subscriptionsPage orders subscriptions by topic then id and returns the
// page after token.
func (h *Handler) subscriptionsPage(subs []*topic.Subscription, token string) (obj, error) {
	subs = slices.Clone(subs)
	slices.SortFunc(subs, func(a, b *topic.Subscription) int { return strings.Compare(subKey(a), subKey(b)) })
	keys := make([]string, len(subs))
	for i, s := range subs {
		keys[i] = subKey(s)
	}
	start, end, next, err := page(keys, token)
	if err != nil {
		return nil, err
	}
	views := make([]subscriptionView, 0, end-start)
	for _, s := range subs[start:end] {
		topicArn := h.svc.TopicArn(s.TopicName)
		v := subscriptionView{
			SubscriptionArn: h.svc.SubscriptionArn(s), Owner: arnAccount(topicArn),
			Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: topicArn,
		}
		if s.Pending {
			v.SubscriptionArn = "PendingConfirmation"
		}
		views = append(views, v)
	}
	return subscriptionsResult(views, next), nil
}

// subKey orders subscriptions by topic name, then id: NUL sorts before
// every character a topic name may hold.
func subKey(s *topic.Subscription) string { return s.TopicName + "\x00" + s.ID }

func (h *Handler) getSubscriptionAttributes(ctx context.Context, in subscriptionArnInput) (obj, error) {
	attrs, err := h.svc.GetSubscriptionAttributes(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	return attributesResult(attrs), nil
}

func (h *Handler) setSubscriptionAttributes(ctx context.Context, in setAttributeInput) (obj, error) {
	return nil, h.svc.SetSubscriptionAttribute(ctx, in.Arn, in.AttributeName, in.AttributeValue)
}

// Publishing.

func (h *Handler) publish(ctx context.Context, in topic.PublishInput) (obj, error) {
	id, err := h.svc.Publish(ctx, in)
	if err != nil {
		return nil, err
	}
	return obj{f("MessageId", id)}, nil
}

func (h *Handler) publishBatch(ctx context.Context, in publishBatchInput) (obj, error) {
	res, err := h.svc.PublishBatch(ctx, in.TopicArn, in.Entries)
	if err != nil {
		return nil, err
	}
	return publishBatchResult(res), nil
}

// Tags and permissions.

func (h *Handler) tagResource(ctx context.Context, in tagResourceInput) (obj, error) {
	if err := h.svc.TagResource(ctx, in.ResourceArn, in.Tags); err != nil {
		return nil, err
	}
	return noResult, nil
}

func (h *Handler) untagResource(ctx context.Context, in untagResourceInput) (obj, error) {
	if err := h.svc.UntagResource(ctx, in.ResourceArn, in.TagKeys); err != nil {
		return nil, err
	}
	return noResult, nil
}

func (h *Handler) listTagsForResource(_ context.Context, in resourceArnInput) (obj, error) {
	tags, err := h.svc.ListTagsForResource(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return tagsResult(tags), nil
}

func (h *Handler) addPermission(ctx context.Context, in addPermissionInput) (obj, error) {
	return nil, h.svc.AddPermission(ctx, in.TopicArn, in.Label, in.AWSAccountIDs, in.ActionNames)
}

func (h *Handler) removePermission(ctx context.Context, in removePermissionInput) (obj, error) {
	return nil, h.svc.RemovePermission(ctx, in.TopicArn, in.Label)
}

// Pagination.

// pageSize is SNS's page size for ListTopics and ListSubscriptions*.
const pageSize = 100

// page returns the bounds of the page of sorted keys that follows token,
// and the token of the next page ("" on the last). A token is the last
// key of its page, so pages stay consistent while items come and go.
func page(keys []string, token string) (start, end int, next string, err error) {
	if token != "" {
		last, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil || len(last) == 0 {
			return 0, 0, "", invalidParameter("NextToken")
		}
		start = sort.Search(len(keys), func(i int) bool { return keys[i] > string(last) })
	}
	end = min(start+pageSize, len(keys))
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end-1]))
	}
	return start, end, next, nil
}

// Results, built from plain values so they are testable without a
// service.

// subscribeArn is what Subscribe returns: a pending subscription's ARN
// only when the caller asked for it with ReturnSubscriptionArn.
func subscribeArn(arn string, pending, returnArn bool) string {
	if pending && !returnArn {
		return "pending confirmation"
	}
	return arn
}

func subscriptionArnResult(arn string) obj { return obj{f("SubscriptionArn", arn)} }

func listTopicsResult(arns []string, next string) obj {
	items := make([]any, len(arns))
	for i, a := range arns {
		items[i] = obj{f("TopicArn", a)}
	}
	return obj{f("Topics", awsproto.Members{Member: "member", Items: items}), f("NextToken", next)}
}

// attributesResult writes <Attributes><entry><key/><value/></entry>...
func attributesResult(attrs map[string]string) obj {
	return obj{f("Attributes", awsproto.StrMap{Key: "key", Value: "value", M: attrs, Entry: "entry"})}
}

// subscriptionView is one member of a subscription listing.
type subscriptionView struct {
	SubscriptionArn, Owner, Protocol, Endpoint, TopicArn string
}

func subscriptionsResult(subs []subscriptionView, next string) obj {
	items := make([]any, len(subs))
	for i, s := range subs {
		items[i] = obj{
			f("SubscriptionArn", s.SubscriptionArn), f("Owner", s.Owner), f("Protocol", s.Protocol),
			f("Endpoint", s.Endpoint), f("TopicArn", s.TopicArn),
		}
	}
	return obj{f("Subscriptions", awsproto.Members{Member: "member", Items: items}), f("NextToken", next)}
}

func tagsResult(tags map[string]string) obj {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	items := make([]any, len(keys))
	for i, k := range keys {
		v := tags[k] // a pointer, so that an empty value is still written
		items[i] = obj{f("Key", k), f("Value", &v)}
	}
	return obj{f("Tags", awsproto.Members{Member: "member", Items: items})}
}

func publishBatchResult(res []topic.PublishResult) obj {
	ok := []any{}
	failed := []any{}
	for _, r := range res {
		if r.Err != nil {
			failed = append(failed, obj{
				f("Id", r.ID), f("Code", wireCode(r.Err.Code)), f("Message", r.Err.Message), f("SenderFault", !r.Err.Server),
			})
			continue
		}
		ok = append(ok, obj{f("Id", r.ID), f("MessageId", r.MessageID)})
	}
	return obj{
		f("Successful", awsproto.Members{Member: "member", Items: ok}),
		f("Failed", awsproto.Members{Member: "member", Items: failed}),
	}
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

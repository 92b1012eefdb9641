package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/filter"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/registry"
	"github.com/abanico/abanico/internal/uuid"
	"github.com/abanico/abanico/internal/webhook"
)

// settableSub lists the attributes of Subscribe and SetSubscriptionAttributes.
// StandardWebhooksSecret is Abanico's own: a "whsec_" key with which
// http/https deliveries are also signed the Standard Webhooks way.
var settableSub = map[string]bool{
	"RawMessageDelivery": true, "FilterPolicy": true, "FilterPolicyScope": true,
	"RedrivePolicy": true, "DeliveryPolicy": true, "SubscriptionRoleArn": true,
	attrWebhookSecret: true,
}

const attrWebhookSecret = "StandardWebhooksSecret"

// validateSubAttributes checks a full attribute set (after a change) and
// returns it normalized. subscribe selects the message form of Subscribe.
func (s *Service) validateSubAttributes(protocol string, attrs map[string]string, subscribe bool) (map[string]string, *Error) {
	out := map[string]string{}
	for k, v := range attrs {
		if !settableSub[k] {
			return nil, invalidParameter("AttributeName")
		}
		switch k {
		case "RawMessageDelivery":
			switch strings.ToLower(v) {
			case "true", "false":
				v = strings.ToLower(v)
			default:
				return nil, invalidParameter("RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
			}
		case "FilterPolicyScope":
			if _, err := filter.ParseScope(v); err != nil {
				return nil, invalidParameter("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", v)
			}
		case "RedrivePolicy":
			if v != "" {
				var rp struct {
					DeadLetterTargetArn string `json:"deadLetterTargetArn"`
				}
				if err := json.Unmarshal([]byte(v), &rp); err != nil {
					return nil, invalidParameter("RedrivePolicy: failed to parse JSON.")
				}
				if _, _, _, ok := queue.ParseARN(rp.DeadLetterTargetArn); !ok {
					return nil, invalidParameter("RedrivePolicy: deadLetterTargetArn is an invalid arn")
				}
			}
		case "DeliveryPolicy":
			if v != "" {
				if _, err := delivery.ParseSubscriptionPolicy(v); err != nil {
					return nil, invalidParameter("DeliveryPolicy: %s", err.Error())
				}
			}
		case attrWebhookSecret:
			if v != "" {
				if !needsConfirmation(protocol) {
					return nil, invalidParameter("%s: only http and https subscriptions can be signed with Standard Webhooks", k)
				}
				if _, err := webhook.ParseSecret(v); err != nil {
					return nil, invalidParameter("%s: %s", k, err.Error())
				}
			}
		}
		if v != "" {
			out[k] = v
		}
	}
	if p, ok := out["FilterPolicy"]; ok {
		scope, _ := filter.ParseScope(out["FilterPolicyScope"])
		if _, err := filter.Parse(p, scope, s.opts.FilterLimits); err != nil {
			var fe *filter.Error
			if errors.As(err, &fe) && subscribe {
				return nil, &Error{Code: CodeInvalidParameter, Message: fe.SubscribeMessage()}
			}
			return nil, &Error{Code: CodeInvalidParameter, Message: err.Error()}
		}
	}
	return out, nil
}

// Subscribe subscribes an endpoint to a topic. SQS subscriptions are
// confirmed at once; http/https subscriptions start pending, and their
// endpoint is sent a SubscriptionConfirmation. Subscribing the same
// endpoint again returns the existing subscription when the attributes
// match (and sends a pending one's confirmation again).
func (s *Service) Subscribe(ctx context.Context, topicArn, protocol, endpoint string, attrs map[string]string) (*Subscription, error) {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return nil, e
	}
	protocol = strings.ToLower(protocol)
	switch protocol {
	case "sqs":
		if _, _, _, ok := queue.ParseARN(endpoint); !ok {
			return nil, invalidParameter("SQS endpoint ARN")
		}
	case "http", "https":
		if err := webhook.CheckURL(endpoint, protocol, s.opts.Webhook.AllowPrivate); err != nil {
			return nil, invalidParameter("Endpoint Reason: %s", err.Error())
		}
	case "lambda":
		if p := strings.Split(endpoint, ":"); len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" || p[6] == "" {
			return nil, invalidParameter("Lambda endpoint ARN")
		}
	case "":
		return nil, invalidParameter("Protocol")
	default:
		return nil, invalidParameter("Protocol Reason: %s subscriptions are not supported yet", protocol)
	}
	norm, e := s.validateSubAttributes(protocol, attrs, true)
	if e != nil {
		return nil, e
	}
	for _, sub := range s.topicSubsWithPending(t.ID) {
		if sub.Protocol == protocol && sub.Endpoint == endpoint {
			for k, v := range norm {
				if sub.Attributes[k] != v {
					return nil, invalidParameter("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			if sub.Pending {
				if err := s.requestConfirmation(ctx, t, sub); err != nil {
					return nil, internal(err)
				}
			}
			return sub.clone(), nil
		}
	}
	sub := &Subscription{
		ID: uuid.New(), TopicName: t.Name, TopicID: t.ID, Protocol: protocol, Endpoint: endpoint,
		Attributes: norm, ConfirmationWasAuthenticated: true, Created: s.now().Unix(),
	}
	if needsConfirmation(protocol) {
		sub.Pending, sub.ConfirmationWasAuthenticated = true, false
		sub.Token, sub.TokenExpires = newToken(), s.now().Add(s.opts.TokenTTL).UnixMilli()
	}
	if isEndpoint(protocol) {
		if err := s.ensureCursor(ctx, t, sub.ID, sub.Protocol); err != nil {
			return nil, internal(err)
		}
	}
	if err := s.subs.Create(ctx, sub.ID, sub); err != nil {
		if isEndpoint(protocol) {
			s.deleteCursor(ctx, t.Shard, sub.ID)
		}
		return nil, internal(err)
	}
	if sub.Pending {
		if err := s.requestConfirmation(ctx, t, sub); err != nil {
			return nil, internal(err)
		}
	}
	s.log.Info("subscribed", "topic", t.Name, "protocol", protocol, "endpoint", endpoint, "pending", sub.Pending)
	return sub.clone(), nil
}

// ConfirmSubscription confirms a pending subscription by its token (the
// API call, or a GET on SubscribeURL); ConfirmationWasAuthenticated
// records which. A token from an UnsubscribeConfirmation restores the
// deleted subscription. Tokens expire after Options.TokenTTL.
func (s *Service) ConfirmSubscription(ctx context.Context, topicArn, token string, authenticateOnUnsubscribe bool) (*Subscription, error) {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return nil, e
	}
	if token == "" {
		return nil, invalidParameter("Token")
	}
	auth := authenticated(ctx)
	now := s.now().UnixMilli()
	for _, sub := range s.topicSubsWithPending(t.ID) {
		if sub.Token != token {
			continue
		}
		if !sub.Pending {
			return sub.clone(), nil
		}
		if now > sub.TokenExpires {
			return nil, invalidParameter("Token Reason: the token has expired")
		}
		v, err := s.subs.Modify(ctx, sub.ID, (*Subscription).clone, func(sub *Subscription) error {
			sub.Pending = false
			sub.ConfirmationWasAuthenticated = auth
			sub.AuthenticateOnUnsubscribe = authenticateOnUnsubscribe && auth
			return nil
		})
		if err != nil {
			return nil, internal(err)
		}
		s.log.Info("subscription confirmed", "topic", t.Name, "endpoint", sub.Endpoint, "authenticated", auth)
		return v, nil
	}
	if old, _, ok := s.unsubscribed.Get(token); ok && old.TopicID == t.ID && now <= old.TokenExpires {
		return s.restore(ctx, t, old, token, auth, authenticateOnUnsubscribe)
	}
	return nil, invalidParameter("Token")
}

// restore re-creates a subscription deleted by Unsubscribe, confirmed, on
// a new cursor.
func (s *Service) restore(ctx context.Context, t *Topic, old *Subscription, token string, auth, authOnUnsub bool) (*Subscription, error) {
	sub := old.clone()
	sub.ID = uuid.New()
	sub.Pending, sub.ConfirmationWasAuthenticated, sub.AuthenticateOnUnsubscribe = false, auth, authOnUnsub && auth
	sub.Token, sub.TokenExpires, sub.Created = token, 0, s.now().Unix()
	if err := s.ensureCursor(ctx, t, sub.ID, sub.Protocol); err != nil {
		return nil, internal(err)
	}
	if err := s.subs.Create(ctx, sub.ID, sub); err != nil {
		s.deleteCursor(ctx, t.Shard, sub.ID)
		return nil, internal(err)
	}
	if err := s.unsubscribed.Delete(ctx, token); err != nil {
		s.log.Warn("forget unsubscribe token", "err", err)
	}
	s.log.Info("subscription restored", "topic", t.Name, "endpoint", sub.Endpoint)
	return sub.clone(), nil
}

// Unsubscribe deletes a subscription. Unsubscribing twice succeeds. An
// http/https endpoint is sent an UnsubscribeConfirmation whose SubscribeURL
// restores the subscription until the token expires.
func (s *Service) Unsubscribe(ctx context.Context, subscriptionArn string) error {
	sub, e := s.subByArn(subscriptionArn)
	if e != nil {
		if e.Code == CodeNotFound {
			return nil
		}
		return e
	}
	if sub.AuthenticateOnUnsubscribe && !authenticated(ctx) {
		return errorf(CodeAuthorizationError, "Unsubscribe of this subscription requires AWS authentication (AuthenticateOnUnsubscribe)")
	}
	if err := s.subs.Delete(ctx, sub.ID); err != nil {
		return internal(err)
	}
	if isEndpoint(sub.Protocol) {
		if t, _, ok := s.topics.Get(sub.TopicName); ok {
			s.deleteCursor(ctx, t.Shard, sub.ID)
			if needsConfirmation(sub.Protocol) && !sub.Pending {
				s.confirmUnsubscribe(ctx, t, sub)
			}
		}
	}
	s.log.Info("unsubscribed", "topic", sub.TopicName, "endpoint", sub.Endpoint)
	return nil
}

// GetSubscriptionAttributes returns every attribute of a subscription.
func (s *Service) GetSubscriptionAttributes(ctx context.Context, subscriptionArn string) (map[string]string, error) {
	sub, e := s.subByArn(subscriptionArn)
	if e != nil {
		return nil, e
	}
	out := map[string]string{
		"SubscriptionArn":              s.SubscriptionArn(sub),
		"TopicArn":                     s.TopicArn(sub.TopicName),
		"Owner":                        s.opts.AccountID,
		"Protocol":                     sub.Protocol,
		"Endpoint":                     sub.Endpoint,
		"ConfirmationWasAuthenticated": fmt.Sprint(sub.ConfirmationWasAuthenticated),
		"PendingConfirmation":          fmt.Sprint(sub.Pending),
		"RawMessageDelivery":           "false",
		"SubscriptionPrincipal":        "arn:aws:iam::" + s.opts.AccountID + ":user/abanico",
	}
	for k, v := range sub.Attributes {
		out[k] = v
	}
	if _, ok := sub.Attributes["FilterPolicy"]; ok && sub.Attributes["FilterPolicyScope"] == "" {
		out["FilterPolicyScope"] = "MessageAttributes"
	}
	if needsConfirmation(sub.Protocol) {
		var topicDP string
		if t, _, ok := s.topics.Get(sub.TopicName); ok {
			topicDP = t.Attributes["DeliveryPolicy"]
		}
		out["EffectiveDeliveryPolicy"] = effectivePolicy(topicDP, sub.Attributes["DeliveryPolicy"]).SubscriptionJSON()
	}
	return out, nil
}

// SetSubscriptionAttribute sets one attribute; nothing changes on error.
func (s *Service) SetSubscriptionAttribute(ctx context.Context, subscriptionArn, name, value string) error {
	sub, e := s.subByArn(subscriptionArn)
	if e != nil {
		return e
	}
	if !settableSub[name] {
		return invalidParameter("AttributeName")
	}
	attrs := cloneMap(sub.Attributes)
	attrs[name] = value
	norm, e := s.validateSubAttributes(sub.Protocol, attrs, false)
	if e != nil {
		return e
	}
	_, err := s.subs.Modify(ctx, sub.ID, (*Subscription).clone, func(sub *Subscription) error {
		sub.Attributes = norm
		return nil
	})
	if errors.Is(err, registry.ErrNotFound) {
		return errorf(CodeNotFound, "Subscription does not exist")
	}
	if err != nil {
		return internal(err)
	}
	return nil
}

// subChanged keeps the dispatch routes current as subscriptions change,
// on this node or on any other.
func (s *Service) subChanged(id string, sub *Subscription) {
	s.updateRoutes(id, sub)
	s.syncWorker(id, sub)
}

func (s *Service) updateRoutes(id string, sub *Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
	if sub != nil && sub.Pending {
		s.pending[id] = sub
	}
	if topicID, ok := s.subTopic[id]; ok {
		r := s.routes[topicID]
		for i, tg := range r.subs {
			if tg.sub.ID == id {
				subs := append(append([]*target(nil), r.subs[:i]...), r.subs[i+1:]...)
				s.routes[topicID] = newRoute(r.topic, subs)
				break
			}
		}
		delete(s.subTopic, id)
	}
	if sub == nil || sub.Pending {
		return
	}
	s.subTopic[id] = sub.TopicID
	tg := s.target(sub)
	r := s.routes[sub.TopicID]
	if r == nil {
		r = &route{}
	}
	s.routes[sub.TopicID] = newRoute(r.topic, append(append([]*target(nil), r.subs...), tg))
}

// topicChanged records the topic a route belongs to.
func (s *Service) topicChanged(name string, t *Topic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t == nil {
		for id, r := range s.routes {
			if r.topic != nil && r.topic.Name == name {
				delete(s.routes, id)
			}
		}
		return
	}
	r := s.routes[t.ID]
	if r == nil {
		r = &route{}
	}
	s.routes[t.ID] = newRoute(t, r.subs)
}

// rebuildAll builds every route from the registries (at start).
func (s *Service) rebuildAll() {
	routes := map[string]*route{}
	subTopic := map[string]string{}
	for _, t := range s.topics.List("") {
		routes[t.ID] = &route{topic: t}
	}
	pending := map[string]*Subscription{}
	for _, sub := range s.subs.List("") {
		if sub.Pending {
			pending[sub.ID] = sub
			continue
		}
		r := routes[sub.TopicID]
		if r == nil {
			r = &route{}
			routes[sub.TopicID] = r
		}
		r.subs = append(r.subs, s.target(sub))
		subTopic[sub.ID] = sub.TopicID
	}
	for id, r := range routes {
		routes[id] = newRoute(r.topic, r.subs)
	}
	s.mu.Lock()
	s.routes = routes
	s.subTopic = subTopic
	s.pending = pending
	s.mu.Unlock()
}

// target compiles a subscription for the dispatcher. A policy that no
// longer compiles (it was valid when stored) matches nothing.
func (s *Service) target(sub *Subscription) *target {
	tg := &target{sub: sub, arn: s.SubscriptionArn(sub), raw: sub.Attributes["RawMessageDelivery"] == "true"}
	if sub.Protocol == "sqs" {
		tg.stats = s.queueStats(sub.ID)
	}
	if p, ok := sub.Attributes["FilterPolicy"]; ok && p != "" {
		scope, _ := filter.ParseScope(sub.Attributes["FilterPolicyScope"])
		pol, err := filter.Parse(p, scope, s.opts.FilterLimits)
		if err != nil {
			s.log.Error("stored filter policy does not compile", "subscription", tg.arn, "err", err)
			pol, _ = filter.Parse(`{"abanico-invalid-policy":["\u0000"]}`, filter.ScopeMessageAttributes, s.opts.FilterLimits)
		}
		tg.policy = pol
	}
	if k := sub.Attributes[attrWebhookSecret]; k != "" {
		tg.secret, _ = webhook.ParseSecret(k)
	}
	if rp := sub.Attributes["RedrivePolicy"]; rp != "" {
		var v struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		_ = json.Unmarshal([]byte(rp), &v)
		tg.dlq = v.DeadLetterTargetArn
	}
	return tg
}

// topicSubsWithPending returns a topic's confirmed and pending
// subscriptions.
func (s *Service) topicSubsWithPending(topicID string) []*Subscription {
	out := s.topicSubs(topicID)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.pending {
		if sub.TopicID == topicID {
			out = append(out, sub)
		}
	}
	return out
}

// topicSubs returns a topic's confirmed subscriptions from the routing index.
func (s *Service) topicSubs(topicID string) []*Subscription {
	r := s.route(topicID)
	if r == nil {
		return nil
	}
	out := make([]*Subscription, len(r.subs))
	for i, tg := range r.subs {
		out[i] = tg.sub
	}
	return out
}

func (s *Service) route(topicID string) *route {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.routes[topicID]
}

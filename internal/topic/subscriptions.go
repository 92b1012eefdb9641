package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/abanico/abanico/internal/filter"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/registry"
	"github.com/abanico/abanico/internal/uuid"
)

// settableSub lists the attributes of Subscribe and SetSubscriptionAttributes.
var settableSub = map[string]bool{
	"RawMessageDelivery": true, "FilterPolicy": true, "FilterPolicyScope": true,
	"RedrivePolicy": true, "DeliveryPolicy": true, "SubscriptionRoleArn": true,
}

// validateSubAttributes checks a full attribute set (after a change) and
// returns it normalized. subscribe selects the message form of Subscribe.
func (s *Service) validateSubAttributes(attrs map[string]string, subscribe bool) (map[string]string, *Error) {
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
				var m map[string]any
				if err := json.Unmarshal([]byte(v), &m); err != nil {
					return nil, invalidParameter("DeliveryPolicy: failed to parse JSON")
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
// confirmed at once. Subscribing the same endpoint again returns the
// existing subscription when the attributes match.
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
	case "":
		return nil, invalidParameter("Protocol")
	default:
		return nil, invalidParameter("Protocol Reason: %s subscriptions are not supported yet", protocol)
	}
	norm, e := s.validateSubAttributes(attrs, true)
	if e != nil {
		return nil, e
	}
	for _, sub := range s.topicSubs(t.ID) {
		if sub.Protocol == protocol && sub.Endpoint == endpoint {
			for k, v := range norm {
				if sub.Attributes[k] != v {
					return nil, invalidParameter("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			return sub.clone(), nil
		}
	}
	sub := &Subscription{
		ID: uuid.New(), TopicName: t.Name, TopicID: t.ID, Protocol: protocol, Endpoint: endpoint,
		Attributes: norm, ConfirmationWasAuthenticated: true, Created: s.now().Unix(),
	}
	if err := s.subs.Create(ctx, sub.ID, sub); err != nil {
		return nil, internal(err)
	}
	s.log.Info("subscribed", "topic", t.Name, "protocol", protocol, "endpoint", endpoint)
	return sub.clone(), nil
}

// ConfirmSubscription confirms a pending subscription by token.
func (s *Service) ConfirmSubscription(ctx context.Context, topicArn, token string, authenticateOnUnsubscribe bool) (*Subscription, error) {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return nil, e
	}
	if token == "" {
		return nil, invalidParameter("Token")
	}
	for _, sub := range s.subs.List("") {
		if sub.TopicID == t.ID && sub.Token == token {
			if !sub.Pending {
				return sub.clone(), nil
			}
			v, err := s.subs.Modify(ctx, sub.ID, (*Subscription).clone, func(sub *Subscription) error {
				sub.Pending = false
				sub.ConfirmationWasAuthenticated = true
				return nil
			})
			if err != nil {
				return nil, internal(err)
			}
			return v, nil
		}
	}
	return nil, invalidParameter("Token")
}

// Unsubscribe deletes a subscription. Unsubscribing twice succeeds.
func (s *Service) Unsubscribe(ctx context.Context, subscriptionArn string) error {
	sub, e := s.subByArn(subscriptionArn)
	if e != nil {
		if e.Code == CodeNotFound {
			return nil
		}
		return e
	}
	if err := s.subs.Delete(ctx, sub.ID); err != nil {
		return internal(err)
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
	norm, e := s.validateSubAttributes(attrs, false)
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
	s.mu.Lock()
	defer s.mu.Unlock()
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
	for _, sub := range s.subs.List("") {
		if sub.Pending {
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
	s.mu.Unlock()
}

// target compiles a subscription for the dispatcher. A policy that no
// longer compiles (it was valid when stored) matches nothing.
func (s *Service) target(sub *Subscription) *target {
	tg := &target{sub: sub, arn: s.SubscriptionArn(sub), raw: sub.Attributes["RawMessageDelivery"] == "true"}
	if p, ok := sub.Attributes["FilterPolicy"]; ok && p != "" {
		scope, _ := filter.ParseScope(sub.Attributes["FilterPolicyScope"])
		pol, err := filter.Parse(p, scope, s.opts.FilterLimits)
		if err != nil {
			s.log.Error("stored filter policy does not compile", "subscription", tg.arn, "err", err)
			pol, _ = filter.Parse(`{"abanico-invalid-policy":["\u0000"]}`, filter.ScopeMessageAttributes, s.opts.FilterLimits)
		}
		tg.policy = pol
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

// topicSubs returns a topic's subscriptions from the routing index.
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

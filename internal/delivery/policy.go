package delivery

import (
	"bytes"
	"encoding/json"
	"strings"
)

// DefaultContentType is the Content-Type of deliveries whose policy sets no
// requestPolicy.
const DefaultContentType = "text/plain; charset=UTF-8"

// MaxContentTypeLength is the longest headerContentType a parsed policy may
// set, in characters.
const MaxContentTypeLength = 1000

// ThrottlePolicy limits how fast one subscription's endpoint is sent
// messages. A parsed ThrottlePolicy has MaxReceivesPerSecond ≥ 1.
type ThrottlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

// RequestPolicy shapes the requests made to an endpoint. A parsed
// RequestPolicy has a HeaderContentType of the form type/subtype with
// optional parameters, at most MaxContentTypeLength characters long.
type RequestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

// Policy is the effective delivery policy of one subscription.
type Policy struct {
	Retry    RetryPolicy
	Throttle *ThrottlePolicy // nil: no throttling
	Request  *RequestPolicy  // nil: default content type
}

// ContentType returns Request.HeaderContentType, or DefaultContentType
// ("text/plain; charset=UTF-8") when there is no request policy or it sets
// no content type.
func (p Policy) ContentType() string {
	if p.Request != nil && p.Request.HeaderContentType != "" {
		return p.Request.HeaderContentType
	}
	return DefaultContentType
}

// SubscriptionPolicy is a subscription's DeliveryPolicy attribute:
//
//	{"healthyRetryPolicy":{...},"throttlePolicy":{"maxReceivesPerSecond":N},"requestPolicy":{"headerContentType":"..."}}
//
// plus the deprecated keys "sicklyRetryPolicy" (null or an object) and
// "guaranteed" (a boolean), accepted and ignored. A nil field was absent
// (or null) in the attribute. A Retry set by ParseSubscriptionPolicy is
// complete: the fields the attribute omitted hold DefaultHTTP's values
// (with the delay targets adjusted to each other, see
// ParseSubscriptionPolicy).
type SubscriptionPolicy struct {
	Retry    *RetryPolicy
	Throttle *ThrottlePolicy
	Request  *RequestPolicy
}

// TopicPolicy is a topic's DeliveryPolicy attribute:
//
//	{"http":{"defaultHealthyRetryPolicy":{...},"defaultThrottlePolicy":{...},"defaultRequestPolicy":{...},"disableSubscriptionOverrides":bool}}
//
// A nil field was absent (or null) in the attribute.
type TopicPolicy struct {
	Retry                        *RetryPolicy
	Throttle                     *ThrottlePolicy
	Request                      *RequestPolicy
	DisableSubscriptionOverrides bool
}

// ParseSubscriptionPolicy parses and validates a subscription's
// DeliveryPolicy attribute with SNS's rules:
//
//   - the attribute is a JSON object (an empty string is an error), and no
//     object in it has an unknown or repeated key;
//   - numbers are non-negative integers written without fraction or
//     exponent (1.5, -1, 1e2 and "3" are rejected);
//   - healthyRetryPolicy: fields it omits take DefaultHTTP's values, except
//     that when only one delay target is given the other adapts to it
//     (only maxDelayTarget: minDelayTarget is the smaller of 20 and it;
//     only minDelayTarget: maxDelayTarget is the larger of 20 and it);
//     numRetries is 0..MaxNumRetries; maxDelayTarget is 1..MaxDelaySeconds;
//     minDelayTarget is 1..maxDelayTarget; numNoDelayRetries +
//     numMinDelayRetries + numMaxDelayRetries ≤ numRetries; backoffFunction
//     is linear, arithmetic, geometric or exponential (in any case, stored
//     lower case); and the whole schedule (Total) takes at most
//     MaxTotalRetryTime;
//   - throttlePolicy.maxReceivesPerSecond is required and at least 1;
//   - requestPolicy.headerContentType is required, non-empty, at most
//     MaxContentTypeLength characters and a media type (type/subtype with
//     optional parameters).
//
// Every error is a *PolicyError naming the offending field.
func ParseSubscriptionPolicy(s string) (*SubscriptionPolicy, error) {
	top, err := parseDocument(s)
	if err != nil {
		return nil, err
	}
	sp := &SubscriptionPolicy{}
	for _, m := range top {
		switch m.key {
		case "healthyRetryPolicy":
			sp.Retry, err = parseRetry(m.val, m.key)
		case "throttlePolicy":
			sp.Throttle, err = parseThrottle(m.val, m.key)
		case "requestPolicy":
			sp.Request, err = parseRequest(m.val, m.key)
		case "sicklyRetryPolicy":
			err = checkIgnoredObject(m.val, m.key)
		case "guaranteed":
			_, err = parseBool(m.val, m.key)
		default:
			err = unknownKey(m.key)
		}
		if err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// ParseTopicPolicy parses and validates a topic's DeliveryPolicy attribute.
// The only top-level key allowed is "http" (null or an object); inside it,
// defaultHealthyRetryPolicy, defaultThrottlePolicy and defaultRequestPolicy
// follow the rules ParseSubscriptionPolicy applies to healthyRetryPolicy,
// throttlePolicy and requestPolicy, and disableSubscriptionOverrides is a
// boolean (null counts as false). Every error is a *PolicyError naming the
// offending field by its full path (e.g.
// "http.defaultHealthyRetryPolicy.numRetries").
func ParseTopicPolicy(s string) (*TopicPolicy, error) {
	top, err := parseDocument(s)
	if err != nil {
		return nil, err
	}
	tp := &TopicPolicy{}
	for _, m := range top {
		if m.key != "http" {
			return nil, fieldErr(m.key, `is not a recognized key (a topic's delivery policy has only "http")`)
		}
		if isNull(m.val) {
			continue
		}
		inner, err := objectMembers(m.val, m.key)
		if err != nil {
			return nil, err
		}
		for _, h := range inner {
			field := m.key + "." + h.key
			switch h.key {
			case "defaultHealthyRetryPolicy":
				tp.Retry, err = parseRetry(h.val, field)
			case "defaultThrottlePolicy":
				tp.Throttle, err = parseThrottle(h.val, field)
			case "defaultRequestPolicy":
				tp.Request, err = parseRequest(h.val, field)
			case "disableSubscriptionOverrides":
				tp.DisableSubscriptionOverrides, err = parseBool(h.val, field)
			default:
				err = unknownKey(field)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return tp, nil
}

// Effective merges a topic's and a subscription's delivery policies into
// the policy the subscription is delivered with. Each piece (retry,
// throttle, request) is taken whole from the subscription when it sets it,
// else from the topic's default; the subscription is ignored entirely when
// the topic sets disableSubscriptionOverrides. A retry policy set by
// neither is DefaultHTTP(); throttle and request policies set by neither
// stay nil. Either argument may be nil. The result shares no memory with
// the arguments.
func Effective(t *TopicPolicy, s *SubscriptionPolicy) Policy {
	var (
		retry    *RetryPolicy
		throttle *ThrottlePolicy
		request  *RequestPolicy
	)
	if t != nil {
		retry, throttle, request = t.Retry, t.Throttle, t.Request
	}
	if s != nil && (t == nil || !t.DisableSubscriptionOverrides) {
		if s.Retry != nil {
			retry = s.Retry
		}
		if s.Throttle != nil {
			throttle = s.Throttle
		}
		if s.Request != nil {
			request = s.Request
		}
	}
	p := Policy{Retry: DefaultHTTP()}
	if retry != nil {
		p.Retry = *retry
	}
	if throttle != nil {
		c := *throttle
		p.Throttle = &c
	}
	if request != nil {
		c := *request
		p.Request = &c
	}
	return p
}

// SubscriptionJSON renders p as the subscription attribute
// EffectiveDeliveryPolicy, with SNS's key order:
//
//	{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":null,"guaranteed":false}
//
// throttlePolicy and requestPolicy are rendered as objects when set. The
// backoff function is rendered lower case, and as "linear" (what the
// schedule uses) when it is not one of the four names. The output is a
// compact, single-line document without HTML escaping, which
// ParseSubscriptionPolicy accepts whenever p came from parsed policies.
func (p Policy) SubscriptionJSON() string {
	fn := strings.ToLower(p.Retry.BackoffFunction)
	if _, ok := parseBackoff(fn); !ok {
		fn = BackoffLinear
	}
	doc := subscriptionJSON{
		Healthy: retryJSON{
			MinDelayTarget:     p.Retry.MinDelayTarget,
			MaxDelayTarget:     p.Retry.MaxDelayTarget,
			NumRetries:         p.Retry.NumRetries,
			NumMaxDelayRetries: p.Retry.NumMaxDelayRetries,
			NumNoDelayRetries:  p.Retry.NumNoDelayRetries,
			NumMinDelayRetries: p.Retry.NumMinDelayRetries,
			BackoffFunction:    fn,
		},
		Throttle: p.Throttle,
		Request:  p.Request,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding cannot fail: the document holds only integers, strings,
	// booleans and nil pointers.
	_ = enc.Encode(doc)
	return strings.TrimSuffix(buf.String(), "\n")
}

// retryJSON is a RetryPolicy in EffectiveDeliveryPolicy's key order.
type retryJSON struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// subscriptionJSON is the EffectiveDeliveryPolicy document.
type subscriptionJSON struct {
	Healthy    retryJSON       `json:"healthyRetryPolicy"`
	Sickly     *struct{}       `json:"sicklyRetryPolicy"`
	Throttle   *ThrottlePolicy `json:"throttlePolicy"`
	Request    *RequestPolicy  `json:"requestPolicy"`
	Guaranteed bool            `json:"guaranteed"`
}

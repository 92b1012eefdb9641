package delivery

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func retryPtr(p RetryPolicy) *RetryPolicy { return &p }

// rp builds a linear retry policy from min, max and numRetries.
func rp(minD, maxD, n int) *RetryPolicy {
	return &RetryPolicy{MinDelayTarget: minD, MaxDelayTarget: maxD, NumRetries: n, BackoffFunction: "linear"}
}

// awsTopicExample is the topic delivery policy of the SNS developer guide.
const awsTopicExample = `{
  "http": {
    "defaultHealthyRetryPolicy": {
      "minDelayTarget": 1,
      "maxDelayTarget": 60,
      "numRetries": 50,
      "numNoDelayRetries": 3,
      "numMinDelayRetries": 2,
      "numMaxDelayRetries": 35,
      "backoffFunction": "exponential"
    },
    "disableSubscriptionOverrides": false,
    "defaultThrottlePolicy": {
      "maxReceivesPerSecond": 10
    },
    "defaultRequestPolicy": {
      "headerContentType": "text/html"
    }
  }
}`

// defaultTopicPolicy is the EffectiveDeliveryPolicy SNS reports for a
// topic without a DeliveryPolicy.
const defaultTopicPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

const defaultSubscriptionJSON = `{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":null,"guaranteed":false}`

func TestParseSubscriptionPolicyValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want SubscriptionPolicy
	}{
		{"empty object", `{}`, SubscriptionPolicy{}},
		{"blank around", " \n\t{ } \n", SubscriptionPolicy{}},
		{
			"all null and deprecated keys",
			`{"healthyRetryPolicy":null,"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":null,"guaranteed":false}`,
			SubscriptionPolicy{},
		},
		{"deprecated keys with values", `{"sicklyRetryPolicy":{"anything":1},"guaranteed":true}`, SubscriptionPolicy{}},
		{"EffectiveDeliveryPolicy output", defaultSubscriptionJSON, SubscriptionPolicy{Retry: retryPtr(DefaultHTTP())}},
		{"empty retry policy is the default", `{"healthyRetryPolicy":{}}`, SubscriptionPolicy{Retry: retryPtr(DefaultHTTP())}},
		{"only numRetries", `{"healthyRetryPolicy":{"numRetries":7}}`, SubscriptionPolicy{Retry: rp(20, 20, 7)}},
		{"only max above default: min stays 20", `{"healthyRetryPolicy":{"maxDelayTarget":60}}`, SubscriptionPolicy{Retry: rp(20, 60, 3)}},
		{"only max below default: min follows", `{"healthyRetryPolicy":{"maxDelayTarget":10}}`, SubscriptionPolicy{Retry: rp(10, 10, 3)}},
		{"only min above default: max follows", `{"healthyRetryPolicy":{"minDelayTarget":30}}`, SubscriptionPolicy{Retry: rp(30, 30, 3)}},
		{"only min below default: max stays 20", `{"healthyRetryPolicy":{"minDelayTarget":5}}`, SubscriptionPolicy{Retry: rp(5, 20, 3)}},
		{"both targets", `{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":9}}`, SubscriptionPolicy{Retry: rp(2, 9, 3)}},
		{"equal targets", `{"healthyRetryPolicy":{"minDelayTarget":9,"maxDelayTarget":9}}`, SubscriptionPolicy{Retry: rp(9, 9, 3)}},
		{"no retries", `{"healthyRetryPolicy":{"numRetries":0}}`, SubscriptionPolicy{Retry: rp(20, 20, 0)}},
		{
			// 100 retries of 36 s: exactly 3600 s.
			"total at the limit",
			`{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":36,"maxDelayTarget":36}}`,
			SubscriptionPolicy{Retry: rp(36, 36, 100)},
		},
		{"max delay at the limit", `{"healthyRetryPolicy":{"numRetries":1,"maxDelayTarget":3600}}`, SubscriptionPolicy{Retry: rp(20, 3600, 1)}},
		{
			"backoff function any case",
			`{"healthyRetryPolicy":{"backoffFunction":"EXPONENTIAL"}}`,
			SubscriptionPolicy{Retry: &RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "exponential"}},
		},
		{
			"full policy",
			`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numNoDelayRetries":3,"numMinDelayRetries":2,"numMaxDelayRetries":35,"backoffFunction":"Geometric"},
			  "throttlePolicy":{"maxReceivesPerSecond":10},"requestPolicy":{"headerContentType":"application/json; charset=UTF-8"}}`,
			SubscriptionPolicy{
				Retry: &RetryPolicy{
					MinDelayTarget: 1, MaxDelayTarget: 60, NumRetries: 50,
					NumNoDelayRetries: 3, NumMinDelayRetries: 2, NumMaxDelayRetries: 35, BackoffFunction: "geometric",
				},
				Throttle: &ThrottlePolicy{MaxReceivesPerSecond: 10},
				Request:  &RequestPolicy{HeaderContentType: "application/json; charset=UTF-8"},
			},
		},
		{
			"counts equal to numRetries",
			`{"healthyRetryPolicy":{"numRetries":6,"numNoDelayRetries":1,"numMinDelayRetries":2,"numMaxDelayRetries":3}}`,
			SubscriptionPolicy{Retry: &RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 6,
				NumNoDelayRetries: 1, NumMinDelayRetries: 2, NumMaxDelayRetries: 3, BackoffFunction: "linear"}},
		},
		{"throttle of one", `{"throttlePolicy":{"maxReceivesPerSecond":1}}`, SubscriptionPolicy{Throttle: &ThrottlePolicy{1}}},
		{"large throttle", `{"throttlePolicy":{"maxReceivesPerSecond":1000000}}`, SubscriptionPolicy{Throttle: &ThrottlePolicy{1000000}}},
		{"vendor content type", `{"requestPolicy":{"headerContentType":"application/vnd.api+json"}}`, SubscriptionPolicy{Request: &RequestPolicy{"application/vnd.api+json"}}},
		{"plain content type", `{"requestPolicy":{"headerContentType":"text/xml"}}`, SubscriptionPolicy{Request: &RequestPolicy{"text/xml"}}},
		{
			"quoted parameter",
			`{"requestPolicy":{"headerContentType":"multipart/mixed; boundary=\"a b\""}}`,
			SubscriptionPolicy{Request: &RequestPolicy{`multipart/mixed; boundary="a b"`}},
		},
		{
			"content type of 1000 characters",
			`{"requestPolicy":{"headerContentType":"text/` + strings.Repeat("a", 995) + `"}}`,
			SubscriptionPolicy{Request: &RequestPolicy{"text/" + strings.Repeat("a", 995)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSubscriptionPolicy(tt.in)
			if err != nil {
				t.Fatalf("ParseSubscriptionPolicy: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got %s, want %s", sprintValue(*got), sprintValue(tt.want))
			}
		})
	}
}

// sprintValue renders v as JSON, following pointers, for failure messages.
func sprintValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func TestParseSubscriptionPolicyInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // exact Error(), or a prefix when it ends with "…"
	}{
		{"empty string", ``, "the policy is empty; it must be a JSON object"},
		{"blank string", " \n", "the policy is empty; it must be a JSON object"},
		{"not JSON", `{"healthyRetryPolicy":`, "the policy is not valid JSON: …"},
		{"trailing data", `{} {}`, "the policy is not valid JSON: …"},
		{"array", `[]`, "the policy must be a JSON object"},
		{"null", `null`, "the policy must be a JSON object"},
		{"string", `"{}"`, "the policy must be a JSON object"},
		{"unknown top-level key", `{"healthyRetryPolicy":{},"retryPolicy":{}}`, "retryPolicy is not a recognized key"},
		{"topic key in subscription", `{"http":{}}`, "http is not a recognized key"},
		{"unknown retry key", `{"healthyRetryPolicy":{"numRetries":3,"maxRetries":4}}`, "healthyRetryPolicy.maxRetries is not a recognized key"},
		{"key case matters", `{"healthyRetryPolicy":{"NumRetries":3}}`, "healthyRetryPolicy.NumRetries is not a recognized key"},
		{"unknown throttle key", `{"throttlePolicy":{"maxReceivesPerSecond":1,"burst":2}}`, "throttlePolicy.burst is not a recognized key"},
		{"unknown request key", `{"requestPolicy":{"headerContentType":"text/plain","headers":{}}}`, "requestPolicy.headers is not a recognized key"},
		{"repeated key", `{"healthyRetryPolicy":{"numRetries":1,"numRetries":2}}`, "healthyRetryPolicy.numRetries appears more than once"},
		{"repeated top-level key", `{"throttlePolicy":null,"throttlePolicy":null}`, "throttlePolicy appears more than once"},
		{"retry policy not an object", `{"healthyRetryPolicy":[]}`, "healthyRetryPolicy must be a JSON object"},
		{"retry policy a string", `{"healthyRetryPolicy":"{}"}`, "healthyRetryPolicy must be a JSON object"},
		{"throttle not an object", `{"throttlePolicy":5}`, "throttlePolicy must be a JSON object"},
		{"request not an object", `{"requestPolicy":"text/plain"}`, "requestPolicy must be a JSON object"},
		{"fractional", `{"healthyRetryPolicy":{"numRetries":1.5}}`, "healthyRetryPolicy.numRetries must be a non-negative integer"},
		{"integral fraction", `{"healthyRetryPolicy":{"numRetries":2.0}}`, "healthyRetryPolicy.numRetries must be a non-negative integer"},
		{"exponent", `{"healthyRetryPolicy":{"numRetries":1e1}}`, "healthyRetryPolicy.numRetries must be a non-negative integer"},
		{"negative", `{"healthyRetryPolicy":{"numNoDelayRetries":-1}}`, "healthyRetryPolicy.numNoDelayRetries must be a non-negative integer"},
		{"string number", `{"healthyRetryPolicy":{"minDelayTarget":"3"}}`, "healthyRetryPolicy.minDelayTarget must be a non-negative integer"},
		{"null number", `{"healthyRetryPolicy":{"maxDelayTarget":null}}`, "healthyRetryPolicy.maxDelayTarget must be a non-negative integer"},
		{"bool number", `{"healthyRetryPolicy":{"numMinDelayRetries":true}}`, "healthyRetryPolicy.numMinDelayRetries must be a non-negative integer"},
		{"fractional count", `{"healthyRetryPolicy":{"numMaxDelayRetries":0.5}}`, "healthyRetryPolicy.numMaxDelayRetries must be a non-negative integer"},
		{"too many retries", `{"healthyRetryPolicy":{"numRetries":101}}`, "healthyRetryPolicy.numRetries must be between 0 and 100"},
		{"huge retries", `{"healthyRetryPolicy":{"numRetries":123456789012345678901234567890}}`, "healthyRetryPolicy.numRetries must be between 0 and 100"},
		{"max delay zero", `{"healthyRetryPolicy":{"maxDelayTarget":0}}`, "healthyRetryPolicy.maxDelayTarget must be between 1 and 3600"},
		{"max delay too long", `{"healthyRetryPolicy":{"numRetries":1,"maxDelayTarget":3601}}`, "healthyRetryPolicy.maxDelayTarget must be between 1 and 3600"},
		{"min delay zero", `{"healthyRetryPolicy":{"minDelayTarget":0}}`, "healthyRetryPolicy.minDelayTarget must be between 1 and 3600"},
		{"min delay alone too long", `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":3601}}`, "healthyRetryPolicy.minDelayTarget must be between 1 and 3600"},
		{"min above max", `{"healthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":10}}`, "healthyRetryPolicy.minDelayTarget must be between 1 and maxDelayTarget (10)"},
		{"min zero with max", `{"healthyRetryPolicy":{"minDelayTarget":0,"maxDelayTarget":10}}`, "healthyRetryPolicy.minDelayTarget must be between 1 and maxDelayTarget (10)"},
		{
			"counts above numRetries",
			`{"healthyRetryPolicy":{"numRetries":3,"numNoDelayRetries":2,"numMaxDelayRetries":2}}`,
			"healthyRetryPolicy.numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries (4)",
		},
		{
			"counts above default numRetries",
			`{"healthyRetryPolicy":{"numMinDelayRetries":4}}`,
			"healthyRetryPolicy.numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries (4)",
		},
		{
			"huge count",
			`{"healthyRetryPolicy":{"numRetries":100,"numNoDelayRetries":99999999999999999999999}}`,
			"healthyRetryPolicy.numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries (2147483647)",
		},
		{"unknown backoff", `{"healthyRetryPolicy":{"backoffFunction":"quadratic"}}`, "healthyRetryPolicy.backoffFunction must be one of linear, arithmetic, geometric or exponential"},
		{"empty backoff", `{"healthyRetryPolicy":{"backoffFunction":""}}`, "healthyRetryPolicy.backoffFunction must be one of linear, arithmetic, geometric or exponential"},
		{"backoff not a string", `{"healthyRetryPolicy":{"backoffFunction":1}}`, "healthyRetryPolicy.backoffFunction must be a string"},
		{
			// 2 × 3600 s.
			"total far too long",
			`{"healthyRetryPolicy":{"numRetries":2,"minDelayTarget":3600,"maxDelayTarget":3600}}`,
			"healthyRetryPolicy must not retry for longer than 3600 seconds in total (this one retries for 7200 seconds)",
		},
		{
			// 100 × 37 s = 3700 s.
			"total just too long",
			`{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":37,"maxDelayTarget":37}}`,
			"healthyRetryPolicy must not retry for longer than 3600 seconds in total (this one retries for 3700 seconds)",
		},
		{
			// 3 × 0 s, 1 × 1 s, then B = 2 linear from 1 to 3600:
			// 1 + 3599·1/2 = 1800.5 and 3600; total 1 + 1800.5 + 3600 = 5401.5.
			"total with fractional seconds",
			`{"healthyRetryPolicy":{"numRetries":6,"numNoDelayRetries":3,"numMinDelayRetries":1,"minDelayTarget":1,"maxDelayTarget":3600}}`,
			"healthyRetryPolicy must not retry for longer than 3600 seconds in total (this one retries for 5401.5 seconds)",
		},
		{"throttle zero", `{"throttlePolicy":{"maxReceivesPerSecond":0}}`, "throttlePolicy.maxReceivesPerSecond must be at least 1"},
		{"throttle fractional", `{"throttlePolicy":{"maxReceivesPerSecond":2.5}}`, "throttlePolicy.maxReceivesPerSecond must be a non-negative integer"},
		{"throttle missing rate", `{"throttlePolicy":{}}`, "throttlePolicy.maxReceivesPerSecond is required"},
		{"content type empty", `{"requestPolicy":{"headerContentType":""}}`, "requestPolicy.headerContentType must not be empty"},
		{"content type blank", `{"requestPolicy":{"headerContentType":"  "}}`, "requestPolicy.headerContentType must not be empty"},
		{"content type without subtype", `{"requestPolicy":{"headerContentType":"text"}}`, "requestPolicy.headerContentType must be a media type such as text/plain; charset=UTF-8"},
		{"content type empty subtype", `{"requestPolicy":{"headerContentType":"text/"}}`, "requestPolicy.headerContentType must be a media type such as text/plain; charset=UTF-8"},
		{"content type bad parameter", `{"requestPolicy":{"headerContentType":"text/plain; charset"}}`, "requestPolicy.headerContentType must be a media type such as text/plain; charset=UTF-8"},
		{"content type with spaces", `{"requestPolicy":{"headerContentType":"text plain/x"}}`, "requestPolicy.headerContentType must be a media type such as text/plain; charset=UTF-8"},
		{
			"content type too long",
			`{"requestPolicy":{"headerContentType":"text/` + strings.Repeat("a", 996) + `"}}`,
			"requestPolicy.headerContentType must be at most 1000 characters",
		},
		{"content type not a string", `{"requestPolicy":{"headerContentType":12}}`, "requestPolicy.headerContentType must be a string"},
		{"content type missing", `{"requestPolicy":{}}`, "requestPolicy.headerContentType is required"},
		{"guaranteed not a bool", `{"guaranteed":"yes"}`, "guaranteed must be true or false"},
		{"sickly policy a number", `{"sicklyRetryPolicy":5}`, "sicklyRetryPolicy must be null or a JSON object"},
		{"first error in document order", `{"foo":1,"healthyRetryPolicy":{"numRetries":101}}`, "foo is not a recognized key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseSubscriptionPolicy(tt.in)
			checkPolicyError(t, p == nil, err, tt.want)
		})
	}
}

// checkPolicyError checks that err is a *PolicyError whose message is want
// (or starts with want without its trailing "…"), and that no policy came
// with it.
func checkPolicyError(t *testing.T, noPolicy bool, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !noPolicy {
		t.Error("a policy was returned along with the error")
	}
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *PolicyError", err, err)
	}
	got := err.Error()
	if prefix, ok := strings.CutSuffix(want, "…"); ok {
		if !strings.HasPrefix(got, prefix) || len(got) == len(prefix) {
			t.Fatalf("error %q, want %q followed by details", got, prefix)
		}
		if pe.Unwrap() == nil {
			t.Error("syntax error does not wrap its cause")
		}
		return
	}
	if got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

func TestPolicyErrorFormat(t *testing.T) {
	cause := errors.New("cause")
	e := &PolicyError{Field: "healthyRetryPolicy.numRetries", Reason: "must be between 0 and 100", Err: cause}
	if got, want := e.Error(), "healthyRetryPolicy.numRetries must be between 0 and 100"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("errors.Is does not reach the cause")
	}
	if got := (&PolicyError{Reason: "the policy must be a JSON object"}).Error(); got != "the policy must be a JSON object" {
		t.Errorf("Error() without field = %q", got)
	}
}

func TestParseTopicPolicyValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want TopicPolicy
	}{
		{"empty object", `{}`, TopicPolicy{}},
		{"null http", `{"http":null}`, TopicPolicy{}},
		{"empty http", `{"http":{}}`, TopicPolicy{}},
		{
			"SNS default EffectiveDeliveryPolicy",
			defaultTopicPolicy,
			TopicPolicy{Retry: retryPtr(DefaultHTTP()), Request: &RequestPolicy{"text/plain; charset=UTF-8"}},
		},
		{
			"developer guide example",
			awsTopicExample,
			TopicPolicy{
				Retry: &RetryPolicy{
					MinDelayTarget: 1, MaxDelayTarget: 60, NumRetries: 50,
					NumNoDelayRetries: 3, NumMinDelayRetries: 2, NumMaxDelayRetries: 35, BackoffFunction: "exponential",
				},
				Throttle: &ThrottlePolicy{10},
				Request:  &RequestPolicy{"text/html"},
			},
		},
		{
			"overrides disabled",
			`{"http":{"defaultHealthyRetryPolicy":{"maxDelayTarget":60},"disableSubscriptionOverrides":true}}`,
			TopicPolicy{Retry: rp(20, 60, 3), DisableSubscriptionOverrides: true},
		},
		{"null pieces", `{"http":{"defaultHealthyRetryPolicy":null,"defaultThrottlePolicy":null,"defaultRequestPolicy":null,"disableSubscriptionOverrides":null}}`, TopicPolicy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTopicPolicy(tt.in)
			if err != nil {
				t.Fatalf("ParseTopicPolicy: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got %s, want %s", sprintValue(*got), sprintValue(tt.want))
			}
		})
	}
}

func TestParseTopicPolicyInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty string", ``, "the policy is empty; it must be a JSON object"},
		{"not JSON", `{"http":{`, "the policy is not valid JSON: …"},
		{"array", `[{"http":{}}]`, "the policy must be a JSON object"},
		{"other protocol", `{"https":{}}`, `https is not a recognized key (a topic's delivery policy has only "http")`},
		{"subscription shape", `{"healthyRetryPolicy":{}}`, `healthyRetryPolicy is not a recognized key (a topic's delivery policy has only "http")`},
		{"http not an object", `{"http":[]}`, "http must be a JSON object"},
		{"unknown http key", `{"http":{"healthyRetryPolicy":{}}}`, "http.healthyRetryPolicy is not a recognized key"},
		{"unknown retry key", `{"http":{"defaultHealthyRetryPolicy":{"jitter":true}}}`, "http.defaultHealthyRetryPolicy.jitter is not a recognized key"},
		{"repeated http", `{"http":{},"http":{}}`, "http appears more than once"},
		{"too many retries", `{"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}}`, "http.defaultHealthyRetryPolicy.numRetries must be between 0 and 100"},
		{"fractional", `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1.5}}}`, "http.defaultHealthyRetryPolicy.minDelayTarget must be a non-negative integer"},
		{
			"counts above numRetries",
			`{"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"numNoDelayRetries":1,"numMaxDelayRetries":1}}}`,
			"http.defaultHealthyRetryPolicy.numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries (2)",
		},
		{
			"total too long",
			`{"http":{"defaultHealthyRetryPolicy":{"numRetries":100,"minDelayTarget":40,"maxDelayTarget":40}}}`,
			"http.defaultHealthyRetryPolicy must not retry for longer than 3600 seconds in total (this one retries for 4000 seconds)",
		},
		{"throttle zero", `{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":0}}}`, "http.defaultThrottlePolicy.maxReceivesPerSecond must be at least 1"},
		{"unknown throttle key", `{"http":{"defaultThrottlePolicy":{"maxReceivesPerMinute":1}}}`, "http.defaultThrottlePolicy.maxReceivesPerMinute is not a recognized key"},
		{"bad content type", `{"http":{"defaultRequestPolicy":{"headerContentType":"json"}}}`, "http.defaultRequestPolicy.headerContentType must be a media type such as text/plain; charset=UTF-8"},
		{"overrides not a bool", `{"http":{"disableSubscriptionOverrides":"true"}}`, "http.disableSubscriptionOverrides must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseTopicPolicy(tt.in)
			checkPolicyError(t, p == nil, err, tt.want)
		})
	}
}

func TestEffective(t *testing.T) {
	topicRetry := rp(5, 50, 10)
	subRetry := rp(1, 2, 4)
	topic := &TopicPolicy{Retry: topicRetry, Throttle: &ThrottlePolicy{5}, Request: &RequestPolicy{"text/html"}}
	tests := []struct {
		name string
		t    *TopicPolicy
		s    *SubscriptionPolicy
		want Policy
	}{
		{"both nil", nil, nil, Policy{Retry: DefaultHTTP()}},
		{"empty both", &TopicPolicy{}, &SubscriptionPolicy{}, Policy{Retry: DefaultHTTP()}},
		{"topic only", topic, nil, Policy{Retry: *topicRetry, Throttle: &ThrottlePolicy{5}, Request: &RequestPolicy{"text/html"}}},
		{
			"subscription only",
			nil,
			&SubscriptionPolicy{Retry: subRetry, Throttle: &ThrottlePolicy{2}},
			Policy{Retry: *subRetry, Throttle: &ThrottlePolicy{2}},
		},
		{
			"subscription wins piece by piece",
			topic,
			&SubscriptionPolicy{Retry: subRetry},
			Policy{Retry: *subRetry, Throttle: &ThrottlePolicy{5}, Request: &RequestPolicy{"text/html"}},
		},
		{
			"subscription wins every piece",
			topic,
			&SubscriptionPolicy{Retry: subRetry, Throttle: &ThrottlePolicy{2}, Request: &RequestPolicy{"application/json"}},
			Policy{Retry: *subRetry, Throttle: &ThrottlePolicy{2}, Request: &RequestPolicy{"application/json"}},
		},
		{
			"overrides disabled",
			&TopicPolicy{Retry: topicRetry, DisableSubscriptionOverrides: true},
			&SubscriptionPolicy{Retry: subRetry, Throttle: &ThrottlePolicy{2}, Request: &RequestPolicy{"application/json"}},
			Policy{Retry: *topicRetry},
		},
		{
			"overrides disabled without topic retry",
			&TopicPolicy{DisableSubscriptionOverrides: true},
			&SubscriptionPolicy{Retry: subRetry},
			Policy{Retry: DefaultHTTP()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Effective(tt.t, tt.s)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Effective = %s, want %s", sprintValue(got), sprintValue(tt.want))
			}
		})
	}

	// The result shares no memory with its arguments.
	got := Effective(topic, nil)
	got.Throttle.MaxReceivesPerSecond = 99
	got.Request.HeaderContentType = "x/y"
	got.Retry.NumRetries = 99
	if topic.Throttle.MaxReceivesPerSecond != 5 || topic.Request.HeaderContentType != "text/html" || topic.Retry.NumRetries != 10 {
		t.Error("modifying Effective's result changed the topic policy")
	}
}

func TestEffectiveFromParsed(t *testing.T) {
	tp, err := ParseTopicPolicy(awsTopicExample)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ParseSubscriptionPolicy(`{"healthyRetryPolicy":{"numRetries":5},"throttlePolicy":{"maxReceivesPerSecond":3}}`)
	if err != nil {
		t.Fatal(err)
	}
	got := Effective(tp, sp)
	// The subscription's retry policy is taken whole: its omitted fields
	// are DefaultHTTP's, not the topic's.
	want := Policy{Retry: *rp(20, 20, 5), Throttle: &ThrottlePolicy{3}, Request: &RequestPolicy{"text/html"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Effective = %s, want %s", sprintValue(got), sprintValue(want))
	}
	if got.ContentType() != "text/html" {
		t.Errorf("ContentType() = %q", got.ContentType())
	}
}

func TestContentType(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{}, "text/plain; charset=UTF-8"},
		{Policy{Request: &RequestPolicy{}}, "text/plain; charset=UTF-8"},
		{Policy{Request: &RequestPolicy{"application/json"}}, "application/json"},
	}
	for _, tt := range tests {
		if got := tt.p.ContentType(); got != tt.want {
			t.Errorf("%s.ContentType() = %q, want %q", sprintValue(tt.p), got, tt.want)
		}
	}
}

func TestSubscriptionJSON(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		want string
	}{
		{"default", Policy{Retry: DefaultHTTP()}, defaultSubscriptionJSON},
		{"effective of nothing", Effective(nil, nil), defaultSubscriptionJSON},
		{
			"full",
			Policy{
				Retry: RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 60, NumRetries: 50, NumNoDelayRetries: 3,
					NumMinDelayRetries: 2, NumMaxDelayRetries: 35, BackoffFunction: "exponential"},
				Throttle: &ThrottlePolicy{10},
				Request:  &RequestPolicy{"text/html; q=<1>&x"},
			},
			`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numMaxDelayRetries":35,"numNoDelayRetries":3,"numMinDelayRetries":2,"backoffFunction":"exponential"},"sicklyRetryPolicy":null,"throttlePolicy":{"maxReceivesPerSecond":10},"requestPolicy":{"headerContentType":"text/html; q=<1>&x"},"guaranteed":false}`,
		},
		{
			"backoff name normalised",
			Policy{Retry: RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 2, NumRetries: 1, BackoffFunction: "Geometric"}},
			`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":2,"numRetries":1,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"geometric"},"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":null,"guaranteed":false}`,
		},
		{
			"unknown backoff rendered as linear",
			Policy{Retry: RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 2, NumRetries: 1}},
			`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":2,"numRetries":1,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"requestPolicy":null,"guaranteed":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.SubscriptionJSON(); got != tt.want {
				t.Fatalf("SubscriptionJSON() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestSubscriptionJSONRoundTrip checks that the rendered effective policy
// is itself an acceptable DeliveryPolicy that means the same.
func TestSubscriptionJSONRoundTrip(t *testing.T) {
	tp, err := ParseTopicPolicy(awsTopicExample)
	if err != nil {
		t.Fatal(err)
	}
	want := Effective(tp, nil)
	sp, err := ParseSubscriptionPolicy(want.SubscriptionJSON())
	if err != nil {
		t.Fatalf("re-parsing %s: %v", want.SubscriptionJSON(), err)
	}
	if got := Effective(nil, sp); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip gave %s, want %s", sprintValue(got), sprintValue(want))
	}
}

package delivery

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// checkRetry checks the invariants of a parsed retry policy: a valid
// backoff function stored lower case, delay targets within the limits, and
// a schedule of NumRetries entries, each between 0 and MaxDelayTarget,
// adding up to Total, which is at most MaxTotalRetryTime.
func checkRetry(t *testing.T, p *RetryPolicy) {
	t.Helper()
	if p == nil {
		return
	}
	switch p.BackoffFunction {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		t.Fatalf("backoff function %q", p.BackoffFunction)
	}
	if p.MinDelayTarget < 1 || p.MinDelayTarget > p.MaxDelayTarget || p.MaxDelayTarget > MaxDelaySeconds {
		t.Fatalf("delay targets %d..%d", p.MinDelayTarget, p.MaxDelayTarget)
	}
	if p.NumRetries < 0 || p.NumRetries > MaxNumRetries ||
		p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries {
		t.Fatalf("retry counts %+v", *p)
	}
	s := p.Schedule()
	if len(s) != p.NumRetries {
		t.Fatalf("schedule has %d entries, want %d", len(s), p.NumRetries)
	}
	maxD := time.Duration(p.MaxDelayTarget) * time.Second
	var sum time.Duration
	for i, d := range s {
		if d < 0 || d > maxD {
			t.Fatalf("delay %d = %v, outside [0, %v]", i+1, d, maxD)
		}
		if got, ok := p.Delay(i + 1); !ok || got != d {
			t.Fatalf("Delay(%d) = %v, %v; schedule says %v", i+1, got, ok, d)
		}
		sum += d
	}
	if _, ok := p.Delay(p.NumRetries + 1); ok {
		t.Fatalf("Delay(%d) ok beyond NumRetries", p.NumRetries+1)
	}
	if tot := p.Total(); tot != sum || tot > MaxTotalRetryTime {
		t.Fatalf("Total() = %v, schedule sums to %v, limit %v", tot, sum, MaxTotalRetryTime)
	}
}

// checkParseError checks that a parse failure is a non-empty *PolicyError.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Error() == "" || pe.Reason == "" {
		t.Fatalf("error %T %q is not a complete *PolicyError", err, err)
	}
}

// checkRoundTrip checks that the effective policy renders as an acceptable
// subscription DeliveryPolicy meaning the same.
func checkRoundTrip(t *testing.T, want Policy) {
	t.Helper()
	doc := want.SubscriptionJSON()
	sp, err := ParseSubscriptionPolicy(doc)
	if err != nil {
		t.Fatalf("re-parsing %s: %v", doc, err)
	}
	if got := Effective(nil, sp); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s re-parsed as %+v, want %+v", doc, got, want)
	}
}

func FuzzParseSubscriptionPolicy(f *testing.F) {
	f.Add(``)
	f.Add(`{}`)
	f.Add(`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numNoDelayRetries":3,"numMinDelayRetries":2,"numMaxDelayRetries":35,"backoffFunction":"exponential"}}`)
	f.Add(`{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":36,"maxDelayTarget":36,"backoffFunction":"geometric"},"throttlePolicy":{"maxReceivesPerSecond":5},"requestPolicy":{"headerContentType":"application/json"}}`)
	f.Add(`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":3600,"numRetries":3,"backoffFunction":"Arithmetic"}}`)
	f.Add(`{"healthyRetryPolicy":{"maxDelayTarget":7},"sicklyRetryPolicy":null,"guaranteed":false}`)
	f.Add(`{"healthyRetryPolicy":{"numRetries":1.5}}`)
	f.Add(`{"throttlePolicy":{"maxReceivesPerSecond":0}}`)
	f.Add(defaultSubscriptionJSON)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseSubscriptionPolicy(s)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned along with an error")
			}
			checkParseError(t, err)
			return
		}
		checkRetry(t, p.Retry)
		if p.Throttle != nil && p.Throttle.MaxReceivesPerSecond < 1 {
			t.Fatalf("throttle %d", p.Throttle.MaxReceivesPerSecond)
		}
		if p.Request != nil && p.Request.HeaderContentType == "" {
			t.Fatal("empty content type accepted")
		}
		eff := Effective(nil, p)
		checkRetry(t, &eff.Retry)
		checkRoundTrip(t, eff)
	})
}

func FuzzParseTopicPolicy(f *testing.F) {
	f.Add(``)
	f.Add(`{}`)
	f.Add(`{"http":null}`)
	f.Add(awsTopicExample)
	f.Add(defaultTopicPolicy)
	f.Add(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":20,"numNoDelayRetries":2,"minDelayTarget":3,"maxDelayTarget":200,"backoffFunction":"geometric"},"disableSubscriptionOverrides":true}}`)
	f.Add(`{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":1},"defaultRequestPolicy":{"headerContentType":"text/xml; charset=\"utf-8\""}}}`)
	f.Add(`{"https":{}}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseTopicPolicy(s)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned along with an error")
			}
			checkParseError(t, err)
			return
		}
		checkRetry(t, p.Retry)
		if p.Throttle != nil && p.Throttle.MaxReceivesPerSecond < 1 {
			t.Fatalf("throttle %d", p.Throttle.MaxReceivesPerSecond)
		}
		if p.Request != nil && p.Request.HeaderContentType == "" {
			t.Fatal("empty content type accepted")
		}
		eff := Effective(p, &SubscriptionPolicy{Retry: retryPtr(DefaultHTTP())})
		if p.DisableSubscriptionOverrides && p.Retry != nil && eff.Retry != *p.Retry {
			t.Fatal("subscription overrode a topic that disables overrides")
		}
		checkRetry(t, &eff.Retry)
		checkRoundTrip(t, eff)
	})
}

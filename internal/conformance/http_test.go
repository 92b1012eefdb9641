package conformance_test

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/server"
	"github.com/abanico/abanico/internal/snssign"
	"github.com/abanico/abanico/internal/topic"
	"github.com/abanico/abanico/internal/webhook"
)

type (
	snsAttr       = snstypes.MessageAttributeValue
	snsBatchEntry = snstypes.PublishBatchRequestEntry
)

// received is one request an endpoint got.
type received struct {
	n    int
	at   time.Time
	hdr  http.Header
	body string
}

// receiver is a real HTTP endpoint on loopback that records every request
// and answers with the status its rule picks.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []received
	ch   chan received
}

// newReceiver starts an endpoint; status picks the answer to the nth
// request (nil: 200).
func newReceiver(t *testing.T, status func(r received) int) *receiver {
	rc := &receiver{ch: make(chan received, 1024)}
	rc.srv = httptest.NewServer(rc.handler(status))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) handler(status func(r received) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		got := received{n: len(rc.reqs) + 1, at: time.Now(), hdr: r.Header.Clone(), body: string(b)}
		rc.reqs = append(rc.reqs, got)
		rc.mu.Unlock()
		code := 200
		if status != nil {
			code = status(got)
		}
		w.WriteHeader(code)
		rc.ch <- got
	}
}

// next waits for the next request.
func (rc *receiver) next(t *testing.T, wait time.Duration) received {
	t.Helper()
	select {
	case r := <-rc.ch:
		return r
	case <-time.After(wait):
		t.Fatalf("endpoint got no request in %s", wait)
	}
	return received{}
}

// none checks that no request arrives for d.
func (rc *receiver) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-rc.ch:
		t.Fatalf("unexpected request %s: %s", r.hdr.Get("x-amz-sns-message-type"), r.body)
	case <-time.After(d):
	}
}

type confirmation struct {
	Type, MessageId, Token, TopicArn, Message, SubscribeURL, Timestamp string
	SignatureVersion, Signature, SigningCertURL                        string
}

func certPEM(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("fetch signing cert: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// verifyConfirmation checks a (Un)SubscriptionConfirmation's fields and
// signature against the served certificate.
func verifyConfirmation(t *testing.T, r received, typ string) confirmation {
	t.Helper()
	var c confirmation
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatalf("confirmation is not JSON: %v: %s", err, r.body)
	}
	if c.Type != typ || r.hdr.Get("x-amz-sns-message-type") != typ || r.hdr.Get("x-amz-sns-message-id") != c.MessageId ||
		r.hdr.Get("x-amz-sns-topic-arn") != c.TopicArn || c.Token == "" || !strings.Contains(c.SubscribeURL, c.Token) {
		t.Fatalf("bad %s: headers %v body %s", typ, r.hdr, r.body)
	}
	m := snssign.Message{Type: c.Type, MessageId: c.MessageId, Token: c.Token, TopicArn: c.TopicArn,
		Message: c.Message, SubscribeURL: c.SubscribeURL, Timestamp: c.Timestamp}
	if err := snssign.Verify(certPEM(t, c.SigningCertURL), m, c.SignatureVersion, c.Signature); err != nil {
		t.Fatalf("%s signature (v%s): %v", typ, c.SignatureVersion, err)
	}
	return c
}

// subscribeHTTP subscribes rc's URL and confirms through the API.
func (e *snsEnv) subscribeHTTP(t *testing.T, topicArn string, rc *receiver, attrs map[string]string) string {
	t.Helper()
	out, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(rc.srv.URL + "/hook"), Attributes: attrs})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if *out.SubscriptionArn != "pending confirmation" {
		t.Fatalf("Subscribe returned %q, want pending confirmation", *out.SubscriptionArn)
	}
	c := verifyConfirmation(t, rc.next(t, 15*time.Second), snssign.TypeSubscriptionConfirmation)
	conf, err := e.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: &topicArn, Token: &c.Token})
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	return *conf.SubscriptionArn
}

func (e *snsEnv) subAttrs(t *testing.T, arn string) map[string]string {
	t.Helper()
	out, err := e.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: &arn})
	if err != nil {
		t.Fatalf("get subscription attributes: %v", err)
	}
	return out.Attributes
}

func (e *snsEnv) publish(t *testing.T, topicArn, msg string) string {
	t.Helper()
	out, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: &msg})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return *out.MessageId
}

// stats reads the subscription's attempt log through the native API.
func (e *snsEnv) stats(t *testing.T, subArn string) topic.SubscriptionStats {
	t.Helper()
	resp, err := http.Get(e.srv.URL() + "/v1/subscriptions/" + subArn + "/attempts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st topic.SubscriptionStats
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("attempts: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestHTTPSubscriptions(t *testing.T) { runSuite(t, httpCases, newSNSEnv) }

var httpCases = []suiteCase[*snsEnv]{
	{"ConfirmByAPIAndSignedNotifications", testHTTPConfirmByAPI},
	{"ConfirmByGETAndAuthenticatedUnsubscribe", testHTTPConfirmByGET},
	{"RawDeliveryAndContentType", testHTTPRaw},
	{"RetryUntilSuccess", testHTTPRetry},
	{"ClientErrorsAreDeliveries", testHTTPClientError},
	{"BackoffSchedules", testHTTPBackoff},
	{"Throttle", testHTTPThrottle},
	{"ExhaustedRetriesToDLQ", testHTTPDLQ},
	{"BadDeliveryPolicy", testHTTPBadPolicy},
	{"StandardWebhooks", testHTTPStandardWebhooks},
	{"FilterPolicy", testHTTPFilter},
}

func testHTTPConfirmByAPI(t *testing.T, e *snsEnv) {
	for _, version := range []string{"1", "2"} {
		t.Run("v"+version, func(t *testing.T) {
			rc := newReceiver(t, nil)
			topicArn := e.topic(t, qname(t), map[string]string{"SignatureVersion": version})
			out, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
				Endpoint: aws.String(rc.srv.URL + "/hook"), ReturnSubscriptionArn: true})
			if err != nil {
				t.Fatal(err)
			}
			subArn := *out.SubscriptionArn
			a := e.subAttrs(t, subArn)
			if a["PendingConfirmation"] != "true" || a["ConfirmationWasAuthenticated"] != "false" {
				t.Fatalf("pending subscription attributes: %v", a)
			}
			list, _ := e.sns.ListSubscriptionsByTopic(ctxT(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topicArn})
			if len(list.Subscriptions) != 1 || *list.Subscriptions[0].SubscriptionArn != "PendingConfirmation" {
				t.Fatalf("pending subscription listed as %+v", list.Subscriptions)
			}
			ta, _ := e.sns.GetTopicAttributes(ctxT(t), &sns.GetTopicAttributesInput{TopicArn: &topicArn})
			if ta.Attributes["SubscriptionsPending"] != "1" || ta.Attributes["SubscriptionsConfirmed"] != "0" {
				t.Fatalf("topic counts %v", ta.Attributes)
			}
			c := verifyConfirmation(t, rc.next(t, 15*time.Second), snssign.TypeSubscriptionConfirmation)
			if c.SignatureVersion != version || c.TopicArn != topicArn {
				t.Fatalf("confirmation %+v", c)
			}
			// Nothing flows while pending.
			e.publish(t, topicArn, "while pending")
			rc.none(t, 500*time.Millisecond)
			if _, err := e.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: &topicArn, Token: aws.String("nope")}); !isCode(err, "InvalidParameter") {
				t.Fatalf("bad token: %v", err)
			}
			conf, err := e.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: &topicArn, Token: &c.Token})
			if err != nil || *conf.SubscriptionArn != subArn {
				t.Fatalf("confirm: %v %v", conf, err)
			}
			a = e.subAttrs(t, subArn)
			if a["PendingConfirmation"] != "false" || a["ConfirmationWasAuthenticated"] != "true" || a["EffectiveDeliveryPolicy"] == "" {
				t.Fatalf("confirmed subscription attributes: %v", a)
			}
			_, err = e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String("hello"), Subject: aws.String("greeting"),
				MessageAttributes: map[string]snsAttr{"color": {DataType: aws.String("String"), StringValue: aws.String("blue")}}})
			if err != nil {
				t.Fatal(err)
			}
			r := rc.next(t, 15*time.Second)
			var env envelope
			if err := json.Unmarshal([]byte(r.body), &env); err != nil {
				t.Fatalf("notification: %v: %s", err, r.body)
			}
			if env.Type != "Notification" || env.Message != "hello" || env.Subject != "greeting" || env.SignatureVersion != version ||
				env.MessageAttributes["color"].Value != "blue" || !strings.Contains(env.UnsubscribeURL, subArn) {
				t.Fatalf("notification %s", r.body)
			}
			e.verify(t, env)
			want := map[string]string{
				"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": env.MessageId, "x-amz-sns-topic-arn": topicArn,
				"x-amz-sns-subscription-arn": subArn, "Content-Type": "text/plain; charset=UTF-8",
				"User-Agent": "Amazon Simple Notification Service Agent",
			}
			for k, v := range want {
				if r.hdr.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, r.hdr.Get(k), v)
				}
			}
			if r.hdr.Get("x-amz-sns-rawdelivery") != "" {
				t.Error("x-amz-sns-rawdelivery on an enveloped message")
			}
			// Unsubscribe sends the UnsubscribeConfirmation.
			if _, err := e.sns.Unsubscribe(ctxT(t), &sns.UnsubscribeInput{SubscriptionArn: &subArn}); err != nil {
				t.Fatal(err)
			}
			verifyConfirmation(t, rc.next(t, 15*time.Second), snssign.TypeUnsubscribeConfirmation)
		})
	}
}

func testHTTPConfirmByGET(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	if _, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(rc.srv.URL + "/hook")}); err != nil {
		t.Fatal(err)
	}
	c := verifyConfirmation(t, rc.next(t, 15*time.Second), snssign.TypeSubscriptionConfirmation)
	// The endpoint confirms by following SubscribeURL, as SNS receivers do.
	resp, err := http.Get(c.SubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<ConfirmSubscriptionResult><SubscriptionArn>"+topicArn+":") {
		t.Fatalf("GET SubscribeURL: %d %s", resp.StatusCode, body)
	}
	subArn := between(string(body), "<SubscriptionArn>", "</SubscriptionArn>")
	if a := e.subAttrs(t, subArn); a["ConfirmationWasAuthenticated"] != "false" || a["PendingConfirmation"] != "false" {
		t.Fatalf("attributes after GET confirm: %v", a)
	}
	e.publish(t, topicArn, "after GET confirm")
	if r := rc.next(t, 15*time.Second); !strings.Contains(r.body, "after GET confirm") {
		t.Fatalf("got %s", r.body)
	}

	// A second subscription confirmed through the API with
	// AuthenticateOnUnsubscribe cannot be deleted by its UnsubscribeURL.
	rc2 := newReceiver(t, nil)
	if _, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(rc2.srv.URL + "/hook")}); err != nil {
		t.Fatal(err)
	}
	c2 := verifyConfirmation(t, rc2.next(t, 15*time.Second), snssign.TypeSubscriptionConfirmation)
	conf, err := e.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: &topicArn, Token: &c2.Token,
		AuthenticateOnUnsubscribe: aws.String("true")})
	if err != nil {
		t.Fatal(err)
	}
	e.publish(t, topicArn, "to both")
	r := rc2.next(t, 15*time.Second)
	rc.next(t, 15*time.Second)
	var env envelope
	json.Unmarshal([]byte(r.body), &env)
	resp, err = http.Get(env.UnsubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "AuthorizationError") {
		t.Fatalf("unauthenticated unsubscribe: %d %s", resp.StatusCode, body)
	}
	if _, err := e.sns.Unsubscribe(ctxT(t), &sns.UnsubscribeInput{SubscriptionArn: conf.SubscriptionArn}); err != nil {
		t.Fatalf("authenticated unsubscribe: %v", err)
	}
	// The UnsubscribeConfirmation's SubscribeURL restores the subscription.
	u := verifyConfirmation(t, rc2.next(t, 15*time.Second), snssign.TypeUnsubscribeConfirmation)
	resp, err = http.Get(u.SubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("restore: %d", resp.StatusCode)
	}
	e.publish(t, topicArn, "restored")
	if r := rc2.next(t, 15*time.Second); !strings.Contains(r.body, "restored") {
		t.Fatalf("restored subscription got %s", r.body)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

func testHTTPRaw(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	subArn := e.subscribeHTTP(t, topicArn, rc, map[string]string{"RawMessageDelivery": "true",
		"DeliveryPolicy": `{"requestPolicy":{"headerContentType":"application/json"}}`})
	_, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String(`{"order":42}`),
		MessageAttributes: map[string]snsAttr{"a": {DataType: aws.String("String"), StringValue: aws.String("b")}}})
	if err != nil {
		t.Fatal(err)
	}
	r := rc.next(t, 15*time.Second)
	if r.body != `{"order":42}` || r.hdr.Get("x-amz-sns-rawdelivery") != "true" || r.hdr.Get("Content-Type") != "application/json" ||
		r.hdr.Get("x-amz-sns-subscription-arn") != subArn {
		t.Fatalf("raw delivery: %v %s", r.hdr, r.body)
	}
}

func testHTTPRetry(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, func(r received) int {
		if r.hdr.Get("x-amz-sns-message-type") == "Notification" && r.n <= 3 {
			return 500
		}
		return 200
	})
	topicArn := e.topic(t, qname(t), nil)
	// Request 1 is the confirmation; notification attempts 1 and 2 fail.
	subArn := e.subscribeHTTP(t, topicArn, rc, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":3,"numNoDelayRetries":1,"minDelayTarget":1,"maxDelayTarget":1}}`})
	id := e.publish(t, topicArn, "flaky")
	var ids []string
	for i := 0; i < 3; i++ {
		r := rc.next(t, 15*time.Second)
		ids = append(ids, r.hdr.Get("x-amz-sns-message-id"))
	}
	if ids[0] != id || ids[1] != id || ids[2] != id {
		t.Fatalf("attempts carried ids %v, want %s", ids, id)
	}
	rc.none(t, 2*time.Second)
	st := e.stats(t, subArn)
	var outcomes []string
	for i := len(st.Attempts) - 1; i >= 0; i-- {
		if st.Attempts[i].MessageID == id {
			outcomes = append(outcomes, fmt.Sprintf("%d:%d:%s", st.Attempts[i].Attempt, st.Attempts[i].Status, st.Attempts[i].Outcome))
		}
	}
	if strings.Join(outcomes, " ") != "1:500:retrying 2:500:retrying 3:200:delivered" {
		t.Fatalf("attempt log %v", outcomes)
	}
	if st.Counters.Delivered < 1 || st.Counters.Retried != 2 {
		t.Fatalf("counters %+v", st.Counters)
	}
}

func testHTTPClientError(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, func(r received) int {
		if r.hdr.Get("x-amz-sns-message-type") == "Notification" {
			return 404
		}
		return 200
	})
	topicArn := e.topic(t, qname(t), nil)
	e.subscribeHTTP(t, topicArn, rc, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":3,"numNoDelayRetries":3}}`})
	e.publish(t, topicArn, "gone")
	rc.next(t, 15*time.Second)
	// SNS counts any answer from 200 to 499 as delivered: no retry.
	rc.none(t, 1500*time.Millisecond)
}

func testHTTPBackoff(t *testing.T, e *snsEnv) {
	for _, fn := range []string{"linear", "arithmetic", "geometric", "exponential"} {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(r received) int {
				if r.hdr.Get("x-amz-sns-message-type") == "Notification" {
					return 503
				}
				return 200
			})
			policy := fmt.Sprintf(`{"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":1,"maxDelayTarget":4,"backoffFunction":%q}}`, fn)
			sp, err := delivery.ParseSubscriptionPolicy(policy)
			if err != nil {
				t.Fatal(err)
			}
			want := sp.Retry.Schedule()
			topicArn := e.topic(t, qname(t), nil)
			e.subscribeHTTP(t, topicArn, rc, map[string]string{"DeliveryPolicy": policy})
			e.publish(t, topicArn, "backoff")
			prev := rc.next(t, 15*time.Second).at
			for i, w := range want {
				r := rc.next(t, w+10*time.Second)
				gap := r.at.Sub(prev)
				prev = r.at
				if gap < w-150*time.Millisecond || gap > w+1500*time.Millisecond {
					t.Errorf("%s retry %d came after %s, schedule says %s", fn, i+1, gap, w)
				}
			}
			rc.none(t, time.Second)
		})
	}
}

func testHTTPThrottle(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	e.subscribeHTTP(t, topicArn, rc, map[string]string{"DeliveryPolicy": `{"throttlePolicy":{"maxReceivesPerSecond":4}}`})
	const n = 12
	entries := make([]snsBatchEntry, 0, 10)
	for i := 0; i < n; i++ {
		if i < 10 {
			entries = append(entries, snsBatchEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String(fmt.Sprint(i))})
		} else {
			e.publish(t, topicArn, fmt.Sprint(i))
		}
	}
	if _, err := e.sns.PublishBatch(ctxT(t), &sns.PublishBatchInput{TopicArn: &topicArn, PublishBatchRequestEntries: entries}); err != nil {
		t.Fatal(err)
	}
	first := rc.next(t, 15*time.Second).at
	var last time.Time
	for i := 1; i < n; i++ {
		last = rc.next(t, 15*time.Second).at
	}
	// 12 deliveries at 4 a second take at least 11/4 s.
	if span := last.Sub(first); span < 2500*time.Millisecond {
		t.Fatalf("%d deliveries in %s: throttle of 4/s not applied", n, span)
	}
}

func testHTTPDLQ(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, func(r received) int {
		if r.hdr.Get("x-amz-sns-message-type") == "Notification" {
			return 500
		}
		return 200
	})
	name := qname(t)
	dlq := create(t, &env{c: e.sqs}, name+"-dlq", nil)
	qa, _ := e.sqs.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &dlq, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	topicArn := e.topic(t, name, nil)
	subArn := e.subscribeHTTP(t, topicArn, rc, map[string]string{
		"RedrivePolicy":  `{"deadLetterTargetArn":"` + qa.Attributes["QueueArn"] + `"}`,
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":2}}`})
	id := e.publish(t, topicArn, "doomed")
	for i := 0; i < 3; i++ {
		rc.next(t, 15*time.Second)
	}
	msgs := e.collect(t, dlq, 1, 15*time.Second)
	if len(msgs) != 1 {
		t.Fatal("nothing in the dead-letter queue")
	}
	var env envelope
	json.Unmarshal([]byte(*msgs[0].Body), &env)
	if env.MessageId != id || env.Message != "doomed" {
		t.Fatalf("dead letter body %s", *msgs[0].Body)
	}
	for _, k := range []string{"ErrorCode", "ErrorMessage", "RequestID"} {
		if v := msgs[0].MessageAttributes[k]; v.StringValue == nil || *v.StringValue == "" {
			t.Fatalf("dead letter lacks %s: %v", k, msgs[0].MessageAttributes)
		}
	}
	rc.none(t, time.Second)
	st := e.stats(t, subArn)
	if st.Counters.DeadLettered != 1 || st.Attempts[0].Outcome != delivery.OutcomeDeadLettered {
		t.Fatalf("stats %+v", st)
	}
}

func testHTTPBadPolicy(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	bad := []string{`{`, `{"healthyRetryPolicy":{"numRetries":101}}`, `{"healthyRetryPolicy":{"backoffFunction":"cubic"}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":3600,"maxDelayTarget":3600,"numRetries":5}}`, `{"throttlePolicy":{"maxReceivesPerSecond":0}}`,
		`{"unknown":1}`}
	for _, p := range bad {
		_, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
			Endpoint: aws.String(rc.srv.URL), Attributes: map[string]string{"DeliveryPolicy": p}})
		if !isCode(err, "InvalidParameter") {
			t.Errorf("Subscribe with DeliveryPolicy %s: %v", p, err)
		}
		_, err = e.sns.SetTopicAttributes(ctxT(t), &sns.SetTopicAttributesInput{TopicArn: &topicArn,
			AttributeName: aws.String("DeliveryPolicy"), AttributeValue: aws.String(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}}`)})
		if !isCode(err, "InvalidParameter") {
			t.Errorf("SetTopicAttributes: %v", err)
		}
	}
	rc.none(t, 300*time.Millisecond)
	list, _ := e.sns.ListSubscriptionsByTopic(ctxT(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topicArn})
	if len(list.Subscriptions) != 0 {
		t.Fatalf("a rejected Subscribe left %v", list.Subscriptions)
	}
	subArn := e.subscribeHTTP(t, topicArn, rc, nil)
	_, err := e.sns.SetSubscriptionAttributes(ctxT(t), &sns.SetSubscriptionAttributesInput{SubscriptionArn: &subArn,
		AttributeName: aws.String("DeliveryPolicy"), AttributeValue: aws.String(`{"healthyRetryPolicy":{"numRetries":-1}}`)})
	if !isCode(err, "InvalidParameter") {
		t.Fatalf("SetSubscriptionAttributes: %v", err)
	}
	// The topic's policy is the default for subscriptions without one.
	_, err = e.sns.SetTopicAttributes(ctxT(t), &sns.SetTopicAttributesInput{TopicArn: &topicArn, AttributeName: aws.String("DeliveryPolicy"),
		AttributeValue: aws.String(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":7,"minDelayTarget":2,"maxDelayTarget":9,"backoffFunction":"geometric"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if p := e.subAttrs(t, subArn)["EffectiveDeliveryPolicy"]; !strings.Contains(p, `"numRetries":7`) || !strings.Contains(p, `"geometric"`) {
		t.Fatalf("EffectiveDeliveryPolicy %s", p)
	}
}

func testHTTPStandardWebhooks(t *testing.T, e *snsEnv) {
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := webhook.ParseSecret(secret)
	var bad sync.Map
	rc := newReceiver(t, func(r received) int {
		if err := webhook.Verify(key, r.hdr, []byte(r.body), time.Now(), 0); err != nil {
			bad.Store(r.n, err)
			return 400
		}
		return 204
	})
	topicArn := e.topic(t, qname(t), nil)
	subArn := e.subscribeHTTP(t, topicArn, rc, map[string]string{"RawMessageDelivery": "true", "StandardWebhooksSecret": secret})
	id := e.publish(t, topicArn, `{"type":"invoice.paid"}`)
	r := rc.next(t, 15*time.Second)
	if r.hdr.Get("webhook-id") != id || r.body != `{"type":"invoice.paid"}` {
		t.Fatalf("standard webhook %v %s", r.hdr, r.body)
	}
	bad.Range(func(k, v any) bool {
		t.Errorf("request %v failed verification: %v", k, v)
		return true
	})
	if a := e.subAttrs(t, subArn); a["StandardWebhooksSecret"] != secret {
		t.Fatalf("secret attribute %q", a["StandardWebhooksSecret"])
	}
	_, err = e.sns.SetSubscriptionAttributes(ctxT(t), &sns.SetSubscriptionAttributesInput{SubscriptionArn: &subArn,
		AttributeName: aws.String("StandardWebhooksSecret"), AttributeValue: aws.String("not-a-secret")})
	if !isCode(err, "InvalidParameter") {
		t.Fatalf("bad secret: %v", err)
	}
}

func testHTTPFilter(t *testing.T, e *snsEnv) {
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	e.subscribeHTTP(t, topicArn, rc, map[string]string{"FilterPolicy": `{"kind":["order"]}`, "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true"})
	e.publish(t, topicArn, `{"kind":"refund"}`)
	e.publish(t, topicArn, `{"kind":"order"}`)
	if r := rc.next(t, 15*time.Second); r.body != `{"kind":"order"}` {
		t.Fatalf("filter let through %s", r.body)
	}
	rc.none(t, 500*time.Millisecond)
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// TestHTTPBreakerAndIsolation runs on its own server with a quick breaker:
// a failing endpoint's circuit opens (no requests while open), a probe
// closes it once the endpoint recovers, and no message is lost; meanwhile a
// hanging endpoint never slows a healthy one.
func TestHTTPBreakerAndIsolation(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) {
		c.HTTPBreakerFailures = 3
		c.HTTPBreakerCooldown = 2 * time.Second
		c.HTTPTimeout = 2 * time.Second
	})
	e := newSNSEnv(srv)
	t.Run("Breaker", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		healthy := false
		rc := newReceiver(t, func(r received) int {
			mu.Lock()
			defer mu.Unlock()
			if r.hdr.Get("x-amz-sns-message-type") == "Notification" && !healthy {
				return 500
			}
			return 200
		})
		topicArn := e.topic(t, qname(t), nil)
		subArn := e.subscribeHTTP(t, topicArn, rc, map[string]string{
			"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":50,"numNoDelayRetries":50}}`})
		for i := 0; i < 5; i++ {
			e.publish(t, topicArn, fmt.Sprint("m", i))
		}
		for i := 0; i < 3; i++ {
			rc.next(t, 15*time.Second)
		}
		// Open: the endpoint is left alone until the cooldown ends.
		time.Sleep(300 * time.Millisecond)
		if st := e.stats(t, subArn); st.Breaker.State != delivery.BreakerOpen || st.Breaker.Trips < 1 {
			t.Fatalf("breaker %+v after 3 failures", st.Breaker)
		}
		rc.discard()
		rc.none(t, time.Second)
		mu.Lock()
		healthy = true
		mu.Unlock()
		got := map[string]bool{}
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < 5 && time.Now().Before(deadline) {
			r := rc.next(t, 30*time.Second)
			var env envelope
			json.Unmarshal([]byte(r.body), &env)
			got[env.Message] = true
		}
		if len(got) != 5 {
			t.Fatalf("after recovery got %v, want all 5", got)
		}
		if st := e.stats(t, subArn); st.Breaker.State != delivery.BreakerClosed {
			t.Fatalf("breaker %+v after recovery", st.Breaker)
		}
	})
	t.Run("HangingEndpointIsolation", func(t *testing.T) {
		t.Parallel()
		hang := make(chan struct{})
		t.Cleanup(func() { close(hang) })
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if strings.Contains(string(b), "SubscriptionConfirmation") {
				var c confirmation
				json.Unmarshal(b, &c)
				go http.Get(c.SubscribeURL)
				return
			}
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(slow.Close)
		measure := func(withSlow bool) time.Duration {
			rc := newReceiver(t, nil)
			topicArn := e.topic(t, qname(t), nil)
			e.subscribeHTTP(t, topicArn, rc, nil)
			if withSlow {
				if _, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"), Endpoint: aws.String(slow.URL)}); err != nil {
					t.Fatal(err)
				}
				waitConfirmed(t, e, topicArn, 2)
			}
			var lat []time.Duration
			for i := 0; i < 40; i++ {
				start := time.Now()
				e.publish(t, topicArn, fmt.Sprint(i))
				rc.next(t, 15*time.Second)
				lat = append(lat, time.Since(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			return lat[len(lat)/2]
		}
		base := measure(false)
		with := measure(true)
		t.Logf("healthy endpoint p50: %s alone, %s next to a hanging endpoint", base, with)
		if with > 3*base+50*time.Millisecond {
			t.Fatalf("a hanging endpoint slowed a healthy one: p50 %s -> %s", base, with)
		}
	})
}

// discard forgets the requests received so far.
func (rc *receiver) discard() {
	for {
		select {
		case <-rc.ch:
		default:
			return
		}
	}
}

func waitConfirmed(t *testing.T, e *snsEnv, topicArn string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		a, err := e.sns.GetTopicAttributes(ctxT(t), &sns.GetTopicAttributesInput{TopicArn: &topicArn})
		if err == nil && a.Attributes["SubscriptionsConfirmed"] == fmt.Sprint(n) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d subscriptions not confirmed", n)
}

// TestHTTPRestartWithPendingRetry stops the server while a message waits
// for its next attempt: after the restart the attempt comes on schedule,
// neither lost nor early.
func TestHTTPRestartWithPendingRetry(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	failures := 1
	rc := newReceiver(t, func(r received) int {
		mu.Lock()
		defer mu.Unlock()
		if r.hdr.Get("x-amz-sns-message-type") == "Notification" && failures > 0 {
			failures--
			return 500
		}
		return 200
	})
	start := func() *server.Server {
		return abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.DataDir = dir })
	}
	srv := start()
	e := newSNSEnv(srv)
	topicArn := e.topic(t, qname(t), nil)
	e.subscribeHTTP(t, topicArn, rc, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":6,"maxDelayTarget":6}}`})
	e.publish(t, topicArn, "survives")
	failed := rc.next(t, 15*time.Second).at
	time.Sleep(time.Second)
	if err := srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv = start()
	r := rc.next(t, 20*time.Second)
	gap := r.at.Sub(failed)
	// JetStream stores a pending delivery's time in whole seconds, so
	// after a restart a retry may come up to a second early.
	if !strings.Contains(r.body, "survives") || gap < 4900*time.Millisecond || gap > 9*time.Second {
		t.Fatalf("retry after restart came %s after the failure (policy: 6s): %s", gap, r.body)
	}
	rc.none(t, time.Second)
}

// TestHTTPEndpointProtection refuses private destinations when the
// protection is on: literal addresses at Subscribe, names at connect time.
func TestHTTPEndpointProtection(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.HTTPDenyPrivate = true })
	e := newSNSEnv(srv)
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.srv.URL, "http://"))
	for _, u := range []string{rc.srv.URL, "http://localhost:" + port, "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://[::1]:" + port} {
		_, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"), Endpoint: aws.String(u)})
		if !isCode(err, "InvalidParameter") {
			t.Errorf("Subscribe %s with protection on: %v", u, err)
		}
	}
	// A name that resolves to loopback passes Subscribe and is refused
	// when connecting.
	host, _ := os.Hostname()
	addrs, err := net.LookupHost(host)
	if err != nil || len(addrs) == 0 || !isLoopbackOrPrivate(addrs[0]) {
		t.Skipf("hostname %s does not resolve to a private address here (%v %v)", host, addrs, err)
	}
	out, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
		Endpoint: aws.String("http://" + net.JoinHostPort(host, port) + "/hook"), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	rc.none(t, 1500*time.Millisecond)
	st := e.stats(t, *out.SubscriptionArn)
	if len(st.Attempts) == 0 || st.Attempts[0].Outcome != delivery.OutcomeRefused || !strings.Contains(st.Attempts[0].Error, "refused") {
		t.Fatalf("attempt log %+v", st.Attempts)
	}
}

func isLoopbackOrPrivate(s string) bool {
	ip := net.ParseIP(s)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate())
}

// TestHTTPSCustomCA delivers to an https endpoint whose certificate is
// trusted through --http-ca-file, and refuses it without.
func TestHTTPSCustomCA(t *testing.T) {
	var mu sync.Mutex
	var got []string
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		if strings.Contains(string(b), "SubscriptionConfirmation") {
			var c confirmation
			json.Unmarshal(b, &c)
			go http.Get(c.SubscribeURL)
		}
	}))
	t.Cleanup(tlsSrv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, trusted := range []bool{false, true} {
		srv := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) {
			if trusted {
				c.HTTPCAFile = caFile
			}
		})
		e := newSNSEnv(srv)
		topicArn := e.topic(t, qname(t), nil)
		out, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("https"),
			Endpoint: aws.String(tlsSrv.URL + "/hook"), ReturnSubscriptionArn: true})
		if err != nil {
			t.Fatal(err)
		}
		if !trusted {
			time.Sleep(1500 * time.Millisecond)
			st := e.stats(t, *out.SubscriptionArn)
			if len(st.Attempts) == 0 || !strings.Contains(st.Attempts[0].Error, "certificate") {
				t.Fatalf("untrusted certificate: attempts %+v", st.Attempts)
			}
			continue
		}
		waitConfirmed(t, e, topicArn, 1)
		e.publish(t, topicArn, "over tls")
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			ok := len(got) > 0 && strings.Contains(got[len(got)-1], "over tls")
			mu.Unlock()
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no delivery over https: %v", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestHTTPConfirmationTokenExpires moves the server's clock past the
// token's life: the token no longer confirms.
func TestHTTPConfirmationTokenExpires(t *testing.T) {
	var offset atomic.Int64
	srv := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	e := newSNSEnv(srv)
	rc := newReceiver(t, nil)
	topicArn := e.topic(t, qname(t), nil)
	if _, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(rc.srv.URL)}); err != nil {
		t.Fatal(err)
	}
	c := verifyConfirmation(t, rc.next(t, 15*time.Second), snssign.TypeSubscriptionConfirmation)
	offset.Store(int64(topic.DefaultTokenTTL + time.Minute))
	_, err := e.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: &topicArn, Token: &c.Token})
	if !isCode(err, "InvalidParameter") {
		t.Fatalf("expired token: %v", err)
	}
	offset.Store(0)
	if _, err := e.sns.ConfirmSubscription(ctxT(t), &sns.ConfirmSubscriptionInput{TopicArn: &topicArn, Token: &c.Token}); err != nil {
		t.Fatalf("valid token: %v", err)
	}
}

package nativeapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/nativeapi"
	"github.com/abanico/abanico/internal/server"
)

type client struct {
	t    *testing.T
	base string
}

func newClient(t *testing.T) *client {
	t.Helper()
	srv := abanicotest.Start(t, abanicotest.Embedded)
	ts := httptest.NewServer(nativeapi.New(srv.Queues(), srv.Topics(), srv.Functions(), abanicotest.Logger(t)))
	t.Cleanup(ts.Close)
	return &client{t: t, base: ts.URL}
}

// do sends body (a string is sent as is, anything else as JSON) and
// decodes the answer into out when out is non-nil; it returns the status.
func (c *client) do(method, path string, body, out any) int {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
}

// must is do expecting status.
func (c *client) must(status int, method, path string, body, out any) {
	c.t.Helper()
	var raw json.RawMessage
	if got := c.do(method, path, body, &raw); got != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %s: %v", method, path, raw, err)
		}
	}
}

type errorBody struct {
	Error abanico.Error `json:"error"`
}

// fails is do expecting an error answer with status, code and field.
func (c *client) fails(status int, code, field, method, path string, body any) abanico.Error {
	c.t.Helper()
	var e errorBody
	got := c.do(method, path, body, &e)
	if got != status || e.Error.Code != code || e.Error.Field != field || e.Error.Message == "" {
		c.t.Fatalf("%s %s: got %d %+v, want %d %s field %q", method, path, got, e.Error, status, code, field)
	}
	return e.Error
}

type messages struct {
	Messages []struct {
		MessageID     string                              `json:"messageId"`
		ReceiptHandle string                              `json:"receiptHandle"`
		Body          string                              `json:"body"`
		Attributes    map[string]abanico.MessageAttribute `json:"attributes"`
		ReceiveCount  int                                 `json:"receiveCount"`
		SentAt        string                              `json:"sentAt"`
	} `json:"messages"`
}

func TestTopicsAndFanout(t *testing.T) {
	c := newClient(t)

	var tp abanico.Topic
	c.must(201, "POST", "/v1/topics", map[string]any{"name": "orders", "attributes": map[string]string{"DisplayName": "Orders"}, "tags": map[string]string{"team": "a"}}, &tp)
	if tp.Name != "orders" || !strings.HasSuffix(tp.ARN, ":orders") || tp.Attributes["DisplayName"] != "Orders" || tp.Tags["team"] != "a" {
		t.Fatalf("created %+v", tp)
	}
	c.must(200, "PATCH", "/v1/topics/orders", map[string]any{"attributes": map[string]string{"DisplayName": "All orders"}}, &tp)
	if tp.Attributes["DisplayName"] != "All orders" {
		t.Fatalf("patched %+v", tp)
	}
	var list struct{ Topics []abanico.Topic }
	c.must(200, "GET", "/v1/topics", nil, &list)
	if len(list.Topics) != 1 || list.Topics[0].Name != "orders" {
		t.Fatalf("list %+v", list)
	}

	c.must(201, "POST", "/v1/queues", map[string]any{"name": "red-orders"}, nil)
	var sub abanico.Subscription
	c.must(201, "POST", "/v1/topics/orders/subscriptions", map[string]any{
		"protocol": "queue", "endpoint": "red-orders", "raw": true,
		"filterPolicy": json.RawMessage(`{ "color" : ["red"] }`), "filterScope": "attributes",
	}, &sub)
	if sub.Protocol != "queue" || sub.Endpoint != "red-orders" || sub.Topic != "orders" || sub.Pending ||
		sub.Attributes["FilterPolicy"] != `{"color":["red"]}` || sub.Attributes["RawMessageDelivery"] != "true" ||
		sub.Attributes["FilterPolicyScope"] != "MessageAttributes" {
		t.Fatalf("subscription %+v", sub)
	}
	c.must(200, "GET", "/v1/topics/orders", nil, &tp)
	if tp.SubscriptionsConfirmed != 1 || tp.SubscriptionsPending != 0 {
		t.Fatalf("topic counts %+v", tp)
	}
	esc := "/v1/subscriptions/" + url.PathEscape(sub.ARN)
	var got abanico.Subscription
	c.must(200, "GET", esc, nil, &got)
	if got.ARN != sub.ARN || got.Endpoint != "red-orders" || got.Topic != "orders" {
		t.Fatalf("get subscription %+v", got)
	}
	var subs struct{ Subscriptions []abanico.Subscription }
	c.must(200, "GET", "/v1/subscriptions?topic=orders", nil, &subs)
	if len(subs.Subscriptions) != 1 || subs.Subscriptions[0].ARN != sub.ARN {
		t.Fatalf("list subscriptions %+v", subs)
	}
	c.must(200, "GET", "/v1/subscriptions", nil, &subs)
	if len(subs.Subscriptions) != 1 {
		t.Fatalf("list all subscriptions %+v", subs)
	}

	var pub struct{ MessageID string }
	c.must(201, "POST", "/v1/topics/orders/messages", map[string]any{"message": "blue one", "attributes": map[string]any{"color": map[string]string{"type": "String", "value": "blue"}}}, &pub)
	c.must(201, "POST", "/v1/topics/orders/messages", map[string]any{"message": "red one", "subject": "s", "attributes": map[string]any{"color": map[string]string{"type": "String", "value": "red"}}}, &pub)
	if pub.MessageID == "" {
		t.Fatal("no message id")
	}
	var got1 messages
	deadline := time.Now().Add(20 * time.Second)
	for len(got1.Messages) == 0 && time.Now().Before(deadline) {
		c.must(200, "GET", "/v1/queues/red-orders/messages?wait=5&max=10&delete=true", nil, &got1)
	}
	if len(got1.Messages) != 1 || got1.Messages[0].Body != "red one" || got1.Messages[0].Attributes["color"].Value != "red" {
		t.Fatalf("received %+v", got1)
	}

	// Batch publish: one entry is invalid (empty message), the others go.
	var batch struct{ Results []abanico.BatchResult }
	c.must(200, "POST", "/v1/topics/orders/messages:batch", map[string]any{"messages": []map[string]any{
		{"id": "a", "message": "batch red", "attributes": map[string]any{"color": map[string]string{"type": "String", "value": "red"}}},
		{"id": "b", "message": ""},
		{"id": "c", "message": "batch blue"},
	}}, &batch)
	if len(batch.Results) != 3 || batch.Results[0].MessageID == "" || batch.Results[1].Error == nil ||
		batch.Results[1].Error.Code != "invalid_parameter" || batch.Results[1].Error.Field != "messages[1].message" ||
		batch.Results[1].MessageID != "" || batch.Results[2].MessageID == "" {
		t.Fatalf("batch %+v", batch)
	}
	var got2 messages
	deadline = time.Now().Add(20 * time.Second)
	for len(got2.Messages) == 0 && time.Now().Before(deadline) {
		c.must(200, "GET", "/v1/queues/red-orders/messages?wait=5&max=10&delete=true", nil, &got2)
	}
	if len(got2.Messages) != 1 || got2.Messages[0].Body != "batch red" {
		t.Fatalf("received from batch %+v", got2)
	}

	c.fails(400, "invalid_parameter", "filterScope", "POST", "/v1/topics/orders/subscriptions", map[string]any{"protocol": "queue", "endpoint": "red-orders", "filterScope": "nope"})
	c.fails(400, "invalid_parameter", "protocol", "POST", "/v1/topics/orders/subscriptions", map[string]any{"protocol": "sqs", "endpoint": "red-orders"})
	c.fails(400, "invalid_parameter", "filterPolicy", "POST", "/v1/topics/orders/subscriptions", map[string]any{"protocol": "queue", "endpoint": "other", "filterPolicy": []int{1}})
	c.fails(404, "not_found", "", "POST", "/v1/topics/nope/messages", map[string]any{"message": "x"})
	c.fails(400, "invalid_parameter", "structure", "POST", "/v1/topics/orders/messages", map[string]any{"message": "x", "structure": "json"})
	c.fails(400, "invalid_parameter", "attributes.bin.value", "POST", "/v1/topics/orders/messages", map[string]any{"message": "x", "attributes": map[string]any{"bin": map[string]string{"type": "Binary", "value": "!!"}}})

	c.must(204, "DELETE", esc, nil, nil)
	c.fails(404, "not_found", "", "GET", esc, nil)
	c.must(204, "DELETE", "/v1/topics/orders", nil, nil)
	c.fails(404, "not_found", "", "GET", "/v1/topics/orders", nil)
	c.must(200, "GET", "/v1/topics", nil, &list)
	if len(list.Topics) != 0 {
		t.Fatalf("topics left: %+v", list)
	}
}

func TestQueues(t *testing.T) {
	c := newClient(t)

	var dlq, q abanico.Queue
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "jobs-dlq"}, &dlq)
	c.must(201, "POST", "/v1/queues", map[string]any{
		"name": "jobs", "attributes": map[string]string{"VisibilityTimeout": "40"}, "tags": map[string]string{"env": "test"},
		"deadLetterQueue": map[string]any{"name": "jobs-dlq", "maxReceiveCount": 3},
	}, &q)
	if q.Name != "jobs" || q.ARN == "" || q.Attributes["VisibilityTimeout"] != "40" || q.Tags["env"] != "test" ||
		!strings.Contains(q.Attributes["RedrivePolicy"], dlq.ARN) || !strings.Contains(q.Attributes["RedrivePolicy"], `"maxReceiveCount":3`) {
		t.Fatalf("created %+v", q)
	}
	// Same name, different attributes: conflict.
	c.fails(409, "conflict", "", "POST", "/v1/queues", map[string]any{"name": "jobs", "attributes": map[string]string{"VisibilityTimeout": "41"}})
	c.fails(400, "invalid_parameter", "name", "POST", "/v1/queues", map[string]any{"name": "bad name!"})
	c.fails(400, "invalid_parameter", "bogus", "POST", "/v1/queues", `{"name":"x","bogus":1}`)
	c.fails(400, "invalid_parameter", "name", "POST", "/v1/queues", `{"name":5}`)
	c.fails(400, "invalid_parameter", "", "POST", "/v1/queues", `{"name":`)
	c.fails(400, "invalid_parameter", "attributes", "PATCH", "/v1/queues/jobs", map[string]any{"attributes": map[string]string{"NoSuchAttribute": "1"}})
	c.fails(404, "not_found", "", "GET", "/v1/queues/missing", nil)

	c.must(200, "PATCH", "/v1/queues/jobs", map[string]any{"attributes": map[string]string{"VisibilityTimeout": "50"}}, &q)
	if q.Attributes["VisibilityTimeout"] != "50" {
		t.Fatalf("patched %+v", q)
	}
	var ql struct{ Queues []abanico.Queue }
	c.must(200, "GET", "/v1/queues?prefix=jobs", nil, &ql)
	if len(ql.Queues) != 2 {
		t.Fatalf("list %+v", ql)
	}
	c.must(200, "GET", "/v1/queues?prefix=jobs-", nil, &ql)
	if len(ql.Queues) != 1 || ql.Queues[0].Name != "jobs-dlq" {
		t.Fatalf("list by prefix %+v", ql)
	}

	// Send, receive, change visibility, delete.
	bin := base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255})
	var sent struct{ MessageID, MD5OfBody string }
	c.must(201, "POST", "/v1/queues/jobs/messages", map[string]any{"body": "hello", "attributes": map[string]any{
		"kind": map[string]string{"type": "String", "value": "greeting"},
		"blob": map[string]string{"type": "Binary", "value": bin},
		"n":    map[string]string{"type": "Number", "value": "42"},
	}}, &sent)
	if sent.MessageID == "" || sent.MD5OfBody != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("sent %+v", sent)
	}
	var m messages
	c.must(200, "GET", "/v1/queues/jobs/messages?wait=5&visibility=30", nil, &m)
	if len(m.Messages) != 1 {
		t.Fatalf("received %+v", m)
	}
	got := m.Messages[0]
	if got.MessageID != sent.MessageID || got.Body != "hello" || got.ReceiveCount != 1 || got.Attributes["blob"].Value != bin ||
		got.Attributes["blob"].Type != "Binary" || got.Attributes["n"].Value != "42" || got.Attributes["kind"].Value != "greeting" {
		t.Fatalf("received %+v", got)
	}
	if ts, err := time.Parse(time.RFC3339, got.SentAt); err != nil || time.Since(ts) > time.Minute {
		t.Fatalf("sentAt %q: %v", got.SentAt, err)
	}
	c.must(200, "GET", "/v1/queues/jobs/messages?wait=0", nil, &m)
	if len(m.Messages) != 0 {
		t.Fatalf("invisible message received: %+v", m)
	}
	handle := "/v1/queues/jobs/messages/" + url.PathEscape(got.ReceiptHandle)
	c.fails(400, "invalid_parameter", "visibilityTimeout", "PATCH", handle, map[string]any{"visibilityTimeout": 50000})
	c.fails(400, "invalid_parameter", "visibilityTimeout", "PATCH", handle, map[string]any{})
	c.must(204, "PATCH", handle, map[string]any{"visibilityTimeout": 0}, nil)
	c.must(200, "GET", "/v1/queues/jobs/messages?wait=5", nil, &m)
	if len(m.Messages) != 1 || m.Messages[0].ReceiveCount != 2 {
		t.Fatalf("received again %+v", m)
	}
	c.must(204, "DELETE", "/v1/queues/jobs/messages/"+url.PathEscape(m.Messages[0].ReceiptHandle), nil, nil)
	c.fails(400, "invalid_parameter", "receiptHandle", "DELETE", "/v1/queues/jobs/messages/not-a-handle", nil)
	c.fails(400, "invalid_parameter", "max", "GET", "/v1/queues/jobs/messages?max=11", nil)
	c.fails(400, "invalid_parameter", "wait", "GET", "/v1/queues/jobs/messages?wait=x", nil)

	// Batch send with one bad entry.
	var batch struct{ Results []abanico.BatchResult }
	c.must(200, "POST", "/v1/queues/jobs/messages:batch", map[string]any{"messages": []map[string]any{
		{"id": "one", "body": "b1"},
		{"id": "two", "body": "b2", "delaySeconds": 1000},
		{"id": "three", "body": "b3"},
	}}, &batch)
	if len(batch.Results) != 3 || batch.Results[0].MessageID == "" || batch.Results[0].MD5OfBody == "" ||
		batch.Results[1].Error == nil || batch.Results[1].Error.Field != "messages[1].delaySeconds" || batch.Results[2].MessageID == "" {
		t.Fatalf("batch %+v", batch)
	}
	c.fails(400, "invalid_parameter", "messages", "POST", "/v1/queues/jobs/messages:batch", map[string]any{"messages": []map[string]any{{"id": "x", "body": "1"}, {"id": "x", "body": "2"}}})
	c.must(200, "GET", "/v1/queues/jobs", nil, &q)
	if q.Attributes["ApproximateNumberOfMessages"] != "2" {
		t.Fatalf("after batch: %v", q.Attributes)
	}

	// Purge, then once more within a minute: throttled.
	c.must(204, "POST", "/v1/queues/jobs/purge", nil, nil)
	c.must(200, "GET", "/v1/queues/jobs/messages?wait=1&max=10", nil, &m)
	if len(m.Messages) != 0 {
		t.Fatalf("purged queue gave %+v", m)
	}
	c.fails(429, "throttled", "", "POST", "/v1/queues/jobs/purge", nil)

	// Redrive from the DLQ (back to the sources), and to a named queue.
	var task struct{ TaskHandle string }
	c.must(202, "POST", "/v1/queues/jobs-dlq/redrive", nil, &task)
	if task.TaskHandle == "" {
		t.Fatal("no task handle")
	}
	c.fails(400, "invalid_parameter", "destination", "POST", "/v1/queues/jobs-dlq/redrive", map[string]any{"destination": "missing"})
	c.fails(400, "invalid_parameter", "name", "POST", "/v1/queues/jobs/redrive", map[string]any{})

	c.must(204, "DELETE", "/v1/queues/jobs", nil, nil)
	c.fails(404, "not_found", "", "DELETE", "/v1/queues/jobs", nil)
}

func TestFunctions(t *testing.T) {
	c := newClient(t)
	var fl struct{ Functions []abanico.Function }
	c.must(200, "GET", "/v1/functions", nil, &fl)
	if fl.Functions == nil || len(fl.Functions) != 0 {
		t.Fatalf("functions %+v", fl)
	}
	c.fails(404, "not_found", "", "GET", "/v1/functions/nope", nil)
	c.fails(404, "not_found", "", "POST", "/v1/functions/nope/invocations", `{}`)
	c.fails(404, "not_found", "", "DELETE", "/v1/functions/nope", nil)
	c.fails(404, "not_found", "", "GET", "/v1/functions/nope/logs", nil)
	c.fails(400, "invalid_parameter", "bytes", "GET", "/v1/functions/nope/logs?bytes=-1", nil)
}

func TestUpdateSubscription(t *testing.T) {
	c := newClient(t)
	c.must(201, "POST", "/v1/topics", map[string]any{"name": "t"}, nil)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "q"}, nil)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "q-dlq"}, nil)
	var sub abanico.Subscription
	c.must(201, "POST", "/v1/topics/t/subscriptions", map[string]any{
		"protocol": "queue", "endpoint": "q", "raw": true, "filterPolicy": map[string]any{"color": []string{"red"}},
	}, &sub)
	path := "/v1/subscriptions/" + url.PathEscape(sub.ARN)

	// An empty update changes nothing and returns the subscription.
	var got abanico.Subscription
	c.must(200, "PATCH", path, map[string]any{}, &got)
	if got.ARN != sub.ARN || got.Topic != "t" || got.Attributes["FilterPolicy"] != `{"color":["red"]}` || got.Attributes["RawMessageDelivery"] != "true" {
		t.Fatalf("empty update: %+v", got)
	}

	// Several fields at once; the filter moves to body scope with a nested
	// policy, valid only there.
	c.must(200, "PATCH", path, map[string]any{
		"filterPolicy": map[string]any{"order": map[string]any{"color": []string{"blue"}}}, "filterScope": "body",
		"raw": false, "deadLetterQueue": "q-dlq",
	}, &got)
	a := got.Attributes
	if a["FilterPolicy"] != `{"order":{"color":["blue"]}}` || a["FilterPolicyScope"] != "MessageBody" || a["RawMessageDelivery"] != "false" ||
		!strings.Contains(a["RedrivePolicy"], ":q-dlq") {
		t.Fatalf("update: %v", a)
	}
	// The new filter is the one deliveries follow.
	c.must(201, "POST", "/v1/topics/t/messages", map[string]any{"message": `{"order":{"color":"red"}}`}, nil)
	c.must(201, "POST", "/v1/topics/t/messages", map[string]any{"message": `{"order":{"color":"blue"}}`}, nil)
	var m messages
	deadline := time.Now().Add(20 * time.Second)
	for len(m.Messages) == 0 && time.Now().Before(deadline) {
		c.must(200, "GET", "/v1/queues/q/messages?wait=2&max=10&delete=true", nil, &m)
	}
	if len(m.Messages) != 1 || !strings.Contains(m.Messages[0].Body, `\"blue\"`) || !strings.Contains(m.Messages[0].Body, `"Type"`) {
		t.Fatalf("after update received %+v", m)
	}

	// Back to attribute scope with a flat policy.
	c.must(200, "PATCH", path, map[string]any{"filterPolicy": map[string]any{"size": []string{"xl"}}, "filterScope": "attributes"}, &got)
	if got.Attributes["FilterPolicy"] != `{"size":["xl"]}` || got.Attributes["FilterPolicyScope"] != "MessageAttributes" {
		t.Fatalf("back to attributes: %v", got.Attributes)
	}

	// Rejected requests change nothing: shapes are checked first, and a
	// value the service rejects puts back what was set before it.
	before := got.Attributes
	for _, tc := range []struct {
		field string
		body  any
	}{
		{"filterScope", map[string]any{"raw": true, "filterScope": "headers"}},
		{"filterPolicy", map[string]any{"raw": true, "filterPolicy": []int{1}}},
		{"raw", `{"raw":"yes"}`},
		{"bogus", `{"bogus":1}`},
		{"deliveryPolicy", map[string]any{"filterPolicy": map[string]any{"size": []string{"s"}}, "raw": true, "deliveryPolicy": map[string]any{"healthyRetryPolicy": map[string]any{"numRetries": 1000}}}},
		{"webhookSecret", map[string]any{"filterPolicy": nil, "deadLetterQueue": "", "webhookSecret": "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32))}},
		{"filterPolicy", map[string]any{"raw": true, "filterPolicy": map[string]any{"a": map[string]any{"b": []string{"c"}}}}},
	} {
		c.fails(400, "invalid_parameter", tc.field, "PATCH", path, tc.body)
		got = abanico.Subscription{}
		c.must(200, "GET", path, nil, &got)
		for _, k := range []string{"FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy", "StandardWebhooksSecret"} {
			if got.Attributes[k] != before[k] {
				t.Fatalf("rejected %v changed %s: %q, was %q", tc.body, k, got.Attributes[k], before[k])
			}
		}
	}

	// Removals: null and {} filter, "" dead-letter queue, null delivery
	// policy.
	c.must(200, "PATCH", path, map[string]any{"deliveryPolicy": map[string]any{"healthyRetryPolicy": map[string]any{"numRetries": 2}}}, &got)
	if !strings.Contains(got.Attributes["DeliveryPolicy"], `"numRetries":2`) {
		t.Fatalf("delivery policy: %v", got.Attributes)
	}
	got = abanico.Subscription{} // decoding into a map adds to it
	c.must(200, "PATCH", path, map[string]any{"filterPolicy": nil, "deadLetterQueue": "", "deliveryPolicy": nil}, &got)
	for _, k := range []string{"FilterPolicy", "RedrivePolicy", "DeliveryPolicy"} {
		if v, ok := got.Attributes[k]; ok {
			t.Fatalf("%s not removed: %q", k, v)
		}
	}
	c.must(200, "PATCH", path, map[string]any{"filterPolicy": map[string]any{"k": []string{"v"}}}, &got)
	got = abanico.Subscription{}
	c.must(200, "PATCH", path, `{"filterPolicy":{}}`, &got)
	if v, ok := got.Attributes["FilterPolicy"]; ok {
		t.Fatalf("{} did not remove the filter: %q", v)
	}

	c.fails(404, "not_found", "", "PATCH", "/v1/subscriptions/"+url.PathEscape(sub.ARN+"x"), map[string]any{"raw": true})
	c.fails(400, "invalid_parameter", "", "PATCH", path, nil)
}

func bootstrapZip(t *testing.T, greet string) string {
	t.Helper()
	z, err := abanico.BootstrapZip(abanicotest.BashRuntime(greet))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(z)
}

// invokeResult is an invocation's result (abanico.InvokeResult) with its
// payload decoded, to be compared whatever the order of its keys.
type invokeResult struct {
	Payload       any    `json:"payload"`
	FunctionError string `json:"functionError"`
	Logs          string `json:"logs"`
}

func TestFunctionLifecycle(t *testing.T) {
	c := newClient(t)
	code := bootstrapZip(t, "hello")

	var f abanico.Function
	c.must(201, "POST", "/v1/functions", map[string]any{
		"name": "greeter", "timeout": 10, "environment": map[string]string{"GREETING": "hola"}, "code": code,
	}, &f)
	if f.Name != "greeter" || f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || f.Timeout != 10 || f.MemorySize != 128 ||
		f.Environment["GREETING"] != "hola" || f.ReservedConcurrency != nil || f.CodeSha256 == "" || f.CodeSize == 0 || !strings.HasSuffix(f.ARN, ":function:greeter") {
		t.Fatalf("created %+v", f)
	}
	var res invokeResult
	c.must(200, "POST", "/v1/functions/greeter/invocations", `{"n":1}`, &res)
	if b, _ := json.Marshal(res.Payload); string(b) != `{"event":{"n":1},"greeting":"hola"}` || res.FunctionError != "" {
		t.Fatalf("invoke: %s %+v", b, res)
	}
	c.fails(409, "conflict", "", "POST", "/v1/functions", map[string]any{"name": "greeter", "code": code})

	// New code: a new digest, and the next invocation runs it.
	sha := f.CodeSha256
	c.must(200, "PUT", "/v1/functions/greeter/code", map[string]any{"code": bootstrapZip(t, "bonjour")}, &f)
	if f.CodeSha256 == sha {
		t.Fatalf("code digest unchanged: %+v", f)
	}
	// Configuration: the environment is replaced, the rest stays.
	f = abanico.Function{} // decoding into a map adds to it
	c.must(200, "PATCH", "/v1/functions/greeter", map[string]any{"environment": map[string]string{}, "memorySize": 256, "reservedConcurrency": 5}, &f)
	if len(f.Environment) != 0 || f.MemorySize != 256 || f.Timeout != 10 || f.ReservedConcurrency == nil || *f.ReservedConcurrency != 5 {
		t.Fatalf("patched %+v", f)
	}
	c.must(200, "POST", "/v1/functions/greeter/invocations", `{"n":2}`, &res)
	if b, _ := json.Marshal(res.Payload); string(b) != `{"event":{"n":2},"greeting":"bonjour"}` {
		t.Fatalf("invoke new code: %s", b)
	}

	// A rejected configuration changes nothing, the reservation included.
	c.fails(400, "invalid_parameter", "memorySize", "PATCH", "/v1/functions/greeter", map[string]any{"memorySize": 64, "reservedConcurrency": 7})
	c.fails(400, "invalid_parameter", "reservedConcurrency", "PATCH", "/v1/functions/greeter", map[string]any{"reservedConcurrency": 5000})
	c.fails(400, "invalid_parameter", "removeReservedConcurrency", "PATCH", "/v1/functions/greeter", map[string]any{"reservedConcurrency": 1, "removeReservedConcurrency": true})
	c.fails(400, "invalid_parameter", "runtime", "PATCH", "/v1/functions/greeter", map[string]any{"runtime": "python3.12"})
	c.must(200, "GET", "/v1/functions/greeter", nil, &f)
	if f.MemorySize != 256 || f.Runtime != "provided.al2023" || f.ReservedConcurrency == nil || *f.ReservedConcurrency != 5 {
		t.Fatalf("after rejected updates %+v", f)
	}
	f = abanico.Function{}
	c.must(200, "PATCH", "/v1/functions/greeter", map[string]any{"removeReservedConcurrency": true, "reservedConcurrency": nil}, &f)
	if f.ReservedConcurrency != nil || f.MemorySize != 256 {
		t.Fatalf("reservation not removed: %+v", f)
	}

	// Rejected creations create nothing.
	for _, tc := range []struct {
		field string
		body  map[string]any
	}{
		{"code", map[string]any{"name": "bad", "code": "%%%"}},
		{"code", map[string]any{"name": "bad", "code": ""}},
		{"code", map[string]any{"name": "bad", "code": base64.StdEncoding.EncodeToString([]byte("not a zip"))}},
		{"timeout", map[string]any{"name": "bad", "timeout": 901, "code": code}},
		{"runtime", map[string]any{"name": "bad", "runtime": "nodejs20.x", "code": code}},
		{"environment", map[string]any{"name": "bad", "environment": map[string]string{"AWS_REGION": "x"}, "code": code}},
		{"name", map[string]any{"name": "bad name", "code": code}},
		{"reservedConcurrency", map[string]any{"name": "bad", "reservedConcurrency": -1, "code": code}},
	} {
		c.fails(400, "invalid_parameter", tc.field, "POST", "/v1/functions", tc.body)
		c.fails(404, "not_found", "", "GET", "/v1/functions/bad", nil)
	}
	c.fails(404, "not_found", "", "PUT", "/v1/functions/nope/code", map[string]any{"code": code})
	c.fails(404, "not_found", "", "PATCH", "/v1/functions/nope", map[string]any{"timeout": 5})
	c.fails(400, "invalid_parameter", "code", "PUT", "/v1/functions/greeter/code", map[string]any{"code": base64.StdEncoding.EncodeToString([]byte("PK"))})
	c.must(204, "DELETE", "/v1/functions/greeter", nil, nil)
}

type peeked struct {
	Messages []abanico.PeekedMessage `json:"messages"`
}

// peekStates renders a peek as "body:state:receives" items.
func peekStates(p peeked) string {
	var parts []string
	for _, m := range p.Messages {
		parts = append(parts, fmt.Sprintf("%s:%s:%d", m.Body, m.State, m.ReceiveCount))
	}
	return strings.Join(parts, " ")
}

func TestPeek(t *testing.T) {
	c := newClient(t)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "p"}, nil)
	var p peeked
	c.must(200, "GET", "/v1/queues/p/messages:peek", nil, &p)
	if p.Messages == nil || len(p.Messages) != 0 {
		t.Fatalf("empty queue: %+v", p)
	}
	var sent struct{ MessageID string }
	c.must(201, "POST", "/v1/queues/p/messages", map[string]any{"body": "a", "attributes": map[string]any{"k": map[string]string{"type": "String", "value": "v"}}}, &sent)
	c.must(201, "POST", "/v1/queues/p/messages", map[string]any{"body": "b"}, nil)
	c.must(201, "POST", "/v1/queues/p/messages", map[string]any{"body": "later", "delaySeconds": 60}, nil)

	// Peeking twice shows the same: it receives nothing.
	for range 2 {
		p = peeked{}
		c.must(200, "GET", "/v1/queues/p/messages:peek", nil, &p)
		if got := peekStates(p); got != "a:visible:0 b:visible:0 later:delayed:0" {
			t.Fatalf("peek: %s", got)
		}
	}
	a := p.Messages[0]
	if a.MessageID != sent.MessageID || a.Attributes["k"].Value != "v" || a.SentAt == "" || a.VisibleAt != "" {
		t.Fatalf("peeked %+v", a)
	}
	if at, err := time.Parse(time.RFC3339, p.Messages[2].VisibleAt); err != nil || time.Until(at) < 50*time.Second {
		t.Fatalf("delayed visibleAt %q: %v", p.Messages[2].VisibleAt, err)
	}

	// A receive after the peeks is the first one.
	var m messages
	c.must(200, "GET", "/v1/queues/p/messages?max=1&visibility=30", nil, &m)
	if len(m.Messages) != 1 || m.Messages[0].Body != "a" || m.Messages[0].ReceiveCount != 1 {
		t.Fatalf("receive after peek: %+v", m)
	}
	p = peeked{}
	c.must(200, "GET", "/v1/queues/p/messages:peek", nil, &p)
	if got := peekStates(p); got != "b:visible:0 a:inflight:1 later:delayed:0" {
		t.Fatalf("peek with one in flight: %s", got)
	}
	if at, err := time.Parse(time.RFC3339, p.Messages[1].VisibleAt); err != nil || time.Until(at) < 20*time.Second || p.Messages[1].FirstReceivedAt == "" {
		t.Fatalf("in flight %+v: %v", p.Messages[1], err)
	}
	// Visible again: first, with its receive; max bounds the answer.
	c.must(204, "PATCH", "/v1/queues/p/messages/"+url.PathEscape(m.Messages[0].ReceiptHandle), map[string]any{"visibilityTimeout": 0}, nil)
	p = peeked{}
	c.must(200, "GET", "/v1/queues/p/messages:peek?max=2", nil, &p)
	if got := peekStates(p); got != "a:visible:1 b:visible:0" {
		t.Fatalf("peek after visibility 0: %s", got)
	}
	m = messages{}
	for i := 0; i < 5 && len(m.Messages) < 2; i++ {
		var more messages
		c.must(200, "GET", "/v1/queues/p/messages?max=10&wait=1", nil, &more)
		m.Messages = append(m.Messages, more.Messages...)
	}
	counts := map[string]int{}
	for _, x := range m.Messages {
		counts[x.Body] = x.ReceiveCount
	}
	if len(m.Messages) != 2 || counts["a"] != 2 || counts["b"] != 1 {
		t.Fatalf("receives after peeks: %+v", m)
	}

	c.fails(400, "invalid_parameter", "max", "GET", "/v1/queues/p/messages:peek?max=0", nil)
	c.fails(400, "invalid_parameter", "max", "GET", "/v1/queues/p/messages:peek?max=101", nil)
	c.fails(400, "invalid_parameter", "max", "GET", "/v1/queues/p/messages:peek?max=x", nil)
	c.fails(404, "not_found", "", "GET", "/v1/queues/nope/messages:peek", nil)
}

func TestStatus(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded, func(cfg *server.Config) {
		cfg.Version = "1.2.3-test"
		cfg.Durability = "relaxed"
	})
	c := &client{t: t, base: srv.URL()}

	var st abanico.Status
	c.must(200, "GET", "/v1/status", nil, &st)
	if st.Version != "1.2.3-test" || st.Engine.Mode != "embedded" || st.Engine.Durability != "relaxed" || st.Engine.Replicas != 1 ||
		st.Engine.StartedAt == "" || st.Counts != (abanico.Counts{}) || st.Busiest == nil || len(st.Busiest) != 0 {
		t.Fatalf("empty server: %+v", st)
	}

	c.must(201, "POST", "/v1/topics", map[string]any{"name": "t"}, nil)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "busy"}, nil)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "idle"}, nil)
	var busySub, fnSub abanico.Subscription
	c.must(201, "POST", "/v1/topics/t/subscriptions", map[string]any{"protocol": "queue", "endpoint": "busy"}, &busySub)
	c.must(201, "POST", "/v1/topics/t/subscriptions", map[string]any{"protocol": "queue", "endpoint": "idle", "filterPolicy": map[string]any{"never": []string{"x"}}}, nil)
	// A function that takes its time: its subscription's messages stay in
	// flight or waiting.
	slow, err := abanico.BootstrapZip([]byte(strings.Replace(string(abanicotest.BashRuntime("slow")), `echo "handling $id"`, "sleep 60", 1)))
	if err != nil {
		t.Fatal(err)
	}
	c.must(201, "POST", "/v1/functions", map[string]any{"name": "slow", "timeout": 120, "code": base64.StdEncoding.EncodeToString(slow)}, nil)
	c.must(201, "POST", "/v1/topics/t/subscriptions", map[string]any{"protocol": "function", "endpoint": "slow"}, &fnSub)
	for i := range 3 {
		c.must(201, "POST", "/v1/topics/t/messages", map[string]any{"message": fmt.Sprint("m", i)}, nil)
	}
	// Fanout is asynchronous: wait until the queue holds the three copies,
	// then take one in flight.
	var q abanico.Queue
	for deadline := time.Now().Add(20 * time.Second); q.Attributes["ApproximateNumberOfMessages"] != "3" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		c.must(200, "GET", "/v1/queues/busy", nil, &q)
	}
	c.must(200, "GET", "/v1/queues/busy/messages?visibility=60", nil, nil)

	var busy, fn *abanico.BusySubscription
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st = abanico.Status{}
		c.must(200, "GET", "/v1/status", nil, &st)
		busy, fn = nil, nil
		for i, b := range st.Busiest {
			switch b.ARN {
			case busySub.ARN:
				busy = &st.Busiest[i]
			case fnSub.ARN:
				fn = &st.Busiest[i]
			}
		}
		if busy != nil && fn != nil && busy.InFlight == 1 {
			break
		}
	}
	if st.Counts != (abanico.Counts{Topics: 1, Subscriptions: 3, Queues: 2, Functions: 1}) || len(st.Busiest) != 2 {
		t.Fatalf("status: %+v", st)
	}
	if busy == nil || *busy != (abanico.BusySubscription{ARN: busySub.ARN, Topic: "t", Protocol: "queue", Endpoint: "busy", Backlog: 2, InFlight: 1}) {
		t.Fatalf("queue subscription: %+v in %+v", busy, st.Busiest)
	}
	if fn == nil || fn.Protocol != "function" || fn.Endpoint != "slow" || fn.Backlog+uint64(fn.InFlight) != 3 {
		t.Fatalf("function subscription: %+v in %+v", fn, st.Busiest)
	}
	if st.Busiest[0].Backlog < st.Busiest[1].Backlog {
		t.Fatalf("not sorted by backlog: %+v", st.Busiest)
	}
}

// fillQueue sends n messages to a queue, ten at a time.
func fillQueue(c *client, queue string, n int) {
	c.t.Helper()
	for i := 0; i < n; i += 10 {
		var batch []map[string]any
		for j := i; j < min(i+10, n); j++ {
			batch = append(batch, map[string]any{"id": fmt.Sprint("m", j), "body": fmt.Sprint("message ", j)})
		}
		c.must(200, "POST", "/v1/queues/"+queue+"/messages:batch", map[string]any{"messages": batch}, nil)
	}
}

// waitTask polls a redrive task until it has ended, and returns it.
func waitTask(c *client, path string) abanico.RedriveTask {
	c.t.Helper()
	var task abanico.RedriveTask
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		task = abanico.RedriveTask{}
		c.must(200, "GET", path, nil, &task)
		if task.Done() {
			return task
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("task still %+v", task)
		}
	}
}

func TestRedriveTasks(t *testing.T) {
	c := newClient(t)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "dlq"}, nil)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "src", "deadLetterQueue": map[string]any{"name": "dlq", "maxReceiveCount": 1}}, nil)
	c.must(201, "POST", "/v1/queues", map[string]any{"name": "other"}, nil)
	var list struct{ Tasks []abanico.RedriveTask }
	c.must(200, "GET", "/v1/queues/dlq/redrive", nil, &list)
	if list.Tasks == nil || len(list.Tasks) != 0 {
		t.Fatalf("no task yet: %+v", list)
	}

	// A paced move: it is seen running, with its handle, then cancelled;
	// what it did not move stays.
	fillQueue(c, "dlq", 300)
	var started struct{ TaskHandle string }
	c.must(202, "POST", "/v1/queues/dlq/redrive", map[string]any{"destination": "src", "maxMessagesPerSecond": 50}, &started)
	one := "/v1/queues/dlq/redrive/" + url.PathEscape(started.TaskHandle)
	var running abanico.RedriveTask
	c.must(200, "GET", one, nil, &running)
	if running.TaskHandle != started.TaskHandle || running.Status != abanico.RedriveRunning || running.Destination != "src" ||
		running.MaxMessagesPerSecond != 50 || running.MessagesToMove != 300 || running.MovedMessages >= 300 {
		t.Fatalf("running task %+v", running)
	}
	if at, err := time.Parse(time.RFC3339, running.StartedAt); err != nil || time.Since(at) > time.Minute {
		t.Fatalf("startedAt %q: %v", running.StartedAt, err)
	}
	c.must(200, "GET", "/v1/queues/dlq/redrive", nil, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].TaskHandle != started.TaskHandle || list.Tasks[0].Status != abanico.RedriveRunning {
		t.Fatalf("list while running: %+v", list)
	}
	c.fails(400, "invalid_parameter", "name", "POST", "/v1/queues/dlq/redrive", map[string]any{"destination": "src"})
	var cancelled struct{ MovedMessages *int64 }
	c.must(200, "DELETE", one, nil, &cancelled)
	if cancelled.MovedMessages == nil || *cancelled.MovedMessages >= 300 {
		t.Fatalf("cancel: %+v", cancelled)
	}
	task := waitTask(c, one)
	if task.Status != abanico.RedriveCancelled || task.TaskHandle != started.TaskHandle || task.MovedMessages >= 300 {
		t.Fatalf("cancelled task %+v", task)
	}
	c.fails(400, "invalid_parameter", "taskHandle", "DELETE", one, nil)

	// An unpaced move of the rest completes.
	c.must(202, "POST", "/v1/queues/dlq/redrive", map[string]any{"destination": "src"}, &started)
	second := "/v1/queues/dlq/redrive/" + url.PathEscape(started.TaskHandle)
	done := waitTask(c, second)
	if done.Status != abanico.RedriveCompleted || done.MovedMessages != 300-task.MovedMessages || done.MessagesToMove != done.MovedMessages ||
		done.FailureReason != "" || done.MaxMessagesPerSecond != 0 {
		t.Fatalf("completed task %+v after %+v", done, task)
	}
	var q abanico.Queue
	c.must(200, "GET", "/v1/queues/src", nil, &q)
	if q.Attributes["ApproximateNumberOfMessages"] != "300" {
		t.Fatalf("src after the moves: %v", q.Attributes)
	}

	// Messages sent straight to the dead-letter queue have no source
	// queue to go back to: the move fails, and says why.
	fillQueue(c, "dlq", 1)
	c.must(202, "POST", "/v1/queues/dlq/redrive", nil, &started)
	third := "/v1/queues/dlq/redrive/" + url.PathEscape(started.TaskHandle)
	if failed := waitTask(c, third); failed.Status != abanico.RedriveFailed || failed.FailureReason == "" || failed.Destination != "" {
		t.Fatalf("failed task %+v", failed)
	}

	// Newest first; handles of running tasks only, as SQS lists them.
	list.Tasks = nil
	c.must(200, "GET", "/v1/queues/dlq/redrive", nil, &list)
	if len(list.Tasks) != 3 || list.Tasks[0].Status != abanico.RedriveFailed || list.Tasks[1].Status != abanico.RedriveCompleted ||
		list.Tasks[2].Status != abanico.RedriveCancelled || list.Tasks[0].TaskHandle != "" {
		t.Fatalf("list %+v", list)
	}
	list.Tasks = nil
	c.must(200, "GET", "/v1/queues/dlq/redrive?max=2", nil, &list)
	if len(list.Tasks) != 2 {
		t.Fatalf("list of 2: %+v", list)
	}
	c.fails(400, "invalid_parameter", "max", "GET", "/v1/queues/dlq/redrive?max=11", nil)
	c.fails(400, "invalid_parameter", "max", "GET", "/v1/queues/dlq/redrive?max=0", nil)
	c.fails(404, "not_found", "", "GET", "/v1/queues/nope/redrive", nil)
	c.fails(400, "invalid_parameter", "maxMessagesPerSecond", "POST", "/v1/queues/dlq/redrive", map[string]any{"maxMessagesPerSecond": 501})

	// A handle is found under its own queue only.
	c.fails(404, "not_found", "", "GET", "/v1/queues/other/redrive/"+url.PathEscape(started.TaskHandle), nil)
	c.fails(404, "not_found", "", "DELETE", "/v1/queues/other/redrive/"+url.PathEscape(started.TaskHandle), nil)
	c.fails(404, "not_found", "", "GET", "/v1/queues/dlq/redrive/no-such-task", nil)
	c.fails(404, "not_found", "", "DELETE", "/v1/queues/dlq/redrive/no-such-task", nil)
	c.fails(404, "not_found", "", "GET", "/v1/queues/nope/redrive/"+url.PathEscape(started.TaskHandle), nil)
}

// TestQueueSubscriptionAttempts checks the attempt log and counters of
// queue subscriptions: copies stored, copies the queue refused going to
// the subscription's dead-letter queue or being dropped, and the queue's
// backlog.
func TestQueueSubscriptionAttempts(t *testing.T) {
	c := newClient(t)
	c.must(201, "POST", "/v1/topics", map[string]string{"name": "events"}, nil)
	for _, q := range []map[string]any{
		{"name": "roomy"},
		{"name": "small", "attributes": map[string]string{"MaximumMessageSize": "1024"}},
		{"name": "tiny", "attributes": map[string]string{"MaximumMessageSize": "1024"}},
		{"name": "undeliverable"},
	} {
		c.must(201, "POST", "/v1/queues", q, nil)
	}
	subscribe := func(queue, dlq string) string {
		var s abanico.Subscription
		c.must(201, "POST", "/v1/topics/events/subscriptions", abanico.SubscribeInput{Protocol: "queue", Endpoint: queue, Raw: true, DeadLetterQueue: dlq}, &s)
		return s.ARN
	}
	roomy, small, tiny := subscribe("roomy", ""), subscribe("small", "undeliverable"), subscribe("tiny", "")
	for _, body := range []string{"short", strings.Repeat("x", 2000)} {
		c.must(201, "POST", "/v1/topics/events/messages", abanico.TopicMessage{Message: body}, nil)
	}
	stats := func(arn string, want func(abanico.SubscriptionStats) bool) abanico.SubscriptionStats {
		t.Helper()
		var st abanico.SubscriptionStats
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			c.must(200, "GET", "/v1/subscriptions/"+arn+"/attempts", nil, &st)
			if want(st) {
				return st
			}
		}
		t.Fatalf("stats of %s: %+v", arn, st)
		return st
	}
	outcomes := func(st abanico.SubscriptionStats) string {
		var out []string
		for _, a := range st.Attempts {
			out = append(out, a.Outcome)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	st := stats(roomy, func(st abanico.SubscriptionStats) bool { return st.Counters.Delivered == 2 })
	if st.Backlog != 2 || st.InFlight != 0 || st.Counters.Failed != 0 || outcomes(st) != "delivered,delivered" || st.Breaker != nil {
		t.Fatalf("roomy: %+v", st)
	}
	if a := st.Attempts[0]; a.MessageID == "" || a.Attempt != 1 || a.Time.IsZero() {
		t.Fatalf("attempt: %+v", a)
	}
	st = stats(small, func(st abanico.SubscriptionStats) bool { return st.Counters.DeadLettered == 1 })
	if st.Counters.Delivered != 1 || st.Counters.Failed != 1 || st.Backlog != 1 || outcomes(st) != "dead-lettered,delivered" {
		t.Fatalf("small: %+v", st)
	}
	st = stats(tiny, func(st abanico.SubscriptionStats) bool { return st.Counters.Dropped == 1 })
	if st.Counters.Delivered != 1 || st.Counters.Failed != 1 || outcomes(st) != "delivered,dropped" {
		t.Fatalf("tiny: %+v", st)
	}
	for _, a := range st.Attempts {
		if a.Outcome == "dropped" && !strings.Contains(a.Error, "1024") {
			t.Fatalf("dropped attempt without the queue's reason: %+v", a)
		}
	}
	// A received message is in flight.
	var got messages
	c.must(200, "GET", "/v1/queues/roomy/messages?max=1", nil, &got)
	st = stats(roomy, func(st abanico.SubscriptionStats) bool { return st.InFlight == 1 })
	if st.Backlog != 1 {
		t.Fatalf("roomy after a receive: %+v", st)
	}
}

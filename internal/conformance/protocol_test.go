package conformance_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/abanicotest"
)

// Raw wire checks of the two SQS protocols, as older clients send them.

func post(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestQueryProtocolWire(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	base := srv.URL()
	resp, body := post(t, base+"/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"wire"}, "Version": {"2012-11-05"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "<QueueUrl>"+base+"/000000000000/wire</QueueUrl>") ||
		!strings.Contains(body, `xmlns="http://queue.amazonaws.com/doc/2012-11-05/"`) || !strings.Contains(body, "<RequestId>") {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	// A POST to the queue URL carries the queue in the path (older SDKs).
	qurl := base + "/000000000000/wire"
	resp, body = post(t, qurl, url.Values{"Action": {"SendMessage"}, "MessageBody": {"via path"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "<MD5OfMessageBody>") {
		t.Fatalf("send via queue url: %d %s", resp.StatusCode, body)
	}
	// GET with the query string works as well.
	r, err := http.Get(qurl + "?Action=ReceiveMessage&WaitTimeSeconds=1&AttributeName.1=All")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var rec struct {
		Messages []struct {
			Body  string `xml:"Body"`
			Attrs []struct {
				Name  string `xml:"Name"`
				Value string `xml:"Value"`
			} `xml:"Attribute"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal(b, &rec); err != nil || len(rec.Messages) != 1 || rec.Messages[0].Body != "via path" || len(rec.Messages[0].Attrs) < 4 {
		t.Fatalf("receive via GET: %v %s", err, b)
	}
	// Errors: the query protocol's ErrorResponse with Type, Code, Message.
	resp, body = post(t, base+"/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"nope"}})
	var er struct {
		Type    string `xml:"Error>Type"`
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
		ReqID   string `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &er); err != nil || resp.StatusCode != 400 || er.Type != "Sender" ||
		er.Code != "AWS.SimpleQueueService.NonExistentQueue" || er.Message == "" || er.ReqID == "" {
		t.Fatalf("error shape: %d %+v %s", resp.StatusCode, er, body)
	}
	resp, body = post(t, base+"/", url.Values{"Action": {"Frobnicate"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Fatalf("unknown action: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, base+"/", url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {qurl}, "MaxNumberOfMessages": {"ten"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>InvalidParameterValue</Code>") {
		t.Fatalf("non-integer parameter: %d %s", resp.StatusCode, body)
	}
}

func TestJSONProtocolWire(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	call := func(action, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL()+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: response is not JSON: %s", action, b)
		}
		return resp, m
	}
	resp, m := call("GetQueueUrl", `{"QueueName":"nope"}`)
	if resp.StatusCode != 400 || m["__type"] != "com.amazonaws.sqs#QueueDoesNotExist" ||
		resp.Header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("error shape: %d %v %v", resp.StatusCode, m, resp.Header)
	}
	resp, m = call("CreateQueue", `{"QueueName":`)
	if resp.StatusCode != 400 || !strings.Contains(m["__type"].(string), "SerializationException") {
		t.Fatalf("malformed JSON: %d %v", resp.StatusCode, m)
	}
	resp, m = call("Frobnicate", `{}`)
	if resp.StatusCode != 400 || !strings.Contains(m["__type"].(string), "UnknownOperationException") {
		t.Fatalf("unknown target: %d %v", resp.StatusCode, m)
	}
	resp, m = call("CreateQueue", `{"QueueName":"j","Attributes":{"VisibilityTimeout":"x"}}`)
	if resp.StatusCode != 400 || m["__type"] != "com.amazonaws.sqs#InvalidAttributeValue" || resp.Header.Get("x-amzn-query-error") != "InvalidAttributeValue;Sender" {
		t.Fatalf("invalid attribute: %d %v %v", resp.StatusCode, m, resp.Header)
	}
	if _, m = call("ListQueues", `{}`); len(m) != 0 {
		t.Fatalf("empty ListQueues: %v", m)
	}
}

func TestHealthEndpoints(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	for _, p := range []string{"/health", "/ready"} {
		r, err := http.Get(srv.URL() + p)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, r, err)
		}
		r.Body.Close()
	}
}

package snsapi

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/topic"
)

type xmlError struct {
	XMLName   xml.Name `xml:"http://sns.amazonaws.com/doc/2010-03-31/ ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func parseError(t *testing.T, rec *httptest.ResponseRecorder) xmlError {
	t.Helper()
	var e xmlError
	if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body: %v\n%s", err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if id := rec.Header().Get("x-amzn-RequestId"); id == "" || id != e.RequestID {
		t.Fatalf("request id header %q, body %q", id, e.RequestID)
	}
	return e
}

// testHandler has no service: these tests only reach paths that fail
// before the service is called.
func testHandler() *Handler {
	return New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestErrorShapes(t *testing.T) {
	cases := []struct {
		err          error
		status       int
		typ, code    string
		msg          string
		serverLogged bool
	}{
		{&topic.Error{Code: topic.CodeNotFound, Message: "Topic does not exist"}, 404, "Sender", "NotFound", "Topic does not exist", false},
		{&topic.Error{Code: topic.CodeResourceNotFound, Message: "Resource does not exist"}, 404, "Sender", "ResourceNotFound", "Resource does not exist", false},
		{&topic.Error{Code: topic.CodeAuthorizationError, Message: "denied"}, 403, "Sender", "AuthorizationError", "denied", false},
		{&topic.Error{Code: topic.CodeInvalidParameter, Message: "Invalid parameter: TopicArn"}, 400, "Sender", "InvalidParameter", "Invalid parameter: TopicArn", false},
		{&topic.Error{Code: topic.CodeInvalidParameterValue, Message: "bad value"}, 400, "Sender", "ParameterValueInvalid", "bad value", false},
		{&topic.Error{Code: topic.CodeTooManyEntriesInBatchRequest, Message: "too many"}, 400, "Sender", "TooManyEntriesInBatchRequest", "too many", false},
		{&topic.Error{Code: topic.CodeTagLimitExceeded, Message: "quota"}, 400, "Sender", "TagLimitExceeded", "quota", false},
		{&topic.Error{Code: topic.CodeInternalError, Message: "Internal Error", Server: true, Cause: errors.New("disk")}, 500, "Receiver", "InternalError", "Internal Error", true},
		{errors.New("boom"), 500, "Receiver", "InternalError", "Internal Error", true},
		{context.Canceled, 400, "Sender", "RequestCanceled", "The request was canceled.", false},
	}
	for _, c := range cases {
		var logs strings.Builder
		h := New(nil, slog.New(slog.NewTextHandler(&logs, nil)))
		rec := httptest.NewRecorder()
		h.writeError(rec, "Publish", "rid-1", c.err)
		if rec.Code != c.status {
			t.Errorf("%v: status %d, want %d", c.err, rec.Code, c.status)
		}
		e := parseError(t, rec)
		if e.Type != c.typ || e.Code != c.code || e.Message != c.msg || e.RequestID != "rid-1" {
			t.Errorf("%v: got %+v", c.err, e)
		}
		if logged := logs.Len() > 0; logged != c.serverLogged {
			t.Errorf("%v: logged=%v: %s", c.err, logged, logs.String())
		}
	}
}

func TestErrorBodyExact(t *testing.T) {
	_, body := errorResponse(&topic.Error{Code: "NotFound", Message: "Topic does not exist"}, "rid")
	want := `<?xml version="1.0"?><ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>rid</RequestId></ErrorResponse>`
	if string(body) != want {
		t.Fatalf("got\n%s\nwant\n%s", body, want)
	}
}

func TestServeErrors(t *testing.T) {
	h := testHandler()
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	cases := []struct {
		name   string
		req    *http.Request
		status int
		code   string
		msg    string
	}{
		{"unknown action", post("Action=Frobnicate&Version=2010-03-31"), 400, "InvalidAction", "The action Frobnicate is not valid for this web service."},
		{"unimplemented SNS action", post("Action=CreatePlatformApplication&Version=2010-03-31"), 400, "InvalidAction", "The action CreatePlatformApplication is not valid for this web service."},
		{"missing action", post("Version=2010-03-31"), 400, "MissingAction", "The request must contain the parameter Action."},
		{"missing TopicArn", post("Action=GetTopicAttributes&Version=2010-03-31"), 400, "InvalidParameter", "Invalid parameter: TopicArn"},
		{"missing Name", post("Action=CreateTopic&Version=2010-03-31"), 400, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"phone number", post("Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550100&Message=hi"), 400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: SMS delivery is not supported"},
		{"bad binary", post("Action=Publish&TopicArn=" + url.QueryEscape(testTopic) + "&Message=m&MessageAttributes.entry.1.Name=b&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=%21"), 400, "ParameterValueInvalid", "The message attribute 'b' has an invalid binary value: it is not valid base64."},
		{"malformed body", post("Action=ListTopics&bad=%zz"), 400, "MalformedQueryString", "The request body is not a valid form-encoded string."},
		{"GET unsubscribe link without arn", httptest.NewRequest(http.MethodGet, "/?Action=Unsubscribe", nil), 400, "InvalidParameter", "Invalid parameter: SubscriptionArn"},
		{"GET confirm link without token", httptest.NewRequest(http.MethodGet, "/?Action=ConfirmSubscription&TopicArn="+url.QueryEscape(testTopic), nil), 400, "InvalidParameter", "Invalid parameter: Token"},
		{"body parameters win", func() *http.Request {
			r := post("Action=ListTagsForResource")
			r.URL.RawQuery = "Action=ListTopics"
			return r
		}(), 400, "InvalidParameter", "Invalid parameter: ResourceArn"},
		{"too large", post("Action=Publish&Message=" + strings.Repeat("x", MaxRequestBytes)), 413, "RequestEntityTooLarge", "The request is too large."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, c.req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			e := parseError(t, rec)
			if e.Code != c.code || e.Message != c.msg || e.Type != "Sender" {
				t.Fatalf("got %+v", e)
			}
		})
	}
}

func TestServeFormUsesGivenForm(t *testing.T) {
	h := testHandler()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("this body is ignored"))
	rec := httptest.NewRecorder()
	h.ServeForm(rec, r, url.Values{"Action": {"DeleteTopic"}})
	if e := parseError(t, rec); rec.Code != 400 || e.Code != "InvalidParameter" || e.Message != "Invalid parameter: TopicArn" {
		t.Fatalf("%d %+v", rec.Code, e)
	}
}

func TestReadForm(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/?Action=Publish&Version=2010-03-31&Message=query", strings.NewReader("Message=body&TopicArn=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form, err := ReadForm(r)
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("Action") != "Publish" || form.Get("Message") != "body" || form.Get("TopicArn") != "x" {
		t.Fatalf("form %v", form)
	}

	// A body of another media type is not parameters.
	r = httptest.NewRequest(http.MethodPost, "/?Action=ListTopics", strings.NewReader("Action=Publish"))
	r.Header.Set("Content-Type", "application/json")
	if form, err = ReadForm(r); err != nil || form.Get("Action") != "ListTopics" {
		t.Fatalf("form %v err %v", form, err)
	}

	// GET: the query only.
	r = httptest.NewRequest(http.MethodGet, "/?Action=Unsubscribe&SubscriptionArn="+url.QueryEscape(testSub), nil)
	if form, err = ReadForm(r); err != nil || form.Get("SubscriptionArn") != testSub {
		t.Fatalf("form %v err %v", form, err)
	}

	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.URL.RawQuery = "Action=%zz"
	if _, err = ReadForm(r); err == nil {
		t.Fatal("malformed query accepted")
	}
}

func TestIsSNSRequest(t *testing.T) {
	sig := func(svc string) http.Header {
		return http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/" + svc + "/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd"}}
	}
	cases := []struct {
		name   string
		header http.Header
		form   string
		want   bool
	}{
		{"signed for sns", sig("sns"), "Action=ListQueues", true},
		{"signed for sns, no params", sig("sns"), "", true},
		{"signed for sqs", sig("sqs"), "Action=SendMessage&Version=2012-11-05&QueueUrl=q", false},
		{"signed for sqs, SNS version", sig("sqs"), "Action=SendMessage&Version=2010-03-31", true},
		{"unsigned SNS version", nil, "Action=CreateTopic&Version=2010-03-31&Name=t", true},
		{"unsigned SQS version", nil, "Action=CreateQueue&Version=2012-11-05&QueueName=q", false},
		{"SNS-only action", nil, "Action=ListTopics", true},
		{"unsubscribe link", nil, "Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(testSub), true},
		{"subscribe link", nil, "Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(testTopic) + "&Token=t", true},
		{"SNS action SQS lacks", nil, "Action=CreatePlatformEndpoint", true},
		{"SQS-only action", nil, "Action=ReceiveMessage&QueueUrl=q", false},
		{"shared action on a topic", nil, "Action=AddPermission&TopicArn=" + url.QueryEscape(testTopic) + "&Label=l", true},
		{"shared action on a queue", nil, "Action=AddPermission&QueueUrl=q&Label=l", false},
		{"shared remove on a topic", nil, "Action=RemovePermission&TopicArn=" + url.QueryEscape(testTopic) + "&Label=l", true},
		{"nothing", nil, "", false},
		{"presigned for sns", nil, "Action=Frobnicate&X-Amz-Credential=" + url.QueryEscape("AKID/20261126/us-east-1/sns/aws4_request"), true},
		{"presigned for sqs", nil, "Action=GetQueueUrl&X-Amz-Credential=" + url.QueryEscape("AKID/20261126/us-east-1/sqs/aws4_request"), false},
		{"malformed authorization", http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=sns"}}, "Action=SendMessage", false},
		{"action names are case-sensitive", nil, "Action=publish", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			for k, v := range c.header {
				r.Header[k] = v
			}
			if got := IsSNSRequest(r, q(t, c.form)); got != c.want {
				t.Fatalf("IsSNSRequest = %v, want %v", got, c.want)
			}
		})
	}
	if !IsSNSRequest(nil, url.Values{"Action": {"Publish"}}) {
		t.Fatal("nil request")
	}
}

func TestCertHandler(t *testing.T) {
	const path = "/SimpleNotificationService-0123456789abcdef.pem"
	pem := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	h := certHandler(func() string { return path }, func() []byte { return pem })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != 200 || rec.Body.String() != string(pem) || rec.Header().Get("Content-Type") != CertContentType {
		t.Fatalf("GET: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/other.pem", nil))
	if rec.Code != 404 {
		t.Fatalf("other path: %d", rec.Code)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	if rec.Code != 405 {
		t.Fatalf("POST: %d", rec.Code)
	}
}

package lambdaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/function"
)

// testHandler has a zero service: these tests only reach paths that fail
// before the service is called (or that do not run the route at all).
func testHandler(log io.Writer) *Handler {
	if log == nil {
		log = io.Discard
	}
	return New(&function.Service{}, "http://localhost:4566/", slog.New(slog.NewTextHandler(log, nil)))
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestIsLambdaRequest(t *testing.T) {
	cases := map[string]bool{
		"/2015-03-31/functions":                                      true,
		"/2015-03-31/functions/":                                     true,
		"/2015-03-31/functions/f/invocations":                        true,
		"/2017-10-31/functions/f/concurrency":                        true,
		"/2019-09-25/functions/f/event-invoke-config":                true,
		"/2019-09-30/functions/f/concurrency":                        true,
		"/2015-03-31/functions/arn%3Aaws%3Alambda%3Ax/configuration": true,
		"/":                                    false,
		"/2015-03-31/functionsX":               false,
		"/2015-03-31/event-source-mappings/":   false,
		"/2017-03-31/tags/arn":                 false,
		"/2018-10-31/layers":                   false,
		"/123456789012/queue":                  false,
		"/v1/topics":                           false,
		"/x/2015-03-31/functions":              false,
		"/2015-03-31/functions/../../health":   true, // the mux cleans and redirects it
		"/2020-06-30/functions/f/code-signing": false,
	}
	for path, want := range cases {
		r := httptest.NewRequest("GET", "http://h"+path, nil)
		if got := IsLambdaRequest(r); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}

func TestRoutes(t *testing.T) {
	h := testHandler(nil)
	ops := map[string]string{"/": ""}
	for _, rt := range routes {
		ops[rt.pattern] = rt.op
	}
	arn := "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af"
	cases := []struct{ method, path, op string }{
		{"POST", "/2015-03-31/functions", "CreateFunction"},
		{"POST", "/2015-03-31/functions/", "CreateFunction"},
		{"GET", "/2015-03-31/functions", "ListFunctions"},
		{"GET", "/2015-03-31/functions/?MaxItems=5", "ListFunctions"},
		{"GET", "/2015-03-31/functions/f", "GetFunction"},
		{"HEAD", "/2015-03-31/functions/f", "GetFunction"},
		{"GET", "/2015-03-31/functions/" + arn + "?Qualifier=%24LATEST", "GetFunction"},
		{"DELETE", "/2015-03-31/functions/f", "DeleteFunction"},
		{"GET", "/2015-03-31/functions/f/configuration", "GetFunctionConfiguration"},
		{"PUT", "/2015-03-31/functions/" + arn + "/configuration", "UpdateFunctionConfiguration"},
		{"GET", "/2015-03-31/functions/f/code", "GetFunctionCode"},
		{"PUT", "/2015-03-31/functions/f/code", "UpdateFunctionCode"},
		{"POST", "/2015-03-31/functions/f/invocations", "Invoke"},
		{"POST", "/2015-03-31/functions/" + arn + "%3A%24LATEST/invocations", "Invoke"},
		{"POST", "/2015-03-31/functions/f/policy", "AddPermission"},
		{"GET", "/2015-03-31/functions/f/policy", "GetPolicy"},
		{"DELETE", "/2015-03-31/functions/f/policy/sid-1", "RemovePermission"},
		{"PUT", "/2017-10-31/functions/f/concurrency", "PutFunctionConcurrency"},
		{"DELETE", "/2017-10-31/functions/f/concurrency", "DeleteFunctionConcurrency"},
		{"GET", "/2019-09-30/functions/f/concurrency", "GetFunctionConcurrency"},
		{"PUT", "/2019-09-25/functions/f/event-invoke-config", "PutFunctionEventInvokeConfig"},
		{"POST", "/2019-09-25/functions/f/event-invoke-config", "UpdateFunctionEventInvokeConfig"},
		{"GET", "/2019-09-25/functions/f/event-invoke-config", "GetFunctionEventInvokeConfig"},
		// Not served: the catch-all answers UnknownOperationException.
		{"PATCH", "/2015-03-31/functions/f", ""},
		{"DELETE", "/2015-03-31/functions", ""},
		{"GET", "/2015-03-31/functions/f/bogus", ""},
		{"GET", "/2015-03-31/functions/f/invocations", ""},
		{"GET", "/2017-10-31/functions/f/concurrency", ""},
		{"DELETE", "/2019-09-25/functions/f/event-invoke-config", ""},
		{"POST", "/2015-03-31/functions/f/invoke-async/", ""},
		{"GET", "/2015-03-31/functions/f/versions", ""},
		{"GET", "/2015-03-31/functions/f/aliases", ""},
		{"GET", "/2015-03-31/functions/f/policy/sid/extra", ""},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, "http://h"+c.path, nil)
		_, pattern := h.mux.Handler(r)
		op, ok := ops[pattern]
		if !ok || op != c.op {
			t.Errorf("%s %s: pattern %q (%s), want %s", c.method, c.path, pattern, op, c.op)
		}
		seen[pattern] = true
	}
	for _, rt := range routes {
		if !seen[rt.pattern] {
			t.Errorf("route %s is not tested", rt.pattern)
		}
	}
}

func TestPathValueDecodesArn(t *testing.T) {
	h := testHandler(nil)
	var got string
	h.mux.HandleFunc("GET /test/{FunctionName}", func(w http.ResponseWriter, r *http.Request) {
		got, _ = h.functionName(r)
	})
	r := httptest.NewRequest("GET", "http://h/test/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3A%24LATEST", nil)
	h.mux.ServeHTTP(httptest.NewRecorder(), r)
	if got != "arn:aws:lambda:us-east-1:123456789012:function:f" {
		t.Errorf("name %q", got)
	}
}

// apiError is a decoded error response.
type apiError struct {
	Status    int
	Code      string
	Type      string
	Message   string
	Reason    string
	RequestID string
}

func parseError(t *testing.T, rec *httptest.ResponseRecorder) apiError {
	t.Helper()
	var body struct {
		Type    string
		Message string `json:"message"`
		Reason  string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return apiError{Status: rec.Code, Code: rec.Header().Get("X-Amzn-ErrorType"), Type: body.Type,
		Message: body.Message, Reason: body.Reason, RequestID: rec.Header().Get("x-amzn-RequestId")}
}

func TestErrorResponses(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	notFound := &function.Error{Code: function.CodeResourceNotFound, Message: "Function not found: arn"}
	cases := []struct {
		err       error
		ctx       context.Context
		status    int
		code, typ string
		msg       string
		reason    string
		logged    bool
	}{
		{notFound, nil, 404, "ResourceNotFoundException", "User", "Function not found: arn", "", false},
		{fmt.Errorf("get: %w", notFound), nil, 404, "ResourceNotFoundException", "User", "Function not found: arn", "", false},
		{&function.Error{Code: function.CodeResourceConflict, Message: "exists"}, nil, 409, "ResourceConflictException", "User", "exists", "", false},
		{&function.Error{Code: function.CodeInvalidParameterValue, Message: "bad"}, nil, 400, "InvalidParameterValueException", "User", "bad", "", false},
		{&function.Error{Code: function.CodeTooManyRequests, Message: "Rate Exceeded."}, nil, 429, "TooManyRequestsException", "User", "Rate Exceeded.", "", false},
		{&reasonError{reasonReservedConcurrentLimit, fmt.Errorf("invoke: %w", &function.Error{Code: function.CodeTooManyRequests, Message: "Rate Exceeded."})},
			nil, 429, "TooManyRequestsException", "User", "Rate Exceeded.", reasonReservedConcurrentLimit, false},
		{&function.Error{Code: function.CodeRequestTooLarge, Message: "big"}, nil, 413, "RequestTooLargeException", "User", "big", "", false},
		{&function.Error{Code: function.CodePreconditionFailed, Message: "rev"}, nil, 412, "PreconditionFailedException", "User", "rev", "", false},
		{&function.Error{Code: function.CodeService, Message: "Internal error", Server: true, Cause: errors.New("disk")}, nil,
			500, "ServiceException", "Server", "Internal error", "", true},
		{&function.Error{Code: "SomethingNew", Message: "odd", Server: true}, nil, 500, "SomethingNew", "Server", "odd", "", true},
		{&function.Error{Code: codeSerialization, Message: "json"}, nil, 400, "SerializationException", "User", "json", "", false},
		{&function.Error{Code: codeUnknownOperation, Message: "op"}, nil, 404, "UnknownOperationException", "User", "op", "", false},
		{errors.New("not implemented"), nil, 500, "ServiceException", "Server", "An internal error occurred. Please try again.", "", true},
		{fmt.Errorf("invoke: %w", context.Canceled), canceled, 400, "RequestCanceled", "User", "The request was canceled.", "", false},
		// Canceled while the caller is still there is the server's failure.
		{context.Canceled, nil, 500, "ServiceException", "Server", "An internal error occurred. Please try again.", "", true},
	}
	for _, c := range cases {
		var logs bytes.Buffer
		h := testHandler(&logs)
		r := httptest.NewRequest("GET", "http://h/2015-03-31/functions/f", nil)
		if c.ctx != nil {
			r = r.WithContext(c.ctx)
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("x-amzn-RequestId", "rid-1")
		h.writeError(rec, r, "GetFunction", c.err)
		got := parseError(t, rec)
		want := apiError{c.status, c.code, c.typ, c.msg, c.reason, "rid-1"}
		if got != want {
			t.Errorf("%v:\ngot  %+v\nwant %+v", c.err, got, want)
		}
		if logged := logs.Len() > 0; logged != c.logged {
			t.Errorf("%v: logged=%v: %s", c.err, logged, logs.String())
		}
		if c.logged && !strings.Contains(logs.String(), "request_id=rid-1") {
			t.Errorf("%v: log without the request id: %s", c.err, logs.String())
		}
	}
}

// TestRequestErrors drives ServeHTTP with requests that fail before the
// service is called.
func TestRequestErrors(t *testing.T) {
	big := bytes.Repeat([]byte(" "), MaxEventPayloadBytes+1)
	cases := []struct {
		method, path string
		hdr          map[string]string
		body         []byte
		status       int
		code, msg    string
	}{
		{"PATCH", "/2015-03-31/functions/f", nil, nil, 404, "UnknownOperationException", "Unknown operation: PATCH /2015-03-31/functions/f"},
		{"POST", "/2015-03-31/functions", nil, []byte(`{`), 400, "SerializationException", "Could not parse request body into json"},
		{"POST", "/2015-03-31/functions", nil, []byte(`{"FunctionName":["f"]}`), 400, "SerializationException", "FunctionName: expected a string, got array"},
		{"POST", "/2015-03-31/functions", nil, []byte(`{"FunctionName":"f","Code":{"S3Bucket":"b","S3Key":"k"}}`), 400, "InvalidParameterValueException", "Only Code.ZipFile is supported"},
		{"GET", "/2015-03-31/functions/f?Qualifier=3", nil, nil, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:::function:f:3"},
		{"GET", "/2015-03-31/functions/f%3Aprod/configuration", nil, nil, 404, "ResourceNotFoundException", "f:prod"},
		{"DELETE", "/2015-03-31/functions/f:1?Qualifier=2", nil, nil, 400, "InvalidParameterValueException", "does not match"},
		{"GET", "/2015-03-31/functions/?MaxItems=0", nil, nil, 400, "InvalidParameterValueException", "maxItems"},
		{"GET", "/2015-03-31/functions?Marker=%21%21", nil, nil, 400, "InvalidParameterValueException", "Invalid Marker"},
		{"GET", "/2015-03-31/functions?FunctionVersion=LATEST", nil, nil, 400, "InvalidParameterValueException", "functionVersion"},
		{"PUT", "/2015-03-31/functions/f/code", nil, []byte(`{"ImageUri":"i"}`), 400, "InvalidParameterValueException", "Only ZipFile is supported"},
		{"PUT", "/2015-03-31/functions/f/configuration", nil, []byte(`{"MemorySize":"big"}`), 400, "SerializationException", "MemorySize: expected an integer"},
		{"PUT", "/2017-10-31/functions/f/concurrency", nil, []byte(`{"ReservedConcurrentExecutions":-2}`), 400, "InvalidParameterValueException", "greater than or equal to 0"},
		{"PUT", "/2019-09-25/functions/f/event-invoke-config", nil, []byte(`{"MaximumRetryAttempts":5}`), 400, "InvalidParameterValueException", "maximumRetryAttempts"},
		{"POST", "/2019-09-25/functions/f/event-invoke-config", nil, []byte(`{"MaximumEventAgeInSeconds":1}`), 400, "InvalidParameterValueException", "maximumEventAgeInSeconds"},
		{"POST", "/2015-03-31/functions/f/policy", nil, []byte(`{"StatementId":1}`), 400, "SerializationException", "StatementId: expected a string"},
		{"POST", "/2015-03-31/functions/f/invocations", map[string]string{"X-Amz-Invocation-Type": "Sync"}, []byte(`{}`), 400, "InvalidParameterValueException", "invocationType"},
		{"POST", "/2015-03-31/functions/f/invocations", map[string]string{"X-Amz-Log-Type": "All"}, []byte(`{}`), 400, "InvalidParameterValueException", "logType"},
		{"POST", "/2015-03-31/functions/f/invocations", nil, []byte(`{"a":`), 400, "InvalidRequestContentException", "Could not parse request body into json: "},
		{"POST", "/2015-03-31/functions/f/invocations", map[string]string{"X-Amz-Invocation-Type": "Event"}, big, 413, "RequestTooLargeException",
			fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxEventPayloadBytes)},
		{"POST", "/2015-03-31/functions/f/invocations", nil, bytes.Repeat([]byte(" "), MaxSyncPayloadBytes+1), 413, "RequestTooLargeException", "6291456 bytes"},
		{"POST", "/2015-03-31/functions/f/invocations?Qualifier=2", nil, []byte(`{}`), 404, "ResourceNotFoundException", "Function not found"},
	}
	for _, c := range cases {
		var logs bytes.Buffer
		h := testHandler(&logs)
		r := httptest.NewRequest(c.method, "http://h"+c.path, bytes.NewReader(c.body))
		for k, v := range c.hdr {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		got := parseError(t, rec)
		if got.Status != c.status || got.Code != c.code || got.Type != "User" || !strings.Contains(got.Message, c.msg) {
			t.Errorf("%s %s: got %+v, want %d %s %q", c.method, c.path, got, c.status, c.code, c.msg)
		}
		if !uuidRE.MatchString(got.RequestID) {
			t.Errorf("%s %s: request id %q", c.method, c.path, got.RequestID)
		}
		if logs.Len() > 0 {
			t.Errorf("%s %s: logged a client error: %s", c.method, c.path, logs.String())
		}
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	h := testHandler(nil)
	seen := map[string]bool{}
	for range 20 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://h/2015-03-31/functions/f/nope", nil))
		id := rec.Header().Get("x-amzn-RequestId")
		if seen[id] || !uuidRE.MatchString(id) {
			t.Fatalf("request id %q", id)
		}
		seen[id] = true
	}
}

func TestReadBody(t *testing.T) {
	r := httptest.NewRequest("POST", "http://h/", strings.NewReader("12345"))
	if b, err := readBody(r, 5, "Op"); err != nil || string(b) != "12345" {
		t.Errorf("at limit: %q, %v", b, err)
	}
	r = httptest.NewRequest("POST", "http://h/", strings.NewReader("123456"))
	_, err := readBody(r, 5, "Op")
	wantError(t, "over limit", err, function.CodeRequestTooLarge, "Request must be smaller than 5 bytes for the Op operation")
	// A declared length over the limit fails before reading.
	r = httptest.NewRequest("POST", "http://h/", strings.NewReader("1"))
	r.ContentLength = 6
	_, err = readBody(r, 5, "Op")
	wantError(t, "declared", err, function.CodeRequestTooLarge, "5 bytes")
	r = httptest.NewRequest("POST", "http://h/", io.MultiReader(strings.NewReader("12"), iotestErrReader{}))
	r.ContentLength = -1
	_, err = readBody(r, 5, "Op")
	wantError(t, "read failure", err, codeSerialization, "Could not read the request body")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestWriteInvokeOutput(t *testing.T) {
	cases := []struct {
		in      function.InvokeInput
		out     function.InvokeOutput
		status  int
		hdr     map[string]string
		body    string
		noCType bool
	}{
		{function.InvokeInput{Type: function.InvokeRequestResponse},
			function.InvokeOutput{StatusCode: 200, Payload: []byte(`{"ok":true}`), RequestID: "inv-1"},
			200, map[string]string{"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": "inv-1", "X-Amz-Function-Error": "", "X-Amz-Log-Result": ""},
			`{"ok":true}`, false},
		{function.InvokeInput{Type: function.InvokeRequestResponse, LogTail: true},
			function.InvokeOutput{StatusCode: 200, Payload: []byte(`{"errorMessage":"boom"}`), FunctionError: "Unhandled", LogResult: "bG9n", ExecutedVersion: "$LATEST"},
			200, map[string]string{"X-Amz-Function-Error": "Unhandled", "X-Amz-Log-Result": "bG9n", "x-amzn-RequestId": "rid"},
			`{"errorMessage":"boom"}`, false},
		// The log tail is only returned when asked for.
		{function.InvokeInput{Type: function.InvokeRequestResponse},
			function.InvokeOutput{StatusCode: 200, LogResult: "bG9n"},
			200, map[string]string{"X-Amz-Log-Result": ""}, ``, false},
		{function.InvokeInput{Type: function.InvokeEvent},
			function.InvokeOutput{StatusCode: 202, RequestID: "ev-1"},
			202, map[string]string{"X-Amz-Executed-Version": "", "x-amzn-RequestId": "ev-1"}, ``, false},
		{function.InvokeInput{Type: function.InvokeDryRun}, function.InvokeOutput{StatusCode: 204},
			204, map[string]string{"X-Amz-Executed-Version": ""}, ``, true},
		// A missing status code is the invocation type's.
		{function.InvokeInput{Type: function.InvokeEvent}, function.InvokeOutput{}, 202, nil, ``, false},
		{function.InvokeInput{Type: function.InvokeDryRun}, function.InvokeOutput{}, 204, nil, ``, true},
		{function.InvokeInput{Type: function.InvokeRequestResponse}, function.InvokeOutput{Payload: []byte("null")}, 200,
			map[string]string{"X-Amz-Executed-Version": "$LATEST"}, `null`, false},
	}
	for i, c := range cases {
		rec := httptest.NewRecorder()
		rec.Header().Set("x-amzn-RequestId", "rid")
		writeInvokeOutput(rec, c.in, &c.out)
		if rec.Code != c.status || rec.Body.String() != c.body {
			t.Errorf("%d: status %d body %q", i, rec.Code, rec.Body)
		}
		for k, v := range c.hdr {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%d: %s = %q, want %q", i, k, got, v)
			}
		}
		if ct := rec.Header().Get("Content-Type"); (ct == "") != c.noCType {
			t.Errorf("%d: Content-Type %q", i, ct)
		}
	}
}

func TestNewTrimsPublicURL(t *testing.T) {
	if h := New(&function.Service{}, "http://h:1//", nil); h.publicURL != "http://h:1" || h.log == nil {
		t.Errorf("publicURL %q", h.publicURL)
	}
}

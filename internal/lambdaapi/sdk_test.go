package lambdaapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/abanico/abanico/internal/function"
)

// These tests talk to the API with the AWS SDK for Go, proving that what
// it is sent and what it parses are the wire format.

func sdkClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// checkAPIError checks that err is an API error with code and HTTP status
// whose message contains msg, and that it carries a request id.
func checkAPIError(t *testing.T, what string, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: error %v (%T) is not an API error", what, err, err)
		return
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: got %s %q, want %s containing %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Errorf("%s: no HTTP response in %v", what, err)
		return
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("%s: status %d, want %d", what, re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Errorf("%s: no request id", what)
	}
}

// TestSDKRequestErrors sends the SDK's requests to the handler; each fails
// before the (zero) service is called, with a typed error.
func TestSDKRequestErrors(t *testing.T) {
	srv := httptest.NewServer(testHandler(nil))
	defer srv.Close()
	c := sdkClient(srv.URL)
	ctx := context.Background()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: "Bogus", Payload: []byte(`{}`)})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) || ipv.Type == nil || *ipv.Type != "User" {
		t.Errorf("invalid invocation type: %v", err)
	}
	checkAPIError(t, "invocation type", err, "InvalidParameterValueException", 400, "invocationType")

	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte(`{"unterminated":`)})
	var irc *types.InvalidRequestContentException
	if !errors.As(err, &irc) {
		t.Errorf("invalid payload: %v", err)
	}
	checkAPIError(t, "payload", err, "InvalidRequestContentException", 400, "Could not parse request body into json")

	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`"` + strings.Repeat("x", MaxEventPayloadBytes) + `"`)})
	var rtl *types.RequestTooLargeException
	if !errors.As(err, &rtl) {
		t.Errorf("large event: %v", err)
	}
	checkAPIError(t, "large event", err, "RequestTooLargeException", 413, "InvokeFunction")

	// A qualified ARN travels URL-encoded in the path.
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(arn + ":7")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("qualified ARN: %v", err)
	}
	checkAPIError(t, "qualified ARN", err, "ResourceNotFoundException", 404, "Function not found: "+arn+":7")

	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f"), Qualifier: aws.String("live")})
	if !errors.As(err, &rnf) {
		t.Errorf("alias: %v", err)
	}

	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String("r"),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k")}})
	if !errors.As(err, &ipv) {
		t.Errorf("S3 code: %v", err)
	}
	checkAPIError(t, "S3 code", err, "InvalidParameterValueException", 400, "Only Code.ZipFile is supported")

	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("f"), ImageUri: aws.String("img")})
	checkAPIError(t, "image code", err, "InvalidParameterValueException", 400, "Only ZipFile is supported")

	_, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("f"),
		MaximumRetryAttempts: aws.Int32(2), MaximumEventAgeInSeconds: aws.Int32(30)})
	checkAPIError(t, "event age", err, "InvalidParameterValueException", 400, "maximumEventAgeInSeconds")

	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("f"), ReservedConcurrentExecutions: aws.Int32(-1)})
	checkAPIError(t, "negative concurrency", err, "InvalidParameterValueException", 400, "reservedConcurrentExecutions")

	_, err = c.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("%%")})
	checkAPIError(t, "marker", err, "InvalidParameterValueException", 400, "Invalid Marker")

	_, err = c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(0)})
	checkAPIError(t, "MaxItems", err, "InvalidParameterValueException", 400, "maxItems")

	// An operation Abanico does not serve.
	_, err = c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("f")})
	checkAPIError(t, "versions", err, "UnknownOperationException", 404, "Unknown operation: GET /2015-03-31/functions/f/versions")
}

// TestSDKErrorShapes writes each error the handler can answer with and
// checks the SDK's view of it: the typed exception of the Lambda model
// where there is one.
func TestSDKErrorShapes(t *testing.T) {
	h := testHandler(nil)
	tooMany := &function.Error{Code: function.CodeTooManyRequests, Message: "Rate Exceeded."}
	errs := map[string]error{
		"not-found":    &function.Error{Code: function.CodeResourceNotFound, Message: "Function not found: x"},
		"conflict":     &function.Error{Code: function.CodeResourceConflict, Message: "Function already exist: x"},
		"invalid":      &function.Error{Code: function.CodeInvalidParameterValue, Message: "bad value"},
		"throttled":    &reasonError{reasonReservedConcurrentLimit, fmt.Errorf("invoke: %w", tooMany)},
		"too-large":    &function.Error{Code: function.CodeRequestTooLarge, Message: "too large"},
		"precondition": &function.Error{Code: function.CodePreconditionFailed, Message: "The Revision Id provided does not match"},
		"service":      &function.Error{Code: function.CodeService, Message: "Internal error", Server: true},
		"plain":        errors.New("not implemented"),
		"content":      &function.Error{Code: codeInvalidRequestContent, Message: "Could not parse request body into json"},
		"serial":       &function.Error{Code: codeSerialization, Message: "Timeout: expected an integer"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2015-03-31/functions/{FunctionName}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(requestIDHeader, "rid-42")
		h.writeError(w, r, "GetFunction", errs[r.PathValue("FunctionName")])
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := sdkClient(srv.URL)
	get := func(name string) error {
		_, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		return err
	}

	var rnf *types.ResourceNotFoundException
	if err := get("not-found"); !errors.As(err, &rnf) || rnf.ErrorMessage() != "Function not found: x" {
		t.Errorf("not-found: %v", err)
	}
	var rc *types.ResourceConflictException
	if err := get("conflict"); !errors.As(err, &rc) {
		t.Errorf("conflict: %v", err)
	}
	var ipv *types.InvalidParameterValueException
	if err := get("invalid"); !errors.As(err, &ipv) || ipv.ErrorMessage() != "bad value" || aws.ToString(ipv.Type) != "User" {
		t.Errorf("invalid: %v", err)
	}
	var tmr *types.TooManyRequestsException
	err := get("throttled")
	if !errors.As(err, &tmr) || tmr.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || tmr.ErrorMessage() != "Rate Exceeded." {
		t.Errorf("throttled: %v", err)
	}
	checkAPIError(t, "throttled", err, "TooManyRequestsException", 429, "Rate Exceeded.")
	var rtl *types.RequestTooLargeException
	if err := get("too-large"); !errors.As(err, &rtl) {
		t.Errorf("too-large: %v", err)
	}
	var pf *types.PreconditionFailedException
	if err := get("precondition"); !errors.As(err, &pf) {
		t.Errorf("precondition: %v", err)
	}
	var irc *types.InvalidRequestContentException
	if err := get("content"); !errors.As(err, &irc) {
		t.Errorf("content: %v", err)
	}
	// A failure that is not an API error (the service's stubs return
	// one) is a ServiceException, a 500 the SDK classifies as the
	// server's fault.
	for _, name := range []string{"service", "plain"} {
		err := get(name)
		var se *types.ServiceException
		if !errors.As(err, &se) || aws.ToString(se.Type) != "Server" || se.ErrorFault() != smithy.FaultServer {
			t.Errorf("%s: %v", name, err)
		}
		checkAPIError(t, name, err, "ServiceException", 500, "")
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.ServiceRequestID() != "rid-42" {
			t.Errorf("%s: request id %q", name, re.ServiceRequestID())
		}
	}
	// A code outside the Lambda model is a generic API error.
	err = get("serial")
	var ge *smithy.GenericAPIError
	if !errors.As(err, &ge) || ge.Code != "SerializationException" || ge.Message != "Timeout: expected an integer" {
		t.Errorf("serial: %v", err)
	}
	checkAPIError(t, "serial", err, "SerializationException", 400, "Timeout")
}

// TestSDKParsesResponses serves the encoders' output and checks what the
// SDK reads from it.
func TestSDKParsesResponses(t *testing.T) {
	cfg := testConfig()
	cfg.ReservedConcurrency = new(5)
	cfg.MaximumRetryAttempts = new(1)
	cfg.MaximumEventAgeInSeconds = new(120)
	arn := testArn + cfg.Name
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2015-03-31/functions/{FunctionName}", func(w http.ResponseWriter, r *http.Request) {
		_ = writeJSON(w, 200, getFunction(cfg, arn, "http://abanico:4566"))
	})
	mux.HandleFunc("GET /2015-03-31/functions", func(w http.ResponseWriter, r *http.Request) {
		page, next := listPage([]*function.Config{cfg, {Name: "other", Role: "r"}}, "", 1)
		out := listFunctionsOutput{NextMarker: next}
		for _, c := range page {
			out.Functions = append(out.Functions, configuration(c, testArn+c.Name))
		}
		_ = writeJSON(w, 200, out)
	})
	mux.HandleFunc("POST /2015-03-31/functions/{FunctionName}/invocations", func(w http.ResponseWriter, r *http.Request) {
		in, err := parseInvokeHeaders(r.Header)
		if err != nil {
			t.Error(err)
		}
		body, _ := io.ReadAll(r.Body)
		writeInvokeOutput(w, in, &function.InvokeOutput{StatusCode: 200, Payload: body, FunctionError: "Unhandled",
			LogResult: base64.StdEncoding.EncodeToString([]byte("START\nEND\n")), ExecutedVersion: "$LATEST"})
	})
	mux.HandleFunc("GET /2019-09-25/functions/{FunctionName}/event-invoke-config", func(w http.ResponseWriter, r *http.Request) {
		_ = writeJSON(w, 200, eventInvokeConfigOf(cfg, arn))
	})
	mux.HandleFunc("GET /2019-09-30/functions/{FunctionName}/concurrency", func(w http.ResponseWriter, r *http.Request) {
		_ = writeJSON(w, 200, concurrency{})
	})
	mux.HandleFunc("POST /2015-03-31/functions/{FunctionName}/policy", func(w http.ResponseWriter, r *http.Request) {
		_ = writeJSON(w, 201, addPermissionOutput{Statement: `{"Sid":"s1"}`})
	})
	mux.HandleFunc("DELETE /2015-03-31/functions/{FunctionName}", func(w http.ResponseWriter, r *http.Request) {
		_ = writeNoContent(w)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := sdkClient(srv.URL)
	ctx := context.Background()

	gf, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("my-fn")})
	if err != nil {
		t.Fatal(err)
	}
	fc := gf.Configuration
	if aws.ToString(fc.FunctionName) != "my-fn" || aws.ToString(fc.FunctionArn) != arn || fc.Runtime != types.RuntimeProvidedal2023 ||
		aws.ToInt32(fc.Timeout) != 30 || aws.ToInt32(fc.MemorySize) != 256 || fc.CodeSize != 1234 ||
		aws.ToString(fc.Version) != "$LATEST" || fc.State != types.StateActive || fc.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
		fc.PackageType != types.PackageTypeZip || len(fc.Architectures) != 1 || fc.Architectures[0] != types.ArchitectureArm64 ||
		fc.Environment == nil || fc.Environment.Variables["A"] != "1" || aws.ToString(fc.RevisionId) != cfg.RevisionID ||
		aws.ToString(fc.LastModified) != cfg.LastModified || aws.ToString(fc.CodeSha256) != cfg.CodeSha256 ||
		fc.TracingConfig.Mode != types.TracingModePassThrough || aws.ToInt32(fc.EphemeralStorage.Size) != 512 ||
		fc.LoggingConfig.LogFormat != types.LogFormatText || aws.ToString(fc.LoggingConfig.LogGroup) != "/aws/lambda/my-fn" ||
		fc.SnapStart.ApplyOn != types.SnapStartApplyOnNone || fc.SnapStart.OptimizationStatus != types.SnapStartOptimizationStatusOff {
		t.Errorf("configuration %+v", fc)
	}
	if aws.ToString(gf.Code.Location) != "http://abanico:4566/2015-03-31/functions/my-fn/code" || aws.ToString(gf.Code.RepositoryType) != "S3" ||
		gf.Tags["team"] != "x" || gf.Concurrency == nil || aws.ToInt32(gf.Concurrency.ReservedConcurrentExecutions) != 5 {
		t.Errorf("GetFunction %+v", gf)
	}

	lf, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lf.Functions) != 1 || aws.ToString(lf.Functions[0].FunctionName) != "my-fn" || aws.ToString(lf.NextMarker) != encodeMarker("my-fn") {
		t.Errorf("ListFunctions %+v", lf)
	}

	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{}}`))
	inv, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn"), Payload: []byte(`{"n":1}`),
		LogType: types.LogTypeTail, ClientContext: aws.String(cc)})
	if err != nil {
		t.Fatal(err)
	}
	if inv.StatusCode != 200 || string(inv.Payload) != `{"n":1}` || aws.ToString(inv.FunctionError) != "Unhandled" ||
		aws.ToString(inv.ExecutedVersion) != "$LATEST" || aws.ToString(inv.LogResult) != base64.StdEncoding.EncodeToString([]byte("START\nEND\n")) {
		t.Errorf("Invoke %+v", inv)
	}

	ec, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("my-fn")})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 27, 3, 4, 5, 678e6, time.UTC)
	if aws.ToString(ec.FunctionArn) != arn+":$LATEST" || aws.ToInt32(ec.MaximumRetryAttempts) != 1 ||
		aws.ToInt32(ec.MaximumEventAgeInSeconds) != 120 || ec.LastModified == nil || !ec.LastModified.Equal(want) {
		t.Errorf("GetFunctionEventInvokeConfig %+v (LastModified %v)", ec, ec.LastModified)
	}

	gc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("my-fn")})
	if err != nil || gc.ReservedConcurrentExecutions != nil {
		t.Errorf("GetFunctionConcurrency %+v, %v", gc, err)
	}

	ap, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("my-fn"), StatementId: aws.String("s1"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")})
	if err != nil || aws.ToString(ap.Statement) != `{"Sid":"s1"}` {
		t.Errorf("AddPermission %+v, %v", ap, err)
	}

	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("my-fn")}); err != nil {
		t.Errorf("DeleteFunction: %v", err)
	}
}

// TestSDKLogsServerFaults checks that a server fault reaching the SDK is
// logged under the request id the client sees.
func TestSDKLogsServerFaults(t *testing.T) {
	var logs strings.Builder
	h := New(&function.Service{}, "", slog.New(slog.NewTextHandler(&logs, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(requestIDHeader, "rid-7")
		h.writeError(w, r, "GetPolicy", fmt.Errorf("read policy: %w", errors.New("disk on fire")))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, err := sdkClient(srv.URL).GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String("f")})
	checkAPIError(t, "GetPolicy", err, "ServiceException", 500, "internal error")
	if s := logs.String(); !strings.Contains(s, "disk on fire") || !strings.Contains(s, "request_id=rid-7") || !strings.Contains(s, "op=GetPolicy") {
		t.Errorf("log: %s", s)
	}
	if strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("the cause reached the client: %v", err)
	}
}

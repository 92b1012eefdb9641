package conformance_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
)

var (
	fnZipOnce sync.Once
	fnZip     []byte
	fnZipPath string
	fnZipErr  error
)

// testFunctionZip builds the test function (a real Go handler on
// aws-lambda-go, internal/lambdaruntime/testfn) as a custom runtime
// bootstrap and zips it, once per test binary.
func testFunctionZip(t *testing.T) ([]byte, string) {
	t.Helper()
	fnZipOnce.Do(func() {
		dir, err := os.MkdirTemp("", "abanico-fn")
		if err != nil {
			fnZipErr = err
			return
		}
		bin := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/abanico/abanico/internal/lambdaruntime/testfn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fnZipErr = fmt.Errorf("build test function: %v\n%s", err, out)
			return
		}
		exe, err := os.ReadFile(bin)
		if err != nil {
			fnZipErr = err
			return
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		w, _ := zw.CreateHeader(h)
		w.Write(exe)
		zw.Close()
		fnZip = buf.Bytes()
		fnZipPath = filepath.Join(dir, "function.zip")
		fnZipErr = os.WriteFile(fnZipPath, fnZip, 0o644)
	})
	if fnZipErr != nil {
		t.Fatal(fnZipErr)
	}
	return fnZip, fnZipPath
}

func lambdaClient(endpoint string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Timeout: 60 * time.Second},
	})
}

type fnEnv struct {
	srv *server.Server
	fn  *lambda.Client
	sns *sns.Client
	sqs *sqs.Client
}

func (e *fnEnv) create(t *testing.T, name string, mod func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	zipFile, _ := testFunctionZip(t)
	in := &lambda.CreateFunctionInput{FunctionName: &name, Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/fn"), Code: &ltypes.FunctionCode{ZipFile: zipFile}, Timeout: aws.Int32(10)}
	if mod != nil {
		mod(in)
	}
	out, err := e.fn.CreateFunction(ctxT(t), in)
	if err != nil {
		t.Fatalf("create function %s: %v", name, err)
	}
	return out
}

func (e *fnEnv) invoke(t *testing.T, name, payload string) *lambda.InvokeOutput {
	t.Helper()
	out, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	return out
}

func fnName(t *testing.T) string {
	n := qname(t)
	if len(n) > 60 {
		n = n[len(n)-60:]
	}
	return strings.Trim(n, "-")
}

func TestFunctions(t *testing.T) {
	runSuite(t, fnCases, func(srv *server.Server) *fnEnv {
		return &fnEnv{srv: srv, fn: lambdaClient(srv.URL()), sns: abanicotest.SNS(srv.URL()), sqs: abanicotest.SQS(srv.URL())}
	})
}

var fnCases = []suiteCase[*fnEnv]{
	{"Lifecycle", testFnLifecycle},
	{"InvokeResults", testFnInvoke},
	{"Concurrency", testFnConcurrency},
	{"EventInvocation", testFnEvent},
	{"SNSDelivery", testFnSNS},
}

func testFnLifecycle(t *testing.T, e *fnEnv) {
	name := fnName(t)
	created := e.create(t, name, func(in *lambda.CreateFunctionInput) {
		in.Environment = &ltypes.Environment{Variables: map[string]string{"GREETING": "hola"}}
		in.Description = aws.String("test function")
		in.MemorySize = aws.Int32(256)
	})
	if *created.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:"+name || created.CodeSha256 == nil ||
		*created.MemorySize != 256 || created.State != ltypes.StateActive {
		t.Fatalf("created %+v", created)
	}
	_, err := e.fn.CreateFunction(ctxT(t), &lambda.CreateFunctionInput{FunctionName: &name, Runtime: ltypes.RuntimeProvidedal2023,
		Handler: aws.String("x"), Role: aws.String("arn:aws:iam::000000000000:role/fn"), Code: &ltypes.FunctionCode{ZipFile: fnZip}})
	var conflict *ltypes.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	_, err = e.fn.CreateFunction(ctxT(t), &lambda.CreateFunctionInput{FunctionName: aws.String(name + "-py"), Runtime: ltypes.RuntimePython312,
		Handler: aws.String("x"), Role: aws.String("arn:aws:iam::000000000000:role/fn"), Code: &ltypes.FunctionCode{ZipFile: fnZip}})
	var bad *ltypes.InvalidParameterValueException
	if !errors.As(err, &bad) {
		t.Fatalf("unsupported runtime: %v", err)
	}
	got, err := e.fn.GetFunction(ctxT(t), &lambda.GetFunctionInput{FunctionName: created.FunctionArn})
	if err != nil || *got.Configuration.Description != "test function" || got.Configuration.Environment.Variables["GREETING"] != "hola" || got.Code == nil {
		t.Fatalf("get: %v %+v", err, got)
	}
	// The code location serves the zip.
	resp, err := http.Get(*got.Code.Location)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("code location %s: %v %v", *got.Code.Location, err, resp)
	}
	resp.Body.Close()
	env := e.invoke(t, name, `{"action":"env","names":["GREETING"]}`)
	var vars map[string]string
	json.Unmarshal(env.Payload, &vars)
	if vars["GREETING"] != "hola" || vars["AWS_LAMBDA_FUNCTION_NAME"] != name || vars["AWS_REGION"] != "us-east-1" {
		t.Fatalf("environment %s", env.Payload)
	}
	upd, err := e.fn.UpdateFunctionConfiguration(ctxT(t), &lambda.UpdateFunctionConfigurationInput{FunctionName: &name,
		Environment: &ltypes.Environment{Variables: map[string]string{"GREETING": "hello"}}, Timeout: aws.Int32(20)})
	if err != nil || *upd.Timeout != 20 || *upd.RevisionId == *created.RevisionId {
		t.Fatalf("update configuration: %v %+v", err, upd)
	}
	env = e.invoke(t, name, `{"action":"env","names":["GREETING"]}`)
	json.Unmarshal(env.Payload, &vars)
	if vars["GREETING"] != "hello" {
		t.Fatalf("environment after update %s", env.Payload)
	}
	// New code (a different archive) changes CodeSha256.
	zipFile, _ := testFunctionZip(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zr, _ := zip.NewReader(bytes.NewReader(zipFile), int64(len(zipFile)))
	for _, f := range zr.File {
		w, _ := zw.CreateHeader(&f.FileHeader)
		rc, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		w.Write(b.Bytes())
	}
	w, _ := zw.Create("extra.txt")
	w.Write([]byte("v2"))
	zw.Close()
	code, err := e.fn.UpdateFunctionCode(ctxT(t), &lambda.UpdateFunctionCodeInput{FunctionName: &name, ZipFile: buf.Bytes()})
	if err != nil || *code.CodeSha256 == *created.CodeSha256 {
		t.Fatalf("update code: %v %+v", err, code)
	}
	if out := e.invoke(t, name, `{"action":"echo","v":2}`); !strings.Contains(string(out.Payload), `"v":2`) {
		t.Fatalf("after code update %s", out.Payload)
	}
	// ListFunctions pages.
	for i := 0; i < 2; i++ {
		e.create(t, fmt.Sprintf("%s-%d", name, i), nil)
	}
	seen := map[string]bool{}
	var marker *string
	for pages := 0; ; pages++ {
		l, err := e.fn.ListFunctions(ctxT(t), &lambda.ListFunctionsInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil || len(l.Functions) > 2 || pages > 100 {
			t.Fatalf("list: %v %d", err, len(l.Functions))
		}
		for _, f := range l.Functions {
			seen[*f.FunctionName] = true
		}
		if l.NextMarker == nil {
			break
		}
		marker = l.NextMarker
	}
	if !seen[name] || !seen[name+"-0"] || !seen[name+"-1"] {
		t.Fatalf("listed %v", seen)
	}
	if _, err := e.fn.DeleteFunction(ctxT(t), &lambda.DeleteFunctionInput{FunctionName: &name}); err != nil {
		t.Fatal(err)
	}
	_, err = e.fn.GetFunction(ctxT(t), &lambda.GetFunctionInput{FunctionName: &name})
	var nf *ltypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v", err)
	}
}

func testFnInvoke(t *testing.T, e *fnEnv) {
	name := fnName(t)
	e.create(t, name, func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
	out, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, Payload: []byte(`{"action":"log","msg":"hello-log"}`), LogType: ltypes.LogTypeTail})
	if err != nil || out.StatusCode != 200 || out.FunctionError != nil || *out.ExecutedVersion != "$LATEST" {
		t.Fatalf("invoke: %v %+v", err, out)
	}
	logs, _ := base64.StdEncoding.DecodeString(*out.LogResult)
	if !strings.Contains(string(logs), "hello-log (stdout)") || !strings.Contains(string(logs), "START RequestId:") || !strings.Contains(string(logs), "REPORT RequestId:") {
		t.Fatalf("log tail %q", logs)
	}
	out = e.invoke(t, name, `{"action":"error","msg":"bad order"}`)
	if out.FunctionError == nil || *out.FunctionError != "Unhandled" || !strings.Contains(string(out.Payload), `"errorMessage":"bad order"`) {
		t.Fatalf("handler error: %+v %s", out.FunctionError, out.Payload)
	}
	out = e.invoke(t, name, `{"action":"sleep","ms":3000}`)
	if out.FunctionError == nil || !strings.Contains(string(out.Payload), "Task timed out after 1.00 seconds") {
		t.Fatalf("timeout: %s", out.Payload)
	}
	out = e.invoke(t, name, `{"action":"crash"}`)
	if out.FunctionError == nil || !strings.Contains(string(out.Payload), "Runtime.ExitError") {
		t.Fatalf("crash: %s", out.Payload)
	}
	if out := e.invoke(t, name, `{"action":"echo","after":"crash"}`); out.FunctionError != nil || !strings.Contains(string(out.Payload), "crash") {
		t.Fatalf("after a crash: %s", out.Payload)
	}
	dry, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, InvocationType: ltypes.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Fatalf("dry run: %v %+v", err, dry)
	}
	_, err = e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: aws.String(name + "-missing")})
	var nf *ltypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("missing function: %v", err)
	}
}

func testFnConcurrency(t *testing.T, e *fnEnv) {
	name := fnName(t)
	e.create(t, name, nil)
	var wg sync.WaitGroup
	parallel := func() time.Duration {
		start := time.Now()
		errs := make(chan error, 10)
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, Payload: []byte(`{"action":"sleep","ms":300}`)})
				if err == nil && out.FunctionError != nil {
					err = fmt.Errorf("function error %s", out.Payload)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start)
	}
	// The first round starts ten processes; the second runs on them warm.
	cold := parallel()
	warm := parallel()
	t.Logf("10 parallel invocations of a 300 ms handler: %s starting 10 processes, %s warm", cold, warm)
	if warm > 3*time.Second {
		t.Fatalf("10 parallel 300 ms invocations took %s: they did not run in parallel", warm)
	}
	if _, err := e.fn.PutFunctionConcurrency(ctxT(t), &lambda.PutFunctionConcurrencyInput{FunctionName: &name, ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var throttled, ok int
	var mu sync.Mutex
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No SDK retries: a throttled call must show as throttled.
			_, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, Payload: []byte(`{"action":"sleep","ms":500}`)},
				func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
			var tm *ltypes.TooManyRequestsException
			mu.Lock()
			defer mu.Unlock()
			if errors.As(err, &tm) {
				throttled++
			} else if err == nil {
				ok++
			}
		}()
	}
	wg.Wait()
	if ok < 1 || throttled < 1 || ok+throttled != 3 {
		t.Fatalf("with 1 reserved: %d ran, %d throttled", ok, throttled)
	}
	if _, err := e.fn.DeleteFunctionConcurrency(ctxT(t), &lambda.DeleteFunctionConcurrencyInput{FunctionName: &name}); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until the function's captured log contains s.
func waitLog(t *testing.T, srv *server.Server, name, s string, wait time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		logs, err := srv.Functions().Logs(name, 0)
		if err == nil && strings.Contains(string(logs), s) {
			return string(logs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("function log never showed %q:\n%s", s, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testFnEvent(t *testing.T, e *fnEnv) {
	name := fnName(t)
	e.create(t, name, nil)
	out, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, InvocationType: ltypes.InvocationTypeEvent,
		Payload: []byte(`{"action":"log","msg":"queued-event"}`)})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("event invoke: %v %+v", err, out)
	}
	waitLog(t, e.srv, name, "queued-event (stdout)", 15*time.Second)
	waitLog(t, e.srv, name, "REPORT RequestId:", 15*time.Second) // written as the invocation ends
	// The same log through the native API.
	resp, err := http.Get(e.srv.URL() + "/v1/functions/" + name + "/logs")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "queued-event (stderr)") || !strings.Contains(string(b), "REPORT RequestId:") {
		t.Fatalf("GET /v1/functions/%s/logs: %d %s", name, resp.StatusCode, b)
	}
	if resp, _ := http.Get(e.srv.URL() + "/v1/functions/no-such-fn/logs"); resp == nil || resp.StatusCode != 404 {
		t.Fatalf("logs of a missing function: %v", resp)
	}
}

func testFnSNS(t *testing.T, e *fnEnv) {
	name := fnName(t)
	created := e.create(t, name, nil)
	zero := int32(0)
	if _, err := e.fn.PutFunctionEventInvokeConfig(ctxT(t), &lambda.PutFunctionEventInvokeConfigInput{FunctionName: &name, MaximumRetryAttempts: &zero}); err != nil {
		t.Fatal(err)
	}
	dlq := create(t, &env{c: e.sqs}, name+"-dlq", nil)
	qa, _ := e.sqs.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &dlq, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	se := &snsEnv{srv: e.srv, sns: e.sns, sqs: e.sqs}
	topicArn := se.topic(t, name, nil)
	sub, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("lambda"), Endpoint: created.FunctionArn,
		Attributes: map[string]string{"FilterPolicy": `{"kind":["order"]}`,
			"RedrivePolicy": `{"deadLetterTargetArn":"` + qa.Attributes["QueueArn"] + `"}`}, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	if a := se.subAttrs(t, *sub.SubscriptionArn); a["PendingConfirmation"] != "false" {
		t.Fatalf("lambda subscription not confirmed at once: %v", a)
	}
	kind := func(k string) map[string]snsAttr {
		return map[string]snsAttr{"kind": {DataType: aws.String("String"), StringValue: aws.String(k)}}
	}
	for _, m := range []struct{ msg, kind string }{{"skip me", "refund"}, {"order-42", "order"}, {"fail", "order"}} {
		if _, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String(m.msg), Subject: aws.String("s"),
			MessageAttributes: kind(m.kind)}); err != nil {
			t.Fatal(err)
		}
	}
	logs := waitLog(t, e.srv, name, "sns-message: order-42", 15*time.Second)
	if strings.Contains(logs, "skip me") {
		t.Fatal("the filter policy let a refund through")
	}
	msgs := se.collect(t, dlq, 1, 15*time.Second)
	if len(msgs) != 1 {
		t.Fatal("the failing message did not reach the dead-letter queue")
	}
	if v := msgs[0].MessageAttributes["ErrorCode"]; v.StringValue == nil {
		t.Fatalf("dead letter attributes %v", msgs[0].MessageAttributes)
	}
	st := se.stats(t, *sub.SubscriptionArn)
	if st.Counters.Delivered != 1 || st.Counters.DeadLettered != 1 {
		t.Fatalf("lambda subscription counters %+v", st.Counters)
	}
}

// TestFunctionsSurviveRestart restarts the server on its data dir: the
// function and a queued invocation that could not run yet are still there.
func TestFunctionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	start := func() *server.Server {
		return abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.DataDir = dir })
	}
	srv := start()
	e := &fnEnv{srv: srv, fn: lambdaClient(srv.URL())}
	name := fnName(t)
	e.create(t, name, nil)
	// Reserved concurrency 0 throttles: the queued invocation waits.
	if _, err := e.fn.PutFunctionConcurrency(ctxT(t), &lambda.PutFunctionConcurrencyInput{FunctionName: &name, ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fn.Invoke(ctxT(t), &lambda.InvokeInput{FunctionName: &name, InvocationType: ltypes.InvocationTypeEvent,
		Payload: []byte(`{"action":"log","msg":"survived-restart"}`)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv = start()
	e = &fnEnv{srv: srv, fn: lambdaClient(srv.URL())}
	if _, err := e.fn.GetFunction(ctxT(t), &lambda.GetFunctionInput{FunctionName: &name}); err != nil {
		t.Fatalf("function after restart: %v", err)
	}
	if _, err := e.fn.DeleteFunctionConcurrency(ctxT(t), &lambda.DeleteFunctionConcurrencyInput{FunctionName: &name}); err != nil {
		t.Fatal(err)
	}
	waitLog(t, srv, name, "survived-restart (stdout)", 30*time.Second)
}

// TestLambdaCLI drives functions with the AWS CLI.
func TestLambdaCLI(t *testing.T) {
	bin := awsCLI(t)
	srv := abanicotest.Start(t, abanicotest.Embedded)
	c := cli{t: t, bin: bin, url: srv.URL()}
	_, zipPath := testFunctionZip(t)
	out := c.ok("lambda", "create-function", "--function-name", "cli-fn", "--runtime", "provided.al2023", "--handler", "bootstrap",
		"--role", "arn:aws:iam::000000000000:role/fn", "--zip-file", "fileb://"+zipPath)
	if out["FunctionName"] != "cli-fn" {
		t.Fatalf("create-function %v", out)
	}
	if l := c.ok("lambda", "list-functions"); len(l["Functions"].([]any)) != 1 {
		t.Fatalf("list-functions %v", l)
	}
	resp := filepath.Join(t.TempDir(), "out.json")
	inv := c.ok("lambda", "invoke", "--function-name", "cli-fn", "--cli-binary-format", "raw-in-base64-out",
		"--payload", `{"action":"echo","from":"cli"}`, resp)
	if inv["StatusCode"].(float64) != 200 {
		t.Fatalf("invoke %v", inv)
	}
	if b, _ := os.ReadFile(resp); !strings.Contains(string(b), `"from":"cli"`) {
		t.Fatalf("invoke output %s", b)
	}
	c.ok("lambda", "delete-function", "--function-name", "cli-fn")
	if _, stderr, err := c.run("lambda", "get-function", "--function-name", "cli-fn"); err == nil || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("get-function after delete: %v %s", err, stderr)
	}
}

package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testfnDir holds the testfn function built as a bootstrap, once per test
// binary.
var testfnDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lambdaruntime-testfn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	goBin, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "go command not found:", err)
		return 1
	}
	cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, "bootstrap"), "./testfn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testfn: %v\n%s", err, out)
		return 1
	}
	testfnDir = dir
	return m.Run()
}

func newTestRunner(t *testing.T, o Options) *Runner {
	t.Helper()
	if o.Logger == nil {
		var h slog.Handler = slog.DiscardHandler
		if testing.Verbose() {
			h = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		}
		o.Logger = slog.New(h)
	}
	r := NewRunner(o)
	t.Cleanup(r.Close)
	return r
}

func testFunction(name string) *Function {
	return &Function{
		Name:     name,
		ARN:      "arn:aws:lambda:us-east-1:123456789012:function:" + name,
		Version:  "$LATEST",
		Region:   "us-east-1",
		Handler:  "bootstrap",
		Runtime:  "provided.al2023",
		CodeDir:  testfnDir,
		CodeID:   "v1",
		Env:      map[string]string{"MY_VAR": "hello", "TZ": "Europe/Paris"},
		Timeout:  10 * time.Second,
		MemoryMB: 128,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func invokeWith(t *testing.T, r *Runner, f *Function, in Invocation) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.Invoke(ctx, f, in)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return res
}

func invoke(t *testing.T, r *Runner, f *Function, payload any) *Result {
	t.Helper()
	return invokeWith(t, r, f, Invocation{Payload: mustJSON(t, payload)})
}

func decode[T any](t *testing.T, res *Result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.Payload, &v); err != nil {
		t.Fatalf("decode payload %s: %v", res.Payload, err)
	}
	return v
}

func mustSucceed(t *testing.T, res *Result) {
	t.Helper()
	if res.FunctionError != "" {
		t.Fatalf("FunctionError %q, payload %s\nlogs:\n%s", res.FunctionError, res.Payload, res.Logs)
	}
}

type errDoc struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
	StackTrace   []any  `json:"stackTrace"`
}

func mustFail(t *testing.T, res *Result) errDoc {
	t.Helper()
	if res.FunctionError != "Unhandled" {
		t.Fatalf("FunctionError %q, want Unhandled; payload %s", res.FunctionError, res.Payload)
	}
	return decode[errDoc](t, res)
}

// invokePID invokes the pid action and returns the process id.
func invokePID(t *testing.T, r *Runner, f *Function) (int, *Result) {
	t.Helper()
	res := invoke(t, r, f, map[string]string{"action": "pid"})
	mustSucceed(t, res)
	return decode[struct{ PID int }](t, res).PID, res
}

// reaped reports whether pid no longer exists at all.
func reaped(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// running reports whether pid exists and is not a zombie (a zombie left to
// an init that does not reap is dead all the same).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !reaped(pid)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(s[i+1:], " Z")
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func writeScript(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEchoRoundTrip(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("echo")
	in := map[string]any{"action": "echo", "n": 42.0, "s": "hé"}
	res := invokeWith(t, r, f, Invocation{RequestID: "req-echo-1", Payload: mustJSON(t, in)})
	mustSucceed(t, res)
	if got := decode[map[string]any](t, res); fmt.Sprint(got) != fmt.Sprint(in) {
		t.Fatalf("echo = %v, want %v", got, in)
	}
	if res.RequestID != "req-echo-1" {
		t.Fatalf("RequestID = %q", res.RequestID)
	}
	if !res.ColdStart || res.InitDuration <= 0 {
		t.Fatalf("ColdStart %v InitDuration %v, want a cold start", res.ColdStart, res.InitDuration)
	}
	if res.Duration <= 0 {
		t.Fatalf("Duration = %v", res.Duration)
	}
}

func TestContextHeaders(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("ctx")
	f.Timeout = 7 * time.Second
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"env":{},"Client":{}}`))
	trace := "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"
	before := time.Now()
	res := invokeWith(t, r, f, Invocation{
		RequestID:     "11111111-2222-4333-8444-555555555555",
		Payload:       []byte(`{"action":"context"}`),
		ClientContext: cc,
		TraceID:       trace,
	})
	mustSucceed(t, res)
	type ctxOut struct {
		RequestID   string            `json:"requestId"`
		FunctionArn string            `json:"functionArn"`
		DeadlineMs  int64             `json:"deadlineMs"`
		TraceID     string            `json:"traceId"`
		Custom      map[string]string `json:"custom"`
	}
	got := decode[ctxOut](t, res)
	if got.RequestID != "11111111-2222-4333-8444-555555555555" || got.FunctionArn != f.ARN || got.TraceID != trace {
		t.Fatalf("context = %+v", got)
	}
	if got.Custom["k"] != "v" {
		t.Fatalf("client context custom = %v", got.Custom)
	}
	deadline := time.UnixMilli(got.DeadlineMs)
	if deadline.Before(before.Add(f.Timeout-time.Second)) || deadline.After(time.Now().Add(f.Timeout)) {
		t.Fatalf("deadline %v is not about now + %v", deadline, f.Timeout)
	}

	// Generated request and trace ids.
	res = invoke(t, r, f, map[string]string{"action": "context"})
	mustSucceed(t, res)
	got = decode[ctxOut](t, res)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(res.RequestID) || got.RequestID != res.RequestID {
		t.Fatalf("generated request id %q, function saw %q", res.RequestID, got.RequestID)
	}
	if !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`).MatchString(got.TraceID) {
		t.Fatalf("generated trace id %q", got.TraceID)
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("LAMBDARUNTIME_TEST_LEAK", "leaked")
	r := newTestRunner(t, Options{})
	f := testFunction("envfn")
	f.Env["AWS_REGION"] = "eu-west-3" // reserved: must not win
	res := invoke(t, r, f, map[string]any{"action": "env", "names": []string{
		"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
		"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
		"LAMBDA_RUNTIME_DIR", "TZ", "PATH", "HOME", "MY_VAR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "LAMBDARUNTIME_TEST_LEAK",
	}})
	mustSucceed(t, res)
	env := decode[map[string]string](t, res)
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"AWS_REGION":                      "us-east-1",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                testfnDir,
		"LAMBDA_RUNTIME_DIR":              testfnDir,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"TZ":                              "Europe/Paris", // the function's own value wins over the default
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"HOME":                            "/tmp",
		"MY_VAR":                          "hello",
		"AWS_ACCESS_KEY_ID":               "test",
		"AWS_SECRET_ACCESS_KEY":           "test",
		"AWS_SESSION_TOKEN":               "test",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if v, ok := env["LAMBDARUNTIME_TEST_LEAK"]; ok {
		t.Errorf("server environment leaked into the function: %q", v)
	}
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", env["AWS_LAMBDA_RUNTIME_API"])
	}
}

func TestHandlerError(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("errfn")
	pid, _ := invokePID(t, r, f)
	res := invoke(t, r, f, map[string]string{"action": "error", "msg": "boom"})
	doc := mustFail(t, res)
	if doc.ErrorMessage != "boom" || doc.ErrorType != "errorString" {
		t.Fatalf("error document %s", res.Payload)
	}
	// The process survives a handled error.
	pid2, res2 := invokePID(t, r, f)
	if res2.ColdStart || pid2 != pid {
		t.Fatalf("after a handler error: ColdStart %v, pid %d then %d", res2.ColdStart, pid, pid2)
	}
}

func TestPanic(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("panicfn")
	pid, _ := invokePID(t, r, f)
	res := invoke(t, r, f, map[string]string{"action": "panic", "msg": "kaboom"})
	doc := mustFail(t, res)
	if doc.ErrorMessage != "kaboom" || doc.ErrorType != "string" || len(doc.StackTrace) == 0 {
		t.Fatalf("panic document %s", res.Payload)
	}
	if !reaped(pid) {
		t.Fatalf("process %d still exists after its panic", pid)
	}
	if _, res := invokePID(t, r, f); !res.ColdStart {
		t.Fatal("the invocation after a panic did not start a new process")
	}
}

func TestCrash(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("crashfn")
	pid, _ := invokePID(t, r, f)
	res := invoke(t, r, f, map[string]string{"action": "crash"})
	doc := mustFail(t, res)
	want := "RequestId: " + res.RequestID + " Error: Runtime exited with error: exit status 3"
	if doc.ErrorType != "Runtime.ExitError" || doc.ErrorMessage != want {
		t.Fatalf("crash document %s, want message %q", res.Payload, want)
	}
	if !bytes.Contains(res.Logs, []byte(want+"\nRuntime.ExitError\nEND RequestId: "+res.RequestID)) {
		t.Fatalf("crash logs:\n%s", res.Logs)
	}
	if !reaped(pid) {
		t.Fatalf("crashed process %d still exists", pid)
	}
	pid2, res2 := invokePID(t, r, f)
	if !res2.ColdStart || pid2 == pid {
		t.Fatalf("after a crash: ColdStart %v, pid %d then %d", res2.ColdStart, pid, pid2)
	}
}

func TestTimeout(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("slowfn")
	f.Timeout = 500 * time.Millisecond
	pid, _ := invokePID(t, r, f)
	start := time.Now()
	res := invoke(t, r, f, map[string]any{"action": "sleep", "ms": 2000})
	elapsed := time.Since(start)
	doc := mustFail(t, res)
	re := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z ` + regexp.QuoteMeta(res.RequestID) + ` Task timed out after 0\.50 seconds$`)
	if !re.MatchString(doc.ErrorMessage) || doc.ErrorType != "" {
		t.Fatalf("timeout document %s", res.Payload)
	}
	if !bytes.HasSuffix(res.Logs, []byte(doc.ErrorMessage+"\n")) {
		t.Fatalf("logs do not end with the timeout line:\n%s", res.Logs)
	}
	if elapsed > 1800*time.Millisecond || res.Duration < 500*time.Millisecond {
		t.Fatalf("timed out after %v (Duration %v)", elapsed, res.Duration)
	}
	if !reaped(pid) {
		t.Fatalf("timed out process %d still exists", pid)
	}
	if _, res := invokePID(t, r, f); !res.ColdStart {
		t.Fatal("the invocation after a timeout did not start a new process")
	}
}

func TestWarmReuse(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("warmfn")
	pid1, res1 := invokePID(t, r, f)
	pid2, res2 := invokePID(t, r, f)
	if !res1.ColdStart || res2.ColdStart || pid1 != pid2 {
		t.Fatalf("cold %v then %v, pid %d then %d", res1.ColdStart, res2.ColdStart, pid1, pid2)
	}
	if res2.InitDuration != 0 {
		t.Fatalf("warm InitDuration = %v", res2.InitDuration)
	}
	if idle, busy := r.Stats("warmfn"); idle != 1 || busy != 0 {
		t.Fatalf("Stats = %d idle, %d busy", idle, busy)
	}
}

func TestParallelInvocations(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("parfn")
	f.Concurrency = 10
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			res, err := r.Invoke(context.Background(), f, Invocation{Payload: []byte(`{"action":"sleep","ms":300}`)})
			switch {
			case err != nil:
				errs <- err
			case res.FunctionError != "":
				errs <- fmt.Errorf("function error %s", res.Payload)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("10 parallel 300 ms invocations took %v", elapsed)
	if elapsed >= 3*time.Second {
		t.Fatalf("10 parallel 300 ms invocations took %v, want < 3s", elapsed)
	}
	if idle, busy := r.Stats("parfn"); idle != 10 || busy != 0 {
		t.Fatalf("Stats = %d idle, %d busy; want 10 warm processes", idle, busy)
	}
}

func TestThrottle(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("capfn")
	f.Concurrency = 2
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			res, err := r.Invoke(context.Background(), f, Invocation{Payload: []byte(`{"action":"sleep","ms":1500}`)})
			if err != nil || res.FunctionError != "" {
				t.Errorf("slow invocation: %v %+v", err, res)
			}
		})
	}
	eventually(t, "two busy processes", func() bool { _, busy := r.Stats("capfn"); return busy == 2 })
	start := time.Now()
	_, err := r.Invoke(context.Background(), f, Invocation{Payload: []byte(`{"action":"pid"}`)})
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("third invocation: %v, want ErrThrottled", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("throttling took %v", d)
	}
	wg.Wait()
	if _, res := invokePID(t, r, f); res.ColdStart {
		t.Fatal("a warm process was not reused after the slow invocations")
	}
}

func TestLogCapture(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("logfn")
	res := invoke(t, r, f, map[string]string{"action": "log", "msg": "hello-log"})
	mustSucceed(t, res)
	logs := string(res.Logs)
	id := res.RequestID
	order := []string{
		"START RequestId: " + id + " Version: $LATEST\n",
		"hello-log (stdout)\n",
		"END RequestId: " + id + "\n",
		"REPORT RequestId: " + id + "\tDuration: ",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(logs[at:], s)
		if i < 0 {
			t.Fatalf("logs lack %q after offset %d:\n%s", s, at, logs)
		}
		at += i + len(s)
	}
	if !strings.Contains(logs, "hello-log (stderr)\n") {
		t.Fatalf("logs lack the stderr line:\n%s", logs)
	}
	report := regexp.MustCompile(`REPORT RequestId: \S+\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\n$`)
	if !report.MatchString(logs) {
		t.Fatalf("cold REPORT line malformed:\n%s", logs)
	}

	// Warm: no Init Duration; output between invocations goes to the
	// function's log only.
	res = invoke(t, r, f, map[string]any{"action": "later", "ms": 50, "msg": "between-invocations"})
	mustSucceed(t, res)
	if strings.Contains(string(res.Logs), "Init Duration") {
		t.Fatalf("warm REPORT has an Init Duration:\n%s", res.Logs)
	}
	eventually(t, "output between invocations", func() bool {
		return bytes.Contains(r.Logs("logfn", 0), []byte("between-invocations\n"))
	})
	res = invoke(t, r, f, map[string]string{"action": "echo"})
	if bytes.Contains(res.Logs, []byte("between-invocations")) {
		t.Fatalf("output between invocations landed in an invocation's log:\n%s", res.Logs)
	}
	all := string(r.Logs("logfn", 0))
	for _, s := range []string{"hello-log (stdout)", "hello-log (stderr)", "END RequestId: " + id, "END RequestId: " + res.RequestID} {
		if !strings.Contains(all, s) {
			t.Fatalf("function log lacks %q:\n%s", s, all)
		}
	}
	if got := r.Logs("logfn", 10); len(got) != 10 || !strings.HasSuffix(all, string(got)) {
		t.Fatalf("Logs(10) = %q", got)
	}
	if r.Logs("never-invoked", 0) != nil {
		t.Fatal("Logs of an unknown function is not nil")
	}
}

func TestLogRingBounded(t *testing.T) {
	r := newTestRunner(t, Options{LogBytes: 4096})
	f := testFunction("ringfn")
	msg := strings.Repeat("y", 300)
	var last *Result
	for range 30 {
		last = invoke(t, r, f, map[string]string{"action": "log", "msg": msg})
		mustSucceed(t, last)
		if len(last.Logs) > 4096 {
			t.Fatalf("Result.Logs holds %d bytes, bound 4096", len(last.Logs))
		}
	}
	all := r.Logs("ringfn", 0)
	if len(all) > 4096 || len(all) < 4000 {
		t.Fatalf("function log holds %d bytes, want about the 4096 bound", len(all))
	}
	if !bytes.HasSuffix(all, last.Logs[bytes.Index(last.Logs, []byte("END RequestId")):]) {
		t.Fatalf("function log does not end with the last invocation:\n%s", all)
	}
}

func TestRetire(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("retirefn")
	pid1, _ := invokePID(t, r, f)
	r.Retire("retirefn")
	eventually(t, "retired process reaped", func() bool { return reaped(pid1) })
	if idle, busy := r.Stats("retirefn"); idle+busy != 0 {
		t.Fatalf("Stats after Retire = %d idle, %d busy", idle, busy)
	}
	f.CodeID = "v2"
	pid2, res := invokePID(t, r, f)
	if !res.ColdStart || pid2 == pid1 {
		t.Fatalf("after Retire: ColdStart %v, pid %d then %d", res.ColdStart, pid1, pid2)
	}

	// A new CodeID alone replaces the idle process.
	f.CodeID = "v3"
	pid3, res := invokePID(t, r, f)
	if !res.ColdStart || pid3 == pid2 {
		t.Fatalf("after a CodeID change: ColdStart %v, pid %d then %d", res.ColdStart, pid2, pid3)
	}
	eventually(t, "stale process reaped", func() bool { return reaped(pid2) })

	// A busy process finishes its invocation, then stops.
	done := make(chan *Result)
	go func() {
		res, err := r.Invoke(context.Background(), f, Invocation{Payload: []byte(`{"action":"sleep","ms":400}`)})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	eventually(t, "busy process", func() bool { _, busy := r.Stats("retirefn"); return busy == 1 })
	r.Retire("retirefn")
	if res := <-done; res == nil || res.FunctionError != "" {
		t.Fatalf("invocation running during Retire: %+v", res)
	}
	eventually(t, "busy retired process reaped", func() bool { return reaped(pid3) })
	if idle, busy := r.Stats("retirefn"); idle+busy != 0 {
		t.Fatalf("Stats after Retire = %d idle, %d busy", idle, busy)
	}
}

func TestIdleTimeout(t *testing.T) {
	r := newTestRunner(t, Options{IdleTimeout: 200 * time.Millisecond})
	f := testFunction("idlefn")
	pid, _ := invokePID(t, r, f)
	eventually(t, "idle process stopped", func() bool {
		idle, busy := r.Stats("idlefn")
		return idle+busy == 0 && reaped(pid)
	})
}

func TestRuntimeAPIRejectsUnknownRequestID(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("apifn")
	invokePID(t, r, f)
	r.mu.Lock()
	addr := r.fns["apifn"].idle[0].addr
	r.mu.Unlock()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	post := func(path string) (int, errDoc) {
		t.Helper()
		resp, err := client.Post("http://"+addr+path, "application/json", strings.NewReader(`{"x":1}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var doc errDoc
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s answered %d %q", path, resp.StatusCode, body)
		}
		return resp.StatusCode, doc
	}
	for _, path := range []string{
		"/2018-06-01/runtime/invocation/bogus/response",
		"/2018-06-01/runtime/invocation/bogus/error",
	} {
		status, doc := post(path)
		if status != http.StatusBadRequest || doc.ErrorMessage != "Invalid request ID" || doc.ErrorType != "InvalidRequestID" {
			t.Fatalf("%s: %d %+v", path, status, doc)
		}
	}
	if status, doc := post("/2018-06-01/runtime/init/error"); status != http.StatusForbidden {
		t.Fatalf("late init/error: %d %+v", status, doc)
	}
	if _, res := invokePID(t, r, f); res.ColdStart {
		t.Fatal("the process did not survive requests with unknown ids")
	}
}

func TestCrashDuringInit(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("initcrash")
	f.CodeDir = writeScript(t, "#!/bin/sh\necho init-output-marker\nexit 1\n")
	res := invoke(t, r, f, map[string]string{"action": "pid"})
	doc := mustFail(t, res)
	want := "RequestId: " + res.RequestID + " Error: Runtime exited with error: exit status 1"
	if doc.ErrorType != "Runtime.ExitError" || doc.ErrorMessage != want {
		t.Fatalf("init crash document %s", res.Payload)
	}
	if !res.ColdStart {
		t.Fatal("not a cold start")
	}
	for _, s := range []string{"init-output-marker\n", "INIT_REPORT Init Duration: ", "START RequestId: " + res.RequestID, "END RequestId: " + res.RequestID, "REPORT RequestId: " + res.RequestID} {
		if !bytes.Contains(res.Logs, []byte(s)) {
			t.Fatalf("logs lack %q:\n%s", s, res.Logs)
		}
	}
}

func TestInitErrorEndpoint(t *testing.T) {
	if _, err := os.Stat("/bin/bash"); err != nil {
		t.Skip("needs /bin/bash for its /dev/tcp")
	}
	r := newTestRunner(t, Options{})
	f := testFunction("initerr")
	// A runtime that reports an init error over plain bash TCP, prints the
	// answer, then hangs: it must be stopped all the same.
	f.CodeDir = writeScript(t, `#!/bin/bash
body='{"errorMessage":"cannot load config","errorType":"InitConfigError"}'
exec 3<>"/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API#*:}"
printf 'POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: %s\r\nLambda-Runtime-Function-Error-Type: InitConfigError\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "$AWS_LAMBDA_RUNTIME_API" "${#body}" "$body" >&3
head -n 1 <&3
echo "pid=$$"
exec sleep 30
`)
	start := time.Now()
	res := invoke(t, r, f, map[string]string{"action": "pid"})
	doc := mustFail(t, res)
	if doc.ErrorMessage != "cannot load config" || doc.ErrorType != "InitConfigError" {
		t.Fatalf("init error document %s", res.Payload)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("init error took %v", time.Since(start))
	}
	if !bytes.Contains(res.Logs, []byte("HTTP/1.1 202 Accepted")) || !bytes.Contains(res.Logs, []byte("Status: error\tError Type: InitConfigError")) {
		t.Fatalf("logs:\n%s", res.Logs)
	}
	m := regexp.MustCompile(`pid=(\d+)`).FindSubmatch(res.Logs)
	if m == nil {
		t.Fatalf("no pid in logs:\n%s", res.Logs)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	if !reaped(pid) {
		t.Fatalf("failed process %d still exists", pid)
	}
}

func TestInitTimeoutKillsProcessGroup(t *testing.T) {
	r := newTestRunner(t, Options{InitTimeout: 300 * time.Millisecond})
	f := testFunction("inithang")
	f.CodeDir = writeScript(t, "#!/bin/sh\nsleep 30 &\necho child=$!\nwait\n")
	start := time.Now()
	res := invoke(t, r, f, map[string]string{"action": "pid"})
	doc := mustFail(t, res)
	if !strings.HasSuffix(doc.ErrorMessage, res.RequestID+" Task timed out after 0.30 seconds") {
		t.Fatalf("init timeout document %s", res.Payload)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("init timeout took %v", time.Since(start))
	}
	m := regexp.MustCompile(`child=(\d+)`).FindSubmatch(res.Logs)
	if m == nil {
		t.Fatalf("no child pid in logs:\n%s", res.Logs)
	}
	child, _ := strconv.Atoi(string(m[1]))
	eventually(t, "child of the bootstrap killed", func() bool { return !running(child) })
}

func TestMissingBootstrap(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("nobootstrap")
	f.CodeDir = t.TempDir()
	res := invoke(t, r, f, map[string]string{"action": "pid"})
	doc := mustFail(t, res)
	if doc.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(doc.ErrorMessage, "Couldn't find valid bootstrap(s): ["+filepath.Join(f.CodeDir, "bootstrap")+"]") {
		t.Fatalf("document %s", res.Payload)
	}
	if idle, busy := r.Stats("nobootstrap"); idle+busy != 0 {
		t.Fatalf("Stats = %d idle, %d busy", idle, busy)
	}
}

func TestResponseTooLarge(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("bigfn")
	res := invoke(t, r, f, map[string]any{"action": "big", "bytes": 6_300_000})
	doc := mustFail(t, res)
	if doc.ErrorType != "Function.ResponseSizeTooLarge" || doc.ErrorMessage != "Response payload size exceeded maximum allowed payload size (6291556 bytes)." {
		t.Fatalf("document %s", res.Payload)
	}
	// Just under the limit passes (a JSON string adds its two quotes).
	res = invoke(t, r, f, map[string]any{"action": "big", "bytes": maxResponseBytes - 2})
	mustSucceed(t, res)
	if len(res.Payload) != maxResponseBytes {
		t.Fatalf("payload of %d bytes", len(res.Payload))
	}
}

func TestSNSEvent(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("snsfn")
	event := func(msgs ...string) map[string]any {
		var recs []map[string]any
		for i, m := range msgs {
			recs = append(recs, map[string]any{
				"EventSource": "aws:sns", "EventVersion": "1.0",
				"Sns": map[string]any{"Type": "Notification", "MessageId": fmt.Sprint(i), "Message": m, "Timestamp": "2024-01-02T03:04:05.000Z"},
			})
		}
		return map[string]any{"Records": recs}
	}
	res := invoke(t, r, f, event("a", "b"))
	mustSucceed(t, res)
	got := decode[struct {
		Records  int      `json:"records"`
		Messages []string `json:"messages"`
	}](t, res)
	if got.Records != 2 || strings.Join(got.Messages, ",") != "a,b" {
		t.Fatalf("SNS answer %s", res.Payload)
	}
	mustFail(t, invoke(t, r, f, event("ok", "fail")))
}

func TestContextCancelKillsProcess(t *testing.T) {
	r := newTestRunner(t, Options{})
	f := testFunction("cancelfn")
	pid, _ := invokePID(t, r, f)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Invoke(ctx, f, Invocation{Payload: []byte(`{"action":"sleep","ms":3000}`)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if !reaped(pid) {
		t.Fatalf("process %d still exists after its invocation was cancelled", pid)
	}
	if _, res := invokePID(t, r, f); !res.ColdStart {
		t.Fatal("the invocation after a cancel did not start a new process")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	r := NewRunner(Options{})
	f := testFunction("closefn")
	f.Concurrency = 4
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := r.Invoke(context.Background(), f, Invocation{Payload: []byte(`{"action":"sleep","ms":100}`)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	inflight := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), f, Invocation{Payload: []byte(`{"action":"sleep","ms":5000}`)})
		inflight <- err
	}()
	eventually(t, "an in-flight invocation", func() bool { idle, busy := r.Stats("closefn"); return idle == 2 && busy == 1 })

	var pids []int
	r.mu.Lock()
	for p := range r.fns["closefn"].procs {
		pids = append(pids, p.getPID())
	}
	r.mu.Unlock()
	if len(pids) != 3 {
		t.Fatalf("%d processes, want 3", len(pids))
	}

	start := time.Now()
	r.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	for _, pid := range pids {
		if !reaped(pid) {
			t.Errorf("process %d survived Close", pid)
		}
	}
	if err := <-inflight; err == nil {
		t.Error("the in-flight invocation did not fail on Close")
	}
	if _, err := r.Invoke(context.Background(), f, Invocation{}); err == nil {
		t.Error("Invoke after Close succeeded")
	}
	r.Close() // idempotent

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

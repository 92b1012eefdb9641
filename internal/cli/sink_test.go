package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningSink is an abanico sink command running in-process.
type runningSink struct {
	addr        string // host:port it listens on
	out, errOut *syncBuffer
	cancel      context.CancelFunc
	done        chan int // its exit code, once it returned
}

var listenRE = regexp.MustCompile(`listening on http://(\S+?),`)

// startSink runs `abanico sink --listen 127.0.0.1:0 args...` until the test
// ends (or stop is called) and returns once it listens.
func startSink(t *testing.T, args ...string) *runningSink {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningSink{out: &syncBuffer{}, errOut: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	root := newRoot(s.out, s.errOut)
	root.SetArgs(append([]string{"sink", "--listen", "127.0.0.1:0"}, args...))
	go func() {
		err := root.ExecuteContext(ctx)
		if err != nil {
			s.errOut.Write([]byte("abanico: " + err.Error() + "\n"))
		}
		s.done <- exitCode(err)
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(s.errOut.String()); m != nil {
			s.addr = m[1]
			return s
		}
		select {
		case code := <-s.done:
			t.Fatalf("sink exited with %d before listening: %s", code, s.errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("sink did not start listening: %q", s.errOut.String())
	return nil
}

// stop cancels the sink's context (as SIGINT does) and returns its exit
// code; a second call returns -1.
func (s *runningSink) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code, ok := <-s.done:
		if !ok {
			return -1
		}
		close(s.done)
		return code
	case <-time.After(10 * time.Second):
		t.Fatalf("sink did not stop within 10 s")
		return -1
	}
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitConfirmed waits until a subscription is no longer pending.
func waitConfirmed(t *testing.T, c *abanico.Client, arn string) {
	t.Helper()
	waitFor(t, "confirmation of "+arn, func() bool {
		s, err := c.GetSubscription(context.Background(), arn)
		return err == nil && !s.Pending
	})
}

func TestSink(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	c := abanico.NewClient(srv.URL())
	ctx := context.Background()
	sk := startSink(t)

	if _, err := c.CreateTopic(ctx, abanico.CreateTopicInput{Name: "orders"}); err != nil {
		t.Fatal(err)
	}
	sub, err := c.Subscribe(ctx, "orders", abanico.SubscribeInput{Protocol: "http", Endpoint: "http://" + sk.addr + "/orders"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.Subscribe(ctx, "orders", abanico.SubscribeInput{Protocol: "http", Endpoint: "http://" + sk.addr + "/raw", Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	waitConfirmed(t, c, sub.ARN)
	waitConfirmed(t, c, raw.ARN)
	waitFor(t, "the confirmation lines", func() bool {
		out := sk.out.String()
		return strings.Contains(out, " /orders confirmed subscription "+sub.ARN+"\n") &&
			strings.Contains(out, " /raw confirmed subscription "+raw.ARN+"\n")
	})
	if out := sk.out.String(); !strings.Contains(out, " /orders SubscriptionConfirmation You have chosen to subscribe") {
		t.Fatalf("no SubscriptionConfirmation line: %q", out)
	}

	if _, err := c.Publish(ctx, "orders", abanico.TopicMessage{
		Message: `{"id":42}`, Subject: "Order placed",
		Attributes: map[string]abanico.MessageAttribute{"kind": {Type: "String", Value: "order"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, "orders", abanico.TopicMessage{Message: "two\nlines"}); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} /orders Notification subject=Order placed attrs=kind=order \{"id":42\}$`)
	rawLine := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} /raw Notification \{"id":42\}$`)
	multi := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} /orders Notification two\\nlines$`)
	waitFor(t, "the notification lines", func() bool {
		out := sk.out.String()
		return line.MatchString(out) && rawLine.MatchString(out) && multi.MatchString(out)
	})

	// Only POSTs are deliveries.
	resp, err := http.Get("http://" + sk.addr + "/orders")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %s", resp.Status)
	}

	if code := sk.stop(t); code != 0 {
		t.Fatalf("sink exit %d: %s", code, sk.errOut.String())
	}
	if !strings.Contains(sk.errOut.String(), "abanico sink: stopped") {
		t.Fatalf("stderr: %q", sk.errOut.String())
	}
	if strings.Count(sk.out.String(), "\n") != 8 { // 2 confirmations, 2 confirmed, 2 x 2 notifications
		t.Fatalf("output:\n%s", sk.out.String())
	}
}

func TestSinkJSONFailing(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	c := abanico.NewClient(srv.URL())
	ctx := context.Background()
	sk := startSink(t, "--json", "--status", "500")

	if _, err := c.CreateTopic(ctx, abanico.CreateTopicInput{Name: "events"}); err != nil {
		t.Fatal(err)
	}
	sub, err := c.Subscribe(ctx, "events", abanico.SubscribeInput{
		Protocol: "http", Endpoint: "http://" + sk.addr + "/hook?x=1",
		DeliveryPolicy: json.RawMessage(`{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":2}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	// fail=1: the first attempt of each message is answered 503, the next
	// --status, overridden by status=202.
	flaky, err := c.Subscribe(ctx, "events", abanico.SubscribeInput{
		Protocol: "http", Endpoint: "http://" + sk.addr + "/flaky?fail=1&status=202",
		DeliveryPolicy: json.RawMessage(`{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":2}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Confirmations are answered 200 and confirmed whatever --status says.
	waitConfirmed(t, c, sub.ARN)
	waitConfirmed(t, c, flaky.ARN)
	id, err := c.Publish(ctx, "events", abanico.TopicMessage{Message: "fail me", Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}

	type record struct {
		sinkRecord
		Confirmed       *bool
		SubscriptionArn string
	}
	// records parses the output; every line must be one JSON object.
	records := func() []record {
		var out []record
		for _, l := range strings.Split(strings.TrimSuffix(sk.out.String(), "\n"), "\n") {
			if l == "" {
				continue
			}
			var r record
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			out = append(out, r)
		}
		return out
	}
	// numRetries 2 without delay: three attempts to /hook, each answered
	// 500; two to /flaky.
	count := func(path string) int {
		n := 0
		for _, r := range records() {
			if r.Type == "Notification" && r.Path == path {
				n++
			}
		}
		return n
	}
	waitFor(t, "the attempts", func() bool { return count("/hook?x=1") == 3 && count("/flaky?fail=1&status=202") == 2 })
	var flakyStatus []int
	var confirmed, notifications int
	for _, r := range records() {
		if strings.HasPrefix(r.Path, "/flaky") {
			if r.Type == "Notification" {
				flakyStatus = append(flakyStatus, r.Status)
			}
			continue
		}
		switch {
		case r.Confirmed != nil:
			confirmed++
			if !*r.Confirmed || r.SubscriptionArn != sub.ARN || r.Path != "/hook?x=1" {
				t.Fatalf("confirmation record %+v", r)
			}
		case r.Type == "SubscriptionConfirmation":
			if r.Status != 200 {
				t.Fatalf("confirmation answered %d", r.Status)
			}
		case r.Type == "Notification":
			notifications++
			if r.Status != 500 || r.Message != "fail me" || r.Subject != "s" || r.MessageID != id ||
				r.Path != "/hook?x=1" || r.Method != "POST" {
				t.Fatalf("notification record %+v", r)
			}
			if r.Headers["x-amz-sns-subscription-arn"] != sub.ARN || r.Headers["x-amz-sns-message-id"] != id ||
				!strings.HasPrefix(r.Headers["content-type"], "text/plain") || r.Headers["user-agent"] == "" {
				t.Fatalf("headers %v", r.Headers)
			}
			var env struct{ Type, Message, Signature string }
			if err := json.Unmarshal([]byte(r.Body), &env); err != nil || env.Message != "fail me" || env.Signature == "" {
				t.Fatalf("body %q: %v", r.Body, err)
			}
			if _, err := time.Parse(time.RFC3339Nano, r.Time); err != nil {
				t.Fatalf("time %q: %v", r.Time, err)
			}
		default:
			t.Fatalf("unexpected record %+v", r)
		}
	}
	if confirmed != 1 || notifications != 3 {
		t.Fatalf("%d confirmed, %d notifications", confirmed, notifications)
	}
	if len(flakyStatus) != 2 || flakyStatus[0] != 503 || flakyStatus[1] != 202 {
		t.Fatalf("fail=1&status=202 answered %v", flakyStatus)
	}
	st, err := c.SubscriptionAttempts(ctx, flaky.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if st.Counters.Failed != 1 || st.Counters.Retried != 1 { // Delivered counts the confirmation too
		t.Fatalf("flaky counters %+v", st.Counters)
	}
}

func TestSinkUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sink", "--status", "99"},
		{"sink", "--status", "600"},
		{"sink", "extra"},
	} {
		if r := runCLI(t, nil, args...); r.code != 2 || !strings.HasPrefix(r.stderr, "abanico: ") {
			t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := runCLI(t, nil, "sink", "--listen", "127.0.0.1:-1"); r.code != 1 || !strings.Contains(r.stderr, "sink:") {
		t.Fatalf("bad address: exit %d, stderr %q", r.code, r.stderr)
	}
}

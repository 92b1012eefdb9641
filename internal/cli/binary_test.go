package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
)

// binaryVersion is the version the test binary is built with.
const binaryVersion = "9.8.7-binary-test"

// binResult is one run of the binary.
type binResult struct {
	code           int
	stdout, stderr string
}

// TestBinary runs the built abanico binary, as a user would, against a
// server started in-process: every resource command, its table and --json
// output, and the exit codes (0 ok, 1 API error, 2 usage, 3 not found).
func TestBinary(t *testing.T) {
	dir := t.TempDir()
	bin := abanicotest.BuildBinary(t, binaryVersion)
	srv := abanicotest.Start(t, abanicotest.Embedded)

	// run runs the binary with stdin (may be ""), the server's endpoint in
	// ABANICO_ENDPOINT, and expects exit code want.
	run := func(t *testing.T, want int, stdin string, args ...string) binResult {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "ABANICO_ENDPOINT="+srv.URL())
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := binResult{stdout: out.String(), stderr: errb.String()}
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
		case err != nil:
			t.Fatalf("run abanico %v: %v", args, err)
		}
		if r.code != want {
			t.Fatalf("abanico %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
		}
		if want != 0 && !strings.HasPrefix(lastLine(r.stderr), "abanico: ") {
			t.Fatalf("abanico %s: stderr %q", strings.Join(args, " "), r.stderr)
		}
		return r
	}
	// runJSON runs a command with --json and decodes its output into v.
	runJSON := func(t *testing.T, v any, stdin string, args ...string) {
		t.Helper()
		r := run(t, 0, stdin, append(args, "--json")...)
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			t.Fatalf("abanico %s --json: %v\n%s", strings.Join(args, " "), err, r.stdout)
		}
	}
	// until repeats fn until it reports true, for up to 20 s.
	until := func(t *testing.T, what string, fn func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !fn(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}

	t.Run("version", func(t *testing.T) {
		r := run(t, 0, "", "version")
		if strings.TrimSpace(r.stdout) != "abanico "+binaryVersion {
			t.Fatalf("version: %q", r.stdout)
		}
		run(t, 2, "", "version", "--bogus")
		run(t, 2, "", "queue", "frobnicate")
	})

	t.Run("topics", func(t *testing.T) {
		r := run(t, 0, "", "topic", "create", "orders")
		if !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, ":orders") {
			t.Fatalf("topic create: %q", r.stdout)
		}
		var tp struct{ Name, ARN string }
		runJSON(t, &tp, "", "topic", "get", "orders")
		if tp.Name != "orders" || !strings.HasSuffix(tp.ARN, ":orders") {
			t.Fatalf("topic get --json: %+v", tp)
		}
		r = run(t, 0, "", "topic", "get", "orders")
		if !strings.Contains(r.stdout, "ATTRIBUTE") || !strings.Contains(r.stdout, "TopicArn") {
			t.Fatalf("topic get: %q", r.stdout)
		}
		run(t, 0, "", "topic", "create", "doomed")
		var list struct{ Topics []struct{ Name string } }
		runJSON(t, &list, "", "topic", "list")
		if len(list.Topics) != 2 {
			t.Fatalf("topic list --json: %+v", list)
		}
		if r = run(t, 0, "", "topic", "delete", "doomed"); strings.TrimSpace(r.stdout) != "deleted topic doomed" {
			t.Fatalf("topic delete: %q", r.stdout)
		}
		if r = run(t, 0, "", "topic", "list"); strings.Contains(r.stdout, "doomed") || !strings.Contains(r.stdout, "orders") {
			t.Fatalf("topic list: %q", r.stdout)
		}
		run(t, 3, "", "topic", "get", "doomed")
		run(t, 1, "", "topic", "create", "bad name!")
		run(t, 2, "", "topic", "get")
		run(t, 2, "", "topic", "list", "--bogus")
		// The flag wins over the environment; a bad endpoint is a usage
		// error, an unreachable one an API error.
		run(t, 2, "", "topic", "list", "--endpoint", "ftp://x")
		run(t, 1, "", "topic", "list", "--endpoint", "http://127.0.0.1:1")
	})

	t.Run("queues", func(t *testing.T) {
		run(t, 0, "", "queue", "create", "work-dlq")
		var q struct {
			Name       string
			Attributes map[string]string
		}
		runJSON(t, &q, "", "queue", "create", "work", "--dlq", "work-dlq", "--max-receives", "1", "--attr", "VisibilityTimeout=1")
		if q.Name != "work" || !strings.Contains(q.Attributes["RedrivePolicy"], "work-dlq") || q.Attributes["VisibilityTimeout"] != "1" {
			t.Fatalf("queue create --json: %+v", q)
		}
		r := run(t, 0, "", "queue", "list", "--prefix", "work")
		if !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, "work-dlq") {
			t.Fatalf("queue list: %q", r.stdout)
		}
		run(t, 0, "", "queue", "send", "work", "one", "--attr", "n:Number=1")
		run(t, 0, "two", "queue", "send", "work")
		r = run(t, 0, "", "queue", "get", "work")
		if !strings.Contains(r.stdout, "ApproximateNumberOfMessages") {
			t.Fatalf("queue get: %q", r.stdout)
		}

		// Peek leaves the messages as they were.
		r = run(t, 0, "", "queue", "peek", "work")
		if !strings.HasPrefix(r.stdout, "MESSAGE ID") || strings.Count(r.stdout, "visible") != 2 {
			t.Fatalf("queue peek: %q", r.stdout)
		}
		var peek struct {
			Messages []struct {
				Body, State  string
				ReceiveCount int
				Attributes   map[string]struct{ Type, Value string }
			}
		}
		runJSON(t, &peek, "", "queue", "peek", "work", "--max", "1")
		if len(peek.Messages) != 1 || peek.Messages[0].Body != "one" || peek.Messages[0].ReceiveCount != 0 || peek.Messages[0].Attributes["n"].Value != "1" {
			t.Fatalf("queue peek --json: %+v", peek)
		}
		var got struct {
			Messages []struct {
				Body         string
				ReceiveCount int
			}
		}
		runJSON(t, &got, "", "queue", "receive", "work", "--max", "10", "--wait", "2")
		if len(got.Messages) == 0 || got.Messages[0].ReceiveCount != 1 {
			t.Fatalf("receive after peek: %+v", got)
		}
		// Received once with maxReceiveCount 1: the next receive after the
		// visibility timeout moves them to the dead-letter queue.
		time.Sleep(1100 * time.Millisecond)
		until(t, "dead letters", func() bool {
			run(t, 0, "", "queue", "receive", "work", "--max", "10")
			peek.Messages = nil
			runJSON(t, &peek, "", "queue", "peek", "work-dlq")
			return len(peek.Messages) == 2
		})
		// The redrive waits for the move, so the messages are back when it
		// returns.
		r = run(t, 0, "", "queue", "redrive", "work-dlq")
		if strings.TrimSpace(r.stdout) != "redrive of work-dlq completed: moved 2/2 messages back to their source queues" {
			t.Fatalf("queue redrive: %q", r.stdout)
		}
		peek.Messages = nil
		if runJSON(t, &peek, "", "queue", "peek", "work"); len(peek.Messages) != 2 {
			t.Fatalf("redriven messages: %+v", peek)
		}
		r = run(t, 0, "", "queue", "receive", "work", "--max", "10", "--wait", "1", "--delete")
		if !strings.HasPrefix(r.stdout, "MESSAGE ID") || !strings.Contains(r.stdout, "one") && !strings.Contains(r.stdout, "two") {
			t.Fatalf("queue receive: %q", r.stdout)
		}
		run(t, 0, "", "queue", "send", "work", "three")
		if r = run(t, 0, "", "queue", "purge", "work"); strings.TrimSpace(r.stdout) != "purged queue work" {
			t.Fatalf("queue purge: %q", r.stdout)
		}
		runJSON(t, &peek, "", "queue", "peek", "work")
		if len(peek.Messages) != 0 {
			t.Fatalf("after purge: %+v", peek)
		}
		run(t, 1, "", "queue", "purge", "work") // too soon after the last purge
		run(t, 1, "", "queue", "redrive", "work")
		run(t, 1, "", "queue", "receive", "work", "--max", "11")
		run(t, 2, "", "queue", "receive", "work", "--max", "many")
		run(t, 2, "", "queue", "peek", "work", "--max", "1000")
		run(t, 2, "", "queue", "redrive", "work-dlq", "--rate", "1000")
		run(t, 0, "", "queue", "delete", "work")
		run(t, 3, "", "queue", "delete", "work")
		run(t, 3, "", "queue", "get", "work")
		run(t, 3, "", "queue", "send", "work", "x")
		run(t, 3, "", "queue", "peek", "work")
	})

	t.Run("redrive progress", func(t *testing.T) {
		c := abanico.NewClient(srv.URL())
		ctx := context.Background()
		run(t, 0, "", "queue", "create", "slow-dlq")
		run(t, 0, "", "queue", "create", "slow", "--dlq", "slow-dlq")
		fill := func(n int) { fillQueue(t, c, "slow-dlq", n) }

		// About 2.5 s of moving: a progress line a second on stderr, the
		// end on stdout.
		fill(1000)
		r := run(t, 0, "", "queue", "redrive", "slow-dlq", "--to", "slow", "--rate", "400")
		if strings.TrimSpace(r.stdout) != "redrive of slow-dlq completed: moved 1000/1000 messages to slow" {
			t.Fatalf("redrive: %q", r.stdout)
		}
		lines := regexp.MustCompile(`(?m)^moved (\d+)/1000 messages$`).FindAllStringSubmatch(r.stderr, -1)
		if len(lines) < 2 || lines[0][1] == lines[len(lines)-1][1] {
			t.Fatalf("progress: %q", r.stderr)
		}

		// A failed move exits with 1: messages sent straight to a
		// dead-letter queue have no source queue to go back to.
		fill(1)
		r = run(t, 1, "", "queue", "redrive", "slow-dlq", "--json")
		var task abanico.RedriveTask
		if err := json.Unmarshal([]byte(r.stdout), &task); err != nil || task.Status != abanico.RedriveFailed || task.FailureReason == "" {
			t.Fatalf("failed redrive --json: %q, %v", r.stdout, err)
		}

		// Ctrl-C stops the waiting, not the move.
		fill(99)
		cmd := exec.Command(bin, "queue", "redrive", "slow-dlq", "--to", "slow", "--rate", "10")
		cmd.Env = append(os.Environ(), "ABANICO_ENDPOINT="+srv.URL())
		var out bytes.Buffer
		cmd.Stdout = &out
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		var errText strings.Builder
		for sc.Scan() {
			errText.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "moved ") {
				break
			}
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() {
			errText.WriteString(sc.Text() + "\n")
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("interrupted redrive: %v\nstdout: %s\nstderr: %s", err, out.String(), errText.String())
		}
		if !strings.Contains(errText.String(), "stopped waiting: the redrive of slow-dlq goes on on the server") ||
			!strings.HasPrefix(out.String(), "redrive of slow-dlq running: moved ") {
			t.Fatalf("interrupted redrive:\nstdout: %s\nstderr: %s", out.String(), errText.String())
		}
		tasks, err := c.RedriveTasks(ctx, "slow-dlq")
		if err != nil || len(tasks) == 0 || tasks[0].Status != abanico.RedriveRunning {
			t.Fatalf("task after the interrupt: %+v, %v", tasks, err)
		}
		if _, err := c.CancelRedrive(ctx, "slow-dlq", tasks[0].TaskHandle); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("fanout", func(t *testing.T) {
		run(t, 0, "", "queue", "create", "red")
		run(t, 0, "", "queue", "create", "red-dlq")
		var sub struct {
			ARN, Protocol, Endpoint string
			Attributes              map[string]string
		}
		runJSON(t, &sub, "", "sub", "add", "orders", "--queue", "red", "--filter", `{"color":["red"]}`, "--raw")
		if sub.Protocol != "queue" || sub.Endpoint != "red" || sub.Attributes["RawMessageDelivery"] != "true" {
			t.Fatalf("sub add --json: %+v", sub)
		}
		r := run(t, 0, "", "sub", "list", "orders")
		if !strings.HasPrefix(r.stdout, "ARN") || !strings.Contains(r.stdout, sub.ARN) {
			t.Fatalf("sub list: %q", r.stdout)
		}
		var subs struct{ Subscriptions []struct{ ARN string } }
		runJSON(t, &subs, "", "sub", "list")
		if len(subs.Subscriptions) != 1 {
			t.Fatalf("sub list --json: %+v", subs)
		}

		file := filepath.Join(dir, "message.json")
		if err := os.WriteFile(file, []byte(`{"from":"file"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		var pub struct{ MessageID string }
		runJSON(t, &pub, "", "publish", "orders", "--file", file, "--attr", "color=red")
		if pub.MessageID == "" {
			t.Fatal("publish --json gave no message id")
		}
		r = run(t, 0, "from stdin", "publish", "orders", "--attr", "color=red", "--subject", "s")
		if strings.TrimSpace(r.stdout) == "" {
			t.Fatal("publish printed no message id")
		}
		run(t, 0, "", "publish", "orders", "blue, filtered out", "--attr", "color=blue")
		bodies := map[string]bool{}
		until(t, "the red messages", func() bool {
			var got struct{ Messages []struct{ Body string } }
			runJSON(t, &got, "", "queue", "receive", "red", "--max", "10", "--wait", "1", "--delete")
			for _, m := range got.Messages {
				bodies[m.Body] = true
			}
			return len(bodies) >= 2
		})
		if len(bodies) != 2 || !bodies[`{"from":"file"}`] || !bodies["from stdin"] {
			t.Fatalf("received %v", bodies)
		}

		// Update: the new filter lets blue through; raw delivery off, a
		// dead-letter queue on.
		runJSON(t, &sub, "", "sub", "update", sub.ARN, "--filter", `{"color":["blue"]}`, "--raw=false", "--dlq", "red-dlq")
		if !strings.Contains(sub.Attributes["FilterPolicy"], "blue") || sub.Attributes["RawMessageDelivery"] != "false" ||
			!strings.Contains(sub.Attributes["RedrivePolicy"], "red-dlq") {
			t.Fatalf("sub update --json: %+v", sub.Attributes)
		}
		run(t, 0, "", "publish", "orders", "blue now", "--attr", "color=blue")
		until(t, "the blue message", func() bool {
			var got struct{ Messages []struct{ Body string } }
			runJSON(t, &got, "", "queue", "receive", "red", "--max", "10", "--wait", "1", "--delete")
			// Raw delivery is off: the body is the SNS envelope.
			return len(got.Messages) == 1 && strings.Contains(got.Messages[0].Body, "blue now") && strings.Contains(got.Messages[0].Body, `"TopicArn"`)
		})
		r = run(t, 0, "", "sub", "update", sub.ARN, "--no-filter", "--no-dlq")
		if !strings.Contains(r.stdout, sub.ARN) || strings.Contains(r.stdout, "blue") {
			t.Fatalf("sub update: %q", r.stdout)
		}
		run(t, 2, "", "sub", "update", sub.ARN, "--filter", "[1]")
		run(t, 1, "", "sub", "update", sub.ARN, "--filter", `{"a":{"b":["c"]}}`)
		run(t, 3, "", "sub", "update", sub.ARN+"x", "--raw")
		// A queue subscription's attempts are the copies stored in its queue;
		// it has no circuit breaker.
		if r = run(t, 0, "", "sub", "attempts", sub.ARN); !strings.Contains(r.stdout, "delivered") || strings.Contains(r.stdout, "breaker") {
			t.Fatalf("sub attempts of a queue subscription: %q", r.stdout)
		}
		run(t, 3, "", "sub", "attempts", sub.ARN+"x")
		run(t, 2, "", "sub", "add", "orders")
		run(t, 3, "", "sub", "add", "nope", "--queue", "red")
		if r = run(t, 0, "", "sub", "rm", sub.ARN); strings.TrimSpace(r.stdout) != "deleted subscription "+sub.ARN {
			t.Fatalf("sub rm: %q", r.stdout)
		}
		run(t, 3, "", "sub", "list", "gone-topic")
		run(t, 3, "", "publish", "gone-topic", "x")
		run(t, 2, "", "publish", "orders", "x", "--file", file)
		run(t, 2, "", "publish", "orders", "--file", filepath.Join(dir, "missing"))
	})

	t.Run("functions", func(t *testing.T) {
		script := filepath.Join(dir, "bootstrap.sh")
		if err := os.WriteFile(script, abanicotest.BashRuntime("hello"), 0o644); err != nil {
			t.Fatal(err)
		}
		var f struct {
			Name, Runtime, CodeSha256 string
			Timeout, MemorySize       int
			Environment               map[string]string
		}
		runJSON(t, &f, "", "fn", "create", "greeter", "--bootstrap", script, "--timeout", "10", "--memory", "256", "--env", "GREETING=hola")
		if f.Name != "greeter" || f.Runtime != "provided.al2023" || f.Timeout != 10 || f.MemorySize != 256 || f.Environment["GREETING"] != "hola" {
			t.Fatalf("fn create --json: %+v", f)
		}
		r := run(t, 0, "", "fn", "list")
		if !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, "greeter") || !strings.Contains(r.stdout, "256MB") {
			t.Fatalf("fn list: %q", r.stdout)
		}
		r = run(t, 0, "", "fn", "get", "greeter")
		if !strings.Contains(r.stdout, f.CodeSha256) || !strings.Contains(r.stdout, "GREETING=hola") {
			t.Fatalf("fn get: %q", r.stdout)
		}
		r = run(t, 0, "", "fn", "invoke", "greeter", `{"n":1}`)
		if strings.TrimSpace(r.stdout) != `{"greeting":"hola","event":{"n":1}}` {
			t.Fatalf("fn invoke: %q", r.stdout)
		}
		var res struct {
			Payload json.RawMessage
			Logs    string
		}
		runJSON(t, &res, `{"n":2}`, "fn", "invoke", "greeter", "-")
		var payload bytes.Buffer
		if err := json.Compact(&payload, res.Payload); err != nil || payload.String() != `{"greeting":"hola","event":{"n":2}}` || !strings.Contains(res.Logs, "handling") {
			t.Fatalf("fn invoke --json: %+v", res)
		}
		until(t, "the function's log", func() bool {
			return strings.Contains(run(t, 0, "", "fn", "logs", "greeter").stdout, "REPORT RequestId")
		})

		// A function subscription keeps an attempt log.
		var sub struct{ ARN string }
		runJSON(t, &sub, "", "sub", "add", "orders", "--function", "greeter")
		run(t, 0, "", "publish", "orders", "for the function")
		until(t, "a delivery to the function", func() bool {
			var st struct{ Counters struct{ Delivered int } }
			runJSON(t, &st, "", "sub", "attempts", sub.ARN)
			return st.Counters.Delivered == 1
		})
		r = run(t, 0, "", "sub", "attempts", sub.ARN)
		if !strings.Contains(r.stdout, "delivered 1") || !strings.Contains(r.stdout, "breaker closed") {
			t.Fatalf("sub attempts: %q", r.stdout)
		}

		// New code; the same script packs to the same archive.
		if r = run(t, 0, "", "fn", "update", "greeter", "--bootstrap", script, "--json"); !strings.Contains(r.stdout, f.CodeSha256) {
			t.Fatalf("fn update with the same script: %q", r.stdout)
		}
		run(t, 1, "", "fn", "update", "greeter", "--zip", script) // not a zip
		run(t, 1, "", "fn", "create", "greeter", "--bootstrap", script)
		run(t, 1, "", "fn", "create", "other", "--bootstrap", script, "--timeout", "901")
		run(t, 2, "", "fn", "create", "other")
		run(t, 2, "", "fn", "create", "other", "--bootstrap", filepath.Join(dir, "missing"))
		run(t, 3, "", "fn", "invoke", "nope")
		run(t, 3, "", "fn", "logs", "nope")
		run(t, 0, "", "sub", "rm", sub.ARN)
	})

	t.Run("status", func(t *testing.T) {
		run(t, 0, "", "queue", "create", "waiting")
		run(t, 0, "", "sub", "add", "orders", "--queue", "waiting")
		run(t, 0, "", "publish", "orders", "one")
		run(t, 0, "", "publish", "orders", "two")
		var st struct {
			Version string
			Engine  struct {
				Mode, Durability string
				Replicas         int
			}
			Counts  struct{ Topics, Subscriptions, Queues, Functions int }
			Busiest []struct {
				Endpoint string
				Backlog  int
			}
		}
		until(t, "a busy subscription", func() bool {
			runJSON(t, &st, "", "status")
			return len(st.Busiest) == 1 && st.Busiest[0].Backlog == 2
		})
		// The server runs in-process with the default version.
		if st.Version != "dev" || st.Engine.Mode != "embedded" || st.Engine.Durability != "strict" || st.Engine.Replicas != 1 ||
			st.Counts.Topics != 1 || st.Counts.Subscriptions != 1 || st.Counts.Functions != 1 || st.Busiest[0].Endpoint != "waiting" {
			t.Fatalf("status --json: %+v", st)
		}
		r := run(t, 0, "", "status")
		if !strings.Contains(r.stdout, "engine embedded (durability strict, replicas 1)") ||
			!strings.Contains(r.stdout, "1 topics, 1 subscriptions") || !strings.Contains(r.stdout, "BACKLOG") {
			t.Fatalf("status: %q", r.stdout)
		}
		run(t, 2, "", "status", "now")
		run(t, 0, "", "fn", "delete", "greeter")
		run(t, 3, "", "fn", "get", "greeter")
		run(t, 3, "", "fn", "delete", "greeter")
	})
}

// lastLine is the last line of s (progress lines come before an error).
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

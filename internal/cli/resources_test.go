package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
)

// result is one run of the command line.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the root command in-process the way Execute does (same
// error printing and exit code), with stdin.
func runCLI(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	if stdin != nil {
		root.SetIn(stdin)
	}
	root.SetArgs(args)
	code := 0
	if err := root.Execute(); err != nil {
		fmt.Fprintln(&errb, "abanico:", err)
		code = exitCode(err)
	}
	return result{code, out.String(), errb.String()}
}

// fillQueue sends n messages to a queue, ten at a time.
func fillQueue(t *testing.T, c *abanico.Client, queue string, n int) {
	t.Helper()
	for i := 0; i < n; i += 10 {
		var batch []abanico.QueueMessage
		for j := i; j < min(i+10, n); j++ {
			batch = append(batch, abanico.QueueMessage{ID: fmt.Sprint(j), Body: fmt.Sprint(queue, " ", j)})
		}
		if _, err := c.SendMessageBatch(context.Background(), queue, batch); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResourceCommands(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	ep := srv.URL()
	// cli runs a command against the test server and expects exit code want.
	cli := func(t *testing.T, want int, stdin io.Reader, args ...string) result {
		t.Helper()
		r := runCLI(t, stdin, append(args, "--endpoint", ep)...)
		if r.code != want {
			t.Fatalf("abanico %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
		}
		return r
	}

	t.Run("topics", func(t *testing.T) {
		r := cli(t, 0, nil, "topic", "create", "orders")
		if !strings.Contains(r.stdout, "NAME") || !strings.Contains(r.stdout, "orders") {
			t.Fatalf("create table: %q", r.stdout)
		}
		r = cli(t, 0, nil, "topic", "create", "orders", "--json")
		var tp struct{ Name, ARN string }
		if err := json.Unmarshal([]byte(r.stdout), &tp); err != nil || tp.Name != "orders" || !strings.HasSuffix(tp.ARN, ":orders") {
			t.Fatalf("create --json: %q, %v", r.stdout, err)
		}
		r = cli(t, 0, nil, "topic", "list")
		if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) < 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(r.stdout, tp.ARN) {
			t.Fatalf("list table: %q", r.stdout)
		}
		r = cli(t, 0, nil, "topic", "list", "--json")
		var list struct{ Topics []struct{ Name string } }
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Topics) == 0 {
			t.Fatalf("list --json: %q, %v", r.stdout, err)
		}
		r = cli(t, 0, nil, "topic", "get", "orders")
		if !strings.Contains(r.stdout, "ATTRIBUTE") || !strings.Contains(r.stdout, "TopicArn") {
			t.Fatalf("get table: %q", r.stdout)
		}
		r = cli(t, 0, nil, "topic", "get", "orders", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &tp); err != nil || tp.Name != "orders" {
			t.Fatalf("get --json: %q, %v", r.stdout, err)
		}
		cli(t, 0, nil, "topic", "create", "gone")
		r = cli(t, 0, nil, "topic", "delete", "gone")
		if !strings.Contains(r.stdout, "deleted topic gone") {
			t.Fatalf("delete: %q", r.stdout)
		}
		r = cli(t, 3, nil, "topic", "get", "gone")
		if !strings.HasPrefix(r.stderr, "abanico: ") {
			t.Fatalf("stderr: %q", r.stderr)
		}
	})

	t.Run("queues", func(t *testing.T) {
		cli(t, 0, nil, "queue", "create", "jobs-dlq")
		r := cli(t, 0, nil, "queue", "create", "jobs", "--dlq", "jobs-dlq", "--max-receives", "3", "--attr", "VisibilityTimeout=45", "--json")
		var q struct {
			Name       string
			Attributes map[string]string
		}
		if err := json.Unmarshal([]byte(r.stdout), &q); err != nil || q.Name != "jobs" {
			t.Fatalf("create --json: %q, %v", r.stdout, err)
		}
		if rp := q.Attributes["RedrivePolicy"]; !strings.Contains(rp, "jobs-dlq") || !strings.Contains(rp, "3") {
			t.Fatalf("RedrivePolicy %q", rp)
		}
		if q.Attributes["VisibilityTimeout"] != "45" {
			t.Fatalf("VisibilityTimeout %q", q.Attributes["VisibilityTimeout"])
		}
		r = cli(t, 0, nil, "queue", "list", "--prefix", "jobs")
		if !strings.Contains(r.stdout, "jobs-dlq") {
			t.Fatalf("list: %q", r.stdout)
		}
		cli(t, 0, nil, "queue", "send", "jobs", "from-arg", "--attr", "n:Number=3")
		cli(t, 0, strings.NewReader("from-stdin"), "queue", "send", "jobs")
		cli(t, 0, strings.NewReader("from-dash"), "queue", "send", "jobs", "-")
		r = cli(t, 0, nil, "queue", "peek", "jobs")
		if !strings.HasPrefix(r.stdout, "MESSAGE ID") || strings.Count(r.stdout, "visible") != 3 || !strings.Contains(r.stdout, "from-arg") {
			t.Fatalf("peek table: %q", r.stdout)
		}
		r = cli(t, 0, nil, "queue", "peek", "jobs", "--max", "1", "--json")
		var peek struct {
			Messages []struct{ Body, State string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &peek); err != nil || len(peek.Messages) != 1 || peek.Messages[0].State != "visible" {
			t.Fatalf("peek --json: %q, %v", r.stdout, err)
		}
		cli(t, 2, nil, "queue", "peek", "jobs", "--max", "0")
		cli(t, 3, nil, "queue", "peek", "missing")
		r = cli(t, 0, nil, "queue", "receive", "jobs", "--max", "10", "--wait", "2", "--delete", "--json")
		var got struct {
			Messages []struct {
				Body       string
				Attributes map[string]struct{ Type, Value string }
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("receive --json: %q, %v", r.stdout, err)
		}
		bodies := map[string]bool{}
		for _, m := range got.Messages {
			bodies[m.Body] = true
			if m.Body == "from-arg" && (m.Attributes["n"].Type != "Number" || m.Attributes["n"].Value != "3") {
				t.Fatalf("attributes %+v", m.Attributes)
			}
		}
		// A receive may return fewer than all; collect the rest.
		for i := 0; i < 5 && len(bodies) < 3; i++ {
			r = cli(t, 0, nil, "queue", "receive", "jobs", "--max", "10", "--wait", "1", "--delete", "--json")
			got.Messages = nil
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			for _, m := range got.Messages {
				bodies[m.Body] = true
			}
		}
		if !bodies["from-arg"] || !bodies["from-stdin"] || !bodies["from-dash"] {
			t.Fatalf("received %v", bodies)
		}
		// Deleted on receive: nothing left.
		r = cli(t, 0, nil, "queue", "receive", "jobs", "--json")
		if !strings.Contains(r.stdout, `"messages": []`) {
			t.Fatalf("after --delete: %q", r.stdout)
		}
		cli(t, 0, nil, "queue", "get", "jobs")
		r = cli(t, 3, nil, "queue", "get", "missing")
		if !strings.Contains(r.stderr, "abanico: ") || !strings.Contains(r.stderr, "missing") {
			t.Fatalf("stderr: %q", r.stderr)
		}
		cli(t, 0, nil, "queue", "purge", "jobs")
		cli(t, 0, nil, "queue", "delete", "jobs")
		cli(t, 3, nil, "queue", "delete", "jobs")
	})

	t.Run("redrive", func(t *testing.T) {
		defer func(d time.Duration) { redrivePoll = d }(redrivePoll)
		redrivePoll = 50 * time.Millisecond
		c := abanico.NewClient(ep)
		ctx := context.Background()
		cli(t, 0, nil, "queue", "create", "late-dlq")
		cli(t, 0, nil, "queue", "create", "late", "--dlq", "late-dlq")
		fill := func(n int) { fillQueue(t, c, "late-dlq", n) }
		progressRE := regexp.MustCompile(`(?m)^moved (\d+)/300 messages$`)

		// Waited for, with its progress on stderr and its end on stdout.
		fill(300)
		r := cli(t, 0, nil, "queue", "redrive", "late-dlq", "--to", "late", "--rate", "300")
		if strings.TrimSpace(r.stdout) != "redrive of late-dlq completed: moved 300/300 messages to late" {
			t.Fatalf("redrive: %q", r.stdout)
		}
		lines := progressRE.FindAllStringSubmatch(r.stderr, -1)
		if len(lines) < 3 || lines[0][1] == "300" || strings.Count(r.stderr, "\n") != len(lines) {
			t.Fatalf("progress: %q", r.stderr)
		}
		fill(300)
		r = cli(t, 0, nil, "queue", "redrive", "late-dlq", "--to", "late", "--json")
		var task abanico.RedriveTask
		if err := json.Unmarshal([]byte(r.stdout), &task); err != nil || task.Status != "COMPLETED" || task.MovedMessages != 300 ||
			task.MessagesToMove != 300 || task.Destination != "late" || task.TaskHandle == "" {
			t.Fatalf("redrive --json: %q, %v", r.stdout, err)
		}
		if q, err := c.GetQueue(ctx, "late"); err != nil || q.Attributes["ApproximateNumberOfMessages"] != "600" {
			t.Fatalf("after the moves: %+v, %v", q, err)
		}

		// --no-wait: the handle, at once.
		r = cli(t, 0, nil, "queue", "redrive", "late-dlq", "--no-wait", "--json")
		var started struct{ TaskHandle string }
		if err := json.Unmarshal([]byte(r.stdout), &started); err != nil || started.TaskHandle == "" || r.stderr != "" {
			t.Fatalf("redrive --no-wait --json: %q %q, %v", r.stdout, r.stderr, err)
		}
		if _, err := c.WaitRedrive(ctx, "late-dlq", started.TaskHandle, 20*time.Millisecond, nil); err != nil {
			t.Fatal(err)
		}
		if r = cli(t, 0, nil, "queue", "redrive", "late-dlq", "--no-wait"); !strings.HasPrefix(r.stdout, "redrive of late-dlq started (task ") {
			t.Fatalf("redrive --no-wait: %q", r.stdout)
		}
		if tasks, err := c.RedriveTasks(ctx, "late-dlq"); err != nil || len(tasks) == 0 {
			t.Fatalf("tasks: %+v, %v", tasks, err)
		} else if tasks[0].TaskHandle != "" {
			if _, err := c.WaitRedrive(ctx, "late-dlq", tasks[0].TaskHandle, 20*time.Millisecond, nil); err != nil {
				t.Fatal(err)
			}
		}

		// A message sent straight to the dead-letter queue has no source
		// queue to go back to: the move fails, exit 1.
		fill(1)
		r = cli(t, 1, nil, "queue", "redrive", "late-dlq")
		if !strings.HasPrefix(r.stdout, "redrive of late-dlq failed: moved 0/1 messages back to their source queues") ||
			!strings.Contains(r.stderr, "abanico: redrive of late-dlq failed: Destination queue") {
			t.Fatalf("failed redrive: %q %q", r.stdout, r.stderr)
		}

		// Cancelled by someone else while it is waited for: exit 1.
		fill(99)
		done := make(chan result, 1)
		go func() {
			done <- runCLI(t, nil, "queue", "redrive", "late-dlq", "--to", "late", "--rate", "10", "--endpoint", ep)
		}()
		var handle string
		for deadline := time.Now().Add(20 * time.Second); handle == ""; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the redrive did not start")
			}
			if tasks, err := c.RedriveTasks(ctx, "late-dlq"); err == nil && len(tasks) > 0 && tasks[0].Status == "RUNNING" {
				handle = tasks[0].TaskHandle
			}
		}
		if _, err := c.CancelRedrive(ctx, "late-dlq", handle); err != nil {
			t.Fatal(err)
		}
		r = <-done
		if r.code != 1 || !strings.HasPrefix(r.stdout, "redrive of late-dlq cancelled: moved ") || !strings.Contains(r.stderr, "abanico: redrive of late-dlq was cancelled") {
			t.Fatalf("cancelled redrive: exit %d %q %q", r.code, r.stdout, r.stderr)
		}

		cli(t, 2, nil, "queue", "redrive", "late-dlq", "--rate", "0")
		cli(t, 2, nil, "queue", "redrive", "late-dlq", "--rate", "501")
		cli(t, 3, nil, "queue", "redrive", "missing")
		cli(t, 1, nil, "queue", "redrive", "late")
	})

	t.Run("fanout", func(t *testing.T) {
		cli(t, 0, nil, "topic", "create", "events")
		cli(t, 0, nil, "queue", "create", "red")
		r := cli(t, 0, nil, "sub", "add", "events", "--queue", "red", "--filter", `{"color":["red"]}`, "--raw", "--json")
		var sub struct {
			ARN, Protocol, Endpoint string
			Attributes              map[string]string
		}
		if err := json.Unmarshal([]byte(r.stdout), &sub); err != nil || sub.Protocol != "queue" || sub.Endpoint != "red" {
			t.Fatalf("sub add: %q, %v", r.stdout, err)
		}
		if sub.Attributes["RawMessageDelivery"] != "true" || !strings.Contains(sub.Attributes["FilterPolicy"], "red") {
			t.Fatalf("sub attributes %v", sub.Attributes)
		}
		r = cli(t, 0, nil, "sub", "list", "events")
		if !strings.Contains(r.stdout, sub.ARN) || !strings.HasPrefix(r.stdout, "ARN") {
			t.Fatalf("sub list: %q", r.stdout)
		}
		r = cli(t, 0, nil, "sub", "list", "--json")
		if !strings.Contains(r.stdout, sub.ARN) {
			t.Fatalf("sub list --json: %q", r.stdout)
		}

		cli(t, 0, nil, "publish", "events", "blue one", "--attr", "color=blue")
		cli(t, 0, strings.NewReader("red one"), "publish", "events", "--attr", "color=red", "--subject", "s")
		r = cli(t, 0, nil, "queue", "receive", "red", "--wait", "5", "--max", "10", "--delete")
		if !strings.Contains(r.stdout, "red one") || strings.Contains(r.stdout, "blue one") || !strings.Contains(r.stdout, "color=red") {
			t.Fatalf("receive table: %q", r.stdout)
		}

		// A queue subscription's attempts are the copies stored in its
		// queue: the red one was delivered, the blue one filtered out. A
		// copy is counted once its write is acknowledged, which can be
		// just after a receiver got it.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			r = cli(t, 0, nil, "sub", "attempts", sub.ARN)
			if strings.Contains(r.stdout, "delivered 1,") || time.Now().After(deadline) {
				break
			}
		}
		if !strings.Contains(r.stdout, "delivered 1, failed 0") || strings.Count(r.stdout, " delivered ") != 1 || strings.Contains(r.stdout, "breaker") {
			t.Fatalf("attempts of a queue subscription: %q", r.stdout)
		}
		r = cli(t, 1, nil, "sub", "attempts", "arn:aws:sqs:us-east-1:000000000000:red")
		if !strings.HasPrefix(r.stderr, "abanico: ") || !strings.Contains(r.stderr, "field arn") {
			t.Fatalf("attempts of a queue ARN, stderr: %q", r.stderr)
		}
		cli(t, 0, nil, "queue", "create", "red-dlq")
		r = cli(t, 0, nil, "sub", "update", sub.ARN, "--filter", `{"color":["crimson"]}`, "--raw=false", "--dlq", "red-dlq", "--json")
		sub.Attributes = nil
		if err := json.Unmarshal([]byte(r.stdout), &sub); err != nil || sub.Attributes["RawMessageDelivery"] != "false" ||
			!strings.Contains(sub.Attributes["FilterPolicy"], "crimson") || !strings.Contains(sub.Attributes["RedrivePolicy"], ":red-dlq") {
			t.Fatalf("sub update: %q, %v", r.stdout, err)
		}
		r = cli(t, 0, nil, "sub", "update", sub.ARN, "--no-filter", "--no-dlq")
		if !strings.HasPrefix(r.stdout, "ARN") || !strings.Contains(r.stdout, sub.ARN) || strings.Contains(r.stdout, "crimson") {
			t.Fatalf("sub update table: %q", r.stdout)
		}
		cli(t, 2, nil, "sub", "update", sub.ARN, "--filter", "{}", "--no-filter")
		cli(t, 2, nil, "sub", "update", sub.ARN, "--filter-scope", "headers")
		cli(t, 1, nil, "sub", "update", sub.ARN, "--filter", `{"a":{"b":["c"]}}`)
		cli(t, 3, nil, "sub", "update", sub.ARN+"x", "--raw")
		cli(t, 0, nil, "sub", "rm", sub.ARN)
		r = cli(t, 0, nil, "sub", "list", "events", "--json")
		if strings.Contains(r.stdout, sub.ARN) {
			t.Fatalf("after rm: %q", r.stdout)
		}
	})

	t.Run("functions", func(t *testing.T) {
		r := cli(t, 0, nil, "fn", "list")
		if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "NAME") {
			t.Fatalf("fn list: %q", r.stdout)
		}
		r = cli(t, 0, nil, "fn", "list", "--json")
		if !strings.Contains(r.stdout, `"functions": []`) {
			t.Fatalf("fn list --json: %q", r.stdout)
		}
		cli(t, 3, nil, "fn", "logs", "nope")

		dir := t.TempDir()
		script := filepath.Join(dir, "bootstrap.sh")
		if err := os.WriteFile(script, abanicotest.BashRuntime("hello"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = cli(t, 0, nil, "fn", "create", "greeter", "--bootstrap", script, "--timeout", "5", "--env", "GREETING=hola", "--json")
		var f struct {
			Name, CodeSha256 string
			Timeout          int
			Environment      map[string]string
		}
		if err := json.Unmarshal([]byte(r.stdout), &f); err != nil || f.Name != "greeter" || f.Timeout != 5 || f.Environment["GREETING"] != "hola" {
			t.Fatalf("fn create: %q, %v", r.stdout, err)
		}
		r = cli(t, 0, nil, "fn", "get", "greeter")
		if !strings.Contains(r.stdout, "GREETING=hola") || !strings.Contains(r.stdout, f.CodeSha256) {
			t.Fatalf("fn get: %q", r.stdout)
		}
		r = cli(t, 0, nil, "fn", "invoke", "greeter", `{"n":1}`)
		if strings.TrimSpace(r.stdout) != `{"greeting":"hola","event":{"n":1}}` {
			t.Fatalf("fn invoke: %q", r.stdout)
		}
		// The same script packs to the same archive.
		r = cli(t, 0, nil, "fn", "update", "greeter", "--bootstrap", script, "--json")
		if !strings.Contains(r.stdout, f.CodeSha256) {
			t.Fatalf("fn update with the same script changed the digest: %q", r.stdout)
		}
		cli(t, 1, nil, "fn", "create", "greeter", "--bootstrap", script)
		cli(t, 2, nil, "fn", "create", "other")
		cli(t, 2, nil, "fn", "create", "other", "--bootstrap", script, "--zip", script)
		cli(t, 2, nil, "fn", "update", "greeter", "--zip", filepath.Join(dir, "missing.zip"))
		cli(t, 1, nil, "fn", "update", "greeter", "--zip", script)
		cli(t, 0, nil, "fn", "delete", "greeter")
		cli(t, 3, nil, "fn", "get", "greeter")
	})

	t.Run("status", func(t *testing.T) {
		cli(t, 0, nil, "topic", "create", "st")
		cli(t, 0, nil, "queue", "create", "st-q")
		cli(t, 0, nil, "sub", "add", "st", "--queue", "st-q")
		cli(t, 0, nil, "publish", "st", "waiting")
		var st struct {
			Version string
			Engine  struct{ Mode, Durability string }
			Counts  struct{ Topics, Queues int }
			Busiest []struct {
				Endpoint string
				Backlog  int
			}
		}
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			r := cli(t, 0, nil, "status", "--json")
			if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
				t.Fatalf("status --json: %q: %v", r.stdout, err)
			}
			if len(st.Busiest) > 0 {
				break
			}
		}
		if st.Version != "dev" || st.Engine.Mode != "embedded" || st.Engine.Durability != "strict" || st.Counts.Topics == 0 ||
			len(st.Busiest) == 0 || st.Busiest[0].Endpoint != "st-q" || st.Busiest[0].Backlog != 1 {
			t.Fatalf("status: %+v", st)
		}
		r := cli(t, 0, nil, "status")
		if !strings.HasPrefix(r.stdout, "abanico dev, engine embedded (durability strict, replicas 1)") ||
			!strings.Contains(r.stdout, "BACKLOG") || !strings.Contains(r.stdout, "st-q") {
			t.Fatalf("status: %q", r.stdout)
		}
		cli(t, 2, nil, "status", "extra")
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"topic", "list", "--bogus"},
			{"queue", "receive", "q", "--max", "many"},
			{"topic", "get"},
			{"topic", "frobnicate"},
			{"sub", "add", "events"},
			{"sub", "add", "events", "--queue", "a", "--function", "b"},
			{"sub", "add", "events", "--queue", "a", "--filter", "not json"},
			{"publish", "events", "x", "--attr", "novalue"},
		} {
			r := cli(t, 2, nil, args...)
			if !strings.HasPrefix(r.stderr, "abanico: ") {
				t.Fatalf("%v: stderr %q", args, r.stderr)
			}
		}
		r := runCLI(t, nil, "topic", "list", "--endpoint", "ftp://x")
		if r.code != 2 {
			t.Fatalf("bad endpoint: exit %d", r.code)
		}
	})
}

func TestEndpointFromEnv(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	t.Setenv("ABANICO_ENDPOINT", srv.URL())
	if r := runCLI(t, nil, "queue", "list"); r.code != 0 || !strings.HasPrefix(r.stdout, "NAME") {
		t.Fatalf("exit %d: %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestParseMessageAttrs(t *testing.T) {
	m, err := parseMessageAttrs([]string{"a=b=c", "n:Number=3", "b:Binary=AAE=", "e="})
	if err != nil {
		t.Fatal(err)
	}
	if m["a"].Type != "String" || m["a"].Value != "b=c" || m["n"].Type != "Number" || m["n"].Value != "3" ||
		m["b"].Type != "Binary" || m["b"].Value != "AAE=" || m["e"].Value != "" {
		t.Fatalf("%+v", m)
	}
	for _, bad := range []string{"x", "=v", ":Number=1", "k:=1"} {
		if _, err := parseMessageAttrs([]string{bad}); exitCode(err) != 2 {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"}, {"exactly10!", 10, "exactly10!"}, {"a longer body", 10, "a longe..."}, {"ñññññ", 4, "ñ..."}, {"abc", 2, "ab"},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

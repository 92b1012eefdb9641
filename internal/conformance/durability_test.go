package conformance_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
)

// drain receives and deletes everything in a queue and returns the bodies.
func drain(t *testing.T, c *sqs.Client, url string, wait int32) map[string]int {
	t.Helper()
	got := map[string]int{}
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		var entries []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			got[*m.Body]++
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := c.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
}

// TestRestartKeepsEverything stops a server and starts another on the same
// data dir: queues, attributes, stored and delayed messages survive, and a
// message that was in flight reappears after its visibility timeout.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	start := func() *server.Server {
		return abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.DataDir = dir })
	}
	s1 := start()
	c := abanicotest.SQS(s1.URL())
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("durable"), Attributes: map[string]string{"VisibilityTimeout": "3"}, Tags: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(fmt.Sprint("m", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("delayed"), DelaySeconds: 4}); err != nil {
		t.Fatal(err)
	}
	inflight, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1})
	if err != nil || len(inflight.Messages) != 1 {
		t.Fatalf("receive: %v %v", inflight, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s1.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	s2 := start()
	c = abanicotest.SQS(s2.URL())
	url := s2.URL() + "/000000000000/durable"
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil || a.Attributes["VisibilityTimeout"] != "3" {
		t.Fatalf("attributes after restart: %v %v", a, err)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || tags.Tags["k"] != "v" {
		t.Fatalf("tags after restart: %v %v", tags, err)
	}
	got := drain(t, c, url, 5)
	for i := 0; i < 20; i++ {
		if got[fmt.Sprint("m", i)] != 1 {
			t.Fatalf("after restart m%d received %d times (got %v)", i, got[fmt.Sprint("m", i)], got)
		}
	}
	if got["delayed"] != 1 {
		t.Fatalf("delayed message lost across restart: %v", got)
	}
}

// TestCrashLosesNoAcknowledgedSend runs abanico serve as a child process,
// kills it with SIGKILL in the middle of a send load, restarts it and
// checks that every SendMessage answered with success is receivable.
func TestCrashLosesNoAcknowledgedSend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := abanicotest.BuildBinary(t, "")
	for _, mode := range []string{"strict", "relaxed"} {
		t.Run(mode, func(t *testing.T) { crashOnce(t, bin, mode) })
	}
}

func startChild(t *testing.T, bin, addr, dir, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", dir, "--durability", mode, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("child server not ready")
	return nil
}

// loadUntilKill runs 8 workers calling send(worker, i) in a loop, kills
// the child with SIGKILL after 1.5 s, and returns every body send reported
// as acknowledged before that. send returning an error stops its worker.
func loadUntilKill(t *testing.T, child *exec.Cmd, send func(ctx context.Context, w, i int) ([]string, error)) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				bodies, err := send(ctx, w, i)
				cancel()
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				for _, b := range bodies {
					acked[b] = true
				}
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = child.Process.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}
	return acked
}

func crashOnce(t *testing.T, bin, mode string) {
	dir := t.TempDir()
	addr := abanicotest.FreeAddr(t)
	child := startChild(t, bin, addr, dir, mode)
	defer func() { _ = child.Process.Kill(); _, _ = child.Process.Wait() }()
	c := abanicotest.SQS("http://" + addr)
	q, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("crash")})
	if err != nil {
		t.Fatal(err)
	}
	acked := loadUntilKill(t, child, func(ctx context.Context, w, i int) ([]string, error) {
		var entries []types.SendMessageBatchRequestEntry
		for j := 0; j < 5; j++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(fmt.Sprintf("w%d-%d-%d", w, i, j))})
		}
		out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
		if err != nil {
			return nil, err
		}
		var bodies []string
		for _, s := range out.Successful {
			n, _ := strconv.Atoi(*s.Id)
			bodies = append(bodies, *entries[n].MessageBody)
		}
		return bodies, nil
	})
	n := len(acked)
	child2 := startChild(t, bin, addr, dir, mode)
	defer func() { _ = child2.Process.Kill(); _, _ = child2.Process.Wait() }()
	got := drain(t, abanicotest.SQS("http://"+addr), *q.QueueUrl, 2)
	lost := 0
	for body := range acked {
		if got[body] == 0 {
			lost++
		}
	}
	t.Logf("%s: %d acknowledged before SIGKILL, %d received after restart, %d lost", mode, n, len(got), lost)
	if lost > 0 {
		t.Fatalf("%d acknowledged messages lost after SIGKILL", lost)
	}
}

// TestIdleConsumerIsRecreated checks that a queue whose JetStream consumer
// was removed for inactivity keeps its messages and serves them again.
func TestIdleConsumerIsRecreated(t *testing.T) {
	for _, topo := range abanicotest.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			srv := abanicotest.Start(t, topo, func(c *server.Config) { c.QueueConsumerIdle = time.Second })
			c := abanicotest.SQS(srv.URL())
			ctx := context.Background()
			q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("idle")})
			if err != nil {
				t.Fatal(err)
			}
			c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("first")})
			if got := drain(t, c, *q.QueueUrl, 2); got["first"] != 1 {
				t.Fatalf("first: %v", got)
			}
			// Wait until JetStream removed the idle consumer.
			js := srv.Engine().JetStream()
			deadline := time.Now().Add(20 * time.Second)
			for {
				n := 0
				for i := 0; i < 4; i++ {
					st, err := js.Stream(ctx, fmt.Sprintf("ABANICO_Q_%d", i))
					if err != nil {
						t.Fatal(err)
					}
					info, _ := st.Info(ctx)
					n += info.State.Consumers
				}
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d consumers still exist after the idle threshold", n)
				}
				time.Sleep(200 * time.Millisecond)
			}
			c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("second")})
			a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
			if err != nil || a.Attributes["ApproximateNumberOfMessages"] != "1" {
				t.Fatalf("count without a consumer: %v %v", a, err)
			}
			start := time.Now()
			if got := drain(t, c, *q.QueueUrl, 2); got["second"] != 1 {
				t.Fatalf("second: %v", got)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("receive after the consumer was removed took %v", time.Since(start))
			}
		})
	}
}

// TestRetentionSweepDeletesOldMessages checks that messages past the
// retention period are deleted from storage (not just hidden) by the sweep,
// and younger ones are kept.
func TestRetentionSweepDeletesOldMessages(t *testing.T) {
	clk := &clock{}
	srv := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) {
		c.Now = clk.Now
		c.QueueSweepInterval = 200 * time.Millisecond
	})
	c := abanicotest.SQS(srv.URL())
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("retained"), Attributes: map[string]string{"MessageRetentionPeriod": "60"}})
	if err != nil {
		t.Fatal(err)
	}
	keep, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kept"), Attributes: map[string]string{"MessageRetentionPeriod": "120"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("old")})
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: keep.QueueUrl, MessageBody: aws.String("old")})
	}
	count := func(u *string) string {
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
		if err != nil {
			t.Fatal(err)
		}
		return a.Attributes["ApproximateNumberOfMessages"]
	}
	clk.Advance(90 * time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for count(q.QueueUrl) != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("expired messages still stored: %s", count(q.QueueUrl))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := count(keep.QueueUrl); n != "5" {
		t.Fatalf("messages within retention were deleted: %s left", n)
	}
	// Back to real time (JetStream stamps messages with the real clock).
	clk.Advance(-90 * time.Second)
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("new")})
	time.Sleep(500 * time.Millisecond)
	if got := drain(t, c, *q.QueueUrl, 1); got["new"] != 1 || len(got) != 1 {
		t.Fatalf("after the sweep: %v", got)
	}
}

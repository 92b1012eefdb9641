package conformance_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
)

// fanoutSetup creates a topic with n raw queue subscriptions.
func fanoutSetup(t *testing.T, url, name string, n int) (string, []string) {
	t.Helper()
	sn, sq := abanicotest.SNS(url), abanicotest.SQS(url)
	ctx := context.Background()
	tp, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for i := 0; i < n; i++ {
		q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("%s-%d", name, i))})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
		if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(a.Attributes["QueueArn"]),
			Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, *q.QueueUrl)
	}
	return *tp.TopicArn, urls
}

// TestSNSRestartMidFanout stops the server right after a burst of
// publishes, while the fanout is still running, and checks after a restart
// that every queue got every message exactly once.
func TestSNSRestartMidFanout(t *testing.T) {
	dir := t.TempDir()
	s1 := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.DataDir = dir })
	topicArn, urls := fanoutSetup(t, s1.URL(), "midfanout", 4)
	sn := abanicotest.SNS(s1.URL())
	const n = 400
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if _, err := sn.Publish(context.Background(), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String(fmt.Sprint("m", i))}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s1.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	s2 := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.DataDir = dir })
	c := abanicotest.SQS(s2.URL())
	for _, u := range urls {
		u = s2.URL() + u[len(s1.URL()):]
		got := map[string]int{}
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < n && time.Now().Before(deadline) {
			for k, v := range drain(t, c, u, 1) {
				got[k] += v
			}
		}
		for i := 0; i < n; i++ {
			if got[fmt.Sprint("m", i)] != 1 {
				t.Fatalf("%s: m%d delivered %d times (%d distinct of %d)", u, i, got[fmt.Sprint("m", i)], len(got), n)
			}
		}
	}
}

// TestSNSCrashDuringPublish kills abanico serve with SIGKILL during a
// publish load; after a restart every Publish that returned a MessageId is
// in every subscribed queue, exactly once.
func TestSNSCrashDuringPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := abanicotest.BuildBinary(t, "")
	dir := t.TempDir()
	addr := abanicotest.FreeAddr(t)
	child := startChild(t, bin, addr, dir, "strict")
	defer func() { _ = child.Process.Kill(); _, _ = child.Process.Wait() }()
	url := "http://" + addr
	topicArn, urls := fanoutSetup(t, url, "crashfanout", 3)
	sn := abanicotest.SNS(url)
	acked := loadUntilKill(t, child, func(ctx context.Context, w, i int) ([]string, error) {
		body := fmt.Sprintf("w%d-%d", w, i)
		if _, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: &topicArn, Message: &body}); err != nil {
			return nil, err
		}
		return []string{body}, nil
	})
	child2 := startChild(t, bin, addr, dir, "strict")
	defer func() { _ = child2.Process.Kill(); _, _ = child2.Process.Wait() }()
	c := abanicotest.SQS(url)
	for _, u := range urls {
		got := map[string]int{}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			batch := drain(t, c, u, 2)
			if len(batch) == 0 && len(got) >= len(acked) {
				break
			}
			for k, v := range batch {
				got[k] += v
			}
		}
		lost, dup := 0, 0
		for b := range acked {
			if got[b] == 0 {
				lost++
			}
		}
		for _, v := range got {
			if v > 1 {
				dup++
			}
		}
		t.Logf("%s: %d publishes acknowledged before SIGKILL, %d delivered, %d lost, %d duplicated", u, len(acked), len(got), lost, dup)
		if lost > 0 || dup > 0 {
			t.Fatalf("%d acknowledged publishes lost, %d duplicated", lost, dup)
		}
	}
}

package abanico_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
)

func start(t *testing.T) (*abanico.Client, context.Context) {
	t.Helper()
	srv := abanicotest.Start(t, abanicotest.Embedded)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	// A trailing slash on the endpoint is accepted.
	return abanico.NewClient(srv.URL() + "/"), ctx
}

func apiError(t *testing.T, err error) *abanico.Error {
	t.Helper()
	var e *abanico.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *abanico.Error", err, err)
	}
	return e
}

func TestClient(t *testing.T) {
	c, ctx := start(t)

	t.Run("topics", func(t *testing.T) {
		tp, err := c.CreateTopic(ctx, abanico.CreateTopicInput{Name: "crud", Attributes: map[string]string{"DisplayName": "One"}, Tags: map[string]string{"team": "a"}})
		if err != nil {
			t.Fatal(err)
		}
		if tp.Name != "crud" || !strings.HasSuffix(tp.ARN, ":crud") || tp.Attributes["DisplayName"] != "One" || tp.Tags["team"] != "a" {
			t.Fatalf("created %+v", tp)
		}
		if tp, err = c.UpdateTopic(ctx, "crud", map[string]string{"DisplayName": "Two"}); err != nil || tp.Attributes["DisplayName"] != "Two" {
			t.Fatalf("update: %+v, %v", tp, err)
		}
		if tp, err = c.GetTopic(ctx, "crud"); err != nil || tp.Attributes["DisplayName"] != "Two" {
			t.Fatalf("get: %+v, %v", tp, err)
		}
		list, err := c.ListTopics(ctx)
		if err != nil || !hasTopic(list, "crud") {
			t.Fatalf("list: %+v, %v", list, err)
		}
		if err := c.DeleteTopic(ctx, "crud"); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetTopic(ctx, "crud")
		if !abanico.IsNotFound(err) {
			t.Fatalf("get deleted topic: %v", err)
		}
		if e := apiError(t, err); e.Status != http.StatusNotFound {
			t.Fatalf("status %d", e.Status)
		}
		if err := c.DeleteTopic(ctx, "crud"); err != nil {
			t.Fatalf("deleting a missing topic: %v", err)
		}
	})

	t.Run("fanout", func(t *testing.T) {
		if _, err := c.CreateTopic(ctx, abanico.CreateTopicInput{Name: "orders"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "red-orders"}); err != nil {
			t.Fatal(err)
		}
		sub, err := c.Subscribe(ctx, "orders", abanico.SubscribeInput{
			Protocol: abanico.ProtocolQueue, Endpoint: "red-orders", Raw: true,
			FilterPolicy: json.RawMessage(`{"color": ["red"]}`), FilterScope: "attributes",
		})
		if err != nil {
			t.Fatal(err)
		}
		if sub.Protocol != "queue" || sub.Endpoint != "red-orders" || sub.Topic != "orders" || sub.Pending ||
			sub.Attributes["FilterPolicy"] != `{"color":["red"]}` || sub.Attributes["RawMessageDelivery"] != "true" {
			t.Fatalf("subscription %+v", sub)
		}
		// The ARN holds ':' and is escaped as one path segment.
		got, err := c.GetSubscription(ctx, sub.ARN)
		if err != nil || got.ARN != sub.ARN || got.Topic != "orders" {
			t.Fatalf("get subscription: %+v, %v", got, err)
		}
		for _, topic := range []string{"orders", ""} {
			subs, err := c.ListSubscriptions(ctx, topic)
			if err != nil || len(subs) != 1 || subs[0].ARN != sub.ARN {
				t.Fatalf("list subscriptions of %q: %+v, %v", topic, subs, err)
			}
		}
		if _, err := c.ListSubscriptions(ctx, "no-such-topic"); !abanico.IsNotFound(err) {
			t.Fatalf("subscriptions of a missing topic: %v", err)
		}

		st, err := c.SubscriptionAttempts(ctx, sub.ARN)
		if err != nil || st.Breaker != nil || st.Counters.Delivered != 0 || st.Attempts == nil || len(st.Attempts) != 0 {
			t.Fatalf("attempts of a new queue subscription: %+v, %v", st, err)
		}
		_, err = c.SubscriptionAttempts(ctx, sub.ARN+"-gone")
		if !abanico.IsNotFound(err) {
			t.Fatalf("attempts of a missing subscription: %v", err)
		}

		blue := map[string]abanico.MessageAttribute{"color": {Type: "String", Value: "blue"}}
		red := map[string]abanico.MessageAttribute{"color": {Type: "String", Value: "red"}}
		if _, err := c.Publish(ctx, "orders", abanico.TopicMessage{Message: "blue one", Attributes: blue}); err != nil {
			t.Fatal(err)
		}
		id, err := c.Publish(ctx, "orders", abanico.TopicMessage{Message: "red one", Attributes: red})
		if err != nil || id == "" {
			t.Fatalf("publish: %q, %v", id, err)
		}
		msgs := receiveN(t, c, ctx, "red-orders", 1)
		if msgs[0].Body != "red one" {
			t.Fatalf("raw delivery of the filtered message: %+v", msgs[0])
		}

		res, err := c.PublishBatch(ctx, "orders", []abanico.TopicMessage{
			{ID: "a", Message: "batch red", Attributes: red},
			{ID: "b", Message: ""},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].ID != "a" || res[0].MessageID == "" || res[0].Error != nil {
			t.Fatalf("batch results %+v", res)
		}
		if e := res[1].Error; res[1].ID != "b" || res[1].MessageID != "" || e == nil || e.Code != abanico.CodeInvalidParameter || e.Field != "messages[1].message" {
			t.Fatalf("bad entry %+v (error %+v)", res[1], res[1].Error)
		}
		msgs = receiveN(t, c, ctx, "red-orders", 1)
		if msgs[0].Body != "batch red" {
			t.Fatalf("batch message %+v", msgs[0])
		}

		// Update: omitted fields stay, removals remove, a rejected update
		// changes nothing.
		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "red-dlq"}); err != nil {
			t.Fatal(err)
		}
		raw, dlq := false, "red-dlq"
		up, err := c.UpdateSubscription(ctx, sub.ARN, abanico.UpdateSubscriptionInput{Raw: &raw, DeadLetterQueue: &dlq})
		if err != nil || up.Attributes["RawMessageDelivery"] != "false" || !strings.Contains(up.Attributes["RedrivePolicy"], ":red-dlq") ||
			up.Attributes["FilterPolicy"] != `{"color":["red"]}` {
			t.Fatalf("update: %+v, %v", up, err)
		}
		_, err = c.UpdateSubscription(ctx, sub.ARN, abanico.UpdateSubscriptionInput{Raw: new(true), FilterScope: "everywhere"})
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "filterScope" {
			t.Fatalf("bad scope: %+v", e)
		}
		noDLQ := ""
		if up, err = c.UpdateSubscription(ctx, sub.ARN, abanico.UpdateSubscriptionInput{FilterPolicy: json.RawMessage("null"), DeadLetterQueue: &noDLQ}); err != nil {
			t.Fatal(err)
		}
		if _, ok := up.Attributes["FilterPolicy"]; ok || up.Attributes["RedrivePolicy"] != "" || up.Attributes["RawMessageDelivery"] != "false" {
			t.Fatalf("after removals: %v", up.Attributes)
		}
		if _, err := c.UpdateSubscription(ctx, sub.ARN+"-gone", abanico.UpdateSubscriptionInput{}); !abanico.IsNotFound(err) {
			t.Fatalf("update of a missing subscription: %v", err)
		}

		if err := c.Unsubscribe(ctx, sub.ARN); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetSubscription(ctx, sub.ARN); !abanico.IsNotFound(err) {
			t.Fatalf("get after unsubscribe: %v", err)
		}
		if err := c.Unsubscribe(ctx, sub.ARN); err != nil {
			t.Fatalf("unsubscribing twice: %v", err)
		}
	})

	t.Run("queues", func(t *testing.T) {
		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "jobs-dlq"}); err != nil {
			t.Fatal(err)
		}
		q, err := c.CreateQueue(ctx, abanico.CreateQueueInput{
			Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "30"}, Tags: map[string]string{"env": "test"},
			DeadLetterQueue: &abanico.DeadLetter{Name: "jobs-dlq", MaxReceiveCount: 3},
		})
		if err != nil {
			t.Fatal(err)
		}
		if q.Name != "jobs" || !strings.HasSuffix(q.ARN, ":jobs") || q.Tags["env"] != "test" ||
			!strings.Contains(q.Attributes["RedrivePolicy"], "jobs-dlq") || !strings.Contains(q.Attributes["RedrivePolicy"], "3") {
			t.Fatalf("created %+v", q)
		}
		if q, err = c.UpdateQueue(ctx, "jobs", map[string]string{"VisibilityTimeout": "45"}); err != nil || q.Attributes["VisibilityTimeout"] != "45" {
			t.Fatalf("update: %+v, %v", q, err)
		}
		if q, err = c.GetQueue(ctx, "jobs"); err != nil || q.Attributes["VisibilityTimeout"] != "45" {
			t.Fatalf("get: %+v, %v", q, err)
		}
		list, err := c.ListQueues(ctx, "jobs")
		if err != nil || len(list) != 2 {
			t.Fatalf("list jobs*: %+v, %v", list, err)
		}
		if list, err = c.ListQueues(ctx, "jobs-"); err != nil || len(list) != 1 || list[0].Name != "jobs-dlq" {
			t.Fatalf("list jobs-*: %+v, %v", list, err)
		}

		sr, err := c.SendMessage(ctx, "jobs", abanico.QueueMessage{Body: "one", Attributes: map[string]abanico.MessageAttribute{
			"bin": {Type: "Binary", Value: "AAEC"}, "n": {Type: "Number", Value: "7"},
		}})
		if err != nil || sr.MessageID == "" || sr.MD5OfBody == "" {
			t.Fatalf("send: %+v, %v", sr, err)
		}
		vis := time.Duration(0)
		msgs, err := c.ReceiveMessages(ctx, "jobs", abanico.ReceiveInput{Max: 10, Wait: 2 * time.Second, Visibility: &vis})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("receive: %+v, %v", msgs, err)
		}
		m := msgs[0]
		if m.MessageID != sr.MessageID || m.Body != "one" || m.ReceiveCount != 1 || m.SentAt == "" ||
			m.Attributes["bin"] != (abanico.MessageAttribute{Type: "Binary", Value: "AAEC"}) || m.Attributes["n"].Value != "7" {
			t.Fatalf("received %+v", m)
		}
		// Visibility 0 left it visible: it is received again, with a new
		// handle.
		m = receiveN(t, c, ctx, "jobs", 1)[0]
		if m.ReceiveCount != 2 {
			t.Fatalf("second receive %+v", m)
		}
		if err := c.ChangeVisibility(ctx, "jobs", m.ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
		m = receiveN(t, c, ctx, "jobs", 1)[0]
		if err := c.ChangeVisibility(ctx, "jobs", m.ReceiptHandle, time.Minute); err != nil {
			t.Fatal(err)
		}
		if msgs, err := c.ReceiveMessages(ctx, "jobs", abanico.ReceiveInput{}); err != nil || len(msgs) != 0 {
			t.Fatalf("receive of an invisible message: %+v, %v", msgs, err)
		}
		if err := c.DeleteMessage(ctx, "jobs", m.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		err = c.DeleteMessage(ctx, "jobs", "not-a-handle")
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "receiptHandle" {
			t.Fatalf("delete with a bad handle: %+v", e)
		}

		// Peek: the deleted message is gone; a new one is visible, and
		// stays unreceived.
		if _, err := c.SendMessage(ctx, "jobs", abanico.QueueMessage{Body: "peeked"}); err != nil {
			t.Fatal(err)
		}
		peek, err := c.PeekMessages(ctx, "jobs", 0)
		if err != nil || len(peek) != 1 || peek[0].Body != "peeked" || peek[0].State != abanico.StateVisible || peek[0].ReceiveCount != 0 {
			t.Fatalf("peek: %+v, %v", peek, err)
		}
		got1 := receiveN(t, c, ctx, "jobs", 1)
		if got1[0].Body != "peeked" || got1[0].ReceiveCount != 1 {
			t.Fatalf("receive after peek: %+v", got1[0])
		}
		if peek, err = c.PeekMessages(ctx, "jobs", 5); err != nil || len(peek) != 1 || peek[0].State != abanico.StateInFlight || peek[0].ReceiveCount != 1 {
			t.Fatalf("peek in flight: %+v, %v", peek, err)
		}
		if err := c.DeleteMessage(ctx, "jobs", got1[0].ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		_, err = c.PeekMessages(ctx, "jobs", 500)
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "max" {
			t.Fatalf("peek 500: %+v", e)
		}
		if _, err := c.PeekMessages(ctx, "missing", 1); !abanico.IsNotFound(err) {
			t.Fatalf("peek into a missing queue: %v", err)
		}

		res, err := c.SendMessageBatch(ctx, "jobs", []abanico.QueueMessage{{ID: "1", Body: "x"}, {ID: "2", Body: "y"}})
		if err != nil || len(res) != 2 || res[0].Error != nil || res[1].Error != nil || res[0].MD5OfBody == "" {
			t.Fatalf("send batch: %+v, %v", res, err)
		}
		got, err := c.ReceiveMessages(ctx, "jobs", abanico.ReceiveInput{Max: 10, Delete: true})
		if err != nil || len(got) == 0 {
			t.Fatalf("receive with delete: %+v, %v", got, err)
		}
		if _, err := c.SendMessage(ctx, "jobs", abanico.QueueMessage{Body: "z"}); err != nil {
			t.Fatal(err)
		}
		if err := c.PurgeQueue(ctx, "jobs"); err != nil {
			t.Fatal(err)
		}
		if msgs, err := c.ReceiveMessages(ctx, "jobs", abanico.ReceiveInput{Max: 10}); err != nil || len(msgs) != 0 {
			t.Fatalf("receive after purge: %+v, %v", msgs, err)
		}

		if err := c.DeleteQueue(ctx, "jobs"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetQueue(ctx, "jobs"); !abanico.IsNotFound(err) {
			t.Fatalf("get deleted queue: %v", err)
		}
	})

	t.Run("redrive", func(t *testing.T) {
		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "rd-dlq"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "rd", DeadLetterQueue: &abanico.DeadLetter{Name: "rd-dlq", MaxReceiveCount: 1}}); err != nil {
			t.Fatal(err)
		}
		fill := func(n int) {
			t.Helper()
			for i := 0; i < n; i += 10 {
				var batch []abanico.QueueMessage
				for j := i; j < min(i+10, n); j++ {
					batch = append(batch, abanico.QueueMessage{ID: fmt.Sprint(j), Body: fmt.Sprint("dead ", j)})
				}
				if _, err := c.SendMessageBatch(ctx, "rd-dlq", batch); err != nil {
					t.Fatal(err)
				}
			}
		}

		// A paced move, waited for: progress is reported while it runs.
		fill(200)
		handle, err := c.StartRedrive(ctx, "rd-dlq", abanico.RedriveInput{Destination: "rd", MaxMessagesPerSecond: 200})
		if err != nil || handle == "" {
			t.Fatalf("start: %q, %v", handle, err)
		}
		var seen []int64
		task, err := c.WaitRedrive(ctx, "rd-dlq", handle, 100*time.Millisecond, func(t *abanico.RedriveTask) { seen = append(seen, t.MovedMessages) })
		if err != nil || task.Status != abanico.RedriveCompleted || task.MovedMessages != 200 || task.MessagesToMove != 200 ||
			task.TaskHandle != handle || task.Destination != "rd" || task.MaxMessagesPerSecond != 200 || !task.Done() {
			t.Fatalf("waited: %+v, %v", task, err)
		}
		if len(seen) < 3 || seen[0] >= 200 || seen[len(seen)-1] > 200 {
			t.Fatalf("progress %v", seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] < seen[i-1] {
				t.Fatalf("progress went back: %v", seen)
			}
		}
		if q, err := c.GetQueue(ctx, "rd"); err != nil || q.Attributes["ApproximateNumberOfMessages"] != "200" {
			t.Fatalf("destination after the move: %+v, %v", q, err)
		}
		tasks, err := c.RedriveTasks(ctx, "rd-dlq")
		if err != nil || len(tasks) != 1 || tasks[0].Status != abanico.RedriveCompleted || tasks[0].TaskHandle != "" || tasks[0].MovedMessages != 200 {
			t.Fatalf("tasks: %+v, %v", tasks, err)
		}
		if got, err := c.RedriveTask(ctx, "rd-dlq", handle); err != nil || got.TaskHandle != handle || got.Status != abanico.RedriveCompleted {
			t.Fatalf("task: %+v, %v", got, err)
		}
		_, err = c.CancelRedrive(ctx, "rd-dlq", handle)
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "taskHandle" {
			t.Fatalf("cancel of a completed task: %+v", e)
		}

		// Cancelled while running: the rest stays in the dead-letter queue.
		fill(100)
		handle, err = c.StartRedrive(ctx, "rd-dlq", abanico.RedriveInput{Destination: "rd", MaxMessagesPerSecond: 10})
		if err != nil {
			t.Fatal(err)
		}
		// Waiting ends with the context; the task goes on.
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		task, err = c.WaitRedrive(wctx, "rd-dlq", handle, 50*time.Millisecond, nil)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || task == nil || task.Status != abanico.RedriveRunning {
			t.Fatalf("wait cut short: %+v, %v", task, err)
		}
		if _, err := c.CancelRedrive(ctx, "rd-dlq", handle); err != nil {
			t.Fatal(err)
		}
		if task, err = c.WaitRedrive(ctx, "rd-dlq", handle, 50*time.Millisecond, nil); err != nil || task.Status != abanico.RedriveCancelled || task.MovedMessages >= 100 {
			t.Fatalf("cancelled: %+v, %v", task, err)
		}
		if q, err := c.GetQueue(ctx, "rd-dlq"); err != nil || q.Attributes["ApproximateNumberOfMessages"] != fmt.Sprint(100-task.MovedMessages) {
			t.Fatalf("dead-letter queue after the cancel (moved %d): %+v, %v", task.MovedMessages, q, err)
		}

		if _, err := c.RedriveTask(ctx, "rd-dlq", "no-such-task"); !abanico.IsNotFound(err) {
			t.Fatalf("unknown task: %v", err)
		}
		if _, err := c.RedriveTasks(ctx, "missing"); !abanico.IsNotFound(err) {
			t.Fatalf("tasks of a missing queue: %v", err)
		}
		_, err = c.Redrive(ctx, "rd", "")
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "name" {
			t.Fatalf("redrive of a queue that is no dead-letter queue: %+v", e)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.GetQueue(ctx, "missing")
		if !abanico.IsNotFound(err) || abanico.IsConflict(err) {
			t.Fatalf("missing queue: %v", err)
		}
		if e := apiError(t, err); e.Status != 404 || e.Code != abanico.CodeNotFound || e.Message == "" {
			t.Fatalf("missing queue: %+v", e)
		}
		if _, err := c.ReceiveMessages(ctx, "missing", abanico.ReceiveInput{}); !abanico.IsNotFound(err) {
			t.Fatalf("receive from a missing queue: %v", err)
		}

		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "dup", Attributes: map[string]string{"VisibilityTimeout": "10"}}); err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "dup", Attributes: map[string]string{"VisibilityTimeout": "20"}})
		if !abanico.IsConflict(err) {
			t.Fatalf("conflicting create: %v", err)
		}
		if e := apiError(t, err); e.Status != http.StatusConflict {
			t.Fatalf("conflict status %+v", e)
		}

		_, err = c.Subscribe(ctx, "dup-topic", abanico.SubscribeInput{Protocol: "smtp", Endpoint: "x"})
		if e := apiError(t, err); e.Status != http.StatusBadRequest || e.Code != abanico.CodeInvalidParameter || e.Field != "protocol" {
			t.Fatalf("bad protocol: %+v", e)
		}
		_, err = c.ReceiveMessages(ctx, "dup", abanico.ReceiveInput{Max: 11})
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "max" {
			t.Fatalf("max 11: %+v", e)
		}
		if !strings.Contains(err.Error(), "invalid_parameter") || !strings.Contains(err.Error(), "field max") {
			t.Fatalf("error text %q", err)
		}
	})

	t.Run("functions", func(t *testing.T) {
		fns, err := c.ListFunctions(ctx)
		if err != nil || fns == nil || len(fns) != 0 {
			t.Fatalf("list functions: %#v, %v", fns, err)
		}
		if _, err := c.FunctionLogs(ctx, "missing", 100); !abanico.IsNotFound(err) {
			t.Fatalf("logs of a missing function: %v", err)
		}
		if _, err := c.GetFunction(ctx, "missing"); !abanico.IsNotFound(err) {
			t.Fatalf("get missing function: %v", err)
		}
		if _, err := c.Invoke(ctx, "missing", []byte(`{}`), abanico.InvokeRequestResponse); !abanico.IsNotFound(err) {
			t.Fatalf("invoke missing function: %v", err)
		}
	})

	t.Run("function lifecycle", func(t *testing.T) {
		zip1, err := abanico.BootstrapZip(abanicotest.BashRuntime("hello"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := abanico.BootstrapZip(abanicotest.BashRuntime("hello"))
		if err != nil || !bytes.Equal(zip1, again) {
			t.Fatalf("BootstrapZip is not deterministic (%v)", err)
		}
		f, err := c.CreateFunction(ctx, abanico.CreateFunctionInput{
			Name: "greeter", Timeout: 5, Environment: map[string]string{"GREETING": "hola"}, ReservedConcurrency: new(3), Zip: zip1,
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(zip1)
		if f.CodeSha256 != base64.StdEncoding.EncodeToString(sum[:]) || f.Runtime != "provided.al2023" || f.Handler != "bootstrap" ||
			f.Timeout != 5 || f.Environment["GREETING"] != "hola" || f.ReservedConcurrency == nil || *f.ReservedConcurrency != 3 {
			t.Fatalf("created %+v", f)
		}
		res, err := c.Invoke(ctx, "greeter", []byte(`{"n":1}`), "")
		if err != nil || res.StatusCode != 200 || string(res.Payload) != `{"greeting":"hola","event":{"n":1}}` || res.RequestID == "" {
			t.Fatalf("invoke: %+v, %v", res, err)
		}
		if _, err := c.CreateFunction(ctx, abanico.CreateFunctionInput{Name: "greeter", Zip: zip1}); !abanico.IsConflict(err) {
			t.Fatalf("second create: %v", err)
		}

		zip2, err := abanico.BootstrapZip(abanicotest.BashRuntime("ciao"))
		if err != nil {
			t.Fatal(err)
		}
		if f, err = c.UpdateFunctionCode(ctx, "greeter", zip2); err != nil || f.CodeSize != int64(len(zip2)) {
			t.Fatalf("update code: %+v, %v", f, err)
		}
		if f, err = c.UpdateFunction(ctx, "greeter", abanico.UpdateFunctionInput{MemorySize: new(512), RemoveReservedConcurrency: true}); err != nil ||
			f.MemorySize != 512 || f.ReservedConcurrency != nil || f.Environment["GREETING"] != "hola" || f.Timeout != 5 {
			t.Fatalf("update: %+v, %v", f, err)
		}
		// Without GREETING, the new code's own greeting shows.
		if f, err = c.UpdateFunction(ctx, "greeter", abanico.UpdateFunctionInput{Environment: map[string]string{}}); err != nil || len(f.Environment) != 0 {
			t.Fatalf("remove environment: %+v, %v", f, err)
		}
		res, err = c.Invoke(ctx, "greeter", []byte(`{"n":2}`), "")
		if err != nil || string(res.Payload) != `{"greeting":"ciao","event":{"n":2}}` {
			t.Fatalf("invoke new code: %+v, %v", res, err)
		}
		_, err = c.UpdateFunction(ctx, "greeter", abanico.UpdateFunctionInput{Timeout: new(0)})
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "timeout" {
			t.Fatalf("timeout 0: %+v", e)
		}
		_, err = c.CreateFunction(ctx, abanico.CreateFunctionInput{Name: "empty"})
		if e := apiError(t, err); e.Code != abanico.CodeInvalidParameter || e.Field != "code" {
			t.Fatalf("no code: %+v", e)
		}
		if _, err := c.UpdateFunctionCode(ctx, "missing", zip1); !abanico.IsNotFound(err) {
			t.Fatalf("update code of a missing function: %v", err)
		}
		if err := c.DeleteFunction(ctx, "greeter"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("status", func(t *testing.T) {
		if _, err := c.CreateTopic(ctx, abanico.CreateTopicInput{Name: "status"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "status-q"}); err != nil {
			t.Fatal(err)
		}
		sub, err := c.Subscribe(ctx, "status", abanico.SubscribeInput{Protocol: abanico.ProtocolQueue, Endpoint: "status-q"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Publish(ctx, "status", abanico.TopicMessage{Message: "waiting"}); err != nil {
			t.Fatal(err)
		}
		var st *abanico.Status
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if st, err = c.Status(ctx); err != nil {
				t.Fatal(err)
			}
			if len(st.Busiest) > 0 {
				break
			}
		}
		if st.Version != "dev" || st.Engine.Mode != "embedded" || st.Engine.Durability != "strict" || st.Engine.Replicas != 1 ||
			st.Counts.Topics < 1 || st.Counts.Queues < 1 || st.Counts.Subscriptions < 1 {
			t.Fatalf("status %+v", st)
		}
		want := abanico.BusySubscription{ARN: sub.ARN, Topic: "status", Protocol: "queue", Endpoint: "status-q", Backlog: 1}
		if len(st.Busiest) != 1 || st.Busiest[0] != want {
			t.Fatalf("busiest %+v, want %+v", st.Busiest, want)
		}
	})

	t.Run("openapi", func(t *testing.T) {
		doc, err := c.OpenAPI(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatalf("document is not JSON: %v", err)
		}
		if _, ok := v["openapi"]; !ok {
			t.Fatalf("no openapi key in %.200s", doc)
		}
	})
}

func hasTopic(list []abanico.Topic, name string) bool {
	for _, t := range list {
		if t.Name == name {
			return true
		}
	}
	return false
}

// receiveN long-polls until n messages arrived.
func receiveN(t *testing.T, c *abanico.Client, ctx context.Context, queue string, n int) []abanico.ReceivedMessage {
	t.Helper()
	var out []abanico.ReceivedMessage
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		msgs, err := c.ReceiveMessages(ctx, queue, abanico.ReceiveInput{Max: n - len(out), Wait: time.Second})
		if err != nil {
			t.Fatalf("receive from %s: %v", queue, err)
		}
		out = append(out, msgs...)
	}
	if len(out) != n {
		t.Fatalf("received %d of %d messages from %s", len(out), n, queue)
	}
	return out
}

// TestErrorDecoding checks answers that are not the API's error JSON, and
// path escaping, against a stub server.
func TestErrorDecoding(t *testing.T) {
	var gotPath string
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.EscapedPath()
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/queues/"):
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"throttled","message":"slow down"}}`))
		}
	}))
	defer stub.Close()
	c := abanico.NewClient(stub.URL, abanico.WithHTTPClient(&http.Client{Timeout: time.Second}))
	ctx := context.Background()

	err := c.DeleteMessage(ctx, "q", "a/b+c=d:e")
	e := apiError(t, err)
	if e.Status != http.StatusBadGateway || e.Code != abanico.CodeInternal || !strings.Contains(e.Message, "bad gateway") {
		t.Fatalf("non-JSON error: %+v", e)
	}
	if gotPath != "/v1/queues/q/messages/a%2Fb+c=d:e" {
		t.Fatalf("escaped path %q", gotPath)
	}

	_, err = c.GetSubscription(ctx, "arn:aws:sns:us-east-1:000000000000:t:id/x")
	e = apiError(t, err)
	if e.Status != http.StatusTooManyRequests || e.Code != abanico.CodeThrottled || e.Message != "slow down" {
		t.Fatalf("throttled: %+v", e)
	}
	if gotPath != "/v1/subscriptions/arn:aws:sns:us-east-1:000000000000:t:id%2Fx" {
		t.Fatalf("escaped path %q", gotPath)
	}
}

// TestLongPollOutlastsClientTimeout checks that a long poll is not cut
// short by an HTTP client timeout shorter than its wait.
func TestLongPollOutlastsClientTimeout(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	c := abanico.NewClient(srv.URL(), abanico.WithHTTPClient(&http.Client{Timeout: 500 * time.Millisecond}))
	ctx := context.Background()
	if _, err := c.CreateQueue(ctx, abanico.CreateQueueInput{Name: "slow"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	msgs, err := c.ReceiveMessages(ctx, "slow", abanico.ReceiveInput{Wait: 1500 * time.Millisecond})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("receive: %+v, %v", msgs, err)
	}
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Fatalf("long poll of 2s returned after %v", d)
	}
}

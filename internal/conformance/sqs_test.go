package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
)

// clock is an injectable clock that follows real time plus an offset.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

type env struct {
	srv   *server.Server
	c     *sqs.Client
	clock *clock
}

func TestSQSConformance(t *testing.T) {
	for _, topo := range abanicotest.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			clk := &clock{}
			srv := abanicotest.Start(t, topo, func(c *server.Config) { c.Now = clk.Now })
			e := &env{srv: srv, c: abanicotest.SQS(srv.URL()), clock: clk}
			for _, tc := range sqsCases {
				t.Run(tc.name, func(t *testing.T) {
					if !tc.serial {
						t.Parallel()
					}
					tc.fn(t, e)
				})
			}
		})
	}
}

type sqsCase struct {
	name   string
	fn     func(t *testing.T, e *env)
	serial bool // uses the shared clock
}

var sqsCases = []sqsCase{
	{name: "CreateQueueIdempotent", fn: testCreateQueueIdempotent},
	{name: "QueueLifecycle", fn: testQueueLifecycle},
	{name: "ListQueuesPaging", fn: testListQueuesPaging},
	{name: "SendReceiveDeleteWithAttributes", fn: testSendReceiveDelete},
	{name: "VisibilityTimeout", fn: testVisibilityTimeout},
	{name: "ChangeMessageVisibility", fn: testChangeMessageVisibility},
	{name: "LongPollReturnsOnArrival", fn: testLongPoll},
	{name: "DelaySeconds", fn: testDelay},
	{name: "RedriveToDeadLetterQueue", fn: testRedrive},
	{name: "MessageMoveTask", fn: testMoveTask},
	{name: "Batches", fn: testBatches},
	{name: "PurgeQueue", fn: testPurge},
	{name: "TagsAndPermissions", fn: testTagsAndPermissions},
	{name: "AttributeValidation", fn: testAttributeValidation},
	{name: "BadInputChangesNothing", fn: testBadInput},
	{name: "Counts", fn: testCounts},
	{name: "RetentionExpiresMessages", fn: testRetention, serial: true},
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func qname(t *testing.T) string {
	n := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	if len(n) > 70 {
		n = n[len(n)-70:]
	}
	return strings.Trim(n, "-") + "-" + strconv.Itoa(int(time.Now().UnixNano()%100000))
}

func create(t *testing.T, e *env, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.c.CreateQueue(ctxT(t), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return *out.QueueUrl
}

func arnOf(t *testing.T, e *env, url string) string {
	t.Helper()
	out, err := e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

func send(t *testing.T, e *env, url, body string) string {
	t.Helper()
	out, err := e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return *out.MessageId
}

func receive(t *testing.T, e *env, url string, max int32, wait int32, vt *int32) []types.Message {
	t.Helper()
	out, err := e.c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{
		QueueUrl: &url, MaxNumberOfMessages: max, WaitTimeSeconds: wait, VisibilityTimeout: ptrOr(vt),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func ptrOr(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func i32(v int32) *int32 { return &v }

// errCode returns the AWS error code of err ("" if none).
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got success", code)
	}
	if got := errCode(err); got != code {
		t.Fatalf("want error code %s, got %s (%v)", code, got, err)
	}
}

func testCreateQueueIdempotent(t *testing.T, e *env) {
	name := qname(t)
	u1 := create(t, e, name, map[string]string{"VisibilityTimeout": "45"})
	u2 := create(t, e, name, map[string]string{"VisibilityTimeout": "45"})
	if u1 != u2 {
		t.Fatalf("urls differ: %s vs %s", u1, u2)
	}
	if !strings.HasSuffix(u1, "/000000000000/"+name) || !strings.HasPrefix(u1, e.srv.URL()) {
		t.Fatalf("queue url %s not built from the request host %s", u1, e.srv.URL())
	}
	_, err := e.c.CreateQueue(ctxT(t), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("want QueueNameExists, got %v", err)
	}
	_, err = e.c.CreateQueue(ctxT(t), &sqs.CreateQueueInput{QueueName: aws.String("bad name!")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.CreateQueue(ctxT(t), &sqs.CreateQueueInput{QueueName: aws.String("q.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	if err == nil {
		t.Fatal("FIFO queue creation must fail with a clear error until FIFO is supported")
	}
}

func testQueueLifecycle(t *testing.T, e *env) {
	name := qname(t)
	url := create(t, e, name, nil)
	got, err := e.c.GetQueueUrl(ctxT(t), &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("get queue url: %v %v", got, err)
	}
	send(t, e, url, "x")
	if _, err := e.c.DeleteQueue(ctxT(t), &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetQueueUrl(ctxT(t), &sqs.GetQueueUrlInput{QueueName: &name})
	var nq *types.QueueDoesNotExist
	if !errors.As(err, &nq) {
		t.Fatalf("want QueueDoesNotExist, got %v", err)
	}
	_, err = e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
	if !errors.As(err, &nq) {
		t.Fatalf("send to deleted queue: want QueueDoesNotExist, got %v", err)
	}
	// A queue created again under the same name starts empty.
	url = create(t, e, name, nil)
	if msgs := receive(t, e, url, 10, 0, nil); len(msgs) != 0 {
		t.Fatalf("recreated queue has %d old messages", len(msgs))
	}
}

func testListQueuesPaging(t *testing.T, e *env) {
	prefix := qname(t)
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, create(t, e, fmt.Sprintf("%s-%d", prefix, i), nil))
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := e.c.ListQueues(ctxT(t), &sqs.ListQueuesInput{QueueNamePrefix: &prefix, MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.QueueUrls) > 2 {
			t.Fatalf("page of %d > MaxResults 2", len(out.QueueUrls))
		}
		got = append(got, out.QueueUrls...)
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}
}

func testSendReceiveDelete(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	body := "héllo <world> & \"friends\" 🎉"
	out, err := e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{
		QueueUrl: &url, MessageBody: &body,
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s":   {DataType: aws.String("String"), StringValue: aws.String("v1")},
			"n":   {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
			"b":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
			"x.y": {DataType: aws.String("String.custom"), StringValue: aws.String("z")},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		},
	})
	if err != nil {
		t.Fatalf("send (the SDK verifies the MD5s): %v", err)
	}
	if out.MD5OfMessageSystemAttributes == nil {
		t.Fatal("no MD5OfMessageSystemAttributes")
	}
	before := time.Now().UnixMilli()
	msgs := receive(t, e, url, 10, 5, nil)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	m := msgs[0]
	if *m.Body != body || *m.MessageId != *out.MessageId {
		t.Fatalf("got %q %s", *m.Body, *m.MessageId)
	}
	if len(m.MessageAttributes) != 4 || *m.MessageAttributes["n"].StringValue != "42" || string(m.MessageAttributes["b"].BinaryValue) != string([]byte{0, 1, 2, 255}) {
		t.Fatalf("attributes %v", m.MessageAttributes)
	}
	a := m.Attributes
	if a["ApproximateReceiveCount"] != "1" || a["SenderId"] != "AKIDTEST" || a["AWSTraceHeader"] == "" {
		t.Fatalf("system attributes %v", a)
	}
	sent, _ := strconv.ParseInt(a["SentTimestamp"], 10, 64)
	first, _ := strconv.ParseInt(a["ApproximateFirstReceiveTimestamp"], 10, 64)
	if sent == 0 || first < sent || sent > before+1000 {
		t.Fatalf("timestamps sent=%d first=%d", sent, first)
	}
	// Attribute selection by prefix.
	if _, err := e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	r, err := e.c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 5, MessageAttributeNames: []string{"x.*"}})
	if err != nil || len(r.Messages) != 1 {
		t.Fatalf("receive again: %v %v", r, err)
	}
	if len(r.Messages[0].MessageAttributes) != 1 || r.Messages[0].MessageAttributes["x.y"].StringValue == nil {
		t.Fatalf("prefix selection gave %v", r.Messages[0].MessageAttributes)
	}
	if r.Messages[0].Attributes != nil {
		t.Fatalf("no system attributes were asked for, got %v", r.Messages[0].Attributes)
	}
	if _, err := e.c.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// Deleting again succeeds, as on SQS.
	if _, err := e.c.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	_, err = e.c.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	var bad *types.ReceiptHandleIsInvalid
	if !errors.As(err, &bad) {
		t.Fatalf("want ReceiptHandleIsInvalid, got %v", err)
	}
	e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: r.Messages[0].ReceiptHandle, VisibilityTimeout: 0})
	if msgs := receive(t, e, url, 10, 1, nil); len(msgs) != 0 {
		t.Fatalf("deleted message came back: %v", msgs)
	}
}

func testVisibilityTimeout(t *testing.T, e *env) {
	url := create(t, e, qname(t), map[string]string{"VisibilityTimeout": "1"})
	id := send(t, e, url, "v")
	m := receive(t, e, url, 1, 5, nil)
	if len(m) != 1 {
		t.Fatal("no message")
	}
	if again := receive(t, e, url, 1, 0, nil); len(again) != 0 {
		t.Fatal("message visible during its visibility timeout")
	}
	m2 := receive(t, e, url, 1, 10, nil)
	if len(m2) != 1 || *m2[0].MessageId != id || m2[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after timeout: %v", m2)
	}
	if *m2[0].ReceiptHandle == *m[0].ReceiptHandle {
		t.Fatal("a new receive must give a new receipt handle")
	}
	// Per-receive override: 3 s although the queue says 1 s.
	m3 := receive(t, e, url, 1, 10, i32(3))
	if len(m3) != 1 {
		t.Fatal("no message after second timeout")
	}
	start := time.Now()
	m4 := receive(t, e, url, 1, 10, nil)
	if len(m4) != 1 {
		t.Fatal("message did not come back after override")
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Fatalf("override of 3 s ignored: visible again after %v", time.Since(start))
	}
	// Raising the queue default applies to later receives.
	if _, err := e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"VisibilityTimeout": "30"}}); err != nil {
		t.Fatal(err)
	}
	e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m4[0].ReceiptHandle, VisibilityTimeout: 0})
	if len(receive(t, e, url, 1, 5, nil)) != 1 {
		t.Fatal("no message")
	}
	if len(receive(t, e, url, 1, 2, nil)) != 0 {
		t.Fatal("queue visibility timeout of 30 s not applied")
	}
}

func testChangeMessageVisibility(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	send(t, e, url, "c")
	m := receive(t, e, url, 1, 5, nil)
	if len(m) != 1 {
		t.Fatal("no message")
	}
	if _, err := e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	m2 := receive(t, e, url, 1, 5, nil)
	if len(m2) != 1 {
		t.Fatal("visibility 0 did not make the message visible")
	}
	if _, err := e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m2[0].ReceiptHandle, VisibilityTimeout: 2}); err != nil {
		t.Fatal(err)
	}
	if len(receive(t, e, url, 1, 1, nil)) != 0 {
		t.Fatal("visible before the changed timeout")
	}
	m3 := receive(t, e, url, 1, 10, nil)
	if len(m3) != 1 {
		t.Fatal("not visible after the changed timeout")
	}
	_, err := e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m3[0].ReceiptHandle, VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
	e.c.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m3[0].ReceiptHandle})
	_, err = e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m3[0].ReceiptHandle, VisibilityTimeout: 10})
	wantCode(t, err, "InvalidParameterValue")
}

func testLongPoll(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	go func() {
		time.Sleep(500 * time.Millisecond)
		e.c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("late")})
	}()
	start := time.Now()
	m := receive(t, e, url, 10, 15, nil)
	if len(m) != 1 || *m[0].Body != "late" {
		t.Fatalf("long poll got %v", m)
	}
	if time.Since(start) > 12*time.Second {
		t.Fatalf("long poll did not return on arrival (took %v)", time.Since(start))
	}
	// An empty long poll waits for its wait time.
	start = time.Now()
	if len(receive(t, e, url, 1, 1, nil)) != 0 {
		t.Fatal("unexpected message")
	}
	if time.Since(start) < 900*time.Millisecond {
		t.Fatalf("long poll of 1 s returned after %v", time.Since(start))
	}
	// The queue attribute sets the default wait.
	url2 := create(t, e, qname(t)+"-w", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
	start = time.Now()
	out, err := e.c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: &url2})
	if err != nil || len(out.Messages) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("queue default wait: %v %v after %v", out, err, time.Since(start))
	}
}

func testDelay(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	if _, err := e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("d"), DelaySeconds: 2}); err != nil {
		t.Fatal(err)
	}
	attrs, err := e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("delayed count: %v %v", attrs, err)
	}
	if len(receive(t, e, url, 1, 0, nil)) != 0 {
		t.Fatal("delayed message visible at once")
	}
	m := receive(t, e, url, 1, 10, nil)
	if len(m) != 1 || *m[0].Body != "d" {
		t.Fatal("delayed message never arrived")
	}
	// Queue-level delay.
	url2 := create(t, e, qname(t)+"-q", map[string]string{"DelaySeconds": "1"})
	send(t, e, url2, "qd")
	if len(receive(t, e, url2, 1, 0, nil)) != 0 {
		t.Fatal("queue delay ignored")
	}
	if len(receive(t, e, url2, 1, 10, nil)) != 1 {
		t.Fatal("queue-delayed message never arrived")
	}
	_, err = e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("d"), DelaySeconds: 901})
	wantCode(t, err, "InvalidParameterValue")
}

func testRedrive(t *testing.T, e *env) {
	name := qname(t)
	dlqURL := create(t, e, name+"-dlq", nil)
	dlqArn := arnOf(t, e, dlqURL)
	url := create(t, e, name, map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"2"}`, dlqArn),
	})
	id := send(t, e, url, "poison")
	for i := 0; i < 2; i++ {
		m := receive(t, e, url, 1, 5, nil)
		if len(m) != 1 {
			t.Fatalf("receive %d: no message", i+1)
		}
		e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m[0].ReceiptHandle, VisibilityTimeout: 0})
	}
	if m := receive(t, e, url, 1, 1, nil); len(m) != 0 {
		t.Fatalf("third receive got the message (count %s); it should have moved", m[0].Attributes["ApproximateReceiveCount"])
	}
	d := receive(t, e, dlqURL, 1, 5, nil)
	if len(d) != 1 || *d[0].MessageId != id || *d[0].Body != "poison" {
		t.Fatalf("dead-letter queue got %v", d)
	}
	if d[0].Attributes["DeadLetterQueueSourceArn"] != arnOf(t, e, url) {
		t.Fatalf("DeadLetterQueueSourceArn = %q", d[0].Attributes["DeadLetterQueueSourceArn"])
	}
	src, err := e.c.ListDeadLetterSourceQueues(ctxT(t), &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlqURL})
	if err != nil || len(src.QueueUrls) != 1 || src.QueueUrls[0] != url {
		t.Fatalf("dead-letter sources: %v %v", src, err)
	}
	// Policies that cannot work are refused and change nothing.
	_, err = e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":2}`}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":0}`, dlqArn)}})
	wantCode(t, err, "InvalidAttributeValue")
	// RedriveAllowPolicy denyAll on the DLQ refuses new sources.
	if _, err := e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &dlqURL, Attributes: map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CreateQueue(ctxT(t), &sqs.CreateQueueInput{QueueName: aws.String(name + "-other"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":3}`, dlqArn)}})
	wantCode(t, err, "InvalidParameterValue")
}

func testMoveTask(t *testing.T, e *env) {
	name := qname(t)
	dlqURL := create(t, e, name+"-dlq", nil)
	dlqArn := arnOf(t, e, dlqURL)
	url := create(t, e, name, map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":1}`, dlqArn)})
	for i := 0; i < 3; i++ {
		send(t, e, url, fmt.Sprintf("m%d", i))
	}
	for moved := 0; moved < 3; {
		for _, m := range receive(t, e, url, 10, 2, nil) {
			e.c.ChangeMessageVisibility(ctxT(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		a, _ := e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &dlqURL, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
		moved, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	}
	task, err := e.c.StartMessageMoveTask(ctxT(t), &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		l, err := e.c.ListMessageMoveTasks(ctxT(t), &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn})
		if err != nil || len(l.Results) != 1 {
			t.Fatalf("list tasks: %v %v", l, err)
		}
		if *l.Results[0].Status == "COMPLETED" {
			if l.Results[0].ApproximateNumberOfMessagesMoved != 3 {
				t.Fatalf("moved %d", l.Results[0].ApproximateNumberOfMessagesMoved)
			}
			break
		}
		if *l.Results[0].Status == "FAILED" || time.Now().After(deadline) {
			t.Fatalf("task state %s %v", *l.Results[0].Status, l.Results[0].FailureReason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := map[string]bool{}
	for len(got) < 3 {
		ms := receive(t, e, url, 10, 5, nil)
		if len(ms) == 0 {
			t.Fatalf("only %d messages back in the source", len(got))
		}
		for _, m := range ms {
			got[*m.Body] = true
			e.c.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
		}
	}
	_, err = e.c.CancelMessageMoveTask(ctxT(t), &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	if err == nil {
		t.Fatal("cancelling a completed task must fail")
	}
	_, err = e.c.StartMessageMoveTask(ctxT(t), &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnOf(t, e, url))})
	wantCode(t, err, "InvalidParameterValue")
}

func testBatches(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	out, err := e.c.SendMessageBatch(ctxT(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("1")},
		{Id: aws.String("b"), MessageBody: aws.String("2"), MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("Number"), StringValue: aws.String("7")}}},
		{Id: aws.String("bad"), MessageBody: aws.String("3"), MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("Number"), StringValue: aws.String("seven")}}},
		{Id: aws.String("late"), MessageBody: aws.String("4"), DelaySeconds: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 3 || len(out.Failed) != 1 || *out.Failed[0].Id != "bad" || !out.Failed[0].SenderFault || *out.Failed[0].Code != "InvalidParameterValue" {
		t.Fatalf("batch result %+v", out)
	}
	var handles []types.DeleteMessageBatchRequestEntry
	var vis []types.ChangeMessageVisibilityBatchRequestEntry
	for len(handles) < 3 {
		ms := receive(t, e, url, 10, 5, nil)
		if len(ms) == 0 {
			t.Fatalf("received %d of 3", len(handles))
		}
		for _, m := range ms {
			id := aws.String(fmt.Sprintf("e%d", len(handles)))
			handles = append(handles, types.DeleteMessageBatchRequestEntry{Id: id, ReceiptHandle: m.ReceiptHandle})
			vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: id, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
		}
	}
	cv, err := e.c.ChangeMessageVisibilityBatch(ctxT(t), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: append(vis,
		types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String("junk"), ReceiptHandle: aws.String("junk"), VisibilityTimeout: 5})})
	if err != nil || len(cv.Successful) != 3 || len(cv.Failed) != 1 || *cv.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("change visibility batch: %+v %v", cv, err)
	}
	del, err := e.c.DeleteMessageBatch(ctxT(t), &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: append(handles,
		types.DeleteMessageBatchRequestEntry{Id: aws.String("junk"), ReceiptHandle: aws.String("junk")})})
	if err != nil || len(del.Successful) != 3 || len(del.Failed) != 1 {
		t.Fatalf("delete batch: %+v %v", del, err)
	}
	var eleven []types.SendMessageBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String("x")})
	}
	_, err = e.c.SendMessageBatch(ctxT(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: eleven})
	var tooMany *types.TooManyEntriesInBatchRequest
	if !errors.As(err, &tooMany) {
		t.Fatalf("want TooManyEntriesInBatchRequest, got %v", err)
	}
	_, err = e.c.SendMessageBatch(ctxT(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("a"), MessageBody: aws.String("2")}}})
	var notDistinct *types.BatchEntryIdsNotDistinct
	if !errors.As(err, &notDistinct) {
		t.Fatalf("want BatchEntryIdsNotDistinct, got %v", err)
	}
	_, err = e.c.DeleteMessageBatch(ctxT(t), &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{}})
	var emptyBatch *types.EmptyBatchRequest
	if !errors.As(err, &emptyBatch) {
		t.Fatalf("want EmptyBatchRequest, got %v", err)
	}
	big := strings.Repeat("x", 200*1024)
	var huge []types.SendMessageBatchRequestEntry
	for i := 0; i < 6; i++ {
		huge = append(huge, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: &big})
	}
	_, err = e.c.SendMessageBatch(ctxT(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: huge})
	var tooLong *types.BatchRequestTooLong
	if !errors.As(err, &tooLong) {
		t.Fatalf("want BatchRequestTooLong, got %v", err)
	}
	if left := receive(t, e, url, 10, 0, nil); len(left) != 0 {
		t.Fatalf("rejected batches stored %d messages", len(left))
	}
}

func testPurge(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	for i := 0; i < 5; i++ {
		send(t, e, url, "p")
	}
	e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 1})
	receive(t, e, url, 1, 1, nil) // one in flight
	if _, err := e.c.PurgeQueue(ctxT(t), &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if m := receive(t, e, url, 10, 1, nil); len(m) != 0 {
		t.Fatalf("purged queue returned %d messages", len(m))
	}
	_, err := e.c.PurgeQueue(ctxT(t), &sqs.PurgeQueueInput{QueueUrl: &url})
	var inProgress *types.PurgeQueueInProgress
	if !errors.As(err, &inProgress) {
		t.Fatalf("want PurgeQueueInProgress, got %v", err)
	}
	send(t, e, url, "after")
	if m := receive(t, e, url, 10, 5, nil); len(m) != 1 {
		t.Fatal("messages sent after a purge are kept")
	}
}

func testTagsAndPermissions(t *testing.T, e *env) {
	name := qname(t)
	out, err := e.c.CreateQueue(ctxT(t), &sqs.CreateQueueInput{QueueName: &name, Tags: map[string]string{"team": "billing"}})
	if err != nil {
		t.Fatal(err)
	}
	url := *out.QueueUrl
	if _, err := e.c.TagQueue(ctxT(t), &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"env": "dev", "x": "y"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.UntagQueue(ctxT(t), &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.c.ListQueueTags(ctxT(t), &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || len(tags.Tags) != 2 || tags.Tags["team"] != "billing" || tags.Tags["env"] != "dev" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if _, err := e.c.AddPermission(ctxT(t), &sqs.AddPermissionInput{QueueUrl: &url, Label: aws.String("p1"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	a, err := e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if err != nil || !strings.Contains(a.Attributes["Policy"], `"Sid":"p1"`) || !strings.Contains(a.Attributes["Policy"], "SQS:SendMessage") {
		t.Fatalf("policy %v %v", a, err)
	}
	_, err = e.c.AddPermission(ctxT(t), &sqs.AddPermissionInput{QueueUrl: &url, Label: aws.String("p1"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := e.c.RemovePermission(ctxT(t), &sqs.RemovePermissionInput{QueueUrl: &url, Label: aws.String("p1")}); err != nil {
		t.Fatal(err)
	}
	a, _ = e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if a.Attributes["Policy"] != "" {
		t.Fatalf("policy after removal: %s", a.Attributes["Policy"])
	}
}

func testAttributeValidation(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	cases := map[string]string{
		"VisibilityTimeout": "43201", "DelaySeconds": "-1", "MaximumMessageSize": "1023",
		"MessageRetentionPeriod": "59", "ReceiveMessageWaitTimeSeconds": "21",
	}
	for k, v := range cases {
		_, err := e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{k: v}})
		wantCode(t, err, "InvalidAttributeValue")
	}
	_, err := e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Bogus": "1"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"QueueArn": "x"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Bogus"}})
	wantCode(t, err, "InvalidAttributeName")
	// A mixed request that fails changes nothing, not even its valid part.
	_, err = e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"DelaySeconds": "5", "VisibilityTimeout": "-3"}})
	wantCode(t, err, "InvalidAttributeValue")
	a, _ := e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if a.Attributes["DelaySeconds"] != "0" || a.Attributes["VisibilityTimeout"] != "30" {
		t.Fatalf("failed set changed attributes: %v", a.Attributes)
	}
	for _, k := range []string{"QueueArn", "CreatedTimestamp", "LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		if a.Attributes[k] == "" {
			t.Fatalf("All is missing %s: %v", k, a.Attributes)
		}
	}
	if _, err := e.c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"MaximumMessageSize": "1024"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strings.Repeat("x", 1025))})
	wantCode(t, err, "InvalidParameterValue")
}

func testBadInput(t *testing.T, e *env) {
	url := create(t, e, qname(t), nil)
	bad := []*sqs.SendMessageInput{
		{QueueUrl: &url, MessageBody: aws.String("ok"), MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": {DataType: aws.String("String"), StringValue: aws.String("v")}}},
		{QueueUrl: &url, MessageBody: aws.String("ok"), MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Blob"), StringValue: aws.String("v")}}},
		{QueueUrl: &url, MessageBody: aws.String("bad \x00 char")},
	}
	for i, in := range bad {
		_, err := e.c.SendMessage(ctxT(t), in)
		if err == nil {
			t.Fatalf("bad send %d accepted", i)
		}
	}
	_, err := e.c.SendMessage(ctxT(t), bad[2])
	wantCode(t, err, "InvalidMessageContents")
	_, err = e.c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
	if m := receive(t, e, url, 10, 0, nil); len(m) != 0 {
		t.Fatalf("rejected sends stored %d messages", len(m))
	}
}

func testCounts(t *testing.T, e *env) {
	url := create(t, e, qname(t), map[string]string{"VisibilityTimeout": "2"})
	for i := 0; i < 3; i++ {
		send(t, e, url, "c")
	}
	count := func() (string, string) {
		a, err := e.c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
		if err != nil {
			t.Fatal(err)
		}
		return a.Attributes["ApproximateNumberOfMessages"], a.Attributes["ApproximateNumberOfMessagesNotVisible"]
	}
	if v, nv := count(); v != "3" || nv != "0" {
		t.Fatalf("after send: visible %s not visible %s", v, nv)
	}
	if len(receive(t, e, url, 1, 5, nil)) != 1 {
		t.Fatal("no message")
	}
	if v, nv := count(); v != "2" || nv != "1" {
		t.Fatalf("after receive: visible %s not visible %s", v, nv)
	}
	time.Sleep(2500 * time.Millisecond)
	if v, nv := count(); v != "3" || nv != "0" {
		t.Fatalf("after visibility timeout: visible %s not visible %s", v, nv)
	}
}

func testRetention(t *testing.T, e *env) {
	url := create(t, e, qname(t), map[string]string{"MessageRetentionPeriod": "60"})
	send(t, e, url, "old")
	e.clock.Advance(61 * time.Second)
	defer e.clock.Advance(-61 * time.Second)
	if m := receive(t, e, url, 10, 1, nil); len(m) != 0 {
		t.Fatalf("message older than the retention period was returned: %v", *m[0].Body)
	}
	send(t, e, url, "new")
	if m := receive(t, e, url, 10, 2, nil); len(m) != 1 || *m[0].Body != "new" {
		t.Fatalf("fresh message: %v", m)
	}
}

// keep sync imported for future parallel helpers
var _ sync.Mutex

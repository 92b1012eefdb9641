package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
	"github.com/abanico/abanico/internal/snssign"
)

type snsEnv struct {
	srv *server.Server
	sns *sns.Client
	sqs *sqs.Client
}

func TestSNSConformance(t *testing.T) { runSuite(t, snsCases, newSNSEnv) }

var snsCases = []suiteCase[*snsEnv]{
	{"FanoutEnvelopeAndSignature", testFanoutEnvelope},
	{"RawDelivery", testRawDelivery},
	{"FilterPolicies", testFilterPolicies},
	{"MessageStructureJSON", testMessageStructure},
	{"SubscriptionDeadLetterQueue", testSubscriptionDLQ},
	{"PublishBatch", testPublishBatch},
	{"TopicsAndSubscriptionsAPI", testTopicAPI},
	{"Unsubscribe", testUnsubscribe},
	{"UnsubscribeURL", testUnsubscribeURL},
}

// testUnsubscribeURL follows the UnsubscribeURL of a delivered envelope
// with a plain GET, as a subscriber would.
func testUnsubscribeURL(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	u, sub := e.queueFor(t, topicArn, name, nil)
	e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String("first")})
	msgs := e.collect(t, u, 1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatal("no envelope")
	}
	var env envelope
	json.Unmarshal([]byte(*msgs[0].Body), &env)
	if !strings.Contains(env.UnsubscribeURL, sub) {
		t.Fatalf("UnsubscribeURL %s does not name %s", env.UnsubscribeURL, sub)
	}
	resp, err := http.Get(env.UnsubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "UnsubscribeResponse") {
		t.Fatalf("GET UnsubscribeURL: %d %s", resp.StatusCode, body)
	}
	_, err = e.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	var nf *snstypes.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("subscription still exists after the UnsubscribeURL: %v", err)
	}
}

// queueFor creates a queue and subscribes it to topic.
func (e *snsEnv) queueFor(t *testing.T, topicArn, name string, attrs map[string]string) (url, subArn string) {
	t.Helper()
	url = create(t, &env{c: e.sqs}, name, nil)
	a, err := e.sqs.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(a.Attributes["QueueArn"]), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return url, *out.SubscriptionArn
}

func (e *snsEnv) topic(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.sns.CreateTopic(ctxT(t), &sns.CreateTopicInput{Name: &name, Attributes: attrs})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	return *out.TopicArn
}

// collect receives until n messages arrived or wait passed, deleting them.
func (e *snsEnv) collect(t *testing.T, url string, n int, wait time.Duration) []types.Message {
	t.Helper()
	var got []types.Message
	deadline := time.Now().Add(wait)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := e.sqs.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			e.sqs.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
		}
	}
	return got
}

type envelope struct {
	Type, MessageId, TopicArn, Subject, Message, Timestamp      string
	SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
	MessageAttributes                                           map[string]struct{ Type, Value string }
}

func (e *snsEnv) verify(t *testing.T, env envelope) {
	t.Helper()
	resp, err := http.Get(env.SigningCertURL)
	if err != nil {
		t.Fatalf("fetch signing cert %s: %v", env.SigningCertURL, err)
	}
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("signing cert: %d", resp.StatusCode)
	}
	m := snssign.Message{Type: env.Type, MessageId: env.MessageId, TopicArn: env.TopicArn, Subject: env.Subject, Message: env.Message, Timestamp: env.Timestamp}
	if err := snssign.Verify(pem, m, env.SignatureVersion, env.Signature); err != nil {
		t.Fatalf("signature (version %s) does not verify: %v", env.SignatureVersion, err)
	}
}

func testFanoutEnvelope(t *testing.T, e *snsEnv) {
	name := qname(t)
	for _, version := range []string{"1", "2"} {
		topicArn := e.topic(t, name+"-v"+version, map[string]string{"SignatureVersion": version})
		var urls []string
		for i := 0; i < 3; i++ {
			u, _ := e.queueFor(t, topicArn, fmt.Sprintf("%s-v%s-%d", name, version, i), nil)
			urls = append(urls, u)
		}
		pub, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String("hello \"fans\" <&>"), Subject: aws.String("greeting"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{
				"color": {DataType: aws.String("String"), StringValue: aws.String("red")},
				"n":     {DataType: aws.String("Number"), StringValue: aws.String("42")},
			}})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range urls {
			msgs := e.collect(t, u, 1, 10*time.Second)
			if len(msgs) != 1 {
				t.Fatalf("queue %s got %d copies", u, len(msgs))
			}
			var env envelope
			if err := json.Unmarshal([]byte(*msgs[0].Body), &env); err != nil {
				t.Fatalf("body is not an SNS envelope: %s", *msgs[0].Body)
			}
			if env.Type != "Notification" || env.MessageId != *pub.MessageId || env.TopicArn != topicArn || env.Subject != "greeting" ||
				env.Message != "hello \"fans\" <&>" || env.SignatureVersion != version || env.UnsubscribeURL == "" {
				t.Fatalf("envelope %+v", env)
			}
			if _, err := time.Parse("2006-01-02T15:04:05.000Z", env.Timestamp); err != nil {
				t.Fatalf("timestamp %q not in SNS format", env.Timestamp)
			}
			if env.MessageAttributes["color"].Value != "red" || env.MessageAttributes["n"].Type != "Number" {
				t.Fatalf("attributes %+v", env.MessageAttributes)
			}
			if !strings.HasPrefix(*msgs[0].Body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : ") {
				t.Fatalf("envelope layout differs from SNS's: %q", (*msgs[0].Body)[:60])
			}
			e.verify(t, env)
			// Exactly one copy per queue.
			if more := e.collect(t, u, 1, 1500*time.Millisecond); len(more) != 0 {
				t.Fatalf("duplicate copy in %s", u)
			}
		}
	}
}

func testRawDelivery(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	u, _ := e.queueFor(t, topicArn, name, map[string]string{"RawMessageDelivery": "true"})
	_, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String("raw body"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"s":   {DataType: aws.String("String"), StringValue: aws.String("v")},
			"arr": {DataType: aws.String("String.Array"), StringValue: aws.String(`["a",1,true]`)},
			"bin": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.collect(t, u, 1, 10*time.Second)
	if len(msgs) != 1 || *msgs[0].Body != "raw body" {
		t.Fatalf("raw delivery got %v", msgs)
	}
	ma := msgs[0].MessageAttributes
	if *ma["s"].StringValue != "v" || *ma["arr"].DataType != "String.Array" || string(ma["bin"].BinaryValue) != "\x01\x02\x03" {
		t.Fatalf("raw attributes %v", ma)
	}
}

func testFilterPolicies(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	policies := map[string][2]string{
		"red":        {`{"color":["red"]}`, ""},
		"big":        {`{"size":[{"numeric":[">",10,"<=",100]}]}`, ""},
		"notblue":    {`{"color":[{"anything-but":["blue"]}],"size":[{"exists":true}]}`, ""},
		"prefix":     {`{"region":[{"prefix":"eu-"}]}`, ""},
		"body":       {`{"order":{"kind":["book"],"qty":[{"numeric":[">=",2]}]}}`, "MessageBody"},
		"or":         {`{"$or":[{"color":["green"]},{"size":[{"numeric":["<",0]}]}]}`, ""},
		"nocolor":    {`{"color":[{"exists":false}]}`, ""},
		"cidr":       {`{"ip":[{"cidr":"10.0.0.0/8"}]}`, ""},
		"ignorecase": {`{"color":[{"equals-ignore-case":"RED"}]}`, ""},
	}
	urls := map[string]string{}
	for k, p := range policies {
		attrs := map[string]string{"FilterPolicy": p[0], "RawMessageDelivery": "true"}
		if p[1] != "" {
			attrs["FilterPolicyScope"] = p[1]
		}
		urls[k], _ = e.queueFor(t, topicArn, name+"-"+k, attrs)
	}
	type msg struct {
		body  string
		attrs map[string]string // name -> String or Number:value
	}
	str := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	num := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(v)}
	}
	publish := func(body string, attrs map[string]snstypes.MessageAttributeValue) {
		if _, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: &body, MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	publish("m1", map[string]snstypes.MessageAttributeValue{"color": str("red"), "size": num("50")})
	publish("m2", map[string]snstypes.MessageAttributeValue{"color": str("blue"), "size": num("5")})
	publish("m3", map[string]snstypes.MessageAttributeValue{"color": str("green"), "region": str("eu-west-1")})
	publish(`{"order":{"kind":"book","qty":3}}`, map[string]snstypes.MessageAttributeValue{"size": num("-1"), "ip": str("10.1.2.3")})
	publish(`{"order":{"kind":"book","qty":1}}`, map[string]snstypes.MessageAttributeValue{"ip": str("192.168.0.1"), "color": str("Red")})
	want := map[string][]string{
		"red":        {"m1"},
		"big":        {"m1"},
		"notblue":    {"m1"},
		"prefix":     {"m3"},
		"body":       {`{"order":{"kind":"book","qty":3}}`},
		"or":         {"m3", `{"order":{"kind":"book","qty":3}}`},
		"nocolor":    {`{"order":{"kind":"book","qty":3}}`},
		"cidr":       {`{"order":{"kind":"book","qty":3}}`},
		"ignorecase": {"m1", `{"order":{"kind":"book","qty":1}}`},
	}
	for k, w := range want {
		msgs := e.collect(t, urls[k], len(w), 10*time.Second)
		msgs = append(msgs, e.collect(t, urls[k], 1, time.Second)...)
		var got []string
		for _, m := range msgs {
			got = append(got, *m.Body)
		}
		sort.Strings(got)
		sort.Strings(w)
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("policy %s %s: got %q, want %q", k, policies[k][0], got, w)
		}
	}
	// Invalid policies are refused with AWS's messages and change nothing.
	u, sub := e.queueFor(t, topicArn, name+"-x", nil)
	_ = u
	_, err := e.sns.SetSubscriptionAttributes(ctxT(t), &sns.SetSubscriptionAttributesInput{SubscriptionArn: &sub, AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"a":[{"prefi":"x"}]}`)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameter" || !strings.Contains(ae.ErrorMessage(), "Unrecognized match type prefi") {
		t.Fatalf("bad policy: %v", err)
	}
	_, err = e.sns.SetSubscriptionAttributes(ctxT(t), &sns.SetSubscriptionAttributesInput{SubscriptionArn: &sub, AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}`)})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameter" {
		t.Fatalf("six keys: %v", err)
	}
	attrs, _ := e.sns.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	if _, ok := attrs.Attributes["FilterPolicy"]; ok {
		t.Fatalf("a refused policy was stored: %v", attrs.Attributes)
	}
}

func testMessageStructure(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	u, _ := e.queueFor(t, topicArn, name, map[string]string{"RawMessageDelivery": "true"})
	_, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","sqs":"for queues","http":"for webhooks"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := e.collect(t, u, 1, 10*time.Second); len(msgs) != 1 || *msgs[0].Body != "for queues" {
		t.Fatalf("per-protocol message: %v", msgs)
	}
	_, err = e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, MessageStructure: aws.String("json"), Message: aws.String(`{"sqs":"x"}`)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameter" {
		t.Fatalf("no default: %v", err)
	}
}

func testSubscriptionDLQ(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	dlq := create(t, &env{c: e.sqs}, name+"-dlq", nil)
	dlqArn := arnOf(t, &env{c: e.sqs}, dlq)
	u, _ := e.queueFor(t, topicArn, name, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `"}`})
	if _, err := e.sqs.DeleteQueue(ctxT(t), &sqs.DeleteQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	pub, err := e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String("undeliverable")})
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.collect(t, dlq, 1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("dead-letter queue got %d messages", len(msgs))
	}
	var env envelope
	json.Unmarshal([]byte(*msgs[0].Body), &env)
	if env.MessageId != *pub.MessageId || env.Message != "undeliverable" {
		t.Fatalf("dead letter %s", *msgs[0].Body)
	}
	if msgs[0].MessageAttributes["ErrorCode"].StringValue == nil {
		t.Fatalf("no ErrorCode attribute: %v", msgs[0].MessageAttributes)
	}
}

func testPublishBatch(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	u, _ := e.queueFor(t, topicArn, name, map[string]string{"RawMessageDelivery": "true"})
	out, err := e.sns.PublishBatch(ctxT(t), &sns.PublishBatchInput{TopicArn: &topicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("one")},
		{Id: aws.String("b"), Message: aws.String("two"), Subject: aws.String("s")},
		{Id: aws.String("bad"), Message: aws.String("")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || *out.Failed[0].Id != "bad" || !out.Failed[0].SenderFault {
		t.Fatalf("batch result %+v", out)
	}
	if msgs := e.collect(t, u, 2, 10*time.Second); len(msgs) != 2 {
		t.Fatalf("batch delivered %d", len(msgs))
	}
	var entries []snstypes.PublishBatchRequestEntry
	for i := 0; i < 11; i++ {
		entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("x")})
	}
	_, err = e.sns.PublishBatch(ctxT(t), &sns.PublishBatchInput{TopicArn: &topicArn, PublishBatchRequestEntries: entries})
	var tooMany *snstypes.TooManyEntriesInBatchRequestException
	if !errors.As(err, &tooMany) {
		t.Fatalf("want TooManyEntriesInBatchRequest, got %v", err)
	}
	_, err = e.sns.PublishBatch(ctxT(t), &sns.PublishBatchInput{TopicArn: &topicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("1")}, {Id: aws.String("a"), Message: aws.String("2")}}})
	var notDistinct *snstypes.BatchEntryIdsNotDistinctException
	if !errors.As(err, &notDistinct) {
		t.Fatalf("want BatchEntryIdsNotDistinct, got %v", err)
	}
}

func testTopicAPI(t *testing.T, e *snsEnv) {
	name := qname(t)
	arn := e.topic(t, name, map[string]string{"DisplayName": "Orders"})
	if again := e.topic(t, name, map[string]string{"DisplayName": "Orders"}); again != arn {
		t.Fatalf("CreateTopic not idempotent: %s vs %s", again, arn)
	}
	if arn != "arn:aws:sns:us-east-1:000000000000:"+name {
		t.Fatalf("arn %s", arn)
	}
	e.queueFor(t, arn, name+"-q", nil)
	a, err := e.sns.GetTopicAttributes(ctxT(t), &sns.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil || a.Attributes["DisplayName"] != "Orders" || a.Attributes["SubscriptionsConfirmed"] != "1" || a.Attributes["Policy"] == "" || a.Attributes["TopicArn"] != arn {
		t.Fatalf("attributes %v %v", a, err)
	}
	if _, err := e.sns.SetTopicAttributes(ctxT(t), &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("3")}); err == nil {
		t.Fatal("SignatureVersion 3 accepted")
	}
	if _, err := e.sns.TagResource(ctxT(t), &sns.TagResourceInput{ResourceArn: &arn, Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.sns.ListTagsForResource(ctxT(t), &sns.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "core" {
		t.Fatalf("tags %v %v", tags, err)
	}
	subs, err := e.sns.ListSubscriptionsByTopic(ctxT(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &arn})
	if err != nil || len(subs.Subscriptions) != 1 || *subs.Subscriptions[0].Protocol != "sqs" {
		t.Fatalf("subscriptions %v %v", subs, err)
	}
	_, err = e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), Message: aws.String("x")})
	var nf *snstypes.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("publish to a missing topic: %v", err)
	}
	found := false
	var token *string
	for {
		l, err := e.sns.ListTopics(ctxT(t), &sns.ListTopicsInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range l.Topics {
			found = found || *tp.TopicArn == arn
		}
		if l.NextToken == nil {
			break
		}
		token = l.NextToken
	}
	if !found {
		t.Fatal("topic not listed")
	}
	if _, err := e.sns.DeleteTopic(ctxT(t), &sns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sns.GetTopicAttributes(ctxT(t), &sns.GetTopicAttributesInput{TopicArn: &arn}); !errors.As(err, &nf) {
		t.Fatalf("deleted topic: %v", err)
	}
}

func testUnsubscribe(t *testing.T, e *snsEnv) {
	name := qname(t)
	topicArn := e.topic(t, name, nil)
	u1, sub1 := e.queueFor(t, topicArn, name+"-1", map[string]string{"RawMessageDelivery": "true"})
	u2, _ := e.queueFor(t, topicArn, name+"-2", map[string]string{"RawMessageDelivery": "true"})
	if _, err := e.sns.Unsubscribe(ctxT(t), &sns.UnsubscribeInput{SubscriptionArn: &sub1}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	e.sns.Publish(ctxT(t), &sns.PublishInput{TopicArn: &topicArn, Message: aws.String("after")})
	if msgs := e.collect(t, u2, 1, 10*time.Second); len(msgs) != 1 {
		t.Fatal("remaining subscription got nothing")
	}
	if msgs := e.collect(t, u1, 1, 1500*time.Millisecond); len(msgs) != 0 {
		t.Fatal("unsubscribed queue still receives")
	}
	_ = context.Background
}

// TestFilterLimitsConfigurable raises the key limit of filter policies.
func TestFilterLimitsConfigurable(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded, func(c *server.Config) { c.FilterMaxKeys = 6 })
	e := newSNSEnv(srv)
	topicArn := e.topic(t, "limits", nil)
	six := `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`
	e.queueFor(t, topicArn, "limits-q", map[string]string{"FilterPolicy": six})
	seven := `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"],"g":["1"]}`
	_, err := e.sns.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:other"), Attributes: map[string]string{"FilterPolicy": seven}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameter" || !strings.Contains(ae.ErrorMessage(), "6 keys") {
		t.Fatalf("seven keys with a limit of 6: %v", err)
	}
}

package conformance_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico/internal/abanicotest"
)

// TestAWSCLISNS drives topics with `aws sns` (query protocol) and checks the
// fanout into queues with `aws sqs`.
func TestAWSCLISNS(t *testing.T) {
	bin := awsCLI(t)
	srv := abanicotest.Start(t, abanicotest.Embedded)
	c := cli{t: t, bin: bin, url: srv.URL()}

	topicArn := c.ok("sns", "create-topic", "--name", "cli-events", "--attributes", "DisplayName=Events", "--tags", "Key=team,Value=core")["TopicArn"].(string)
	if topicArn != "arn:aws:sns:us-east-1:000000000000:cli-events" {
		t.Fatalf("topic arn %s", topicArn)
	}
	var urls []string
	for _, q := range []string{"cli-billing", "cli-audit"} {
		u := c.ok("sqs", "create-queue", "--queue-name", q)["QueueUrl"].(string)
		arn := c.ok("sqs", "get-queue-attributes", "--queue-url", u, "--attribute-names", "QueueArn")["Attributes"].(map[string]any)["QueueArn"].(string)
		attrs := `{"RawMessageDelivery":"true"}`
		if q == "cli-billing" {
			attrs = `{"RawMessageDelivery":"true","FilterPolicy":"{\"kind\":[\"invoice\"]}"}`
		}
		sub := c.ok("sns", "subscribe", "--topic-arn", topicArn, "--protocol", "sqs", "--notification-endpoint", arn, "--attributes", attrs, "--return-subscription-arn")
		if !strings.HasPrefix(sub["SubscriptionArn"].(string), topicArn+":") {
			t.Fatalf("subscription arn %v", sub)
		}
		urls = append(urls, u)
	}
	subs := c.ok("sns", "list-subscriptions-by-topic", "--topic-arn", topicArn)["Subscriptions"].([]any)
	if len(subs) != 2 {
		t.Fatalf("subscriptions %v", subs)
	}
	attrs := c.ok("sns", "get-topic-attributes", "--topic-arn", topicArn)["Attributes"].(map[string]any)
	if attrs["DisplayName"] != "Events" || attrs["SubscriptionsConfirmed"] != "2" {
		t.Fatalf("topic attributes %v", attrs)
	}
	c.ok("sns", "publish", "--topic-arn", topicArn, "--message", "invoice 1", "--message-attributes", `{"kind":{"DataType":"String","StringValue":"invoice"}}`)
	c.ok("sns", "publish", "--topic-arn", topicArn, "--message", "login", "--message-attributes", `{"kind":{"DataType":"String","StringValue":"login"}}`)
	b := c.ok("sns", "publish-batch", "--topic-arn", topicArn, "--publish-batch-request-entries",
		`[{"Id":"1","Message":"batch a"},{"Id":"2","Message":"batch b","MessageAttributes":{"kind":{"DataType":"String","StringValue":"invoice"}}}]`)
	if len(b["Successful"].([]any)) != 2 {
		t.Fatalf("publish-batch %v", b)
	}
	want := map[string][]string{urls[0]: {"batch b", "invoice 1"}, urls[1]: {"batch a", "batch b", "invoice 1", "login"}}
	for u, w := range want {
		var got []string
		deadline := time.Now().Add(15 * time.Second)
		for len(got) < len(w) && time.Now().Before(deadline) {
			r := c.ok("sqs", "receive-message", "--queue-url", u, "--max-number-of-messages", "10", "--wait-time-seconds", "2")
			msgs, _ := r["Messages"].([]any)
			for _, m := range msgs {
				mm := m.(map[string]any)
				got = append(got, mm["Body"].(string))
				c.ok("sqs", "delete-message", "--queue-url", u, "--receipt-handle", mm["ReceiptHandle"].(string))
			}
		}
		sort.Strings(got)
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Fatalf("%s got %q, want %q", u, got, w)
		}
	}
	_, stderr, err := c.run("sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:nope", "--message", "x")
	if err == nil || !strings.Contains(stderr, "NotFound") {
		t.Fatalf("publish to missing topic: %v %s", err, stderr)
	}
	_, stderr, err = c.run("sns", "subscribe", "--topic-arn", topicArn, "--protocol", "sqs", "--notification-endpoint", "arn:aws:sqs:us-east-1:000000000000:x",
		"--attributes", `{"FilterPolicy":"{\"a\":[{\"numeric\":[\">\"]}]}"}`)
	if err == nil || !strings.Contains(stderr, "InvalidParameter") {
		t.Fatalf("bad filter policy: %v %s", err, stderr)
	}
	tags := c.ok("sns", "list-tags-for-resource", "--resource-arn", topicArn)["Tags"].([]any)
	if len(tags) != 1 {
		t.Fatalf("tags %v", tags)
	}
	c.ok("sns", "delete-topic", "--topic-arn", topicArn)
	if l := c.ok("sns", "list-topics"); l != nil {
		if ts, _ := l["Topics"].([]any); len(ts) != 0 {
			raw, _ := json.Marshal(l)
			t.Fatalf("topic still listed: %s", raw)
		}
	}
}

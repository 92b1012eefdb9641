package conformance_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/abanicotest"
)

// awsCLI finds the AWS CLI: $ABANICO_AWS_CLI, Debian's /usr/bin/aws (CLI v2
// 2.9, which speaks the SQS query protocol), or aws on PATH.
func awsCLI(t *testing.T) string {
	if p := os.Getenv("ABANICO_AWS_CLI"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	p, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("AWS CLI not installed (apt-get install awscli); .ci/run installs it")
	}
	return p
}

type cli struct {
	t        *testing.T
	bin, url string
}

func (c cli) run(args ...string) (map[string]any, string, error) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"--endpoint-url", c.url, "--output", "json", "--region", "us-east-1"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=CLIKEY", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m map[string]any
	if len(strings.TrimSpace(string(out))) > 0 {
		if jerr := json.Unmarshal(out, &m); jerr != nil {
			c.t.Fatalf("aws %v: output is not JSON: %s", args, out)
		}
	}
	return m, stderr.String(), err
}

func (c cli) ok(args ...string) map[string]any {
	c.t.Helper()
	m, stderr, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	return m
}

// TestAWSCLI drives the server with the AWS CLI from Debian (query
// protocol); the CLI itself verifies the MD5s of bodies and attributes.
func TestAWSCLI(t *testing.T) {
	bin := awsCLI(t)
	srv := abanicotest.Start(t, abanicotest.Embedded)
	c := cli{t: t, bin: bin, url: srv.URL()}

	out := c.ok("sqs", "create-queue", "--queue-name", "cli-jobs", "--attributes", "VisibilityTimeout=20,DelaySeconds=0", "--tags", "team=core")
	url := out["QueueUrl"].(string)
	if url != srv.URL()+"/000000000000/cli-jobs" {
		t.Fatalf("queue url %s", url)
	}
	if l := c.ok("sqs", "list-queues", "--queue-name-prefix", "cli-"); len(l["QueueUrls"].([]any)) != 1 {
		t.Fatalf("list-queues %v", l)
	}
	c.ok("sqs", "send-message", "--queue-url", url, "--message-body", "hello <cli> & more",
		"--message-attributes", `{"kind":{"DataType":"String","StringValue":"order"},"n":{"DataType":"Number","StringValue":"3"},"bin":{"DataType":"Binary","BinaryValue":"AAEC/w=="}}`)
	b := c.ok("sqs", "send-message-batch", "--queue-url", url, "--entries",
		`[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two","DelaySeconds":0},{"Id":"c","MessageBody":"three","MessageAttributes":{"bad":{"DataType":"Number","StringValue":"x"}}}]`)
	if len(b["Successful"].([]any)) != 2 || len(b["Failed"].([]any)) != 1 {
		t.Fatalf("batch %v", b)
	}
	attrs := c.ok("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"].(map[string]any)
	if attrs["ApproximateNumberOfMessages"] != "3" || attrs["VisibilityTimeout"] != "20" || attrs["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:cli-jobs" {
		t.Fatalf("attributes %v", attrs)
	}
	got := map[string]string{}
	for len(got) < 3 {
		r := c.ok("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10", "--wait-time-seconds", "2",
			"--attribute-names", "All", "--message-attribute-names", "All")
		msgs, _ := r["Messages"].([]any)
		if len(msgs) == 0 {
			t.Fatalf("received %d of 3", len(got))
		}
		for _, m := range msgs {
			mm := m.(map[string]any)
			got[mm["Body"].(string)] = mm["ReceiptHandle"].(string)
			if mm["Body"] == "hello <cli> & more" {
				ma := mm["MessageAttributes"].(map[string]any)
				if ma["bin"].(map[string]any)["BinaryValue"] != "AAEC/w==" || ma["n"].(map[string]any)["StringValue"] != "3" {
					t.Fatalf("message attributes %v", ma)
				}
				if mm["Attributes"].(map[string]any)["SenderId"] != "CLIKEY" {
					t.Fatalf("system attributes %v", mm["Attributes"])
				}
			}
		}
	}
	c.ok("sqs", "change-message-visibility", "--queue-url", url, "--receipt-handle", got["one"], "--visibility-timeout", "0")
	c.ok("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got["two"])
	c.ok("sqs", "delete-message-batch", "--queue-url", url, "--entries", `[{"Id":"x","ReceiptHandle":"`+got["hello <cli> & more"]+`"}]`)
	r := c.ok("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "2")
	if msgs, _ := r["Messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["Body"] != "one" {
		t.Fatalf("after visibility 0 and deletes: %v", r)
	}
	c.ok("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", "DelaySeconds=5")
	c.ok("sqs", "tag-queue", "--queue-url", url, "--tags", "env=dev")
	c.ok("sqs", "untag-queue", "--queue-url", url, "--tag-keys", "team")
	if tags := c.ok("sqs", "list-queue-tags", "--queue-url", url)["Tags"].(map[string]any); len(tags) != 1 || tags["env"] != "dev" {
		t.Fatalf("tags %v", tags)
	}
	c.ok("sqs", "add-permission", "--queue-url", url, "--label", "l1", "--aws-account-ids", "111122223333", "--actions", "SendMessage")
	c.ok("sqs", "remove-permission", "--queue-url", url, "--label", "l1")
	c.ok("sqs", "purge-queue", "--queue-url", url)

	// Errors come back in the query protocol's shape, with AWS's codes.
	_, stderr, err := c.run("sqs", "get-queue-url", "--queue-name", "does-not-exist")
	if err == nil || !strings.Contains(stderr, "AWS.SimpleQueueService.NonExistentQueue") {
		t.Fatalf("missing queue: err=%v stderr=%s", err, stderr)
	}
	_, stderr, err = c.run("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", "VisibilityTimeout=99999")
	if err == nil || !strings.Contains(stderr, "InvalidAttributeValue") {
		t.Fatalf("bad attribute: err=%v stderr=%s", err, stderr)
	}
	_, stderr, err = c.run("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "11")
	if err == nil || !strings.Contains(stderr, "InvalidParameterValue") {
		t.Fatalf("bad receive: err=%v stderr=%s", err, stderr)
	}
	c.ok("sqs", "delete-queue", "--queue-url", url)
	if l := c.ok("sqs", "list-queues", "--queue-name-prefix", "cli-"); l != nil && l["QueueUrls"] != nil {
		t.Fatalf("queue still listed: %v", l)
	}
}

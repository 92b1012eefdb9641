package topology

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validFile = `# a complete topology
topics:
  - name: orders
    attributes:
      DisplayName: Orders
      DeliveryPolicy:
        http: {defaultHealthyRetryPolicy: {numRetries: 3}}
    tags: {team: shop}
    subscriptions:
      - queue: billing
        filter: {type: [order_placed], amount: [{numeric: [">", 100]}]}
        raw: true
        deadLetterQueue: billing-dlq
      - http: https://hooks.example.com/orders
        deliveryPolicy: '{"healthyRetryPolicy": {"numRetries": 5}}'
        webhookSecret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
      - function: inventory
        filterScope: body
        filter: {order: {country: [ES]}}
  - name: events.fifo
queues:
  - name: billing
    attributes: {VisibilityTimeout: 60, ReceiveMessageWaitTimeSeconds: 20}
    deadLetterQueue: {name: billing-dlq, maxReceiveCount: 5}
  - name: billing-dlq
  - name: jobs.fifo
functions:
  - name: inventory
    bootstrap: inventory.sh
    timeout: 10
    environment: {GREETING: hola}
    reservedConcurrency: 2
`

func writeScript(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inventory.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestParseValid(t *testing.T) {
	dir := writeScript(t)
	f, err := Parse("topo.yaml", []byte(validFile), ParseOptions{BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Topics) != 2 || len(f.Queues) != 3 || len(f.Functions) != 1 {
		t.Fatalf("got %d topics, %d queues, %d functions", len(f.Topics), len(f.Queues), len(f.Functions))
	}
	orders := f.Topics[0]
	if orders.Attributes["DisplayName"] != "Orders" || orders.Tags["team"] != "shop" {
		t.Errorf("topic attributes/tags: %v %v", orders.Attributes, orders.Tags)
	}
	if got := orders.Attributes["DeliveryPolicy"]; got != `{"http":{"defaultHealthyRetryPolicy":{"numRetries":3}}}` {
		t.Errorf("nested attribute as JSON: %s", got)
	}
	subs := orders.Subscriptions
	if len(subs) != 3 {
		t.Fatalf("subscriptions: %d", len(subs))
	}
	if s := subs[0]; s.Protocol != "queue" || s.Endpoint != "billing" || !s.Raw || s.DeadLetterQueue != "billing-dlq" || s.Topic != "orders" ||
		string(s.Filter) != `{"amount":[{"numeric":[">",100]}],"type":["order_placed"]}` {
		t.Errorf("queue subscription: %+v filter %s", s, s.Filter)
	}
	if s := subs[1]; s.Protocol != "https" || string(s.DeliveryPolicy) != `{"healthyRetryPolicy":{"numRetries":5}}` || s.WebhookSecret == "" {
		t.Errorf("https subscription: %+v", s)
	}
	if s := subs[2]; s.Protocol != "function" || s.FilterScope != "body" {
		t.Errorf("function subscription: %+v", s)
	}
	if q := f.Queues[0]; q.Attributes["VisibilityTimeout"] != "60" || q.DeadLetter == nil || q.DeadLetter.MaxReceiveCount != 5 {
		t.Errorf("queue: %+v", q)
	}
	if q := f.Queues[2]; q.Attributes["FifoQueue"] != "true" {
		t.Errorf("fifo queue without FifoQueue attribute: %v", q.Attributes)
	}
	fn := f.Functions[0]
	if fn.Timeout != 10 || fn.Environment["GREETING"] != "hola" || fn.ReservedConcurrency == nil || *fn.ReservedConcurrency != 2 || len(fn.Zip) == 0 || fn.CodeSha256 == "" {
		t.Errorf("function: %+v", fn)
	}
	// The same script always gives the same code hash, so re-applying
	// does not replace the code.
	again, err := Parse("topo.yaml", []byte(validFile), ParseOptions{BaseDir: dir})
	if err != nil || again.Functions[0].CodeSha256 != fn.CodeSha256 {
		t.Errorf("code hash not stable: %v", err)
	}
	if p := f.Position("queues[0].attributes.VisibilityTimeout"); p.Line != 23 {
		t.Errorf("position of an attribute: %+v", p)
	}
	if p := f.Position("topics[0].subscriptions[1].nothing"); p.Line != 14 {
		t.Errorf("position falls back to the enclosing field: %+v", p)
	}
}

func TestParseEmptyAndIgnored(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "topics: []\n", "queues:\n"} {
		f, err := Parse("x", []byte(in), ParseOptions{})
		if err != nil || !f.Empty() {
			t.Errorf("%q: %v", in, err)
		}
	}
	in := "listen: 127.0.0.1:4566\nqueues: [{name: a}]\n"
	if _, err := Parse("x", []byte(in), ParseOptions{}); err == nil || !strings.Contains(err.Error(), "x:1:1: listen: unknown field") {
		t.Errorf("unknown top-level key: %v", err)
	}
	f, err := Parse("x", []byte(in), ParseOptions{Ignore: func(k string) bool { return k == "listen" }})
	if err != nil || len(f.Queues) != 1 {
		t.Errorf("ignored key: %v", err)
	}
	for _, k := range []string{"topics", "queues", "functions"} {
		if !IsSection(k) {
			t.Errorf("IsSection(%q) = false", k)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	dir := writeScript(t)
	cases := []struct {
		name, in   string
		line, col  int
		field, msg string
	}{
		{"syntax", "queues:\n  - name: a\n    attributes: {A: 1\n", 2, 1, "", "did not find"},
		{"unknown field", "queues:\n  - name: a\n    visibility: 3\n", 3, 5, "queues[0].visibility", "unknown field"},
		{"not a list", "topics: {name: a}\n", 1, 9, "topics", "must be a list"},
		{"missing name", "queues:\n  - attributes: {A: 1}\n", 2, 5, "queues[0].name", "is required"},
		{"repeated key", "queues:\n  - name: a\n    name: b\n", 3, 5, "queues[0].name", "repeated key"},
		{"two endpoints", "topics:\n  - name: t\n    subscriptions:\n      - queue: a\n        function: f\n", 4, 9, "topics[0].subscriptions[0]", "has both"},
		{"no endpoint", "topics:\n  - name: t\n    subscriptions:\n      - raw: true\n", 4, 9, "topics[0].subscriptions[0]", "needs one of queue, http or function"},
		{"bad url", "topics:\n  - name: t\n    subscriptions:\n      - http: ftp://x/y\n", 4, 9, "topics[0].subscriptions[0].http", "http:// or https://"},
		{"bad filter", "topics:\n  - name: t\n    subscriptions:\n      - queue: a\n        filter: {a: [{prefix: 1}]}\n", 5, 9, "topics[0].subscriptions[0].filter", "prefix"},
		{"filter not json", "topics:\n  - name: t\n    subscriptions:\n      - queue: a\n        filter: '[1'\n", 5, 17, "topics[0].subscriptions[0].filter", "JSON object"},
		{"bad scope", "topics:\n  - name: t\n    subscriptions:\n      - queue: a\n        filterScope: everything\n", 5, 22, "topics[0].subscriptions[0].filterScope", "attributes or body"},
		{"bad delivery policy", "topics:\n  - name: t\n    subscriptions:\n      - http: http://h/x\n        deliveryPolicy: {healthyRetryPolicy: {numRetries: -4}}\n", 5, 25, "topics[0].subscriptions[0].deliveryPolicy", "numRetries"},
		{"delivery policy on a queue", "topics:\n  - name: t\n    subscriptions:\n      - queue: q\n        deliveryPolicy: {}\n", 5, 25, "topics[0].subscriptions[0].deliveryPolicy", "http and https"},
		{"raw not bool", "topics:\n  - name: t\n    subscriptions:\n      - queue: q\n        raw: sometimes\n", 5, 14, "topics[0].subscriptions[0].raw", "true or false"},
		{"duplicate subscription", "topics:\n  - name: t\n    subscriptions:\n      - queue: q\n      - queue: q\n", 5, 9, "topics[0].subscriptions[1]", "subscribed twice"},
		{"duplicate queue", "queues:\n  - name: a\n  - name: a\n", 3, 5, "queues[1].name", "declared twice"},
		{"own dlq", "queues:\n  - name: a\n    deadLetterQueue: {name: a}\n", 3, 23, "queues[0].deadLetterQueue.name", "its own"},
		{"max receives", "queues:\n  - name: a\n    deadLetterQueue: {name: b, maxReceiveCount: 5000}\n", 3, 32, "queues[0].deadLetterQueue.maxReceiveCount", "from 1 to 1000"},
		{"dlq and redrive", "queues:\n  - name: a\n    attributes: {RedrivePolicy: x}\n    deadLetterQueue: {name: b}\n", 3, 18, "queues[0].attributes.RedrivePolicy", "not both"},
		{"null attribute", "queues:\n  - name: a\n    attributes: {VisibilityTimeout: }\n", 3, 37, "queues[0].attributes.VisibilityTimeout", "must have a value"},
		{"no code", "functions:\n  - name: f\n", 2, 5, "functions[0]", "needs its code"},
		{"missing code file", "functions:\n  - name: f\n    zip: nothing.zip\n", 3, 10, "functions[0].zip", "cannot read code"},
		{"zip and bootstrap", "functions:\n  - name: f\n    zip: a.zip\n    bootstrap: inventory.sh\n", 2, 5, "functions[0]", "not both"},
		{"timeout not int", "functions:\n  - name: f\n    bootstrap: inventory.sh\n    timeout: 1.5\n", 4, 14, "functions[0].timeout", "integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.in), ParseOptions{BaseDir: dir})
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("want Errors, got %v", err)
			}
			e := es[0]
			if e.Pos.Line != tc.line || e.Pos.Column != tc.col || e.Field != tc.field || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("got %d:%d %q %q; want %d:%d %q containing %q", e.Pos.Line, e.Pos.Column, e.Field, e.Message, tc.line, tc.col, tc.field, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Errorf("message without the file name: %v", err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	in := "queues:\n  - name: a\n    colour: red\n  - attributes: {}\ntopics:\n  - name: t\n    subscriptions:\n      - queue: a\n        raw: maybe\n"
	_, err := Parse("f.yaml", []byte(in), ParseOptions{})
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for i, line := range []int{3, 4, 9} {
		if es[i].Pos.Line != line {
			t.Errorf("problem %d at line %d, want %d: %v", i, es[i].Pos.Line, line, es[i])
		}
	}
}

func TestParseBoundsProblems(t *testing.T) {
	in := "queues: [" + strings.Repeat("{name: q},", 200) + "]"
	_, err := Parse("f.yaml", []byte(in), ParseOptions{})
	var es Errors
	if !errors.As(err, &es) || len(es) != maxProblems+1 || es[maxProblems].Message != "and 149 more problems" {
		t.Fatalf("got %d problems, last %v", len(es), es[len(es)-1])
	}
}

package topology_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/topology"
)

// env is a server, a client of it and a folder for topology files.
type env struct {
	t   *testing.T
	c   *abanico.Client
	ctx context.Context
	dir string
}

func newEnv(t *testing.T) *env {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &env{t: t, c: abanico.NewClient(srv.URL()), ctx: ctx, dir: t.TempDir()}
}

func (e *env) parse(yaml string) *topology.File {
	e.t.Helper()
	f, err := topology.Parse("topo.yaml", []byte(yaml), topology.ParseOptions{BaseDir: e.dir})
	if err != nil {
		e.t.Fatalf("parse: %v", err)
	}
	return f
}

func (e *env) plan(yaml string, prune bool) *topology.Plan {
	e.t.Helper()
	p, err := topology.NewPlan(e.ctx, e.c, e.parse(yaml), topology.PlanOptions{Prune: prune})
	if err != nil {
		e.t.Fatalf("plan: %v", err)
	}
	return p
}

// apply plans and applies yaml and returns the plan.
func (e *env) apply(yaml string, prune bool) *topology.Plan {
	e.t.Helper()
	p := e.plan(yaml, prune)
	if err := p.Apply(e.ctx, nil); err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return p
}

// actions renders a plan as "action kind name [fields]" lines.
func actions(p *topology.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		s := fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Name)
		if len(c.Fields) > 0 {
			s += " " + strings.Join(c.Fields, ",")
		}
		out = append(out, s)
	}
	return out
}

func wantActions(t *testing.T, p *topology.Plan, want ...string) {
	t.Helper()
	if got := actions(p); !slices.Equal(got, want) {
		t.Fatalf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const shop = `
topics:
  - name: orders
    attributes: {DisplayName: Orders}
    subscriptions:
      - queue: billing
        filter: {type: [order_placed]}
      - queue: audit
        raw: true
queues:
  - name: billing
    attributes: {VisibilityTimeout: 45}
    deadLetterQueue: {name: billing-dlq, maxReceiveCount: 3}
  - name: billing-dlq
  - name: audit
`

func TestApplyCreatesThenChangesNothing(t *testing.T) {
	e := newEnv(t)
	p := e.apply(shop, false)
	// Dead-letter queues are created before the queues that use them,
	// queues before topics, topics before subscriptions.
	wantActions(t, p,
		"create queue billing-dlq",
		"create queue billing",
		"create queue audit",
		"create topic orders",
		"create subscription orders -> queue billing",
		"create subscription orders -> queue audit",
	)
	again := e.apply(shop, false)
	if n := again.Counts(); n[topology.Create]+n[topology.Update]+n[topology.Delete] != 0 || n[topology.Unchanged] != 6 {
		t.Fatalf("second apply is not a no-op: %v\n%v", n, actions(again))
	}

	billing, err := e.c.GetQueue(e.ctx, "billing")
	if err != nil {
		t.Fatal(err)
	}
	if billing.Attributes["VisibilityTimeout"] != "45" || !strings.Contains(billing.Attributes["RedrivePolicy"], ":billing-dlq") {
		t.Errorf("billing attributes: %v", billing.Attributes)
	}
	// The topology works: an order reaches billing (filtered) and audit
	// (raw); another event reaches audit only.
	for _, typ := range []string{"order_placed", "user_signed_up"} {
		if _, err := e.c.Publish(e.ctx, "orders", abanico.TopicMessage{Message: typ, Attributes: map[string]abanico.MessageAttribute{"type": {Type: "String", Value: typ}}}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string][]string{}
	for _, q := range []string{"billing", "audit"} {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && len(got[q]) < map[string]int{"billing": 1, "audit": 2}[q] {
			ms, err := e.c.ReceiveMessages(e.ctx, q, abanico.ReceiveInput{Max: 10, Wait: time.Second, Delete: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				got[q] = append(got[q], m.Body)
			}
		}
	}
	slices.Sort(got["audit"])
	var envelope struct{ Type, Message string }
	if len(got["billing"]) == 1 {
		_ = json.Unmarshal([]byte(got["billing"][0]), &envelope)
	}
	if envelope.Type != "Notification" || envelope.Message != "order_placed" || !slices.Equal(got["audit"], []string{"order_placed", "user_signed_up"}) {
		t.Fatalf("deliveries: %q", got)
	}
}

func TestApplyUpdates(t *testing.T) {
	e := newEnv(t)
	e.apply(shop, false)
	changed := strings.NewReplacer(
		"{DisplayName: Orders}", "{DisplayName: Shop orders}",
		"{type: [order_placed]}", "{type: [order_placed, order_paid]}",
		"raw: true", "raw: false",
		"{VisibilityTimeout: 45}", "{VisibilityTimeout: 90}",
		"maxReceiveCount: 3", "maxReceiveCount: 7",
	).Replace(shop)
	p := e.apply(changed, false)
	wantActions(t, p,
		"unchanged queue billing-dlq",
		"update queue billing attributes.VisibilityTimeout,deadLetterQueue",
		"unchanged queue audit",
		"update topic orders attributes.DisplayName",
		"update subscription orders -> queue billing filter",
		"update subscription orders -> queue audit raw",
	)
	billing, _ := e.c.GetQueue(e.ctx, "billing")
	if billing.Attributes["VisibilityTimeout"] != "90" || !strings.Contains(billing.Attributes["RedrivePolicy"], `"maxReceiveCount":7`) {
		t.Errorf("billing after update: %v", billing.Attributes)
	}
	subs, _ := e.c.ListSubscriptions(e.ctx, "orders")
	for _, s := range subs {
		if s.Endpoint == "billing" && !strings.Contains(s.Attributes["FilterPolicy"], "order_paid") {
			t.Errorf("filter not updated: %v", s.Attributes)
		}
		if s.Endpoint == "audit" && s.Attributes["RawMessageDelivery"] != "false" {
			t.Errorf("raw not updated: %v", s.Attributes)
		}
	}
	// Removing a subscription's filter from the file removes it.
	p = e.apply(strings.Replace(changed, "        filter: {type: [order_placed, order_paid]}\n", "", 1), false)
	if got := actions(p); !slices.Contains(got, "update subscription orders -> queue billing filter") {
		t.Fatalf("filter removal not planned: %v", got)
	}
	subs, _ = e.c.ListSubscriptions(e.ctx, "orders")
	for _, s := range subs {
		if s.Endpoint == "billing" && s.Attributes["FilterPolicy"] != "" {
			t.Errorf("filter not removed: %v", s.Attributes)
		}
	}
}

func TestDryRunPlanChangesNothing(t *testing.T) {
	e := newEnv(t)
	p := e.plan(shop, false)
	if n := p.Counts(); n[topology.Create] != 6 {
		t.Fatalf("plan: %v", actions(p))
	}
	qs, err := e.c.ListQueues(e.ctx, "")
	if err != nil || len(qs) != 0 {
		t.Fatalf("planning created queues: %v %v", qs, err)
	}
	ts, err := e.c.ListTopics(e.ctx)
	if err != nil || len(ts) != 0 {
		t.Fatalf("planning created topics: %v %v", ts, err)
	}
}

func TestPrune(t *testing.T) {
	e := newEnv(t)
	e.apply(shop, false)
	// Things the file does not declare.
	if _, err := e.c.CreateQueue(e.ctx, abanico.CreateQueueInput{Name: "stray"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreateTopic(e.ctx, abanico.CreateTopicInput{Name: "old-topic"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Subscribe(e.ctx, "orders", abanico.SubscribeInput{Protocol: "queue", Endpoint: "stray"}); err != nil {
		t.Fatal(err)
	}
	// Without --prune they stay.
	p := e.apply(shop, false)
	if n := p.Counts(); n[topology.Delete] != 0 || n[topology.Unchanged] != 6 {
		t.Fatalf("plan without prune: %v", actions(p))
	}
	p = e.apply(shop, true)
	wantActions(t, p,
		"unchanged queue billing-dlq",
		"unchanged queue billing",
		"unchanged queue audit",
		"unchanged topic orders",
		"unchanged subscription orders -> queue billing",
		"unchanged subscription orders -> queue audit",
		"delete subscription orders -> queue stray",
		"delete topic old-topic",
		"delete queue stray",
	)
	if _, err := e.c.GetQueue(e.ctx, "stray"); !abanico.IsNotFound(err) {
		t.Errorf("stray queue not pruned: %v", err)
	}
	if _, err := e.c.GetTopic(e.ctx, "old-topic"); !abanico.IsNotFound(err) {
		t.Errorf("old topic not pruned: %v", err)
	}
	subs, _ := e.c.ListSubscriptions(e.ctx, "orders")
	if len(subs) != 2 {
		t.Errorf("subscriptions after prune: %d", len(subs))
	}
	if p := e.apply(shop, true); p.Counts()[topology.Delete] != 0 {
		t.Errorf("second prune deletes again: %v", actions(p))
	}
}

func TestPlanRejectsWhatCannotBe(t *testing.T) {
	e := newEnv(t)
	in := "topics:\n  - name: t\n    subscriptions:\n      - queue: nowhere\n      - function: nobody\n"
	_, err := topology.NewPlan(e.ctx, e.c, e.parse(in), topology.PlanOptions{})
	var es topology.Errors
	if !errors.As(err, &es) || len(es) != 2 || es[0].Pos.Line != 4 || es[0].Field != "topics[0].subscriptions[0].queue" ||
		es[1].Pos.Line != 5 || !strings.Contains(es[1].Message, `function "nobody"`) {
		t.Fatalf("missing references: %v", err)
	}
	// A queue that exists on the server may be left out of the file.
	if _, err := e.c.CreateQueue(e.ctx, abanico.CreateQueueInput{Name: "nowhere"}); err != nil {
		t.Fatal(err)
	}
	e.apply("topics:\n  - name: t\n    subscriptions:\n      - queue: nowhere\n", false)

	// FifoQueue cannot change on an existing queue.
	e.apply("queues:\n  - name: plain\n", false)
	_, err = topology.NewPlan(e.ctx, e.c, e.parse("queues:\n  - name: plain\n    attributes: {FifoQueue: true}\n"), topology.PlanOptions{})
	if !errors.As(err, &es) || es[0].Field != "queues[0].attributes.FifoQueue" || es[0].Pos.Line != 3 {
		t.Fatalf("immutable attribute: %v", err)
	}
	// Dead-letter queues in a cycle cannot be created in any order.
	_, err = topology.NewPlan(e.ctx, e.c, e.parse("queues:\n  - name: a\n    deadLetterQueue: {name: b}\n  - name: b\n    deadLetterQueue: {name: a}\n"), topology.PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("dead-letter cycle: %v", err)
	}
}

func TestFailedApplyIsUndone(t *testing.T) {
	e := newEnv(t)
	e.apply("topics:\n  - name: kept\n    attributes: {DisplayName: before}\nqueues:\n  - name: existing\n", false)
	// The server refuses the last queue after a queue was created and
	// another changed (given a dead-letter queue): both are undone, and the
	// topic, planned after the queues, is never touched.
	in := `
topics:
  - name: kept
    attributes: {DisplayName: after}
queues:
  - name: existing
    attributes: {DelaySeconds: 5}
    deadLetterQueue: {name: fresh}
  - name: fresh
  - name: broken
    attributes: {VisibilityTimeout: 999999}
`
	p := e.plan(in, false)
	var log []string
	err := p.Apply(e.ctx, func(step, total int, c *topology.Change, undo bool, err error) {
		log = append(log, fmt.Sprintf("%v %s %s %s %v", undo, c.Action, c.Kind, c.Name, err != nil))
	})
	var te *topology.Error
	if !errors.As(err, &te) || te.Pos.Line != 11 || te.Field != "queues[2].attributes" || !strings.Contains(te.Message, "create queue broken") {
		t.Fatalf("error: %v (%#v)", err, te)
	}
	want := []string{
		"false create queue fresh false",
		"false update queue existing false",
		"false create queue broken true",
		"true update queue existing false",
		"true create queue fresh false",
	}
	if !slices.Equal(log, want) {
		t.Fatalf("steps:\n%s", strings.Join(log, "\n"))
	}
	if _, err := e.c.GetQueue(e.ctx, "fresh"); !abanico.IsNotFound(err) {
		t.Errorf("fresh queue left behind: %v", err)
	}
	q, _ := e.c.GetQueue(e.ctx, "existing")
	if q.Attributes["DelaySeconds"] != "0" || q.Attributes["RedrivePolicy"] != "" {
		t.Errorf("update not undone: %v", q.Attributes)
	}
	tp, _ := e.c.GetTopic(e.ctx, "kept")
	if tp.Attributes["DisplayName"] != "before" {
		t.Errorf("topic changed: %v", tp.Attributes)
	}
}

func TestApplyFunctions(t *testing.T) {
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.dir, "bootstrap.sh"), abanicotest.BashRuntime("hi"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := `
functions:
  - name: greeter
    bootstrap: bootstrap.sh
    timeout: 5
    environment: {GREETING: hola}
topics:
  - name: events
    subscriptions:
      - function: greeter
`
	p := e.apply(in, false)
	wantActions(t, p, "create function greeter", "create topic events", "create subscription events -> function greeter")
	if p := e.apply(in, false); p.Counts()[topology.Unchanged] != 3 {
		t.Fatalf("second apply: %v", actions(p))
	}
	invoke := func() string {
		t.Helper()
		out, err := e.c.Invoke(e.ctx, "greeter", []byte(`{"n":1}`), abanico.InvokeRequestResponse)
		if err != nil || out.FunctionError != "" {
			t.Fatalf("invoke: %v %+v", err, out)
		}
		var res struct{ Greeting string }
		if err := json.Unmarshal(out.Payload, &res); err != nil {
			t.Fatalf("payload %s: %v", out.Payload, err)
		}
		return res.Greeting
	}
	if g := invoke(); g != "hola" {
		t.Fatalf("greeting %q", g)
	}
	// New configuration and new code are both noticed.
	in = strings.Replace(in, "GREETING: hola", "GREETING: hello", 1)
	if err := os.WriteFile(filepath.Join(e.dir, "bootstrap.sh"), abanicotest.BashRuntime("v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	p = e.apply(in, false)
	wantActions(t, p, "update function greeter environment", "unchanged topic events", "unchanged subscription events -> function greeter", "update function greeter code")
	if g := invoke(); g != "hello" {
		t.Fatalf("greeting after update %q", g)
	}
	fn, err := e.c.GetFunction(e.ctx, "greeter")
	if err != nil || fn.CodeSha256 != e.parse(in).Functions[0].CodeSha256 {
		t.Fatalf("code not replaced: %v %+v", err, fn)
	}
}

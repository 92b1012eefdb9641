package topology

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	abanico "github.com/abanico/abanico"
)

// Action is what a plan does to one resource.
type Action string

// Actions, in the order a plan lists their counts.
const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
	Delete    Action = "delete"
)

// Kind is the kind of resource a change is about.
type Kind string

// Resource kinds.
const (
	KindTopic        Kind = "topic"
	KindQueue        Kind = "queue"
	KindSubscription Kind = "subscription"
	KindFunction     Kind = "function"
)

// Change is one step of a plan. Name is the resource's name; for a
// subscription it reads "TOPIC -> PROTOCOL ENDPOINT". Fields lists what an
// update changes (e.g. "attributes.VisibilityTimeout", "filter"). Path and
// Line locate the resource in the file (empty and 0 for deletions).
type Change struct {
	Action Action   `json:"action"`
	Kind   Kind     `json:"kind"`
	Name   string   `json:"name"`
	Fields []string `json:"fields,omitempty"`
	Path   string   `json:"path,omitempty"`
	Line   int      `json:"line,omitempty"`

	do   func(ctx context.Context) error
	undo func(ctx context.Context) error
}

// Plan is what applying a file would do to a server, in the order it
// would be done. Unchanged resources are listed too, and do nothing.
type Plan struct {
	File    *File
	Changes []*Change
	client  *abanico.Client
}

// Counts returns how many changes the plan has of each action.
func (p *Plan) Counts() map[Action]int {
	n := map[Action]int{Create: 0, Update: 0, Unchanged: 0, Delete: 0}
	for _, c := range p.Changes {
		n[c.Action]++
	}
	return n
}

// Summary is the one-line count of the plan's actions.
func (p *Plan) Summary() string {
	n := p.Counts()
	return fmt.Sprintf("%d to create, %d to update, %d unchanged, %d to delete", n[Create], n[Update], n[Unchanged], n[Delete])
}

// state is what the server holds.
type state struct {
	topics    map[string]*abanico.Topic
	queues    map[string]*abanico.Queue
	functions map[string]*abanico.Function
	subs      map[string][]abanico.Subscription // by topic name
}

func loadState(ctx context.Context, c *abanico.Client) (*state, error) {
	s := &state{topics: map[string]*abanico.Topic{}, queues: map[string]*abanico.Queue{}, functions: map[string]*abanico.Function{}, subs: map[string][]abanico.Subscription{}}
	topics, err := c.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	for i := range topics {
		s.topics[topics[i].Name] = &topics[i]
	}
	queues, err := c.ListQueues(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range queues {
		s.queues[queues[i].Name] = &queues[i]
	}
	fns, err := c.ListFunctions(ctx)
	if err != nil {
		return nil, err
	}
	for i := range fns {
		s.functions[fns[i].Name] = &fns[i]
	}
	subs, err := c.ListSubscriptions(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		s.subs[sub.Topic] = append(s.subs[sub.Topic], sub)
	}
	return s, nil
}

// PlanOptions tune [NewPlan].
type PlanOptions struct {
	// Prune deletes topics, queues, functions and subscriptions that the
	// server holds and the file does not declare.
	Prune bool
}

// NewPlan compares f with what the server behind c holds. It fails, with
// the file position, when the file refers to a queue or function that
// neither it nor the server has, or asks to change what cannot change
// (such as a queue's FifoQueue).
func NewPlan(ctx context.Context, c *abanico.Client, f *File, opts PlanOptions) (*Plan, error) {
	st, err := loadState(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("read the server's topology: %w", err)
	}
	b := &planner{plan: &Plan{File: f, client: c}, st: st, c: c, file: f}
	b.checkReferences()
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	queues, err := b.queueOrder()
	if err != nil {
		return nil, err
	}
	for _, q := range queues {
		b.queue(q)
	}
	for _, fn := range f.Functions {
		b.function(fn)
	}
	for _, t := range f.Topics {
		b.topic(t)
	}
	for _, t := range f.Topics {
		for _, s := range t.Subscriptions {
			b.subscription(s)
		}
	}
	b.plan.Changes = append(b.plan.Changes, b.late...)
	if opts.Prune {
		b.prune()
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return b.plan, nil
}

type planner struct {
	plan *Plan
	st   *state
	c    *abanico.Client
	file *File
	errs Errors
	// late holds changes that cannot be undone and so run after every
	// other creation and update (function code).
	late []*Change
}

func (b *planner) errorf(path, format string, args ...any) {
	b.errs = append(b.errs, &Error{File: b.file.Name, Pos: b.file.Position(path), Field: path, Message: fmt.Sprintf(format, args...)})
}

func (b *planner) add(c *Change) {
	if c.Path != "" {
		c.Line = b.file.Position(c.Path).Line
	}
	b.plan.Changes = append(b.plan.Changes, c)
}

// checkReferences reports queues and functions the file refers to that
// neither it nor the server has.
func (b *planner) checkReferences() {
	queues, functions := map[string]bool{}, map[string]bool{}
	for _, q := range b.file.Queues {
		queues[q.Name] = true
	}
	for _, fn := range b.file.Functions {
		functions[fn.Name] = true
	}
	queue := func(name, path string) {
		if _, ok := b.st.queues[name]; !ok && !queues[name] {
			b.errorf(path, "queue %q is neither declared in the file nor on the server", name)
		}
	}
	for _, q := range b.file.Queues {
		if q.DeadLetter != nil {
			queue(q.DeadLetter.Name, q.Path+".deadLetterQueue.name")
		}
	}
	for _, t := range b.file.Topics {
		for _, s := range t.Subscriptions {
			switch s.Protocol {
			case abanico.ProtocolQueue:
				queue(s.Endpoint, s.Path+".queue")
			case abanico.ProtocolFunction:
				if _, ok := b.st.functions[s.Endpoint]; !ok && !functions[s.Endpoint] {
					b.errorf(s.Path+".function", "function %q is neither declared in the file nor on the server", s.Endpoint)
				}
			}
			if s.DeadLetterQueue != "" {
				queue(s.DeadLetterQueue, s.Path+".deadLetterQueue")
			}
		}
	}
}

// queueOrder orders the file's queues so that every dead-letter queue
// comes before the queues that use it.
func (b *planner) queueOrder() ([]*Queue, error) {
	byName := map[string]*Queue{}
	for _, q := range b.file.Queues {
		byName[q.Name] = q
	}
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var out []*Queue
	var visit func(q *Queue) error
	visit = func(q *Queue) error {
		switch mark[q.Name] {
		case done:
			return nil
		case visiting:
			return Errors{{File: b.file.Name, Pos: b.file.Position(q.Path), Field: q.Path + ".deadLetterQueue", Message: fmt.Sprintf("dead-letter queues form a cycle through queue %q", q.Name)}}
		}
		mark[q.Name] = visiting
		if q.DeadLetter != nil {
			if d, ok := byName[q.DeadLetter.Name]; ok {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		mark[q.Name] = done
		out = append(out, q)
		return nil
	}
	for _, q := range b.file.Queues {
		if err := visit(q); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameValue reports whether two attribute values are equal, as strings
// or, when both are JSON documents, as JSON.
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// changedAttributes lists the declared attributes whose value differs
// from the current one.
func changedAttributes(declared, current map[string]string) []string {
	var out []string
	for _, k := range keys(declared) {
		if cur, ok := current[k]; !ok || !sameValue(declared[k], cur) {
			out = append(out, k)
		}
	}
	return out
}

// immutable attributes cannot change once a resource exists.
var immutable = map[string]bool{"FifoQueue": true, "FifoTopic": true}

func (b *planner) checkImmutable(path string, changed []string) {
	for _, k := range changed {
		if immutable[k] {
			b.errorf(path+".attributes."+k, "cannot be changed on an existing resource; delete it and apply again")
		}
	}
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

func (b *planner) queue(q *Queue) {
	cur, exists := b.st.queues[q.Name]
	if !exists {
		in := abanico.CreateQueueInput{Name: q.Name, Attributes: q.Attributes, Tags: q.Tags}
		if q.DeadLetter != nil {
			in.DeadLetterQueue = &abanico.DeadLetter{Name: q.DeadLetter.Name, MaxReceiveCount: q.DeadLetter.MaxReceiveCount}
		}
		b.add(&Change{Action: Create, Kind: KindQueue, Name: q.Name, Path: q.Path,
			do: func(ctx context.Context) error {
				_, err := b.c.CreateQueue(ctx, in)
				return err
			},
			undo: func(ctx context.Context) error { return b.c.DeleteQueue(ctx, q.Name) },
		})
		return
	}
	changed := changedAttributes(q.Attributes, cur.Attributes)
	b.checkImmutable(q.Path, changed)
	dlqChanged := q.DeadLetter != nil && !sameDeadLetter(cur.Attributes["RedrivePolicy"], q.DeadLetter)
	if len(changed) == 0 && !dlqChanged {
		b.add(&Change{Action: Unchanged, Kind: KindQueue, Name: q.Name, Path: q.Path})
		return
	}
	fields := prefixed("attributes.", changed)
	if dlqChanged {
		fields = append(fields, "deadLetterQueue")
	}
	old := map[string]string{}
	for _, k := range changed {
		old[k] = cur.Attributes[k]
	}
	if dlqChanged {
		old["RedrivePolicy"] = cur.Attributes["RedrivePolicy"]
	}
	b.add(&Change{Action: Update, Kind: KindQueue, Name: q.Name, Fields: fields, Path: q.Path,
		do: func(ctx context.Context) error {
			set := map[string]string{}
			for _, k := range changed {
				set[k] = q.Attributes[k]
			}
			if dlqChanged {
				d, err := b.c.GetQueue(ctx, q.DeadLetter.Name)
				if err != nil {
					return err
				}
				rp, err := json.Marshal(map[string]any{"deadLetterTargetArn": d.ARN, "maxReceiveCount": q.DeadLetter.MaxReceiveCount})
				if err != nil {
					return fmt.Errorf("encode redrive policy: %w", err)
				}
				set["RedrivePolicy"] = string(rp)
			}
			_, err := b.c.UpdateQueue(ctx, q.Name, set)
			return err
		},
		undo: func(ctx context.Context) error {
			_, err := b.c.UpdateQueue(ctx, q.Name, old)
			return err
		},
	})
}

// redrive is a RedrivePolicy attribute.
type redrive struct {
	Target string `json:"deadLetterTargetArn"`
	Max    any    `json:"maxReceiveCount"`
}

// sameDeadLetter reports whether a RedrivePolicy attribute names d.
func sameDeadLetter(policy string, d *DeadLetter) bool {
	var rp redrive
	if policy == "" || json.Unmarshal([]byte(policy), &rp) != nil {
		return false
	}
	return arnName(rp.Target) == d.Name && fmt.Sprint(rp.Max) == strconv.Itoa(d.MaxReceiveCount)
}

// arnName is the last element of an ARN: a queue's or topic's name.
func arnName(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}

func (b *planner) topic(t *Topic) {
	attrs := t.Attributes
	if strings.HasSuffix(t.Name, ".fifo") {
		attrs = withDefault(attrs, "FifoTopic", "true")
	}
	cur, exists := b.st.topics[t.Name]
	if !exists {
		in := abanico.CreateTopicInput{Name: t.Name, Attributes: attrs, Tags: t.Tags}
		b.add(&Change{Action: Create, Kind: KindTopic, Name: t.Name, Path: t.Path,
			do: func(ctx context.Context) error {
				_, err := b.c.CreateTopic(ctx, in)
				return err
			},
			undo: func(ctx context.Context) error { return b.c.DeleteTopic(ctx, t.Name) },
		})
		return
	}
	changed := changedAttributes(attrs, cur.Attributes)
	b.checkImmutable(t.Path, changed)
	if len(changed) == 0 {
		b.add(&Change{Action: Unchanged, Kind: KindTopic, Name: t.Name, Path: t.Path})
		return
	}
	set, old := map[string]string{}, map[string]string{}
	for _, k := range changed {
		set[k], old[k] = attrs[k], cur.Attributes[k]
	}
	b.add(&Change{Action: Update, Kind: KindTopic, Name: t.Name, Fields: prefixed("attributes.", changed), Path: t.Path,
		do: func(ctx context.Context) error {
			_, err := b.c.UpdateTopic(ctx, t.Name, set)
			return err
		},
		undo: func(ctx context.Context) error {
			_, err := b.c.UpdateTopic(ctx, t.Name, old)
			return err
		},
	})
}

func withDefault(m map[string]string, k, v string) map[string]string {
	if _, ok := m[k]; ok {
		return m
	}
	out := map[string]string{k: v}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// subscriptionName is how plans name a subscription.
func subscriptionName(topic, protocol, endpoint string) string {
	return topic + " -> " + protocol + " " + endpoint
}

// subscriptionSettings are the settings of a subscription a file
// declares, in a form comparable with what the server shows.
type subscriptionSettings struct {
	filter, scope, deadLetter, deliveryPolicy, webhookSecret string
	raw                                                      bool
}

func declaredSettings(s *Subscription) subscriptionSettings {
	scope := "MessageAttributes"
	if s.FilterScope == "body" {
		scope = "MessageBody"
	}
	return subscriptionSettings{filter: string(s.Filter), scope: scope, deadLetter: s.DeadLetterQueue,
		deliveryPolicy: string(s.DeliveryPolicy), webhookSecret: s.WebhookSecret, raw: s.Raw}
}

func currentSettings(attrs map[string]string) subscriptionSettings {
	scope := attrs["FilterPolicyScope"]
	if scope == "" {
		scope = "MessageAttributes"
	}
	s := subscriptionSettings{filter: attrs["FilterPolicy"], scope: scope, deliveryPolicy: attrs["DeliveryPolicy"],
		webhookSecret: attrs["StandardWebhooksSecret"], raw: attrs["RawMessageDelivery"] == "true"}
	var rp redrive
	if json.Unmarshal([]byte(attrs["RedrivePolicy"]), &rp) == nil && rp.Target != "" {
		s.deadLetter = arnName(rp.Target)
	}
	return s
}

// changed lists the fields (as the file names them) where s and o differ.
func (s subscriptionSettings) changed(o subscriptionSettings) []string {
	var out []string
	if !sameJSON(s.filter, o.filter) {
		out = append(out, "filter")
	}
	if s.scope != o.scope && (s.filter != "" || o.filter != "") {
		out = append(out, "filterScope")
	}
	if s.raw != o.raw {
		out = append(out, "raw")
	}
	if s.deadLetter != o.deadLetter {
		out = append(out, "deadLetterQueue")
	}
	if !sameJSON(s.deliveryPolicy, o.deliveryPolicy) {
		out = append(out, "deliveryPolicy")
	}
	if s.webhookSecret != o.webhookSecret {
		out = append(out, "webhookSecret")
	}
	return out
}

// sameJSON compares optional JSON objects: "" and "{}" are both none.
func sameJSON(a, b string) bool {
	none := func(s string) bool { return s == "" || s == "{}" || s == "null" }
	if none(a) || none(b) {
		return none(a) && none(b)
	}
	return sameValue(a, b)
}

// update is the native update that gives a subscription settings s.
func (s subscriptionSettings) update() abanico.UpdateSubscriptionInput {
	raw := s.raw
	in := abanico.UpdateSubscriptionInput{
		FilterPolicy:    jsonOrNull(s.filter),
		DeliveryPolicy:  jsonOrNull(s.deliveryPolicy),
		Raw:             &raw,
		DeadLetterQueue: &s.deadLetter,
		WebhookSecret:   &s.webhookSecret,
	}
	if s.filter != "" {
		scope := "attributes"
		if s.scope == "MessageBody" {
			scope = "body"
		}
		in.FilterScope = scope
	}
	return in
}

func jsonOrNull(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

func (b *planner) subscription(s *Subscription) {
	name := subscriptionName(s.Topic, s.Protocol, s.Endpoint)
	var cur *abanico.Subscription
	for i, o := range b.st.subs[s.Topic] {
		if o.Protocol == s.Protocol && o.Endpoint == s.Endpoint {
			cur = &b.st.subs[s.Topic][i]
		}
	}
	want := declaredSettings(s)
	if cur == nil {
		in := abanico.SubscribeInput{Protocol: s.Protocol, Endpoint: s.Endpoint, FilterPolicy: s.Filter, Raw: s.Raw,
			DeadLetterQueue: s.DeadLetterQueue, DeliveryPolicy: s.DeliveryPolicy, WebhookSecret: s.WebhookSecret}
		if len(s.Filter) > 0 {
			in.FilterScope = s.FilterScope
		}
		var arn string
		b.add(&Change{Action: Create, Kind: KindSubscription, Name: name, Path: s.Path,
			do: func(ctx context.Context) error {
				sub, err := b.c.Subscribe(ctx, s.Topic, in)
				if err == nil {
					arn = sub.ARN
				}
				return err
			},
			undo: func(ctx context.Context) error { return b.c.Unsubscribe(ctx, arn) },
		})
		return
	}
	have := currentSettings(cur.Attributes)
	fields := want.changed(have)
	if len(fields) == 0 {
		b.add(&Change{Action: Unchanged, Kind: KindSubscription, Name: name, Path: s.Path})
		return
	}
	arn := cur.ARN
	b.add(&Change{Action: Update, Kind: KindSubscription, Name: name, Fields: fields, Path: s.Path,
		do: func(ctx context.Context) error {
			_, err := b.c.UpdateSubscription(ctx, arn, want.update())
			return err
		},
		undo: func(ctx context.Context) error {
			_, err := b.c.UpdateSubscription(ctx, arn, have.update())
			return err
		},
	})
}

func (b *planner) function(fn *Function) {
	cur, exists := b.st.functions[fn.Name]
	if !exists {
		in := abanico.CreateFunctionInput{Name: fn.Name, Runtime: fn.Runtime, Handler: fn.Handler, Timeout: fn.Timeout,
			MemorySize: fn.MemorySize, Environment: fn.Environment, ReservedConcurrency: fn.ReservedConcurrency, Zip: fn.Zip}
		b.add(&Change{Action: Create, Kind: KindFunction, Name: fn.Name, Path: fn.Path,
			do: func(ctx context.Context) error {
				_, err := b.c.CreateFunction(ctx, in)
				return err
			},
			undo: func(ctx context.Context) error { return b.c.DeleteFunction(ctx, fn.Name) },
		})
		return
	}
	var fields []string
	var set, old abanico.UpdateFunctionInput
	if fn.Runtime != "" && fn.Runtime != cur.Runtime {
		fields, set.Runtime, old.Runtime = append(fields, "runtime"), &fn.Runtime, &cur.Runtime
	}
	if fn.Handler != "" && fn.Handler != cur.Handler {
		fields, set.Handler, old.Handler = append(fields, "handler"), &fn.Handler, &cur.Handler
	}
	if fn.Timeout != 0 && fn.Timeout != cur.Timeout {
		fields, set.Timeout, old.Timeout = append(fields, "timeout"), &fn.Timeout, &cur.Timeout
	}
	if fn.MemorySize != 0 && fn.MemorySize != cur.MemorySize {
		fields, set.MemorySize, old.MemorySize = append(fields, "memorySize"), &fn.MemorySize, &cur.MemorySize
	}
	if fn.Environment != nil && !sameMap(fn.Environment, cur.Environment) {
		curEnv := cur.Environment
		if curEnv == nil {
			curEnv = map[string]string{}
		}
		fields, set.Environment, old.Environment = append(fields, "environment"), fn.Environment, curEnv
	}
	if fn.ReservedConcurrency != nil && (cur.ReservedConcurrency == nil || *cur.ReservedConcurrency != *fn.ReservedConcurrency) {
		fields, set.ReservedConcurrency = append(fields, "reservedConcurrency"), fn.ReservedConcurrency
		old.ReservedConcurrency = cur.ReservedConcurrency
		if old.ReservedConcurrency == nil {
			old.RemoveReservedConcurrency = true
		}
	}
	codeChanged := fn.CodeSha256 != cur.CodeSha256
	if len(fields) == 0 && !codeChanged {
		b.add(&Change{Action: Unchanged, Kind: KindFunction, Name: fn.Name, Path: fn.Path})
		return
	}
	if len(fields) > 0 {
		b.add(&Change{Action: Update, Kind: KindFunction, Name: fn.Name, Fields: fields, Path: fn.Path,
			do: func(ctx context.Context) error {
				_, err := b.c.UpdateFunction(ctx, fn.Name, set)
				return err
			},
			undo: func(ctx context.Context) error {
				_, err := b.c.UpdateFunction(ctx, fn.Name, old)
				return err
			},
		})
	}
	if codeChanged {
		// New code cannot be taken back (the old code is not kept), so it
		// goes in after every change that can be undone.
		c := &Change{Action: Update, Kind: KindFunction, Name: fn.Name, Fields: []string{"code"}, Path: fn.Path,
			do: func(ctx context.Context) error {
				_, err := b.c.UpdateFunctionCode(ctx, fn.Name, fn.Zip)
				return err
			},
		}
		c.Line = b.file.Position(fn.Path).Line
		b.late = append(b.late, c)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// prune plans the deletion of what the server has and the file does not
// declare: subscriptions of declared topics first, then topics (with
// their subscriptions), queues and functions.
func (b *planner) prune() {
	topics, queues, functions := map[string]*Topic{}, map[string]bool{}, map[string]bool{}
	for _, t := range b.file.Topics {
		topics[t.Name] = t
	}
	for _, q := range b.file.Queues {
		queues[q.Name] = true
	}
	for _, fn := range b.file.Functions {
		functions[fn.Name] = true
	}
	del := func(kind Kind, name string, do func(ctx context.Context) error) {
		b.plan.Changes = append(b.plan.Changes, &Change{Action: Delete, Kind: kind, Name: name, do: do})
	}
	for _, name := range keys(b.st.subs) {
		t, declared := topics[name]
		if !declared {
			continue
		}
		for _, sub := range b.st.subs[name] {
			if t.has(sub.Protocol, sub.Endpoint) {
				continue
			}
			arn := sub.ARN
			del(KindSubscription, subscriptionName(name, sub.Protocol, sub.Endpoint), func(ctx context.Context) error { return b.c.Unsubscribe(ctx, arn) })
		}
	}
	for _, name := range keys(b.st.topics) {
		if topics[name] == nil {
			del(KindTopic, name, func(ctx context.Context) error { return b.c.DeleteTopic(ctx, name) })
		}
	}
	for _, name := range keys(b.st.queues) {
		if !queues[name] {
			del(KindQueue, name, func(ctx context.Context) error { return b.c.DeleteQueue(ctx, name) })
		}
	}
	for _, name := range keys(b.st.functions) {
		if !functions[name] {
			del(KindFunction, name, func(ctx context.Context) error { return b.c.DeleteFunction(ctx, name) })
		}
	}
}

func (t *Topic) has(protocol, endpoint string) bool {
	for _, s := range t.Subscriptions {
		if s.Protocol == protocol && s.Endpoint == endpoint {
			return true
		}
	}
	return false
}

// Progress is told of each step of [Plan.Apply] after it ran (err is its
// outcome) and of each step undone after a failure (undo is true).
type Progress func(step, total int, c *Change, undo bool, err error)

// Apply carries out the plan's changes in order. When a creation or update
// fails, the changes already made are undone in reverse order and the
// error names the failing resource's position in the file; function code
// replaced by the plan cannot be taken back, so it is replaced after every
// other creation and update, and deletions (which cannot be undone either)
// come last. progress, when not nil, hears of every step.
func (p *Plan) Apply(ctx context.Context, progress Progress) error {
	var steps []*Change
	for _, c := range p.Changes {
		if c.do != nil {
			steps = append(steps, c)
		}
	}
	for i, c := range steps {
		err := c.do(ctx)
		if progress != nil {
			progress(i+1, len(steps), c, false, err)
		}
		if err == nil {
			continue
		}
		err = p.stepError(c, err)
		if c.Action == Delete {
			return err
		}
		if uerr := p.undo(ctx, steps[:i], progress); uerr != nil {
			return fmt.Errorf("%w; undoing the steps before it failed too: %w", err, uerr)
		}
		return err
	}
	return nil
}

func (p *Plan) undo(ctx context.Context, done []*Change, progress Progress) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		c := done[i]
		if c.undo == nil {
			continue
		}
		err := c.undo(ctx)
		if progress != nil {
			progress(i+1, len(done), c, true, err)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("undo %s %s %s: %w", c.Action, c.Kind, c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// stepError places a server's refusal of a step in the file: at the field
// the server names when the file has it, else at the resource.
func (p *Plan) stepError(c *Change, err error) error {
	msg := fmt.Sprintf("%s %s %s: %v", c.Action, c.Kind, c.Name, err)
	if c.Path == "" {
		return errors.New(msg)
	}
	field := c.Path
	var ae *abanico.Error
	if errors.As(err, &ae) && ae.Field != "" {
		f := c.Path + "." + ae.Field
		if _, ok := p.File.pos[f]; ok {
			field = f
		}
	}
	return &Error{File: p.File.Name, Pos: p.File.Position(field), Field: field, Message: msg}
}

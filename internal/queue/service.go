// Package queue implements SQS standard-queue semantics on JetStream.
//
// Each queue is a subject in one of a few shared WorkQueue streams plus one
// durable pull consumer filtered on it: a message is stored once (group
// committed with the engine's durability) and removed when deleted. Queue
// definitions live in a JetStream key-value bucket and are cached in memory on
// every node through a watch, so a cluster of Abanico nodes shares them.
//
// The consumer supplies redelivery timers, delivery counts and long polling;
// this package adds what SQS has and JetStream lacks: per-receive and changed
// visibility (NAK with delay), delays (message schedules), retention (message
// TTLs), dead-letter moves after maxReceiveCount, purge and move tasks.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/registry"
)

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	// Shards is the number of streams queues are spread over (default 4).
	Shards int
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SweepInterval is how often messages past their queue's retention
	// period are deleted (default 1 min). Receives never return such
	// messages in between.
	SweepInterval time.Duration
	// ConsumerIdle is how long a queue's consumer lives without receives
	// before JetStream deletes it (default 1h). Consumers are created on
	// the first receive, so idle queues cost no consumer.
	ConsumerIdle time.Duration
}

// Queue is a queue's definition.
type Queue struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	Shard       int               `json:"shard"`
	Attributes  map[string]string `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
	Permissions []Permission      `json:"permissions,omitempty"`
	Created     int64             `json:"created"`
	Modified    int64             `json:"modified"`
}

// clone copies q deeply enough for modification.
func (q *Queue) clone() *Queue {
	cp := *q
	cp.Attributes = cloneMap(q.Attributes)
	cp.Tags = cloneMap(q.Tags)
	cp.Permissions = append([]Permission(nil), q.Permissions...)
	return &cp
}

// Permission is a statement added with AddPermission.
type Permission struct {
	Label    string   `json:"label"`
	Accounts []string `json:"accounts"`
	Actions  []string `json:"actions"`
}

// Service is the queue engine shared by every front end.
type Service struct {
	eng     *engine.Engine
	js      jetstream.JetStream
	reg     *registry.Registry[Queue]
	opts    Options
	log     *slog.Logger
	writers []*engine.Writer
	now     func() time.Time

	inflight  *inflightTable
	purges    sync.Map // queue ID -> time of last purge
	consumers sync.Map // queue ID -> struct{}: consumer known to exist

	tasks *moveTasks

	stop     chan struct{}
	draining chan struct{}
	drainOne sync.Once
	wg       sync.WaitGroup
}

// Drain makes waiting receives return at once with what they have; new
// receives stop waiting too. Used on shutdown.
func (s *Service) Drain() {
	s.drainOne.Do(func() { close(s.draining) })
}

const (
	kvBucket     = "abanico_queues"
	streamPrefix = "ABANICO_Q"
	subjPrefix   = "abq"
)

func streamName(shard int) string        { return fmt.Sprintf("%s_%d", streamPrefix, shard) }
func msgSubject(q *Queue) string         { return fmt.Sprintf("%s.%d.m.%s", subjPrefix, q.Shard, q.ID) }
func delaySubjectPrefix(q *Queue) string { return fmt.Sprintf("%s.%d.d.%s", subjPrefix, q.Shard, q.ID) }

// New opens the queue service: it creates (or adopts) the streams and the
// definitions bucket and loads every queue.
func New(ctx context.Context, eng *engine.Engine, opts Options) (*Service, error) {
	if opts.Shards <= 0 {
		opts.Shards = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = time.Minute
	}
	if opts.ConsumerIdle <= 0 {
		opts.ConsumerIdle = time.Hour
	}
	s := &Service{
		eng: eng, js: eng.JetStream(), opts: opts, log: opts.Logger, now: opts.Now,
		stop: make(chan struct{}), draining: make(chan struct{}),
	}
	s.inflight = newInflightTable()
	s.tasks = newMoveTasks()
	for i := 0; i < opts.Shards; i++ {
		cfg := jetstream.StreamConfig{
			Name:               streamName(i),
			Subjects:           []string{fmt.Sprintf("%s.%d.>", subjPrefix, i)},
			Retention:          jetstream.WorkQueuePolicy,
			Storage:            jetstream.FileStorage,
			Replicas:           eng.Replicas(),
			AllowAtomicPublish: true,
			AllowMsgSchedules:  true,
			AllowDirect:        true,
			Duplicates:         5 * time.Minute,
			MaxMsgSize:         4 << 20,
			MaxConsumers:       1 << 30,
		}
		if _, err := s.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("create stream %s: %w", cfg.Name, err)
		}
		w, err := eng.NewWriter(cfg.Name)
		if err != nil {
			return nil, err
		}
		s.writers = append(s.writers, w)
	}
	reg, err := registry.Open[Queue](ctx, eng, kvBucket, s.log, nil)
	if err != nil {
		return nil, err
	}
	s.reg = reg
	s.wg.Add(1)
	go s.sweepLoop()
	return s, nil
}

// apiTimeout bounds each JetStream API call made for a request.
const apiTimeout = 15 * time.Second

// apiCtx gives ctx a deadline (some JetStream calls require one).
func apiCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, apiTimeout)
}

// Close stops background work and the writers.
func (s *Service) Close() {
	s.Drain()
	close(s.stop)
	s.tasks.cancelAll()
	s.reg.Close()
	s.wg.Wait()
	for _, w := range s.writers {
		w.Close()
	}
}

// ARN returns a queue's ARN.
func (s *Service) ARN(name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.opts.Region, s.opts.AccountID, name)
}

// Region is the configured region.
func (s *Service) Region() string { return s.opts.Region }

// AccountID is the configured account.
func (s *Service) AccountID() string { return s.opts.AccountID }

// Get returns a copy of a queue's definition.
func (s *Service) Get(name string) (*Queue, error) {
	q, _, ok := s.reg.Get(name)
	if !ok {
		return nil, noQueue()
	}
	return q.clone(), nil
}

// ByARN finds a queue by ARN.
func (s *Service) ByARN(arn string) (*Queue, error) {
	_, account, name, ok := ParseARN(arn)
	if !ok || account != s.opts.AccountID {
		return nil, noQueue()
	}
	return s.Get(name)
}

// ValidateName checks an SQS queue name.
func ValidateName(name string) error {
	if name == "" || len(name) > 80 {
		return errorf(CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			if strings.HasSuffix(name, ".fifo") && r == '.' {
				continue
			}
			return errorf(CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
		}
	}
	return nil
}

// Create creates a queue, or returns the existing one when every given
// attribute equals the stored value.
func (s *Service) Create(ctx context.Context, name string, attrs, tags map[string]string) (*Queue, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, ".fifo") || strings.EqualFold(attrs["FifoQueue"], "true") {
		return nil, errorf(CodeInvalidParameterValue, "FIFO queues are not supported yet: create a standard queue (a name without the .fifo suffix).")
	}
	norm, err := validateAttributes(attrs, true)
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	if err := s.checkRedriveTarget(name, norm); err != nil {
		return nil, err
	}
	for {
		if existing, err := s.Get(name); err == nil {
			for k, v := range norm {
				cur, ok := existing.Attributes[k]
				if !ok {
					cur = defaultAttributes[k]
				}
				if cur != v {
					return nil, errorf(CodeQueueAlreadyExists, "A queue already exists with the same name and a different value for attribute %s", k)
				}
			}
			return existing, nil
		}
		now := s.now()
		q := &Queue{
			Name: name, ID: nuid.Next(), Attributes: map[string]string{}, Tags: tags,
			Created: now.Unix(), Modified: now.Unix(),
		}
		h := fnv.New32a()
		h.Write([]byte(q.ID))
		q.Shard = int(h.Sum32() % uint32(len(s.writers)))
		for k, v := range defaultAttributes {
			q.Attributes[k] = v
		}
		for k, v := range norm {
			q.Attributes[k] = v
		}
		err := s.reg.Create(ctx, name, q)
		if errors.Is(err, registry.ErrExists) {
			continue // lost a race with another creator: compare with the winner
		}
		if err != nil {
			return nil, internal(fmt.Errorf("store queue %s: %w", name, err))
		}
		s.log.Info("queue created", "queue", name, "id", q.ID)
		return s.Get(name)
	}
}

func (s *Service) checkRedriveTarget(name string, attrs map[string]string) error {
	rp, ok := attrs["RedrivePolicy"]
	if !ok || rp == "" {
		return nil
	}
	p, _, _ := parseRedrivePolicy(rp)
	dlq, err := s.ByARN(p.DeadLetterTargetArn)
	if err != nil {
		return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", rp)
	}
	if dlq.Name == name {
		return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target cannot be the queue itself.", rp)
	}
	if ap := dlq.Attributes["RedriveAllowPolicy"]; ap != "" {
		allow, _, _ := parseRedriveAllowPolicy(ap)
		src := s.ARN(name)
		switch allow.RedrivePermission {
		case "denyAll":
			return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Queue %s does not allow this queue to use it as a dead-letter queue.", rp, p.DeadLetterTargetArn)
		case "byQueue":
			found := false
			for _, a := range allow.SourceQueueArns {
				found = found || a == src
			}
			if !found {
				return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Queue %s does not allow this queue to use it as a dead-letter queue.", rp, p.DeadLetterTargetArn)
			}
		}
	}
	return nil
}

func (s *Service) consumerConfig(q *Queue) jetstream.ConsumerConfig {
	vt := attrInt(q.Attributes, "VisibilityTimeout")
	if vt <= 0 {
		vt = 30
	}
	return jetstream.ConsumerConfig{
		Durable:           q.ID,
		FilterSubject:     msgSubject(q),
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           time.Duration(vt) * time.Second,
		MaxDeliver:        -1,
		MaxAckPending:     120000,
		MaxWaiting:        4096,
		Replicas:          s.eng.Replicas(),
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: s.opts.ConsumerIdle,
	}
}

// ensureConsumer creates the queue's consumer unless this node knows it
// exists. Consumers are created on first use and deleted by JetStream after
// ConsumerIdle without receives; messages wait in the stream meanwhile.
func (s *Service) ensureConsumer(ctx context.Context, q *Queue) error {
	if _, ok := s.consumers.Load(q.ID); ok {
		return nil
	}
	ctx, cancel := apiCtx(ctx)
	defer cancel()
	if _, err := s.js.CreateOrUpdateConsumer(ctx, streamName(q.Shard), s.consumerConfig(q)); err != nil {
		return fmt.Errorf("consumer for queue %s: %w", q.Name, err)
	}
	s.consumers.Store(q.ID, struct{}{})
	return nil
}

// updateConsumer applies a changed visibility timeout to an existing
// consumer (a missing one gets the new value when it is created).
func (s *Service) updateConsumer(ctx context.Context, q *Queue) error {
	ctx, cancel := apiCtx(ctx)
	defer cancel()
	_, err := s.js.UpdateConsumer(ctx, streamName(q.Shard), s.consumerConfig(q))
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDoesNotExist) {
		s.consumers.Delete(q.ID)
		return nil
	}
	return err
}

// Delete removes a queue and its messages.
func (s *Service) Delete(ctx context.Context, name string) error {
	q, err := s.Get(name)
	if err != nil {
		return err
	}
	if err := s.reg.Delete(ctx, name); err != nil {
		return internal(fmt.Errorf("delete queue %s: %w", name, err))
	}
	if err := s.js.DeleteConsumer(ctx, streamName(q.Shard), q.ID); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Warn("delete consumer", "queue", name, "err", err)
	}
	s.consumers.Delete(q.ID)
	if err := s.purgeMessages(ctx, q); err != nil {
		s.log.Warn("purge deleted queue", "queue", name, "err", err)
	}
	s.inflight.dropQueue(q.ID)
	s.log.Info("queue deleted", "queue", name)
	return nil
}

func (s *Service) purgeMessages(ctx context.Context, q *Queue) error {
	st, err := s.js.Stream(ctx, streamName(q.Shard))
	if err != nil {
		return err
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(msgSubject(q))); err != nil {
		return err
	}
	return st.Purge(ctx, jetstream.WithPurgeSubject(delaySubjectPrefix(q)+".*"))
}

// List returns the queues whose names start with prefix, sorted by name.
// The definitions are shared: read them, never modify them.
func (s *Service) List(prefix string) []*Queue {
	return s.reg.List(prefix)
}

// update applies fn to a copy of the stored definition and stores it,
// retrying on concurrent changes.
func (s *Service) update(ctx context.Context, name string, fn func(q *Queue) error) (*Queue, error) {
	q, err := s.reg.Modify(ctx, name, (*Queue).clone, fn)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, noQueue()
	}
	var qe *Error
	if err != nil && !errors.As(err, &qe) {
		return nil, internal(err)
	}
	return q, err
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetAttributes validates and stores attributes; nothing changes on error.
func (s *Service) SetAttributes(ctx context.Context, name string, attrs map[string]string) error {
	if len(attrs) == 0 {
		return errorf(CodeMissingParameter, "The request must contain the parameter Attributes.")
	}
	if _, ok := attrs["FifoQueue"]; ok {
		return errorf(CodeInvalidAttributeName, "Unknown Attribute FifoQueue.")
	}
	norm, err := validateAttributes(attrs, false)
	if err != nil {
		return err
	}
	if _, err := s.Get(name); err != nil {
		return err
	}
	if err := s.checkRedriveTarget(name, norm); err != nil {
		return err
	}
	q, err := s.update(ctx, name, func(q *Queue) error {
		for k, v := range norm {
			if v == "" && (k == "RedrivePolicy" || k == "RedriveAllowPolicy" || k == "Policy") {
				delete(q.Attributes, k)
				continue
			}
			q.Attributes[k] = v
		}
		q.Modified = s.now().Unix()
		return nil
	})
	if err != nil {
		return err
	}
	if _, ok := norm["VisibilityTimeout"]; ok {
		if err := s.updateConsumer(ctx, q); err != nil {
			return internal(err)
		}
	}
	return nil
}

// GetAttributes returns the requested attributes ("All" for every one).
func (s *Service) GetAttributes(ctx context.Context, name string, names []string) (map[string]string, error) {
	q, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	all := false
	for _, n := range names {
		if !isKnownAttribute(n) {
			return nil, errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", n)
		}
		if n == "All" {
			all = true
		}
		want[n] = true
	}
	out := map[string]string{}
	add := func(k, v string) {
		if all || want[k] {
			out[k] = v
		}
	}
	for k, v := range q.Attributes {
		if v != "" {
			add(k, v)
		}
	}
	add("QueueArn", s.ARN(q.Name))
	add("CreatedTimestamp", fmtInt(q.Created))
	add("LastModifiedTimestamp", fmtInt(q.Modified))
	if all || want["ApproximateNumberOfMessages"] || want["ApproximateNumberOfMessagesNotVisible"] || want["ApproximateNumberOfMessagesDelayed"] {
		c, err := s.counts(ctx, q)
		if err != nil {
			return nil, internal(err)
		}
		add("ApproximateNumberOfMessages", fmtInt(c.visible))
		add("ApproximateNumberOfMessagesNotVisible", fmtInt(c.notVisible))
		add("ApproximateNumberOfMessagesDelayed", fmtInt(c.delayed))
	}
	return out, nil
}

type counts struct{ visible, notVisible, delayed int64 }

func (s *Service) counts(ctx context.Context, q *Queue) (counts, error) {
	var c counts
	ctx, cancel := apiCtx(ctx)
	defer cancel()
	st, err := s.js.Stream(ctx, streamName(q.Shard))
	if err != nil {
		return c, err
	}
	cons, err := st.Consumer(ctx, q.ID)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		// No consumer: every stored message is visible.
		si, err := st.Info(ctx, jetstream.WithSubjectFilter(msgSubject(q)))
		if err != nil {
			return c, err
		}
		c.visible = int64(si.State.Subjects[msgSubject(q)])
	case err != nil:
		return c, fmt.Errorf("consumer of %s: %w", q.Name, err)
	default:
		info, err := cons.Info(ctx)
		if err != nil {
			return c, fmt.Errorf("consumer info of %s: %w", q.Name, err)
		}
		expired := int64(s.inflight.countExpired(q.ID, s.now()))
		pending := int64(info.NumAckPending)
		if expired > pending {
			expired = pending
		}
		c.visible = int64(info.NumPending) + expired
		c.notVisible = pending - expired
	}
	si, err := st.Info(ctx, jetstream.WithSubjectFilter(delaySubjectPrefix(q)+".*"))
	if err != nil {
		return c, err
	}
	c.delayed = int64(len(si.State.Subjects))
	return c, nil
}

// Tag adds or replaces tags.
func (s *Service) Tag(ctx context.Context, name string, tags map[string]string) error {
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err := s.update(ctx, name, func(q *Queue) error {
		for k, v := range tags {
			q.Tags[k] = v
		}
		if len(q.Tags) > 50 {
			return errorf(CodeInvalidParameterValue, "Too many tags added for queue %s.", name)
		}
		return nil
	})
	return err
}

// Untag removes tags by key.
func (s *Service) Untag(ctx context.Context, name string, keys []string) error {
	_, err := s.update(ctx, name, func(q *Queue) error {
		for _, k := range keys {
			delete(q.Tags, k)
		}
		return nil
	})
	return err
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return errorf(CodeInvalidParameterValue, "Too many tags added for queue.")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 {
			return errorf(CodeInvalidParameterValue, "Tag keys must be between 1 and 128 characters in length.")
		}
		if len(v) > 256 {
			return errorf(CodeInvalidParameterValue, "Tag values must be at most 256 characters in length.")
		}
	}
	return nil
}

// AddPermission stores a permission statement.
func (s *Service) AddPermission(ctx context.Context, name string, p Permission) error {
	if p.Label == "" {
		return errorf(CodeMissingParameter, "The request must contain the parameter Label.")
	}
	if len(p.Accounts) == 0 {
		return errorf(CodeMissingParameter, "The request must contain the parameter AWSAccountIds.")
	}
	if len(p.Actions) == 0 {
		return errorf(CodeMissingParameter, "The request must contain the parameter Actions.")
	}
	_, err := s.update(ctx, name, func(q *Queue) error {
		for _, e := range q.Permissions {
			if e.Label == p.Label {
				return errorf(CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: Already exists.", p.Label)
			}
		}
		q.Permissions = append(q.Permissions, p)
		q.Attributes["Policy"] = policyDocument(s, q)
		return nil
	})
	return err
}

// RemovePermission removes a permission statement by label.
func (s *Service) RemovePermission(ctx context.Context, name, label string) error {
	_, err := s.update(ctx, name, func(q *Queue) error {
		for i, e := range q.Permissions {
			if e.Label == label {
				q.Permissions = append(q.Permissions[:i], q.Permissions[i+1:]...)
				if len(q.Permissions) == 0 {
					delete(q.Attributes, "Policy")
				} else {
					q.Attributes["Policy"] = policyDocument(s, q)
				}
				return nil
			}
		}
		return errorf(CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: can't find label on existing policy.", label)
	})
	return err
}

// policyDocument renders the permissions as an IAM policy, as SQS shows them
// in the Policy attribute.
func policyDocument(s *Service, q *Queue) string {
	type stmt struct {
		Sid       string         `json:"Sid"`
		Effect    string         `json:"Effect"`
		Principal map[string]any `json:"Principal"`
		Action    []string       `json:"Action"`
		Resource  string         `json:"Resource"`
	}
	doc := struct {
		Version   string `json:"Version"`
		ID        string `json:"Id"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17", ID: s.ARN(q.Name) + "/SQSDefaultPolicy"}
	for _, p := range q.Permissions {
		var principals []string
		for _, a := range p.Accounts {
			principals = append(principals, "arn:aws:iam::"+a+":root")
		}
		var actions []string
		for _, a := range p.Actions {
			actions = append(actions, "SQS:"+a)
		}
		doc.Statement = append(doc.Statement, stmt{
			Sid: p.Label, Effect: "Allow", Principal: map[string]any{"AWS": principals},
			Action: actions, Resource: s.ARN(q.Name),
		})
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// DeadLetterSources lists the queues whose RedrivePolicy targets name.
func (s *Service) DeadLetterSources(name string) ([]*Queue, error) {
	if _, err := s.Get(name); err != nil {
		return nil, err
	}
	arn := s.ARN(name)
	var out []*Queue
	for _, q := range s.List("") {
		if rp := q.Attributes["RedrivePolicy"]; rp != "" {
			p, _, err := parseRedrivePolicy(rp)
			if err == nil && p.DeadLetterTargetArn == arn {
				out = append(out, q)
			}
		}
	}
	return out, nil
}

// Purge deletes every message of a queue. SQS allows one purge per 60 s.
func (s *Service) Purge(ctx context.Context, name string) error {
	q, err := s.Get(name)
	if err != nil {
		return err
	}
	now := s.now()
	if last, ok := s.purges.Load(q.ID); ok && now.Sub(last.(time.Time)) < 60*time.Second {
		return errorf(CodePurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", name)
	}
	s.purges.Store(q.ID, now)
	if err := s.purgeMessages(ctx, q); err != nil {
		s.purges.Delete(q.ID)
		return internal(fmt.Errorf("purge %s: %w", name, err))
	}
	s.inflight.dropQueue(q.ID)
	return nil
}

func (s *Service) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.inflight.sweep(s.now().Add(-12 * time.Hour))
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.SweepInterval)
			if err := s.expire(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("retention sweep", "err", err)
			}
			cancel()
		}
	}
}

// expire deletes, in every queue, the messages stored longer ago than the
// queue's MessageRetentionPeriod. Retention costs no per-message state: for
// each queue one lookup finds the first message young enough to keep and
// one purge removes everything before it on the queue's subject. Messages
// stored after the sweep started are never touched.
func (s *Service) expire(ctx context.Context) error {
	last := make([]uint64, len(s.writers))
	for i := range s.writers {
		st, err := s.js.Stream(ctx, streamName(i))
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		last[i] = info.State.LastSeq
	}
	now := s.now()
	for _, q := range s.List("") {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cutoff := now.Add(-time.Duration(attrInt(q.Attributes, "MessageRetentionPeriod")) * time.Second)
		stream := streamName(q.Shard)
		first, any, err := s.eng.FirstSeqSince(ctx, stream, msgSubject(q), time.Unix(0, 0))
		if err != nil {
			return err
		}
		if !any {
			continue // empty queue
		}
		seq, found, err := s.eng.FirstSeqSince(ctx, stream, msgSubject(q), cutoff)
		if err != nil {
			return err
		}
		upTo := last[q.Shard] + 1
		if found {
			upTo = seq
		}
		if first >= upTo {
			continue // nothing old enough
		}
		st, err := s.js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		if err := st.Purge(ctx, jetstream.WithPurgeSubject(msgSubject(q)), jetstream.WithPurgeSequence(upTo)); err != nil {
			return fmt.Errorf("expire messages of %s: %w", q.Name, err)
		}
	}
	return nil
}

package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/filter"
	"github.com/abanico/abanico/internal/function"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/registry"
	"github.com/abanico/abanico/internal/snssign"
	"github.com/abanico/abanico/internal/webhook"
)

// Options configure a Service.
type Options struct {
	Region    string
	AccountID string
	// PublicURL is the base URL messages point back to (SigningCertURL,
	// UnsubscribeURL, SubscribeURL), e.g. http://localhost:4566.
	PublicURL string
	// DataDir holds the signing key and certificate (DataDir/sns-signing).
	DataDir string
	// Shards is the number of streams topics are spread over (default 4).
	Shards int
	// Dispatchers is the number of fanout workers per shard (default 2).
	Dispatchers int
	// Retention is how long a published message is kept for fanout
	// (default 24h): a message the dispatchers could not fan out in that
	// time (e.g. the server was down longer) is dropped.
	Retention time.Duration
	// FilterLimits bound filter policies (AWS's by default).
	FilterLimits filter.Limits
	// Webhook configures HTTP/S delivery: endpoint protection, CA bundle,
	// redirects and the per-attempt timeout.
	Webhook webhook.Options
	// EndpointConcurrency bounds the requests in flight, and the
	// connections, of one http/https subscription on one node (default 16).
	EndpointConcurrency int
	// Breaker configures each endpoint's circuit breaker (nil: the
	// default; Failures 0 turns it off).
	Breaker *delivery.BreakerConfig
	// AttemptLogSize is how many recent attempts each subscription keeps
	// (default 100).
	AttemptLogSize int
	// Functions runs the functions of lambda subscriptions (nil: lambda
	// subscriptions fail delivery).
	Functions FunctionInvoker
	// TokenTTL is how long a confirmation token is valid and an
	// unconfirmed subscription is kept (default 48h).
	TokenTTL time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// FunctionInvoker invokes a function for a lambda subscription.
type FunctionInvoker interface {
	Deliver(ctx context.Context, functionArn string, payload []byte) (function.DeliveryResult, error)
}

// Service is the topic engine shared by every front end.
type Service struct {
	eng     *engine.Engine
	js      jetstream.JetStream
	queues  *queue.Service
	signer  *snssign.Signer
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	writers []*engine.Writer

	topics *registry.Registry[Topic]
	subs   *registry.Registry[Subscription]
	// unsubscribed keeps deleted endpoint subscriptions by the token of
	// their UnsubscribeConfirmation, which can restore them.
	unsubscribed *registry.Registry[Subscription]
	sigs         *sigCache

	// routes: topic ID -> its confirmed subscriptions with compiled
	// policies, rebuilt when a subscription or topic changes.
	mu       sync.RWMutex
	routes   map[string]*route
	subTopic map[string]string        // subscription ID -> topic ID, for routes
	pending  map[string]*Subscription // subscriptions awaiting confirmation

	// workers deliver the endpoint subscriptions on this node.
	wmu      sync.Mutex
	workers  map[string]*endpointWorker
	wstarted bool

	// qstats: what this node's dispatchers did for each queue
	// subscription, by subscription ID.
	qmu    sync.Mutex
	qstats map[string]*deliveryStats

	stop chan struct{}
	wg   sync.WaitGroup
}

// route is what the dispatcher needs to fan a topic's message out: the
// topic's confirmed subscriptions and one matcher compiled from all their
// filter policies, so that matching a message costs about the same for 10
// subscriptions as for 100 000.
type route struct {
	topic *Topic
	subs  []*target
	set   *filter.Set // entry i is subs[i]
}

// newRoute builds a route and its matcher.
func newRoute(t *Topic, subs []*target) *route {
	entries := make([]filter.Entry, len(subs))
	for i, tg := range subs {
		entries[i] = filter.Entry{ID: i, Policy: tg.policy}
	}
	return &route{topic: t, subs: subs, set: filter.NewSet(entries)}
}

type target struct {
	sub    *Subscription
	arn    string
	policy *filter.Policy // nil: no filter
	raw    bool
	dlq    string         // subscription dead-letter queue ARN
	secret []byte         // Standard Webhooks signing key (nil: not used)
	stats  *deliveryStats // queue subscriptions: what the dispatchers did
}

const (
	topicBucket = "abanico_topics"
	subBucket   = "abanico_subscriptions"
	// unsubscribedBucket: deleted endpoint subscriptions, by token.
	unsubscribedBucket = "abanico_unsubscribed"
	streamPre          = "ABANICO_T"
	subjectPre         = "abt"
)

func streamName(shard int) string  { return fmt.Sprintf("%s_%d", streamPre, shard) }
func topicSubject(t *Topic) string { return fmt.Sprintf("%s.%d.%s", subjectPre, t.Shard, t.ID) }

// New opens the topic service and starts its dispatchers.
func New(ctx context.Context, eng *engine.Engine, queues *queue.Service, opts Options) (*Service, error) {
	if opts.Shards <= 0 {
		opts.Shards = 4
	}
	if opts.Retention <= 0 {
		opts.Retention = 24 * time.Hour
	}
	if opts.Dispatchers <= 0 {
		opts.Dispatchers = 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FilterLimits == (filter.Limits{}) {
		opts.FilterLimits = filter.DefaultLimits()
	}
	if opts.EndpointConcurrency <= 0 {
		opts.EndpointConcurrency = 16
	}
	if opts.Breaker == nil {
		def := delivery.DefaultBreakerConfig()
		opts.Breaker = &def
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	signer, err := snssign.LoadOrCreate(opts.DataDir + "/sns-signing")
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	s := &Service{
		eng: eng, js: eng.JetStream(), queues: queues, signer: signer, opts: opts,
		log: opts.Logger, now: opts.Now, routes: map[string]*route{}, subTopic: map[string]string{}, stop: make(chan struct{}),
		pending: map[string]*Subscription{}, workers: map[string]*endpointWorker{}, qstats: map[string]*deliveryStats{}, sigs: newSigCache(),
	}
	for i := 0; i < opts.Shards; i++ {
		name := streamName(i)
		if _, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:     name,
			Subjects: []string{fmt.Sprintf("%s.%d.>", subjectPre, i)},
			// Limits retention: dispatched messages are not removed one by
			// one (a tombstone write each, under the stream's lock) but age
			// out a whole block at a time; the dispatcher's cursor is its
			// consumer.
			Retention:    jetstream.LimitsPolicy,
			MaxAge:       opts.Retention,
			Storage:      jetstream.FileStorage,
			Replicas:     eng.Replicas(),
			AllowDirect:  true,
			Duplicates:   5 * time.Minute,
			MaxMsgSize:   4 << 20,
			MaxConsumers: 1 << 30,
		}); err != nil {
			return nil, fmt.Errorf("create stream %s: %w", name, err)
		}
		if _, err := s.js.CreateOrUpdateConsumer(ctx, name, jetstream.ConsumerConfig{
			Durable:       "dispatch",
			FilterSubject: fmt.Sprintf("%s.%d.>", subjectPre, i),
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       30 * time.Second,
			MaxDeliver:    -1,
			MaxAckPending: 50000,
			MaxWaiting:    512,
			Replicas:      eng.Replicas(),
		}); err != nil {
			return nil, fmt.Errorf("create dispatcher of %s: %w", name, err)
		}
		w, err := eng.NewWriter(name)
		if err != nil {
			return nil, err
		}
		s.writers = append(s.writers, w)
	}
	// Subscriptions first, so that topic notifications find them.
	if s.subs, err = registry.Open[Subscription](ctx, eng, subBucket, s.log, s.subChanged); err != nil {
		return nil, err
	}
	if s.topics, err = registry.Open[Topic](ctx, eng, topicBucket, s.log, s.topicChanged); err != nil {
		return nil, err
	}
	if s.unsubscribed, err = registry.Open[Subscription](ctx, eng, unsubscribedBucket, s.log, nil); err != nil {
		return nil, err
	}
	s.rebuildAll()
	s.startWorkers()
	s.wg.Add(1)
	go s.expireLoop()
	for i := 0; i < opts.Shards; i++ {
		for j := 0; j < opts.Dispatchers; j++ {
			s.wg.Add(1)
			go s.dispatchLoop(i)
		}
	}
	return s, nil
}

// Close stops the dispatchers (messages not yet dispatched stay stored and
// are dispatched after a restart) and the writers.
func (s *Service) Close() {
	close(s.stop)
	s.stopWorkers()
	s.wg.Wait()
	s.subs.Close()
	s.topics.Close()
	s.unsubscribed.Close()
	for _, w := range s.writers {
		w.Close()
	}
}

// TopicArn returns a topic's ARN.
func (s *Service) TopicArn(name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", s.opts.Region, s.opts.AccountID, name)
}

// SubscriptionArn returns a subscription's ARN.
func (s *Service) SubscriptionArn(sub *Subscription) string {
	return s.TopicArn(sub.TopicName) + ":" + sub.ID
}

// parseTopicArn returns the topic name of an ARN of this region and account.
func (s *Service) topicByArn(arn string) (*Topic, *Error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[5] == "" {
		return nil, invalidParameter("TopicArn")
	}
	if parts[3] != s.opts.Region || parts[4] != s.opts.AccountID {
		return nil, errorf(CodeNotFound, "Topic does not exist")
	}
	t, _, ok := s.topics.Get(parts[5])
	if !ok {
		return nil, errorf(CodeNotFound, "Topic does not exist")
	}
	return t, nil
}

func (s *Service) subByArn(arn string) (*Subscription, *Error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "sns" {
		return nil, invalidParameter("SubscriptionArn")
	}
	sub, _, ok := s.subs.Get(parts[6])
	if !ok || sub.TopicName != parts[5] || parts[3] != s.opts.Region || parts[4] != s.opts.AccountID {
		return nil, errorf(CodeNotFound, "Subscription does not exist")
	}
	return sub, nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (t *Topic) clone() *Topic {
	cp := *t
	cp.Attributes = cloneMap(t.Attributes)
	cp.Tags = cloneMap(t.Tags)
	cp.Permissions = append([]Permission(nil), t.Permissions...)
	return &cp
}

func (s *Subscription) clone() *Subscription {
	cp := *s
	cp.Attributes = cloneMap(s.Attributes)
	return &cp
}

// validTopicName checks SNS's topic name rule.
func validTopicName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// CreateTopic creates a topic, or returns the existing one of that name
// when the given attributes and tags match it.
func (s *Service) CreateTopic(ctx context.Context, name string, attrs, tags map[string]string) (*Topic, error) {
	if strings.HasSuffix(name, ".fifo") || strings.EqualFold(attrs["FifoTopic"], "true") {
		return nil, invalidParameter("Topic Name Reason: FIFO topics are not supported yet")
	}
	if !validTopicName(name) {
		return nil, invalidParameter("Topic Name")
	}
	norm := map[string]string{}
	for k, v := range attrs {
		nv, err := validateTopicAttribute(k, v)
		if err != nil {
			return nil, err
		}
		norm[k] = nv
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	for {
		if t, _, ok := s.topics.Get(name); ok {
			for k, v := range norm {
				if t.Attributes[k] != v {
					return nil, invalidParameter("Attributes Reason: Topic already exists with different attributes")
				}
			}
			for k, v := range tags {
				if t.Tags[k] != v {
					return nil, invalidParameter("Tags Reason: Topic already exists with different tags")
				}
			}
			return t.clone(), nil
		}
		t := &Topic{Name: name, ID: nuid.Next(), Attributes: norm, Tags: tags, Created: s.now().Unix()}
		h := fnv.New32a()
		h.Write([]byte(t.ID))
		t.Shard = int(h.Sum32() % uint32(len(s.writers)))
		err := s.topics.Create(ctx, name, t)
		if errors.Is(err, registry.ErrExists) {
			continue
		}
		if err != nil {
			return nil, internal(err)
		}
		s.log.Info("topic created", "topic", name)
		return t.clone(), nil
	}
}

// DeleteTopic deletes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds, as on SNS.
func (s *Service) DeleteTopic(ctx context.Context, topicArn string) error {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		if e.Code == CodeNotFound {
			return nil
		}
		return e
	}
	for _, sub := range s.subs.List("") {
		if sub.TopicID == t.ID {
			if err := s.subs.Delete(ctx, sub.ID); err != nil {
				return internal(err)
			}
			if isEndpoint(sub.Protocol) {
				s.deleteCursor(ctx, t.Shard, sub.ID)
			}
		}
	}
	if err := s.topics.Delete(ctx, t.Name); err != nil {
		return internal(err)
	}
	st, err := s.js.Stream(ctx, streamName(t.Shard))
	if err == nil {
		_ = st.Purge(ctx, jetstream.WithPurgeSubject(topicSubject(t)))
	}
	s.log.Info("topic deleted", "topic", t.Name)
	return nil
}

// ListTopics returns every topic, sorted by name.
func (s *Service) ListTopics() []*Topic { return s.topics.List("") }

// settableTopic lists the attributes SetTopicAttributes accepts.
var settableTopic = map[string]bool{
	"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "SignatureVersion": true,
	"TracingConfig": true, "KmsMasterKeyId": true, "DataProtectionPolicy": true,
	"ApplicationSuccessFeedbackRoleArn": true, "ApplicationFailureFeedbackRoleArn": true, "ApplicationSuccessFeedbackSampleRate": true,
	"FirehoseSuccessFeedbackRoleArn": true, "FirehoseFailureFeedbackRoleArn": true, "FirehoseSuccessFeedbackSampleRate": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPFailureFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true,
	"LambdaSuccessFeedbackRoleArn": true, "LambdaFailureFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true,
	"SQSSuccessFeedbackRoleArn": true, "SQSFailureFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true,
}

func validateTopicAttribute(name, value string) (string, *Error) {
	if !settableTopic[name] {
		if name == "FifoTopic" && strings.EqualFold(value, "false") {
			return "false", nil
		}
		return "", invalidParameter("AttributeName")
	}
	switch name {
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return "", invalidParameter("Attributes Reason: SignatureVersion must be 1 or 2")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return "", invalidParameter("Attributes Reason: TracingConfig must be PassThrough or Active")
		}
	case "DisplayName":
		if len(value) > 100 {
			return "", invalidParameter("DisplayName")
		}
	case "DeliveryPolicy":
		if value != "" {
			if _, err := delivery.ParseTopicPolicy(value); err != nil {
				return "", invalidParameter("DeliveryPolicy: %s", err.Error())
			}
		}
	case "Policy", "DataProtectionPolicy":
		if value != "" {
			var v map[string]any
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				return "", invalidParameter("Attributes Reason: %s: failed to parse JSON", name)
			}
		}
	}
	if strings.HasSuffix(name, "SampleRate") {
		n := 0
		if _, err := fmt.Sscanf(value, "%d", &n); err != nil || n < 0 || n > 100 {
			return "", invalidParameter("Attributes Reason: %s must be between 0 and 100", name)
		}
	}
	return value, nil
}

func validateTags(tags map[string]string) *Error {
	if len(tags) > 50 {
		return errorf(CodeTagLimitExceeded, "Could not complete request: tag quota of per resource exceeded")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return invalidParameter("Tags Reason: tag keys must be 1 to 128 and values at most 256 characters")
		}
	}
	return nil
}

// defaultDeliveryPolicy is SNS's effective HTTP delivery policy.
const defaultDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Service) defaultPolicy(arn string) string {
	return fmt.Sprintf(`{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"%s","Condition":{"StringEquals":{"AWS:SourceOwner":"%s"}}}]}`, arn, s.opts.AccountID)
}

// GetTopicAttributes returns every attribute of a topic, as SNS shows them.
func (s *Service) GetTopicAttributes(ctx context.Context, topicArn string) (map[string]string, error) {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return nil, e
	}
	arn := s.TopicArn(t.Name)
	out := map[string]string{
		"TopicArn": arn, "Owner": s.opts.AccountID, "DisplayName": "",
		"Policy": s.policyDocument(t), "EffectiveDeliveryPolicy": defaultDeliveryPolicy,
		"SubscriptionsDeleted": "0",
	}
	for k, v := range t.Attributes {
		if v != "" {
			out[k] = v
		}
	}
	if dp := t.Attributes["DeliveryPolicy"]; dp != "" {
		out["EffectiveDeliveryPolicy"] = dp
	}
	confirmed := len(s.topicSubs(t.ID))
	pending := len(s.topicSubsWithPending(t.ID)) - confirmed
	out["SubscriptionsConfirmed"] = fmt.Sprint(confirmed)
	out["SubscriptionsPending"] = fmt.Sprint(pending)
	return out, nil
}

func (s *Service) policyDocument(t *Topic) string {
	if p := t.Attributes["Policy"]; p != "" {
		return p
	}
	arn := s.TopicArn(t.Name)
	if len(t.Permissions) == 0 {
		return s.defaultPolicy(arn)
	}
	var doc map[string]any
	_ = json.Unmarshal([]byte(s.defaultPolicy(arn)), &doc)
	stmts := doc["Statement"].([]any)
	for _, p := range t.Permissions {
		var principals, actions []string
		for _, a := range p.Accounts {
			principals = append(principals, "arn:aws:iam::"+a+":root")
		}
		for _, a := range p.Actions {
			actions = append(actions, "SNS:"+a)
		}
		stmts = append(stmts, map[string]any{"Sid": p.Label, "Effect": "Allow",
			"Principal": map[string]any{"AWS": principals}, "Action": actions, "Resource": arn})
	}
	doc["Statement"] = stmts
	b, _ := json.Marshal(doc)
	return string(b)
}

func (s *Service) modifyTopic(ctx context.Context, t *Topic, fn func(*Topic) error) error {
	_, err := s.topics.Modify(ctx, t.Name, (*Topic).clone, fn)
	if errors.Is(err, registry.ErrNotFound) {
		return errorf(CodeNotFound, "Topic does not exist")
	}
	var te *Error
	if err != nil && !errors.As(err, &te) {
		return internal(err)
	}
	return err
}

// SetTopicAttribute sets one attribute; nothing changes on error.
func (s *Service) SetTopicAttribute(ctx context.Context, topicArn, name, value string) error {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return e
	}
	v, e := validateTopicAttribute(name, value)
	if e != nil {
		return e
	}
	return s.modifyTopic(ctx, t, func(t *Topic) error {
		if v == "" {
			delete(t.Attributes, name)
		} else {
			t.Attributes[name] = v
		}
		return nil
	})
}

// TagResource adds or replaces tags of a topic.
func (s *Service) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	t, e := s.topicByArn(arn)
	if e != nil {
		if e.Code == CodeNotFound {
			return errorf(CodeResourceNotFound, "Resource does not exist")
		}
		return e
	}
	if e := validateTags(tags); e != nil {
		return e
	}
	return s.modifyTopic(ctx, t, func(t *Topic) error {
		for k, v := range tags {
			t.Tags[k] = v
		}
		if len(t.Tags) > 50 {
			return errorf(CodeTagLimitExceeded, "Could not complete request: tag quota of per resource exceeded")
		}
		return nil
	})
}

// UntagResource removes tags.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	t, e := s.topicByArn(arn)
	if e != nil {
		if e.Code == CodeNotFound {
			return errorf(CodeResourceNotFound, "Resource does not exist")
		}
		return e
	}
	return s.modifyTopic(ctx, t, func(t *Topic) error {
		for _, k := range keys {
			delete(t.Tags, k)
		}
		return nil
	})
}

// ListTagsForResource returns a topic's tags.
func (s *Service) ListTagsForResource(arn string) (map[string]string, error) {
	t, e := s.topicByArn(arn)
	if e != nil {
		if e.Code == CodeNotFound {
			return nil, errorf(CodeResourceNotFound, "Resource does not exist")
		}
		return nil, e
	}
	return cloneMap(t.Tags), nil
}

// AddPermission adds a statement to the topic's policy.
func (s *Service) AddPermission(ctx context.Context, topicArn, label string, accounts, actions []string) error {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return e
	}
	if label == "" || len(accounts) == 0 || len(actions) == 0 {
		return invalidParameter("Label, AWSAccountId and ActionName are required")
	}
	return s.modifyTopic(ctx, t, func(t *Topic) error {
		for _, p := range t.Permissions {
			if p.Label == label {
				return invalidParameter("Statement already exists")
			}
		}
		t.Permissions = append(t.Permissions, Permission{Label: label, Accounts: accounts, Actions: actions})
		return nil
	})
}

// RemovePermission removes a statement by label.
func (s *Service) RemovePermission(ctx context.Context, topicArn, label string) error {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return e
	}
	return s.modifyTopic(ctx, t, func(t *Topic) error {
		for i, p := range t.Permissions {
			if p.Label == label {
				t.Permissions = append(t.Permissions[:i], t.Permissions[i+1:]...)
				return nil
			}
		}
		return invalidParameter("Label Reason: no such statement")
	})
}

// CertPEM is the signing certificate served at SigningCertURL.
func (s *Service) CertPEM() []byte { return s.signer.CertPEM() }

// CertPath is the URL path of the signing certificate.
func (s *Service) CertPath() string { return "/" + s.signer.CertFileName() }

// ListSubscriptions returns every subscription, ordered by topic then id.
func (s *Service) ListSubscriptions() []*Subscription {
	subs := s.subs.List("")
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].TopicName < subs[j].TopicName })
	return subs
}

// ListSubscriptionsByTopic returns a topic's subscriptions.
func (s *Service) ListSubscriptionsByTopic(topicArn string) ([]*Subscription, error) {
	t, e := s.topicByArn(topicArn)
	if e != nil {
		return nil, e
	}
	out := s.topicSubsWithPending(t.ID)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

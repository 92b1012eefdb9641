// Package bench is an SQS load generator. It can be pointed at any endpoint
// that speaks the SQS API as the official aws-sdk-go-v2 client speaks it
// (AWS itself, an emulator, or abanico's own server).
//
// Run creates a set of queues and starts concurrent senders and receivers
// against them for a fixed duration. It measures:
//
//   - send throughput: messages acknowledged by SendMessage(Batch) per
//     second of the send phase;
//   - receive throughput: messages received and then successfully deleted
//     per second of receiver activity (see Result for the exact window);
//   - end-to-end latency: from the moment a sender built the message (the
//     send time is embedded in the body) to the moment a receiver got it
//     back from ReceiveMessage. This includes the send call, the time the
//     message waited in the queue, and the receive call, so it is low only
//     when receivers keep up with senders;
//   - errors: every failed API call, and every failed entry of a batch call,
//     counted individually.
//
// Because the same process sends and receives, latency is computed from one
// clock and needs no clock synchronisation.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Options configures a benchmark run. Zero values select the documented
// defaults.
type Options struct {
	// Endpoint is the SQS endpoint URL, e.g. http://127.0.0.1:4566. Empty
	// means the SDK's normal AWS endpoint resolution.
	Endpoint string
	// Region is the signing region. Empty means the region from the
	// environment / shared config (AWS_REGION, profile), or us-east-1 if
	// none is configured.
	Region string
	// Queues is the number of queues to create and spread load over
	// (default 1).
	Queues int
	// QueuePrefix prefixes the queue names: <prefix>0, <prefix>1, ...
	// (default "abanico-bench-").
	QueuePrefix string
	// Senders is the number of concurrent sender goroutines (default 4).
	Senders int
	// Receivers is the number of concurrent receiver goroutines (default 4).
	Receivers int
	// Size is the message body size in bytes (default 1024). Bodies start
	// with a small header (about 33 bytes) carrying the send time; smaller
	// sizes are rounded up to the header length.
	Size int
	// Batch is the number of entries per SendMessageBatch, the
	// MaxNumberOfMessages of ReceiveMessage, and the most entries per
	// DeleteMessageBatch: 1..10 (default 10). With 1 the single-message
	// calls SendMessage and DeleteMessage are used instead of the batch ones
	// (and with more than 1 the batch calls are used even for one message).
	Batch int
	// Duration is the length of the send phase (default 30s).
	Duration time.Duration
	// WaitTime is the ReceiveMessage long-poll time in seconds, 0..20
	// (default 1). Zero means 1; use a negative value for short polling.
	WaitTime int32
	// Progress is the interval between progress lines written to the
	// output. Zero (or negative) disables them; DefaultProgress (1s) is the
	// intended CLI default.
	Progress time.Duration
	// KeepQueues leaves the queues in place at the end instead of deleting
	// them.
	KeepQueues bool
}

// DefaultProgress is the suggested progress interval.
const DefaultProgress = time.Second

// DrainTimeout bounds how long receivers keep going after the send phase to
// pick up messages that are still queued.
const DrainTimeout = 5 * time.Second

// cleanupTimeout bounds queue deletion at the end of a run.
const cleanupTimeout = 30 * time.Second

// NoReceivers as Options.Receivers runs senders only, to build a backlog
// (use with KeepQueues).
const NoReceivers = -1

func (o Options) withDefaults() (Options, error) {
	if o.Queues == 0 {
		o.Queues = 1
	}
	if o.QueuePrefix == "" {
		o.QueuePrefix = "abanico-bench-"
	}
	if o.Senders == 0 {
		o.Senders = 4
	}
	switch {
	case o.Receivers == 0:
		o.Receivers = 4
	case o.Receivers == NoReceivers:
		o.Receivers = 0
	}
	if o.Size == 0 {
		o.Size = 1024
	}
	if o.Batch == 0 {
		o.Batch = 10
	}
	if o.Duration == 0 {
		o.Duration = 30 * time.Second
	}
	if o.WaitTime == 0 {
		o.WaitTime = 1
	} else if o.WaitTime < 0 {
		o.WaitTime = 0
	}
	switch {
	case o.Queues < 0:
		return o, fmt.Errorf("bench: queues must be positive, got %d", o.Queues)
	case o.Senders < 0:
		return o, fmt.Errorf("bench: senders must be positive, got %d", o.Senders)
	case o.Receivers < 0 && o.Receivers != NoReceivers:
		return o, fmt.Errorf("bench: receivers must be positive, got %d", o.Receivers)
	case o.Size < 0:
		return o, fmt.Errorf("bench: size must be positive, got %d", o.Size)
	case o.Batch < 1 || o.Batch > 10:
		return o, fmt.Errorf("bench: batch must be between 1 and 10, got %d", o.Batch)
	case o.Duration < 0:
		return o, fmt.Errorf("bench: duration must be positive, got %s", o.Duration)
	case o.WaitTime > 20:
		return o, fmt.Errorf("bench: wait time must be at most 20 seconds, got %d", o.WaitTime)
	}
	return o, nil
}

// Run creates the queues, runs the load for o.Duration, drains, deletes the
// queues (unless o.KeepQueues) and returns the measurements. Progress lines
// are written to out (nil discards them); the final summary is not — call
// Result.Print for that.
//
// A failed API call during the load is counted in Result.Errors and never
// stops the run. Run returns an error if the options are invalid, the client
// cannot be configured, a queue cannot be created, or ctx is cancelled; in
// the last case the Result covers the work done until then. Failing to
// delete the queues at the end only prints a warning to out.
func Run(ctx context.Context, o Options, out io.Writer) (Result, error) {
	if out == nil {
		out = io.Discard
	}
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	client, region, err := newClient(ctx, o, out)
	if err != nil {
		return Result{}, err
	}

	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = "AWS default"
	}
	fmt.Fprintf(out, "bench: endpoint %s, region %s: %d queue(s), %d sender(s), %d receiver(s), %d B bodies, batch %d, %s\n",
		endpoint, region, o.Queues, o.Senders, o.Receivers, o.Size, o.Batch, o.Duration)

	urls, err := createQueues(ctx, client, o)
	if !o.KeepQueues {
		defer deleteQueues(ctx, client, urls, out)
	}
	if err != nil {
		return Result{}, err
	}

	r := newRunner(client, o, urls, out)
	res := r.run(ctx)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("bench: interrupted after %s: %w", res.Elapsed.Round(time.Millisecond), err)
	}
	return res, nil
}

// newClient builds the SQS client: default AWS config resolution, with a
// connection pool sized for the workers, a retryer without the client-side
// retry quota (which would otherwise turn a burst of throttling into
// spurious local failures), and static "test"/"test" credentials when the
// default chain finds none (the usual setup for local emulators).
func newClient(ctx context.Context, o Options, out io.Writer) (*sqs.Client, string, error) {
	cfg, err := loadConfig(ctx, o.Endpoint, o.Region, o.Senders+o.Receivers+8, out)
	if err != nil {
		return nil, "", err
	}
	client := sqs.NewFromConfig(cfg, func(so *sqs.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	return client, cfg.Region, nil
}

// loadConfig builds the AWS configuration for a client with conns
// connections to the endpoint.
func loadConfig(ctx context.Context, endpoint, region string, conns int, out io.Writer) (aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 2 * conns
		t.MaxIdleConnsPerHost = conns
	})
	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if region != "" {
		loadOpts = append(loadOpts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return cfg, fmt.Errorf("bench: loading AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if why := missingCredentials(ctx, cfg); why != "" {
		fmt.Fprintf(out, "bench: no AWS credentials found (%s); using static credentials test/test\n", why)
		cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("test", "test", ""))
	}
	return cfg, nil
}

// missingCredentials returns "" if the default credential chain yields keys,
// or a short reason why it does not.
func missingCredentials(ctx context.Context, cfg aws.Config) string {
	if cfg.Credentials == nil {
		return "no provider"
	}
	// The chain may end with the EC2 metadata service, which can be slow to
	// give up off EC2; do not let it hold the benchmark for long.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		msg := err.Error()
		if len(msg) > 120 {
			msg = msg[:120] + "..."
		}
		return msg
	}
	if !creds.HasKeys() {
		return "empty keys"
	}
	return ""
}

// createQueues creates (or, CreateQueue being idempotent, looks up) the
// queues. On error it returns the URLs created so far so they can be
// cleaned up.
func createQueues(ctx context.Context, c *sqs.Client, o Options) ([]string, error) {
	urls := make([]string, 0, o.Queues)
	for i := range o.Queues {
		name := o.QueuePrefix + strconv.Itoa(i)
		resp, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			return urls, fmt.Errorf("bench: creating queue %q: %w", name, err)
		}
		if resp.QueueUrl == nil || *resp.QueueUrl == "" {
			return urls, fmt.Errorf("bench: creating queue %q: response has no queue URL", name)
		}
		urls = append(urls, *resp.QueueUrl)
	}
	return urls, nil
}

// deleteQueues deletes the queues, even if ctx is already cancelled; it only
// warns on failure.
func deleteQueues(ctx context.Context, c *sqs.Client, urls []string, out io.Writer) {
	if len(urls) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for _, u := range urls {
		if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(u)}); err != nil {
			fmt.Fprintf(out, "bench: warning: deleting queue %s: %v\n", u, err)
		}
	}
}

// runner holds the state shared by the workers of one run.
type runner struct {
	c     *sqs.Client
	o     Options
	urls  []string
	out   io.Writer
	runID string
	pad   string // padding appended after the body header
	ids   []string
	hist  *Histogram

	sent, received, deleted, own, stale, errs atomic.Int64
	lastDelete                                atomic.Int64 // UnixNano of the latest successful delete

	errMu    sync.Mutex
	firstErr string

	// sendDone is closed once every sender has returned; drainUntil is
	// set just before.
	sendDone   chan struct{}
	drainUntil time.Time
}

func newRunner(c *sqs.Client, o Options, urls []string, out io.Writer) *runner {
	var b [4]byte
	_, _ = rand.Read(b[:])
	r := &runner{
		c:        c,
		o:        o,
		urls:     urls,
		out:      out,
		runID:    hex.EncodeToString(b[:]),
		hist:     NewHistogram(),
		sendDone: make(chan struct{}),
	}
	if n := o.Size - headerLen; n > 0 {
		r.pad = strings.Repeat("x", n)
	}
	for i := range o.Batch {
		r.ids = append(r.ids, strconv.Itoa(i))
	}
	return r
}

// Body layout: "t=<19-digit unix nanoseconds>;r=<8 hex run id>;" followed by
// 'x' padding up to the requested size.
const headerLen = len("t=") + 19 + len(";r=") + 8 + len(";")

func (r *runner) body(now time.Time) string {
	var sb strings.Builder
	sb.Grow(headerLen + len(r.pad))
	sb.WriteString("t=")
	sb.WriteString(strconv.FormatInt(now.UnixNano(), 10))
	sb.WriteString(";r=")
	sb.WriteString(r.runID)
	sb.WriteString(";")
	sb.WriteString(r.pad)
	return sb.String()
}

// parseBody extracts the send time and run id from a message body.
func parseBody(body string) (sent time.Time, runID string, ok bool) {
	rest, found := strings.CutPrefix(body, "t=")
	if !found {
		return time.Time{}, "", false
	}
	ts, rest, found := strings.Cut(rest, ";")
	if !found {
		return time.Time{}, "", false
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	rest, found = strings.CutPrefix(rest, "r=")
	if !found {
		return time.Time{}, "", false
	}
	runID, _, found = strings.Cut(rest, ";")
	if !found {
		return time.Time{}, "", false
	}
	return time.Unix(0, ns), runID, true
}

// fail counts n errors, remembering the first one for the summary. Once ctx
// is cancelled failures are no longer counted: they are the cancellation.
func (r *runner) fail(ctx context.Context, n int, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	r.errs.Add(int64(n))
	r.errMu.Lock()
	if r.firstErr == "" {
		r.firstErr = what + ": " + err.Error()
	}
	r.errMu.Unlock()
}

// batchErr describes a failed batch entry.
func batchErr(e types.BatchResultErrorEntry) error {
	return fmt.Errorf("entry failed: %s: %s", aws.ToString(e.Code), aws.ToString(e.Message))
}

func (r *runner) run(ctx context.Context) Result {
	start := time.Now()
	sendDeadline := start.Add(r.o.Duration)
	r.lastDelete.Store(start.UnixNano())

	var sendWG, recvWG sync.WaitGroup
	var sendEnd time.Time
	for i := range r.o.Senders {
		sendWG.Go(func() { r.sender(ctx, i, sendDeadline) })
	}
	for i := range r.o.Receivers {
		recvWG.Go(func() { r.receiver(ctx, i) })
	}

	recvDone := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		r.progress(start, recvDone)
	}()

	sendWG.Wait()
	sendEnd = time.Now()
	r.drainUntil = sendEnd.Add(DrainTimeout)
	close(r.sendDone)
	recvWG.Wait()
	end := time.Now()
	close(recvDone)
	<-progressDone

	res := Result{
		Sent:        r.sent.Load(),
		Received:    r.received.Load(),
		Deleted:     r.deleted.Load(),
		Errors:      r.errs.Load(),
		Stale:       r.stale.Load(),
		Elapsed:     end.Sub(start),
		SendElapsed: sendEnd.Sub(start),
		LatencyP50:  r.hist.Quantile(0.50),
		LatencyP99:  r.hist.Quantile(0.99),
		LatencyMax:  r.hist.Max(),
		FirstError:  r.firstErr,
	}
	// The receive window ends at the last successful delete, but never
	// before the send phase ends: idle long-polls at the tail of the drain
	// do not dilute the rate, and receivers that keep up exactly report the
	// same rate as the senders.
	recvEnd := time.Unix(0, r.lastDelete.Load())
	if recvEnd.Before(sendEnd) {
		recvEnd = sendEnd
	}
	if recvEnd.After(end) {
		recvEnd = end
	}
	res.ReceiveElapsed = recvEnd.Sub(start)
	if s := res.SendElapsed.Seconds(); s > 0 {
		res.SendRate = float64(res.Sent) / s
	}
	if s := res.ReceiveElapsed.Seconds(); s > 0 {
		res.ReceiveRate = float64(res.Deleted) / s
	}
	return res
}

// sender sends until the deadline. The deadline is checked between calls,
// and calls use ctx rather than a deadline context, so a call in flight at
// the deadline completes and is counted (no message is sent but uncounted).
func (r *runner) sender(ctx context.Context, worker int, deadline time.Time) {
	q := worker % len(r.urls)
	entries := make([]types.SendMessageBatchRequestEntry, r.o.Batch)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		url := aws.String(r.urls[q])
		q = (q + 1) % len(r.urls)
		if r.o.Batch == 1 {
			_, err := r.c.SendMessage(ctx, &sqs.SendMessageInput{
				QueueUrl:    url,
				MessageBody: aws.String(r.body(time.Now())),
			})
			if err != nil {
				r.fail(ctx, 1, "SendMessage", err)
				continue
			}
			r.sent.Add(1)
			continue
		}
		for i := range entries {
			entries[i] = types.SendMessageBatchRequestEntry{
				Id:          aws.String(r.ids[i]),
				MessageBody: aws.String(r.body(time.Now())),
			}
		}
		resp, err := r.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
			QueueUrl: url,
			Entries:  entries,
		})
		if err != nil {
			r.fail(ctx, len(entries), "SendMessageBatch", err)
			continue
		}
		r.sent.Add(int64(len(resp.Successful)))
		if len(resp.Failed) > 0 {
			r.fail(ctx, len(resp.Failed), "SendMessageBatch", batchErr(resp.Failed[0]))
		}
	}
}

// receiver receives and deletes until ctx is cancelled or, after the send
// phase, until the drain ends: DrainTimeout has passed, every message sent
// by this run has been deleted, or a full round over the queues came back
// empty.
func (r *runner) receiver(ctx context.Context, worker int) {
	q := worker % len(r.urls)
	empty := 0 // consecutive empty receives during the drain
	draining := false
	for ctx.Err() == nil {
		if !draining {
			select {
			case <-r.sendDone:
				draining = true
				empty = 0
			default:
			}
		}
		if draining {
			if time.Now().After(r.drainUntil) || r.own.Load() >= r.sent.Load() || empty >= len(r.urls) {
				return
			}
		}
		url := aws.String(r.urls[q])
		q = (q + 1) % len(r.urls)
		resp, err := r.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            url,
			MaxNumberOfMessages: int32(r.o.Batch),
			WaitTimeSeconds:     r.o.WaitTime,
		})
		if err != nil {
			r.fail(ctx, 1, "ReceiveMessage", err)
			if draining {
				empty++ // a failing receive must not keep the drain alive
			}
			continue
		}
		now := time.Now()
		if len(resp.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		r.received.Add(int64(len(resp.Messages)))
		owned := make([]bool, len(resp.Messages))
		for i, m := range resp.Messages {
			sent, id, ok := parseBody(aws.ToString(m.Body))
			if ok && id == r.runID {
				owned[i] = true
				r.hist.Record(now.Sub(sent))
			} else {
				r.stale.Add(1)
			}
		}
		r.delete(ctx, url, resp.Messages, owned)
	}
}

// delete deletes received messages and counts the successes.
func (r *runner) delete(ctx context.Context, url *string, msgs []types.Message, owned []bool) {
	ok := func(i int) {
		r.deleted.Add(1)
		if owned[i] {
			r.own.Add(1)
		}
	}
	if r.o.Batch == 1 {
		_, err := r.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{
			QueueUrl:      url,
			ReceiptHandle: msgs[0].ReceiptHandle,
		})
		if err != nil {
			r.fail(ctx, 1, "DeleteMessage", err)
			return
		}
		ok(0)
		r.lastDelete.Store(time.Now().UnixNano())
		return
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.DeleteMessageBatchRequestEntry{
			Id:            aws.String(r.ids[i]),
			ReceiptHandle: m.ReceiptHandle,
		}
	}
	resp, err := r.c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
		QueueUrl: url,
		Entries:  entries,
	})
	if err != nil {
		r.fail(ctx, len(entries), "DeleteMessageBatch", err)
		return
	}
	for _, s := range resp.Successful {
		i, err := strconv.Atoi(aws.ToString(s.Id))
		if err != nil || i < 0 || i >= len(msgs) {
			r.fail(ctx, 1, "DeleteMessageBatch", fmt.Errorf("response has unknown entry id %q", aws.ToString(s.Id)))
			continue
		}
		ok(i)
	}
	if len(resp.Failed) > 0 {
		r.fail(ctx, len(resp.Failed), "DeleteMessageBatch", batchErr(resp.Failed[0]))
	}
	if len(resp.Successful) > 0 {
		r.lastDelete.Store(time.Now().UnixNano())
	}
}

// progress prints a line every o.Progress until done is closed. Rates are
// over the last interval; latency percentiles are cumulative.
func (r *runner) progress(start time.Time, done <-chan struct{}) {
	if r.o.Progress <= 0 {
		<-done
		return
	}
	t := time.NewTicker(r.o.Progress)
	defer t.Stop()
	last := start
	var lastSent, lastDeleted int64
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			sent, deleted := r.sent.Load(), r.deleted.Load()
			dt := now.Sub(last).Seconds()
			phase := ""
			select {
			case <-r.sendDone:
				phase = " (draining)"
			default:
			}
			fmt.Fprintf(r.out, "%7.1fs  sent %9.0f/s  recv %9.0f/s  backlog %8d  errors %d  p50 %s  p99 %s%s\n",
				now.Sub(start).Seconds(),
				float64(sent-lastSent)/dt, float64(deleted-lastDeleted)/dt,
				sent-r.own.Load(), r.errs.Load(),
				fmtDur(r.hist.Quantile(0.50)), fmtDur(r.hist.Quantile(0.99)), phase)
			last, lastSent, lastDeleted = now, sent, deleted
		}
	}
}

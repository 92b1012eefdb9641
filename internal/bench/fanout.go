package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// FanoutOptions configure a fanout run: one topic with Subs queue
// subscriptions (raw delivery), Publishers publishing for Duration, and
// ReceiversPerQueue draining each queue.
type FanoutOptions struct {
	Endpoint string
	Region   string
	Prefix   string // default "abanico-fanout-"
	Load
	ReceiversPerQueue int // default 1
	Progress          time.Duration
}

// Load is the publishing side of the fanout benchmarks.
type Load struct {
	Subs       int // default 1
	Publishers int // default 4
	Size       int // default 1024
	Batch      int // messages per call: 1 = Publish, 2..10 = PublishBatch (default 1)
	Duration   time.Duration
}

// defaults fills unset fields and checks the batch size.
func (l *Load) defaults() error {
	if l.Subs <= 0 {
		l.Subs = 1
	}
	if l.Publishers <= 0 {
		l.Publishers = 4
	}
	if l.Size <= 0 {
		l.Size = 1024
	}
	if l.Batch <= 0 {
		l.Batch = 1
	}
	if l.Batch > 10 {
		return fmt.Errorf("bench: batch must be 1..10, got %d", l.Batch)
	}
	if l.Duration <= 0 {
		l.Duration = 30 * time.Second
	}
	return nil
}

// FanoutResult reports publish and delivery rates and end-to-end latency
// (from the publish call's start, embedded in the message, to its receipt
// from a subscribed queue).
type FanoutResult struct {
	Published, Delivered, Errors int64
	PublishElapsed, Elapsed      time.Duration
	LatencyP50, LatencyP99       time.Duration
	LatencyMax                   time.Duration
	Subs                         int
}

// Print writes a summary.
func (r FanoutResult) Print(w io.Writer) {
	fmt.Fprintf(w, "Fanout benchmark summary (%d subscriptions)\n", r.Subs)
	fmt.Fprintf(w, "  publish rate     %10.1f msg/s   (%d published in %s)\n", float64(r.Published)/r.PublishElapsed.Seconds(), r.Published, fmtDur(r.PublishElapsed))
	fmt.Fprintf(w, "  delivery rate    %10.1f msg/s   (%d delivered = received+deleted in %s)\n", float64(r.Delivered)/r.Elapsed.Seconds(), r.Delivered, fmtDur(r.Elapsed))
	fmt.Fprintf(w, "  expected         %d deliveries (published x subscriptions)\n", r.Published*int64(r.Subs))
	fmt.Fprintf(w, "  latency (e2e)    p50 %s   p99 %s   max %s\n", fmtDur(r.LatencyP50), fmtDur(r.LatencyP99), fmtDur(r.LatencyMax))
	fmt.Fprintf(w, "  errors           %d\n", r.Errors)
}

// RunFanout runs the fanout benchmark and removes what it created.
func RunFanout(ctx context.Context, o FanoutOptions, out io.Writer) (FanoutResult, error) {
	if o.Prefix == "" {
		o.Prefix = "abanico-fanout-"
	}
	if err := o.defaults(); err != nil {
		return FanoutResult{}, err
	}
	if o.ReceiversPerQueue <= 0 {
		o.ReceiversPerQueue = 1
	}
	if out == nil {
		out = io.Discard
	}
	res := FanoutResult{Subs: o.Subs}
	cfg, err := loadConfig(ctx, o.Endpoint, o.Region, o.Publishers+o.Subs*o.ReceiversPerQueue+8, out)
	if err != nil {
		return res, err
	}
	sq := sqs.NewFromConfig(cfg, func(so *sqs.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	sn := sns.NewFromConfig(cfg, func(so *sns.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(o.Prefix + "topic")})
	if err != nil {
		return res, fmt.Errorf("bench: create topic: %w", err)
	}
	cleanup, cancelCleanup := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancelCleanup()
	defer sn.DeleteTopic(cleanup, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
	var urls []string
	for i := 0; i < o.Subs; i++ {
		q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(o.Prefix + strconv.Itoa(i))})
		if err != nil {
			return res, fmt.Errorf("bench: create queue: %w", err)
		}
		urls = append(urls, *q.QueueUrl)
		defer sq.DeleteQueue(cleanup, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
		a, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			return res, fmt.Errorf("bench: queue arn: %w", err)
		}
		if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String(a.Attributes["QueueArn"]), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
			return res, fmt.Errorf("bench: subscribe: %w", err)
		}
	}
	fmt.Fprintf(out, "bench: fanout to %d queue(s), %d publisher(s), %d B messages, batch %d, %s\n", o.Subs, o.Publishers, o.Size, o.Batch, o.Duration)

	hist := NewHistogram()
	var published, delivered, errs atomic.Int64
	start := time.Now()
	pubDone, pubElapsed := publish(ctx, sn, *topic.TopicArn, o.Publishers, o.Batch, o.Size, start.Add(o.Duration), &published, &errs)
	var recvWG sync.WaitGroup
	for _, u := range urls {
		for r := 0; r < o.ReceiversPerQueue; r++ {
			recvWG.Add(1)
			go func(u string) {
				defer recvWG.Done()
				idle := 0
				for ctx.Err() == nil {
					out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
					if err != nil {
						errs.Add(1)
						continue
					}
					now := time.Now()
					select {
					case <-pubDone:
						if len(out.Messages) == 0 {
							idle++
							if idle >= 2 || delivered.Load() >= published.Load()*int64(o.Subs) {
								return
							}
						}
					default:
					}
					var del []types.DeleteMessageBatchRequestEntry
					for i, m := range out.Messages {
						if at, ok := sentAt(*m.Body); ok {
							hist.Record(now.Sub(at))
						}
						del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
					}
					if len(del) > 0 {
						r, err := sq.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &u, Entries: del})
						if err != nil {
							errs.Add(int64(len(del)))
							continue
						}
						delivered.Add(int64(len(r.Successful)))
					}
				}
			}(u)
		}
	}
	stopProgress := progress(out, o.Progress, start, &published, &delivered, &errs, hist)
	recvWG.Wait()
	close(stopProgress)
	res.Published, res.Delivered, res.Errors = published.Load(), delivered.Load(), errs.Load()
	res.PublishElapsed, res.Elapsed = *pubElapsed, time.Since(start)
	res.LatencyP50, res.LatencyP99, res.LatencyMax = hist.Quantile(0.5), hist.Quantile(0.99), hist.Max()
	return res, ctx.Err()
}

// publish runs publishers that send timestamped messages of size bytes to
// a topic until deadline (Publish, or PublishBatch when batch > 1). The
// channel closes when all have stopped; the duration is then set.
func publish(ctx context.Context, sn *sns.Client, topicArn string, publishers, batch, size int, deadline time.Time,
	published, errs *atomic.Int64) (<-chan struct{}, *time.Duration) {
	pad := strings.Repeat("x", max(0, size-24))
	start := time.Now()
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				body := "t=" + strconv.FormatInt(time.Now().UnixNano(), 10) + ";" + pad
				if batch == 1 {
					if _, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: &topicArn, Message: &body}); err != nil {
						errs.Add(1)
						continue
					}
					published.Add(1)
					continue
				}
				entries := make([]snstypes.PublishBatchRequestEntry, batch)
				for i := range entries {
					entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: &body}
				}
				r, err := sn.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topicArn, PublishBatchRequestEntries: entries})
				if err != nil {
					errs.Add(int64(batch))
					continue
				}
				published.Add(int64(len(r.Successful)))
				errs.Add(int64(len(r.Failed)))
			}
		}()
	}
	done := make(chan struct{})
	elapsed := new(time.Duration)
	go func() {
		wg.Wait()
		*elapsed = time.Since(start)
		close(done)
	}()
	return done, elapsed
}

// sentAt reads the publish time a publisher embedded ("t=<unix ns>;") in a
// message or in an envelope that carries it.
func sentAt(body string) (time.Time, bool) {
	i := strings.Index(body, "t=")
	if i < 0 {
		return time.Time{}, false
	}
	rest := body[i+2:]
	j := strings.IndexByte(rest, ';')
	if j < 0 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(rest[:j], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}

// progress prints a line every interval until the returned channel is
// closed (nothing when interval is 0).
func progress(out io.Writer, interval time.Duration, start time.Time, published, delivered, errs *atomic.Int64, hist *Histogram) chan struct{} {
	stop := make(chan struct{})
	if interval <= 0 {
		return stop
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		var lp, ld int64
		last := start
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				p, d := published.Load(), delivered.Load()
				dt := now.Sub(last).Seconds()
				fmt.Fprintf(out, "%7.1fs  published %8.0f/s  delivered %9.0f/s  errors %d  p50 %s  p99 %s\n",
					now.Sub(start).Seconds(), float64(p-lp)/dt, float64(d-ld)/dt, errs.Load(),
					fmtDur(hist.Quantile(0.5)), fmtDur(hist.Quantile(0.99)))
				lp, ld, last = p, d, now
			}
		}
	}()
	return stop
}

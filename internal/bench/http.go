package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// HTTPOptions configure an HTTP/S fanout run: one topic with Subs http
// subscriptions, each to its own receiver that this tool runs on
// ReceiverHost, and Publishers publishing for Duration.
type HTTPOptions struct {
	Endpoint string
	Region   string
	Prefix   string // default "abanico-http-"
	Load
	// Raw subscribes with RawMessageDelivery (no signed envelope).
	Raw bool
	// ReceiverHost is the address the receivers listen on, as the server
	// reaches them (default 127.0.0.1).
	ReceiverHost string
	Progress     time.Duration
}

// RunHTTP runs the HTTP fanout benchmark: receivers confirm their
// subscriptions by following SubscribeURL, answer every notification with
// 200 at once, and record delivery latency from publish to receipt.
func RunHTTP(ctx context.Context, o HTTPOptions, out io.Writer) (FanoutResult, error) {
	if o.Prefix == "" {
		o.Prefix = "abanico-http-"
	}
	if err := o.defaults(); err != nil {
		return FanoutResult{}, err
	}
	if o.ReceiverHost == "" {
		o.ReceiverHost = "127.0.0.1"
	}
	if out == nil {
		out = io.Discard
	}
	res := FanoutResult{Subs: o.Subs}
	cfg, err := loadConfig(ctx, o.Endpoint, o.Region, o.Publishers+8, out)
	if err != nil {
		return res, err
	}
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

	hist := NewHistogram()
	var published, delivered, errs, confirmed atomic.Int64
	rcv := &httpReceiver{hist: hist, delivered: &delivered, confirmed: &confirmed}
	for i := 0; i < o.Subs; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(o.ReceiverHost, "0"))
		if err != nil {
			return res, fmt.Errorf("bench: receiver listen: %w", err)
		}
		hs := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		attrs := map[string]string{}
		if o.Raw {
			attrs["RawMessageDelivery"] = "true"
		}
		if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"),
			Endpoint: aws.String("http://" + ln.Addr().String() + "/"), Attributes: attrs}); err != nil {
			return res, fmt.Errorf("bench: subscribe: %w", err)
		}
	}
	for confirmed.Load() < int64(o.Subs) {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	fmt.Fprintf(out, "bench: fanout to %d http endpoint(s) (raw %v), %d publisher(s), %d B messages, batch %d, %s\n",
		o.Subs, o.Raw, o.Publishers, o.Size, o.Batch, o.Duration)

	start := time.Now()
	pubDone, pubElapsed := publish(ctx, sn, *topic.TopicArn, o.Publishers, o.Batch, o.Size, start.Add(o.Duration), &published, &errs)
	stopProgress := progress(out, o.Progress, start, &published, &delivered, &errs, hist)
	// After publishing, wait until every copy arrived or none came for 5 s.
	<-pubDone
	last, lastChange := delivered.Load(), time.Now()
	for ctx.Err() == nil && delivered.Load() < published.Load()*int64(o.Subs) && time.Since(lastChange) < 5*time.Second {
		time.Sleep(50 * time.Millisecond)
		if d := delivered.Load(); d != last {
			last, lastChange = d, time.Now()
		}
	}
	close(stopProgress)
	res.Published, res.Delivered, res.Errors = published.Load(), delivered.Load(), errs.Load()
	res.PublishElapsed, res.Elapsed = *pubElapsed, time.Since(start)
	res.LatencyP50, res.LatencyP99, res.LatencyMax = hist.Quantile(0.5), hist.Quantile(0.99), hist.Max()
	return res, ctx.Err()
}

// httpReceiver is a fast webhook endpoint: it confirms subscriptions and
// counts notifications.
type httpReceiver struct {
	hist                 *Histogram
	delivered, confirmed *atomic.Int64
}

func (h *httpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	switch r.Header.Get("x-amz-sns-message-type") {
	case "SubscriptionConfirmation":
		var c struct{ SubscribeURL string }
		if json.Unmarshal(body, &c) == nil && c.SubscribeURL != "" {
			go func() {
				resp, err := http.Get(c.SubscribeURL)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						h.confirmed.Add(1)
					}
				}
			}()
		}
	case "Notification":
		if at, ok := sentAt(string(body)); ok {
			h.hist.Record(now.Sub(at))
		}
		h.delivered.Add(1)
	}
	w.WriteHeader(http.StatusOK)
}

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// LambdaOptions configure a function benchmark: a function from ZipFile
// (a custom-runtime bootstrap that answers Payload quickly) is invoked by
// Callers in parallel for Duration; then Messages are published to a
// topic with a lambda subscription to it.
type LambdaOptions struct {
	Endpoint string
	Region   string
	Name     string // default "abanico-bench-fn"
	ZipFile  string
	Payload  string // default {"action":"echo"}
	Callers  int    // default 4
	Duration time.Duration
	// Messages published for the SNS -> lambda part (0 skips it).
	Messages int
}

// LambdaResult reports invocation throughput and latency, the first
// (cold) invocation's latency, and SNS -> lambda delivery throughput.
type LambdaResult struct {
	Invocations, Errors      int64
	Elapsed                  time.Duration
	Cold                     time.Duration
	LatencyP50, LatencyP99   time.Duration
	Delivered                int64
	DeliveryElapsed          time.Duration
	PublishedForDeliveryTest int
}

// Print writes a summary.
func (r LambdaResult) Print(w io.Writer) {
	fmt.Fprintf(w, "Function benchmark summary\n")
	fmt.Fprintf(w, "  first (cold) invocation  %s\n", fmtDur(r.Cold))
	fmt.Fprintf(w, "  warm invocations         %10.1f /s   (%d in %s, RequestResponse through the API)\n",
		float64(r.Invocations)/r.Elapsed.Seconds(), r.Invocations, fmtDur(r.Elapsed))
	fmt.Fprintf(w, "  latency                  p50 %s   p99 %s\n", fmtDur(r.LatencyP50), fmtDur(r.LatencyP99))
	if r.PublishedForDeliveryTest > 0 {
		fmt.Fprintf(w, "  SNS -> lambda            %10.1f deliveries/s   (%d of %d in %s)\n",
			float64(r.Delivered)/r.DeliveryElapsed.Seconds(), r.Delivered, r.PublishedForDeliveryTest, fmtDur(r.DeliveryElapsed))
	}
	fmt.Fprintf(w, "  errors                   %d\n", r.Errors)
}

// RunLambda runs the function benchmark and removes what it created.
func RunLambda(ctx context.Context, o LambdaOptions, out io.Writer) (LambdaResult, error) {
	if o.Name == "" {
		o.Name = "abanico-bench-fn"
	}
	if o.Payload == "" {
		o.Payload = `{"action":"echo"}`
	}
	if o.Callers <= 0 {
		o.Callers = 4
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if out == nil {
		out = io.Discard
	}
	var res LambdaResult
	zipFile, err := os.ReadFile(o.ZipFile)
	if err != nil {
		return res, fmt.Errorf("bench: read function zip: %w", err)
	}
	cfg, err := loadConfig(ctx, o.Endpoint, o.Region, o.Callers+8, out)
	if err != nil {
		return res, err
	}
	fn := lambda.NewFromConfig(cfg, func(lo *lambda.Options) {
		if o.Endpoint != "" {
			lo.BaseEndpoint = aws.String(o.Endpoint)
		}
		lo.RetryMaxAttempts = 1
	})
	sn := sns.NewFromConfig(cfg, func(so *sns.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	created, err := fn.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: &o.Name, Runtime: ltypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/bench"), Code: &ltypes.FunctionCode{ZipFile: zipFile}})
	if err != nil {
		return res, fmt.Errorf("bench: create function: %w", err)
	}
	cleanup, cancelCleanup := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancelCleanup()
	defer fn.DeleteFunction(cleanup, &lambda.DeleteFunctionInput{FunctionName: &o.Name})

	invoke := func() (time.Duration, error) {
		start := time.Now()
		r, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: &o.Name, Payload: []byte(o.Payload)})
		if err == nil && r.FunctionError != nil {
			err = fmt.Errorf("function error: %s", r.Payload)
		}
		return time.Since(start), err
	}
	if res.Cold, err = invoke(); err != nil {
		return res, fmt.Errorf("bench: first invocation: %w", err)
	}
	fmt.Fprintf(out, "bench: %d caller(s) invoking %s for %s\n", o.Callers, o.Name, o.Duration)
	hist := NewHistogram()
	var n, errs atomic.Int64
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for i := 0; i < o.Callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				d, err := invoke()
				if err != nil {
					errs.Add(1)
					continue
				}
				hist.Record(d)
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	res.Invocations, res.Errors, res.Elapsed = n.Load(), errs.Load(), time.Since(start)
	res.LatencyP50, res.LatencyP99 = hist.Quantile(0.5), hist.Quantile(0.99)
	if o.Messages <= 0 {
		return res, ctx.Err()
	}
	res.PublishedForDeliveryTest = o.Messages
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(o.Name + "-topic")})
	if err != nil {
		return res, fmt.Errorf("bench: create topic: %w", err)
	}
	defer sn.DeleteTopic(cleanup, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
	sub, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"),
		Endpoint: created.FunctionArn, ReturnSubscriptionArn: true})
	if err != nil {
		return res, fmt.Errorf("bench: subscribe: %w", err)
	}
	fmt.Fprintf(out, "bench: publishing %d messages to a lambda subscription\n", o.Messages)
	start = time.Now()
	var pwg sync.WaitGroup
	next := atomic.Int64{}
	for i := 0; i < o.Callers; i++ {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for next.Add(1) <= int64(o.Messages) && ctx.Err() == nil {
				if _, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(`{"action":"echo"}`)}); err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	pwg.Wait()
	// Count deliveries from the subscription's counters (native API).
	for ctx.Err() == nil {
		d, err := delivered(ctx, o.Endpoint, *sub.SubscriptionArn)
		if err != nil {
			return res, err
		}
		res.Delivered = d
		if d >= int64(o.Messages) || time.Since(start) > 5*time.Minute {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	res.DeliveryElapsed = time.Since(start)
	res.Errors = errs.Load()
	return res, ctx.Err()
}

// delivered reads a subscription's delivered counter from the native API.
func delivered(ctx context.Context, endpoint, subArn string) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/v1/subscriptions/"+subArn+"/attempts", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bench: read subscription counters: %w", err)
	}
	defer resp.Body.Close()
	var st struct {
		Counters struct {
			Delivered int64 `json:"delivered"`
		} `json:"counters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("bench: read subscription counters: %w", err)
	}
	return st.Counters.Delivered, nil
}

package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// QueuesOptions configures a queue-creation run (scale test): create
// Count queues with Concurrency parallel CreateQueue calls.
type QueuesOptions struct {
	Endpoint    string
	Region      string
	Prefix      string // default "abanico-scale-"
	Count       int    // default 10000
	Concurrency int    // default 16
	Delete      bool   // delete the queues afterwards (measured too)
}

// QueuesResult reports creation (and deletion) rates.
type QueuesResult struct {
	Created, Deleted, Errors int64
	CreateElapsed            time.Duration
	DeleteElapsed            time.Duration
}

// Print writes a summary.
func (r QueuesResult) Print(w io.Writer) {
	fmt.Fprintf(w, "queues created  %d in %s (%.0f/s), errors %d\n", r.Created, fmtDur(r.CreateElapsed), float64(r.Created)/r.CreateElapsed.Seconds(), r.Errors)
	if r.DeleteElapsed > 0 {
		fmt.Fprintf(w, "queues deleted  %d in %s (%.0f/s)\n", r.Deleted, fmtDur(r.DeleteElapsed), float64(r.Deleted)/r.DeleteElapsed.Seconds())
	}
}

// RunQueues creates many queues as fast as the endpoint allows and reports
// the rate; with Delete it removes them again.
func RunQueues(ctx context.Context, o QueuesOptions, out io.Writer) (QueuesResult, error) {
	if o.Prefix == "" {
		o.Prefix = "abanico-scale-"
	}
	if o.Count <= 0 {
		o.Count = 10000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if out == nil {
		out = io.Discard
	}
	c, _, err := newClient(ctx, Options{Endpoint: o.Endpoint, Region: o.Region, Senders: o.Concurrency}, out)
	if err != nil {
		return QueuesResult{}, err
	}
	var res QueuesResult
	urls := make([]string, o.Count)
	run := func(fn func(i int) error, done *int64) time.Duration {
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < o.Concurrency; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= o.Count || ctx.Err() != nil {
						return
					}
					if err := fn(i); err != nil {
						atomic.AddInt64(&res.Errors, 1)
						continue
					}
					if n := atomic.AddInt64(done, 1); n%1000 == 0 {
						fmt.Fprintf(out, "  %d queues (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	res.CreateElapsed = run(func(i int) error {
		r, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(o.Prefix + strconv.Itoa(i))})
		if err == nil {
			urls[i] = *r.QueueUrl
		}
		return err
	}, &res.Created)
	if o.Delete {
		res.DeleteElapsed = run(func(i int) error {
			if urls[i] == "" {
				return nil
			}
			_, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &urls[i]})
			return err
		}, &res.Deleted)
	}
	return res, ctx.Err()
}

package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/abanico/abanico/internal/bench"
)

func newBench(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load tools that measure an endpoint",
	}
	cmd.AddCommand(newBenchSQS(stdout), newBenchQueues(stdout), newBenchFanout(stdout), newBenchHTTP(stdout), newBenchLambda(stdout))
	return cmd
}

// benchResult is a benchmark's outcome.
type benchResult interface{ Print(w io.Writer) }

// runBench runs a benchmark, writing its progress to stdout, until it ends
// or the process is interrupted, and then prints its result.
func runBench[R benchResult](stdout io.Writer, run func(ctx context.Context, progress io.Writer) (R, error)) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, stdout)
	res.Print(stdout)
	return err
}

// sizeValue is a message size flag such as 512, 1KiB or 256KiB.
type sizeValue struct{ n *int }

func newSize(n *int, def int) *sizeValue { *n = def; return &sizeValue{n} }

func (v *sizeValue) String() string { return strconv.Itoa(*v.n) }
func (v *sizeValue) Type() string   { return "size" }
func (v *sizeValue) Set(s string) error {
	n, err := bench.ParseSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

// targetFlags binds the endpoint and signing region every benchmark has.
func targetFlags(fl *pflag.FlagSet, endpoint, region *string, what string) {
	fl.StringVar(endpoint, "endpoint", "http://127.0.0.1:4566", what+" endpoint URL")
	fl.StringVar(region, "region", "", "signing region (default from the environment, else us-east-1)")
}

func progressFlag(fl *pflag.FlagSet, d *time.Duration) {
	fl.DurationVar(d, "progress", bench.DefaultProgress, "progress line interval (0 disables)")
}

func newBenchSQS(stdout io.Writer) *cobra.Command {
	var o bench.Options
	cmd := &cobra.Command{
		Use:   "sqs",
		Short: "Measure an SQS endpoint: send, receive and delete throughput and end-to-end latency",
		Long: `Measure any SQS endpoint (Abanico, AWS itself, another emulator) with the
official AWS SDK: senders send batches, receivers receive and delete them,
for --duration. Prints a progress line every second and a summary with
throughput (sent/s, received+deleted/s), end-to-end latency p50/p99/max and
errors. Credentials come from the usual AWS sources (test/test when none).

  abanico bench sqs --endpoint http://127.0.0.1:4566 --queues 1 --senders 4 \
      --receivers 4 --size 1KiB --batch 10 --duration 30s`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Receivers == 0 {
				o.Receivers = bench.NoReceivers
			}
			return runBench(stdout, func(ctx context.Context, progress io.Writer) (bench.Result, error) {
				return bench.Run(ctx, o, progress)
			})
		},
	}
	fl := cmd.Flags()
	targetFlags(fl, &o.Endpoint, &o.Region, "SQS (empty for AWS)")
	fl.IntVar(&o.Queues, "queues", 1, "number of queues")
	fl.StringVar(&o.QueuePrefix, "queue-prefix", "abanico-bench-", "queue name prefix")
	fl.IntVar(&o.Senders, "senders", 4, "concurrent senders")
	fl.IntVar(&o.Receivers, "receivers", 4, "concurrent receivers (0: send only, e.g. to build a backlog with --keep-queues)")
	fl.Var(newSize(&o.Size, 1024), "size", "message body size (e.g. 512, 1KiB, 256KiB)")
	fl.IntVar(&o.Batch, "batch", 10, "messages per send/receive/delete call (1-10)")
	fl.DurationVar(&o.Duration, "duration", 30*time.Second, "length of the send phase")
	fl.Int32Var(&o.WaitTime, "wait", 1, "receive long-poll seconds")
	progressFlag(fl, &o.Progress)
	fl.BoolVar(&o.KeepQueues, "keep-queues", false, "keep the queues after the run")
	return cmd
}

func newBenchQueues(stdout io.Writer) *cobra.Command {
	var o bench.QueuesOptions
	cmd := &cobra.Command{
		Use:   "sqs-queues",
		Short: "Measure queue creation: create --count queues with --concurrency parallel calls",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(stdout, func(ctx context.Context, progress io.Writer) (bench.QueuesResult, error) {
				return bench.RunQueues(ctx, o, progress)
			})
		},
	}
	fl := cmd.Flags()
	targetFlags(fl, &o.Endpoint, &o.Region, "SQS")
	fl.StringVar(&o.Prefix, "prefix", "abanico-scale-", "queue name prefix")
	fl.IntVar(&o.Count, "count", 10000, "number of queues")
	fl.IntVar(&o.Concurrency, "concurrency", 16, "parallel CreateQueue calls")
	fl.BoolVar(&o.Delete, "delete", false, "delete the queues afterwards")
	return cmd
}

func newBenchFanout(stdout io.Writer) *cobra.Command {
	var o bench.FanoutOptions
	cmd := &cobra.Command{
		Use:   "fanout",
		Short: "Measure SNS fanout: a topic with --subs queue subscriptions, --publishers publishing",
		Long: `Measure an SNS/SQS endpoint's fanout: creates a topic with --subs queue
subscriptions (raw delivery), publishes for --duration (Publish, or
PublishBatch with --batch > 1), drains every queue with its own receivers,
and prints the publish rate, the delivery rate (messages x subscriptions),
end-to-end latency p50/p99 and errors.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(stdout, func(ctx context.Context, progress io.Writer) (bench.FanoutResult, error) {
				return bench.RunFanout(ctx, o, progress)
			})
		},
	}
	fl := cmd.Flags()
	targetFlags(fl, &o.Endpoint, &o.Region, "SNS/SQS")
	loadFlags(fl, &o.Load, "queue subscriptions")
	fl.IntVar(&o.ReceiversPerQueue, "receivers", 1, "receivers per queue")
	progressFlag(fl, &o.Progress)
	return cmd
}

// loadFlags binds the publishing flags the fanout benchmarks share.
func loadFlags(fl *pflag.FlagSet, l *bench.Load, subs string) {
	fl.IntVar(&l.Subs, "subs", 1, subs)
	fl.IntVar(&l.Publishers, "publishers", 4, "concurrent publishers")
	fl.Var(newSize(&l.Size, 1024), "size", "message size (e.g. 512, 1KiB, 256KiB)")
	fl.IntVar(&l.Batch, "batch", 1, "messages per call (1: Publish, 2-10: PublishBatch)")
	fl.DurationVar(&l.Duration, "duration", 30*time.Second, "length of the publish phase")
}

func newBenchHTTP(stdout io.Writer) *cobra.Command {
	var o bench.HTTPOptions
	cmd := &cobra.Command{
		Use:   "http",
		Short: "Measure SNS delivery to HTTP endpoints: a topic with --subs http subscriptions to receivers run by this tool",
		Long: `Measure HTTP/S fanout: runs --subs fast webhook receivers on loopback
(--receiver-host), subscribes each to one topic (they confirm through
SubscribeURL), publishes for --duration and prints the publish rate, the
delivery rate (notifications received by all endpoints), delivery latency
p50/p99 from publish to receipt, and errors.

  abanico bench http --endpoint http://127.0.0.1:4566 --subs 10 --publishers 4`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(stdout, func(ctx context.Context, progress io.Writer) (bench.FanoutResult, error) {
				return bench.RunHTTP(ctx, o, progress)
			})
		},
	}
	fl := cmd.Flags()
	targetFlags(fl, &o.Endpoint, &o.Region, "SNS")
	loadFlags(fl, &o.Load, "http subscriptions, each with its own receiver")
	fl.BoolVar(&o.Raw, "raw", false, "raw message delivery (no signed envelope)")
	fl.StringVar(&o.ReceiverHost, "receiver-host", "127.0.0.1", "address the receivers listen on, as the server reaches them")
	progressFlag(fl, &o.Progress)
	return cmd
}

func newBenchLambda(stdout io.Writer) *cobra.Command {
	var o bench.LambdaOptions
	cmd := &cobra.Command{
		Use:   "lambda",
		Short: "Measure functions: warm invocations/s, cold start, and SNS -> lambda deliveries/s",
		Long: `Measure function invocation: creates a function from --zip (a custom-runtime
zip with a bootstrap that answers --payload quickly), times its first (cold)
invocation, invokes it with --callers parallel RequestResponse calls for
--duration, then publishes --messages to a topic with a lambda subscription
and times their delivery. Removes what it created.

  abanico bench lambda --zip function.zip --callers 4 --duration 10s --messages 5000`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.ZipFile == "" {
				return usageError{errors.New("--zip is required")}
			}
			return runBench(stdout, func(ctx context.Context, progress io.Writer) (bench.LambdaResult, error) {
				return bench.RunLambda(ctx, o, progress)
			})
		},
	}
	fl := cmd.Flags()
	targetFlags(fl, &o.Endpoint, &o.Region, "Abanico")
	fl.StringVar(&o.ZipFile, "zip", "", "function zip (custom runtime: bootstrap at the root)")
	fl.StringVar(&o.Name, "name", "abanico-bench-fn", "function name")
	fl.StringVar(&o.Payload, "payload", `{"action":"echo"}`, "invocation payload")
	fl.IntVar(&o.Callers, "callers", 4, "parallel callers (and publishers)")
	fl.DurationVar(&o.Duration, "duration", 10*time.Second, "length of the invocation phase")
	fl.IntVar(&o.Messages, "messages", 2000, "messages published to a lambda subscription (0 skips)")
	return cmd
}

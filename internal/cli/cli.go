// Package cli holds the abanico command line: the server (serve) and the
// tools around it. cmd/abanico only calls Execute.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/abanico/abanico/internal/server"
)

// Version is set at build time.
var Version = "dev"

// Execute runs the command line and returns the process exit code.
func Execute(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "abanico:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return exitCode(err) // 3 for not_found answers of the API, else 1
	}
	return 0
}

type usageError struct{ error }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "abanico",
		Short: "Abanico: a self-hosted SNS/SQS-compatible event fanout service",
		Long: `Abanico is a self-hosted event fanout service: SQS-compatible queues (and,
as they land, SNS-compatible topics, webhooks and functions) stored durably
in NATS JetStream. The AWS SDKs and CLI work against it unchanged:

  abanico serve
  aws --endpoint-url http://localhost:4566 sqs create-queue --queue-name jobs

Every flag can also be set by an environment variable (ABANICO_ followed by
the flag name in capitals with dashes as underscores, e.g. ABANICO_DATA_DIR)
or by a key of the same name in the YAML file given with --config. Flags win
over the environment, which wins over the file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRun,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServe(stderr), newVersion(stdout), newBench(stdout))
	root.AddCommand(newResourceCommands(stdout)...)
	root.AddCommand(newApplyCmd(stdout, stderr))
	root.AddCommand(newSink(stdout, stderr))
	return root
}

func newVersion(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				return printJSON(stdout, map[string]string{"version": Version})
			}
			fmt.Fprintln(stdout, "abanico", Version)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}

func newServe(stderr io.Writer) *cobra.Command {
	var (
		cfg        server.Config
		configPath string
		logLevel   string
		logFormat  string
		shutdown   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Abanico server",
		Long: `Run the Abanico server: the SQS API (AWS JSON 1.0 and query protocols) on
one HTTP listener, with health endpoints at /health (liveness) and /ready
(readiness: the engine answers).

By default nats-server runs embedded in this process with JetStream file
storage under --data-dir; --nats-url connects the same code to an external
NATS server or cluster instead.

Durability modes:
  strict   (default) every acknowledged write is fsynced before the answer;
           concurrent writes share fsyncs (group commit).
  relaxed  acknowledged writes reach the OS before the answer and are fsynced
           every second: a process crash loses nothing, an OS crash or power
           loss can lose the last second.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyLayers(cmd.Flags(), configPath); err != nil {
				return usageError{err}
			}
			log, err := newLogger(stderr, logLevel, logFormat)
			if err != nil {
				return usageError{err}
			}
			cfg.Logger = log
			cfg.Version = Version
			topo, err := configTopology(configPath)
			if err != nil {
				return usageError{err}
			}
			cfg.HoldReady = topo != nil // ready once the topology is applied
			if cfg.HTTPBreakerFailures == 0 {
				cfg.HTTPBreakerFailures = -1 // the flag's 0 turns the breaker off
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s, err := server.Start(ctx, cfg)
			if err != nil {
				return err
			}
			if topo != nil {
				if err := applyAtStart(ctx, s.URL(), topo, log); err != nil {
					sctx, cancel := context.WithTimeout(context.Background(), shutdown)
					defer cancel()
					return errors.Join(fmt.Errorf("apply the topology of %s: %w", configPath, err), s.Shutdown(sctx))
				}
				s.MarkReady()
			}
			select {
			case <-ctx.Done():
			case err := <-s.Done():
				if err != nil {
					log.Error("server stopped", "err", err)
				}
			}
			stop()
			sctx, cancel := context.WithTimeout(context.Background(), shutdown)
			defer cancel()
			return s.Shutdown(sctx)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&configPath, "config", "", "YAML config file: keys are flag names, and topics/queues/functions sections (as for apply) are applied at start")
	fl.StringVar(&cfg.Listen, "listen", "127.0.0.1:4566", "HTTP listen address (host:port)")
	fl.StringVar(&cfg.PublicURL, "public-url", "", "base URL delivered messages link back to (SigningCertURL, UnsubscribeURL); default http://<listen address>")
	fl.StringVar(&cfg.DataDir, "data-dir", "./abanico-data", "directory for the embedded engine's files")
	fl.StringVar(&cfg.Region, "region", "us-east-1", "AWS region used in ARNs")
	fl.StringVar(&cfg.AccountID, "account-id", "000000000000", "12-digit AWS account id used in ARNs and queue URLs")
	fl.StringSliceVar(&cfg.NATSURLs, "nats-url", nil, "external NATS server/cluster URLs (comma separated); empty runs nats-server embedded")
	fl.StringVar(&cfg.NATSCreds, "nats-creds", "", "NATS credentials file for --nats-url")
	fl.StringVar(&cfg.NATSUser, "nats-user", "", "NATS user for --nats-url")
	fl.StringVar(&cfg.NATSPassword, "nats-password", "", "NATS password for --nats-url")
	fl.StringVar(&cfg.NATSToken, "nats-token", "", "NATS token for --nats-url")
	fl.StringVar(&cfg.NATSNKey, "nats-nkey", "", "NATS NKey seed file for --nats-url")
	fl.IntVar(&cfg.Replicas, "replicas", 1, "replicas of every stream and consumer Abanico creates (needs --nats-url when > 1)")
	fl.StringVar(&cfg.Durability, "durability", "strict", "strict (fsync before every answer, group committed) or relaxed (fsync every second)")
	fl.IntVar(&cfg.QueueShards, "queue-shards", 1, "number of JetStream streams queues are spread over (fixed once data exists)")
	fl.IntVar(&cfg.TopicShards, "topic-shards", 1, "number of JetStream streams topics are spread over (fixed once data exists)")
	fl.IntVar(&cfg.FilterMaxKeys, "filter-max-keys", 5, "most keys in an SNS filter policy (AWS: 5)")
	fl.IntVar(&cfg.FilterMaxCombinations, "filter-max-combinations", 150, "most value combinations in an SNS filter policy (AWS: 150)")
	fl.BoolVar(&cfg.Pprof, "pprof", false, "serve Go profiling endpoints under /debug/pprof/")
	fl.IntVar(&cfg.FunctionConcurrency, "function-concurrency", 32, "most concurrent invocations (local processes) of a function without reserved concurrency")
	fl.BoolVar(&cfg.HTTPDenyPrivate, "http-deny-private", false, "refuse http/https endpoints that resolve to loopback, private, link-local or cloud metadata addresses (turn on in production)")
	fl.StringVar(&cfg.HTTPCAFile, "http-ca-file", "", "PEM bundle trusted for https endpoints, in addition to the system roots")
	fl.BoolVar(&cfg.HTTPFollowRedirects, "http-follow-redirects", false, "follow redirects of http/https endpoints (each hop is checked)")
	fl.DurationVar(&cfg.HTTPTimeout, "http-timeout", 15*time.Second, "timeout of one http/https delivery attempt")
	fl.IntVar(&cfg.HTTPConcurrency, "http-concurrency", 16, "requests in flight per http/https subscription")
	fl.IntVar(&cfg.HTTPBreakerFailures, "http-breaker-failures", 10, "consecutive failed attempts that open an endpoint's circuit (0 turns the breaker off)")
	fl.DurationVar(&cfg.HTTPBreakerCooldown, "http-breaker-cooldown", 30*time.Second, "how long an open circuit waits before probing the endpoint")
	fl.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fl.DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "how long shutdown waits for in-flight requests")
	return cmd
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid --log-level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("invalid --log-format %q (text or json)", format)
}

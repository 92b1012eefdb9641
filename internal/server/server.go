// Package server is Abanico's composition root: it opens the engine, builds
// the services and serves every front end on one HTTP listener. It is a
// library — tests and embedders start it in-process exactly as the binary
// does.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/filter"
	"github.com/abanico/abanico/internal/function"
	"github.com/abanico/abanico/internal/lambdaapi"
	"github.com/abanico/abanico/internal/nativeapi"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/snsapi"
	"github.com/abanico/abanico/internal/sqsapi"
	"github.com/abanico/abanico/internal/topic"
	"github.com/abanico/abanico/internal/webhook"
)

// Config is everything a server needs.
type Config struct {
	// Version is the server's version, shown by GET /v1/status.
	Version string
	// HoldReady keeps /ready answering 503 ("starting") after Start until
	// [Server.MarkReady] is called, for work that must finish before the
	// server takes traffic (such as applying a topology file).
	HoldReady bool
	Listen    string
	// PublicURL is the base URL that delivered messages link back to
	// (SigningCertURL, UnsubscribeURL, SubscribeURL). Default: http:// plus
	// the listen address (localhost for a wildcard host).
	PublicURL string
	DataDir   string
	Region    string
	AccountID string

	NATSURLs     []string
	NATSCreds    string
	NATSUser     string
	NATSPassword string
	NATSToken    string
	NATSNKey     string
	Replicas     int
	Durability   string
	QueueShards  int
	TopicShards  int
	// FilterMaxKeys and FilterMaxCombinations bound filter policies
	// (AWS: 5 and 150; zero means AWS's).
	FilterMaxKeys         int
	FilterMaxCombinations int
	// QueueSweepInterval is how often expired messages are deleted
	// (default 1 min).
	QueueSweepInterval time.Duration
	// QueueConsumerIdle is how long a queue's JetStream consumer lives
	// without receives (default 1h).
	QueueConsumerIdle time.Duration
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof bool

	// HTTPDenyPrivate refuses http/https endpoints that resolve to
	// loopback, private, link-local or cloud metadata addresses, checked
	// when connecting (so also after DNS changes and redirects). Off by
	// default so that endpoints on localhost work during development.
	HTTPDenyPrivate bool
	// HTTPCAFile is a PEM bundle trusted for https endpoints in addition
	// to the system roots.
	HTTPCAFile string
	// HTTPFollowRedirects follows redirects (each hop checked); default:
	// a 3xx answer is the result.
	HTTPFollowRedirects bool
	// HTTPTimeout bounds one delivery attempt (default 15s, as SNS).
	HTTPTimeout time.Duration
	// HTTPConcurrency bounds the requests in flight per http/https
	// subscription on this node (default 16).
	HTTPConcurrency int
	// HTTPBreakerFailures opens an endpoint's circuit after this many
	// consecutive failed attempts (0: the default, 10; negative turns the
	// breaker off).
	HTTPBreakerFailures int
	// FunctionConcurrency caps concurrent invocations (local processes)
	// of a function without reserved concurrency (default 32).
	FunctionConcurrency int
	// HTTPBreakerCooldown is how long an open circuit waits before a probe
	// (default 30s; doubles while probes fail, up to 5 min).
	HTTPBreakerCooldown time.Duration

	Logger *slog.Logger
	// Now is the clock of queue semantics (retention, visibility); nil
	// means time.Now. Tests inject one.
	Now func() time.Time
}

// Defaults fills unset fields with the documented defaults.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:4566"
	}
	if c.DataDir == "" {
		c.DataDir = "./abanico-data"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "000000000000"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Durability == "" {
		c.Durability = string(engine.Strict)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = 15 * time.Second
	}
	if c.HTTPConcurrency == 0 {
		c.HTTPConcurrency = 16
	}
	if c.HTTPBreakerFailures == 0 {
		c.HTTPBreakerFailures = delivery.DefaultBreakerConfig().Failures
	}
	if c.HTTPBreakerCooldown == 0 {
		c.HTTPBreakerCooldown = delivery.DefaultBreakerConfig().Cooldown
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if _, err := engine.ParseDurability(c.Durability); err != nil {
		return err
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("replicas must be between 1 and 5, got %d", c.Replicas)
	}
	if c.Replicas > 1 && len(c.NATSURLs) == 0 {
		return errors.New("replicas > 1 needs an external NATS cluster (--nats-url)")
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		return fmt.Errorf("account id must be 12 digits, got %q", c.AccountID)
	}
	if c.Region == "" {
		return errors.New("region must not be empty")
	}
	return nil
}

// Server is a running Abanico server.
type Server struct {
	cfg       Config
	log       *slog.Logger
	eng       *engine.Engine
	queues    *queue.Service
	topics    *topic.Service
	functions *function.Service
	http      *http.Server
	ln        net.Listener
	done      chan error
	started   time.Time
	// starting is true while readiness is held (Config.HoldReady).
	starting atomic.Bool

	shutdownOnce sync.Once
	shutdownErr  error
}

// Start opens the engine and starts serving. It returns once the listener
// accepts connections.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, _ := engine.ParseDurability(cfg.Durability)
	s := &Server{cfg: cfg, log: cfg.Logger, done: make(chan error, 1), started: time.Now()}
	s.starting.Store(cfg.HoldReady)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.ln = ln
	s.eng, err = engine.Open(ctx, engine.Config{
		DataDir: cfg.DataDir, URLs: cfg.NATSURLs, CredsFile: cfg.NATSCreds, User: cfg.NATSUser,
		Password: cfg.NATSPassword, Token: cfg.NATSToken, NKeyFile: cfg.NATSNKey,
		Replicas: cfg.Replicas, Durability: d, Logger: cfg.Logger,
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("open engine: %w", err)
	}
	s.queues, err = queue.New(ctx, s.eng, queue.Options{
		Region: cfg.Region, AccountID: cfg.AccountID, Shards: cfg.QueueShards, Logger: cfg.Logger, Now: cfg.Now,
		ConsumerIdle: cfg.QueueConsumerIdle, SweepInterval: cfg.QueueSweepInterval,
	})
	if err != nil {
		s.eng.Close()
		ln.Close()
		return nil, fmt.Errorf("open queues: %w", err)
	}
	if s.cfg.PublicURL == "" {
		s.cfg.PublicURL = defaultPublicURL(ln.Addr().String(), cfg.Listen)
	}
	s.functions, err = function.New(ctx, s.eng, function.Options{
		Region: cfg.Region, AccountID: cfg.AccountID, DataDir: cfg.DataDir, Logger: cfg.Logger, Now: cfg.Now,
		MaxConcurrency: cfg.FunctionConcurrency,
	})
	if err != nil {
		s.queues.Close()
		s.eng.Close()
		ln.Close()
		return nil, fmt.Errorf("open functions: %w", err)
	}
	s.topics, err = topic.New(ctx, s.eng, s.queues, topic.Options{
		Functions: s.functions,
		Region:    cfg.Region, AccountID: cfg.AccountID, PublicURL: strings.TrimRight(s.cfg.PublicURL, "/"),
		DataDir: cfg.DataDir, Logger: cfg.Logger, Now: cfg.Now, Shards: cfg.TopicShards,
		FilterLimits: filter.Limits{MaxKeys: cfg.FilterMaxKeys, MaxCombinations: cfg.FilterMaxCombinations, AllowWildcard: true},
		Webhook: webhook.Options{AllowPrivate: !cfg.HTTPDenyPrivate, CAFile: cfg.HTTPCAFile,
			FollowRedirects: cfg.HTTPFollowRedirects, Timeout: cfg.HTTPTimeout},
		EndpointConcurrency: cfg.HTTPConcurrency,
		Breaker: &delivery.BreakerConfig{Failures: max(cfg.HTTPBreakerFailures, 0), Cooldown: cfg.HTTPBreakerCooldown,
			MaxCooldown: max(cfg.HTTPBreakerCooldown, delivery.DefaultBreakerConfig().MaxCooldown)},
	})
	if err != nil {
		s.functions.Close()
		s.queues.Close()
		s.eng.Close()
		ln.Close()
		return nil, fmt.Errorf("open topics: %w", err)
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("abanico serving", "addr", ln.Addr().String(), "data_dir", cfg.DataDir,
		"durability", cfg.Durability, "embedded", s.eng.Embedded(), "replicas", cfg.Replicas)
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	sqs := sqsapi.New(s.queues, s.log)
	mux.HandleFunc("GET /health", s.live)
	mux.HandleFunc("GET /healthz", s.live)
	mux.HandleFunc("GET /ready", s.ready)
	mux.HandleFunc("GET /readyz", s.ready)
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	}
	mode := "cluster"
	if s.eng.Embedded() {
		mode = "embedded"
	}
	mux.Handle("/v1/", nativeapi.New(s.queues, s.topics, s.functions, s.log, nativeapi.WithInfo(nativeapi.Info{
		Version: s.cfg.Version, Mode: mode, Durability: string(s.eng.Durability()), Replicas: s.eng.Replicas(), StartedAt: s.started,
	})))
	lambdaAPI := lambdaapi.New(s.functions, strings.TrimRight(s.cfg.PublicURL, "/"), s.log)
	sns := snsapi.New(s.topics, s.log)
	cert := snsapi.CertHandler(s.topics)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == s.topics.CertPath():
			cert.ServeHTTP(w, r)
		case lambdaapi.IsLambdaRequest(r):
			lambdaAPI.ServeHTTP(w, r)
		case r.Header.Get("X-Amz-Target") != "":
			sqs.ServeHTTP(w, r) // AWS JSON protocol: SQS
		default:
			// Query protocol: SNS and SQS share it; the request says which.
			body, err := io.ReadAll(io.LimitReader(r.Body, sqsapi.MaxRequestBytes+1))
			if err != nil || len(body) > sqsapi.MaxRequestBytes {
				http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
				return
			}
			form, err := sqsapi.ParseForm(r, body)
			if err != nil {
				http.Error(w, "malformed form-encoded request", http.StatusBadRequest)
				return
			}
			if snsapi.IsSNSRequest(r, form) {
				sns.ServeForm(w, r, form)
				return
			}
			sqs.ServeForm(w, r, form)
		}
	}))
	return mux
}

func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// MarkReady ends the hold on readiness that Config.HoldReady starts.
func (s *Server) MarkReady() { s.starting.Store(false) }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s.starting.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"starting"}`))
		return
	}
	if err := s.eng.Healthy(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, `{"status":"unavailable","error":%q}`, err.Error())
		return
	}
	_, _ = w.Write([]byte(`{"status":"ready"}`))
}

// defaultPublicURL derives the base URL from the listen address: the
// configured host (localhost when it is a wildcard) and the bound port.
func defaultPublicURL(bound, configured string) string {
	host, _, _ := net.SplitHostPort(configured)
	_, port, _ := net.SplitHostPort(bound)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Addr is the listener's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL clients use.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Topics is the topic service (for in-process use and tests).
func (s *Server) Topics() *topic.Service { return s.topics }

// Functions is the function service (for in-process use and tests).
func (s *Server) Functions() *function.Service { return s.functions }

// Queues is the queue service (for in-process use and tests).
func (s *Server) Queues() *queue.Service { return s.queues }

// Engine is the storage engine.
func (s *Server) Engine() *engine.Engine { return s.eng }

// Done delivers the serve loop's error once it stops.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting connections, ends long polls early (they answer
// with what they have), waits for in-flight requests until ctx ends, then
// closes the services and the engine, which flushes everything to disk.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.log.Info("abanico shutting down")
		s.queues.Drain()
		err := s.http.Shutdown(ctx)
		if err != nil {
			s.log.Warn("http shutdown", "err", err)
			_ = s.http.Close()
		}
		s.topics.Close()
		s.functions.Close()
		s.queues.Close()
		s.eng.Close()
		s.shutdownErr = err
		s.log.Info("abanico stopped")
	})
	return s.shutdownErr
}

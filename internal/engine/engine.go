// Package engine owns Abanico's connection to NATS JetStream: it starts the
// embedded nats-server (the default) or connects to an external NATS cluster,
// and offers the durable, group-committed write path every front end uses.
//
// Both topologies go through the same code: the embedded server is reached
// through an in-process connection, an external cluster through nats.Connect,
// and everything above this package sees only a *nats.Conn and a JetStream
// context.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Durability selects when an acknowledged write is on stable storage.
type Durability string

const (
	// Strict fsyncs every write before it is acknowledged. Concurrent writes
	// are grouped into atomic batches so one fsync covers many of them.
	Strict Durability = "strict"
	// Relaxed acknowledges once the write reached the operating system; the
	// data is fsynced on an interval (RelaxedSyncInterval). A process crash
	// loses nothing; an OS crash or power loss can lose the last interval.
	Relaxed Durability = "relaxed"
)

// RelaxedSyncInterval is how often the embedded engine fsyncs in relaxed mode.
const RelaxedSyncInterval = time.Second

// ParseDurability validates a durability mode name.
func ParseDurability(s string) (Durability, error) {
	switch Durability(s) {
	case Strict, Relaxed:
		return Durability(s), nil
	}
	return "", fmt.Errorf("unknown durability mode %q (want strict or relaxed)", s)
}

// Config describes how to reach JetStream.
type Config struct {
	// DataDir holds the embedded server's JetStream files.
	DataDir string
	// URLs of an external NATS server or cluster. Empty means embedded.
	URLs []string
	// Credentials for an external server (all optional).
	CredsFile, User, Password, Token, NKeyFile string
	// Replicas of every stream and consumer Abanico creates.
	Replicas int
	// Durability mode of the embedded server.
	Durability Durability
	// Logger receives engine events; nil means slog.Default().
	Logger *slog.Logger
	// MaxPayload is the largest NATS message the embedded server accepts.
	MaxPayload int32
}

// Engine is an open connection to JetStream plus the write path.
type Engine struct {
	cfg Config
	ns  *server.Server // nil when connected to an external cluster
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger

	syncMu  sync.Mutex
	syncers map[string]*streamSyncer
}

// Open starts the embedded server (when cfg.URLs is empty) or connects to
// the external cluster, and returns when JetStream is ready.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Durability == "" {
		cfg.Durability = Strict
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = 8 << 20
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, syncers: map[string]*streamSyncer{}}
	var err error
	if len(cfg.URLs) == 0 {
		err = e.startEmbedded(ctx)
	} else {
		err = e.connectExternal(ctx)
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	e.js, err = jetstream.New(e.nc)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("jetstream context: %w", err)
	}
	if err := e.waitReady(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) startEmbedded(ctx context.Context) error {
	dir := e.cfg.DataDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	opts := &server.Options{
		ServerName:         "abanico",
		JetStream:          true,
		StoreDir:           dir,
		DontListen:         true,
		NoSigs:             true,
		MaxPayload:         e.cfg.MaxPayload,
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  -1,
	}
	// Both modes let nats-server write without fsync and sync its files
	// every second; strict mode additionally fsyncs each group of message
	// writes before acknowledging it (Writer, SyncStream).
	opts.SyncInterval = RelaxedSyncInterval
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("embedded nats-server: %w", err)
	}
	ns.SetLoggerV2(&natsLogger{log: e.log.With("component", "nats")}, false, false, false)
	ns.Start()
	e.ns = ns
	deadline := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d)
	}
	if !ns.ReadyForConnections(deadline) {
		return errors.New("embedded nats-server did not become ready")
	}
	nc, err := e.dial("abanico")
	if err != nil {
		return err
	}
	e.nc = nc
	return nil
}

// dial opens another connection to the engine (the embedded server or the
// external cluster). Writers get their own, so that a burst on one (a
// fanout writing many copies) never queues another's traffic behind it.
func (e *Engine) dial(name string) (*nats.Conn, error) {
	if e.ns != nil {
		nc, err := nats.Connect(e.ns.ClientURL(), nats.InProcessServer(e.ns), nats.Name(name), nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("connect to embedded nats-server: %w", err)
		}
		return nc, nil
	}
	nc, err := nats.Connect(strings.Join(e.cfg.URLs, ","), e.externalOptions(name)...)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", e.cfg.URLs, err)
	}
	return nc, nil
}

func (e *Engine) externalOptions(name string) []nats.Option {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
	}
	if e.cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(e.cfg.CredsFile))
	}
	if e.cfg.User != "" {
		opts = append(opts, nats.UserInfo(e.cfg.User, e.cfg.Password))
	}
	if e.cfg.Token != "" {
		opts = append(opts, nats.Token(e.cfg.Token))
	}
	if e.cfg.NKeyFile != "" {
		if o, err := nats.NkeyOptionFromSeed(e.cfg.NKeyFile); err == nil {
			opts = append(opts, o)
		}
	}
	return opts
}

func (e *Engine) connectExternal(ctx context.Context) error {
	if e.cfg.NKeyFile != "" {
		if _, err := nats.NkeyOptionFromSeed(e.cfg.NKeyFile); err != nil {
			return fmt.Errorf("nkey %s: %w", e.cfg.NKeyFile, err)
		}
	}
	url := strings.Join(e.cfg.URLs, ",")
	opts := e.externalOptions("abanico")
	var lastErr error
	for {
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			e.nc = nc
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("connect to %s: %w", url, lastErr)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitReady blocks until the JetStream API answers (a cluster needs a meta
// leader first).
func (e *Engine) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var lastErr error
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := e.js.AccountInfo(actx)
		acancel()
		if err == nil {
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("jetstream not ready: %w", lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Conn is the NATS connection.
func (e *Engine) Conn() *nats.Conn { return e.nc }

// JetStream is the JetStream context.
func (e *Engine) JetStream() jetstream.JetStream { return e.js }

// Replicas is the replication factor for everything Abanico creates.
func (e *Engine) Replicas() int { return e.cfg.Replicas }

// Durability reports the configured durability mode.
func (e *Engine) Durability() Durability { return e.cfg.Durability }

// Embedded reports whether the engine runs the nats-server in-process.
func (e *Engine) Embedded() bool { return e.ns != nil }

// Healthy reports whether the connection is up and JetStream answers.
func (e *Engine) Healthy(ctx context.Context) error {
	if e.nc == nil || !e.nc.IsConnected() {
		return errors.New("nats connection down")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := e.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// Close drains the connection and shuts the embedded server down, which
// flushes its stores to disk.
func (e *Engine) Close() {
	e.syncMu.Lock()
	for _, s := range e.syncers {
		s.Close()
	}
	e.syncMu.Unlock()
	if e.nc != nil {
		_ = e.nc.Flush()
		e.nc.Close()
	}
	if e.ns != nil {
		e.ns.Shutdown()
		e.ns.WaitForShutdown()
	}
}

type natsLogger struct{ log *slog.Logger }

func (l *natsLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Tracef(format string, v ...any)  {}

// Package lambdaruntime runs functions written for AWS Lambda custom runtimes
// (provided.al2023, provided.al2: an executable named bootstrap that speaks
// the Lambda Runtime API) as local child processes, and invokes them.
//
// Every process gets a Runtime API endpoint of its own on the loopback
// interface, an environment shaped like Lambda's (and nothing of the
// server's), and a process group of its own so that stopping it stops its
// children too. Warm processes are reused, one invocation at a time each, up
// to a per-function concurrency cap; invocations beyond the cap are refused
// rather than queued. Timeouts, crashes and init failures are reported the
// way AWS Lambda reports them, and the output of every process is kept in a
// bounded per-function log with AWS's START, END and REPORT lines.
package lambdaruntime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Defaults for zero fields of Function and Options.
const (
	defaultMaxConcurrency = 32
	defaultIdleTimeout    = 5 * time.Minute
	defaultLogBytes       = 256 << 10
	defaultInitTimeout    = 10 * time.Second
	defaultTimeout        = 3 * time.Second
	defaultMemoryMB       = 128
	defaultVersion        = "$LATEST"
)

// Function is what the runner needs to run one function version.
type Function struct {
	Name    string // function name
	ARN     string // arn:aws:lambda:REGION:ACCOUNT:function:NAME
	Version string // "$LATEST" (the default when empty)
	Region  string
	Handler string
	Runtime string // e.g. provided.al2023 (informational)
	// CodeDir holds the unpacked code; CodeDir/bootstrap is executed with
	// CodeDir as its working directory.
	CodeDir string
	// CodeID changes when code or configuration changes; processes started
	// for another CodeID than the latest one seen are not reused.
	CodeID string
	Env    map[string]string // the function's Environment variables
	// Timeout bounds each invocation (AWS's default of 3 s when zero).
	Timeout time.Duration
	// MemoryMB is reported to the function and in REPORT lines (default
	// 128); it is not enforced.
	MemoryMB int
	// Concurrency caps the processes (and so the concurrent invocations) of
	// this function; 0 = Options.MaxConcurrency.
	Concurrency int
}

// Options configure a Runner. Zero fields take the documented defaults.
type Options struct {
	// Logger receives the runner's own logs (default: discarded).
	Logger *slog.Logger
	// MaxConcurrency caps concurrent invocations per function when the
	// function sets none (default 32).
	MaxConcurrency int
	// IdleTimeout: a warm process unused this long is stopped (default 5 min).
	IdleTimeout time.Duration
	// LogBytes bounds each function's captured log, and each invocation's
	// Result.Logs (default 256 KiB, oldest dropped).
	LogBytes int
	// InitTimeout bounds process start until its first /next call (default
	// 10 s).
	InitTimeout time.Duration
}

// Invocation is one request to a function.
type Invocation struct {
	RequestID string // generated (UUID v4 form) when empty
	// Payload is the event; an empty one is sent as {} as AWS does.
	Payload []byte
	// ClientContext is base64 JSON as in X-Amz-Client-Context. Its decoded
	// JSON is passed as Lambda-Runtime-Client-Context (as is, when it is
	// not base64).
	ClientContext string
	// TraceID is passed as Lambda-Runtime-Trace-Id; an X-Ray style
	// "Root=1-<8 hex secs>-<24 hex>;Parent=<16 hex>;Sampled=0" is generated
	// when empty.
	TraceID string
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	Payload   []byte // the handler's response, or the error document
	// FunctionError is "" on success, else "Unhandled" (handler error
	// reported through /error, timeout, crash, or init failure), as AWS sets
	// X-Amz-Function-Error.
	FunctionError string
	// Logs holds everything the process wrote to stdout/stderr during this
	// invocation (for a cold start, its init output too), plus AWS-style
	// START/END/REPORT lines; at most Options.LogBytes, the oldest dropped.
	Logs []byte
	// Duration is the time from the runtime taking the invocation to its
	// response, error, crash or timeout.
	Duration     time.Duration
	ColdStart    bool          // a new process was started for this invocation
	InitDuration time.Duration // when ColdStart: process start to first /next
}

// ErrThrottled is returned by Invoke when the function already runs
// Concurrency invocations (AWS answers TooManyRequestsException; the caller
// maps it).
var ErrThrottled = errors.New("function concurrency limit reached")

// errClosed is returned by Invoke once Close has been called.
var errClosed = errors.New("lambdaruntime: runner is closed")

// Runner runs the processes of any number of functions. It is safe for
// concurrent use; Close stops everything it started.
type Runner struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	fns    map[string]*fnState
	closed bool

	// wg counts running Invoke calls and process goroutines.
	wg sync.WaitGroup
}

// procState is where a process is in the pool.
type procState int

const (
	stateBusy     procState = iota // starting, or serving an invocation
	stateIdle                      // warm, waiting in the pool
	stateStopping                  // killed or retired for good, not yet reaped
)

// fnState is the per-function bookkeeping, guarded by Runner.mu except for
// ring, which locks itself.
type fnState struct {
	name    string
	codeID  string // the latest CodeID seen
	running int    // invocations holding a concurrency slot
	idle    []*process
	procs   map[*process]struct{} // every process not yet reaped
	ring    *logRing
}

// NewRunner returns a Runner with o's zero fields set to their defaults.
func NewRunner(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = defaultMaxConcurrency
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	if o.LogBytes <= 0 {
		o.LogBytes = defaultLogBytes
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = defaultInitTimeout
	}
	return &Runner{
		opts: o,
		log:  o.Logger.With("component", "lambdaruntime"),
		fns:  make(map[string]*fnState),
	}
}

// Invoke runs one invocation on a warm process of f (starting one if none
// is idle and the cap allows), waits for its response, and returns it. It
// returns ErrThrottled at once when Concurrency invocations are already
// running. Function failures (handler errors, timeouts, crashes, init
// failures, a missing bootstrap) are results with FunctionError "Unhandled",
// not errors. ctx cancels the wait: the process is then killed and replaced,
// since it is mid-invocation, and ctx's error is returned.
func (r *Runner) Invoke(ctx context.Context, f *Function, in Invocation) (*Result, error) {
	if f == nil || f.Name == "" {
		return nil, errors.New("lambdaruntime: invoke: function has no name")
	}
	if f.CodeDir == "" {
		return nil, fmt.Errorf("lambdaruntime: invoke %s: function has no code directory", f.Name)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lambdaruntime: invoke %s: %w", f.Name, err)
	}
	fs, p, err := r.acquire(f)
	if err != nil {
		return nil, err
	}
	defer r.wg.Done()

	inv := newInvocation(f, in, r.opts.LogBytes)
	for attempt := 0; ; attempt++ {
		cold := p == nil
		if cold {
			p, err = r.startProcess(fs, f, inv)
			if err != nil {
				r.release(fs, nil, false)
				var ee *entrypointError
				if errors.As(err, &ee) {
					return r.entrypointFailure(fs, inv, ee), nil
				}
				return nil, err
			}
		}
		out := r.run(ctx, fs, p, inv, cold)
		if out.retry {
			r.discard(p)
			if attempt == 0 {
				// A warm process died while idle: start a fresh one with a
				// fresh copy of the invocation, which the dead one may
				// still reference.
				inv = inv.renew(r.opts.LogBytes)
				p = nil
				continue
			}
			r.release(fs, nil, false)
			return nil, fmt.Errorf("lambdaruntime: invoke %s: function process lost before taking the invocation", f.Name)
		}
		r.release(fs, p, out.reusable)
		return out.res, out.err
	}
}

// acquire takes a concurrency slot of f and, when there is one, a warm
// process of f's CodeID. It counts the caller in r.wg.
func (r *Runner) acquire(f *Function) (*fnState, *process, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, nil, fmt.Errorf("lambdaruntime: invoke %s: %w", f.Name, errClosed)
	}
	fs := r.fnLocked(f.Name)
	if fs.codeID != f.CodeID {
		fs.codeID = f.CodeID
		for _, p := range slices.Clone(fs.idle) {
			r.stopLocked(p, "code or configuration changed")
		}
	}
	limit := f.Concurrency
	if limit <= 0 {
		limit = r.opts.MaxConcurrency
	}
	if fs.running >= limit {
		return nil, nil, ErrThrottled
	}
	fs.running++
	r.wg.Add(1)
	if n := len(fs.idle); n > 0 {
		// The most recently used process: the others can then idle out.
		p := fs.idle[n-1]
		fs.idle = fs.idle[:n-1]
		p.idleTimer.Stop()
		p.state = stateBusy
		return fs, p, nil
	}
	return fs, nil, nil
}

// release gives back a concurrency slot and puts p (when not nil) back in
// the pool when reusable, or stops it.
func (r *Runner) release(fs *fnState, p *process, reusable bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fs.running--
	if p == nil {
		return
	}
	switch {
	case p.state == stateStopping:
	case !reusable || p.hasExited():
		r.stopLocked(p, "not reusable")
	case r.closed:
		r.stopLocked(p, "runner closed")
	case p.retired:
		r.stopLocked(p, "retired")
	case p.codeID != fs.codeID:
		r.stopLocked(p, "code or configuration changed")
	default:
		p.state = stateIdle
		fs.idle = append(fs.idle, p)
		p.idleGen++
		gen := p.idleGen
		p.idleTimer = time.AfterFunc(r.opts.IdleTimeout, func() { r.expire(p, gen) })
	}
}

// discard stops p for good without touching concurrency slots.
func (r *Runner) discard(p *process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(p, "exited while idle")
}

// expire stops p if it is still idle since the moment that armed the timer.
func (r *Runner) expire(p *process, gen int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.state == stateIdle && p.idleGen == gen {
		r.stopLocked(p, "idle timeout")
	}
}

// stopLocked takes p out of the pool and kills its process group; the
// process's wait goroutine then reaps it and forgets it. r.mu must be held.
func (r *Runner) stopLocked(p *process, why string) {
	if p.state == stateStopping {
		return
	}
	if p.state == stateIdle {
		p.fs.idle = slices.DeleteFunc(p.fs.idle, func(q *process) bool { return q == p })
	}
	if p.idleTimer != nil {
		p.idleTimer.Stop()
	}
	p.state = stateStopping
	r.log.Debug("stopping function process", "function", p.fs.name, "pid", p.getPID(), "reason", why)
	p.kill()
}

// forget removes a reaped process from its function's bookkeeping.
func (r *Runner) forget(p *process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.state == stateIdle {
		p.fs.idle = slices.DeleteFunc(p.fs.idle, func(q *process) bool { return q == p })
	}
	if p.idleTimer != nil {
		p.idleTimer.Stop()
	}
	p.state = stateStopping
	delete(p.fs.procs, p)
}

func (r *Runner) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// fnLocked returns the state of the function called name, creating it.
func (r *Runner) fnLocked(name string) *fnState {
	fs, ok := r.fns[name]
	if !ok {
		fs = &fnState{name: name, procs: make(map[*process]struct{}), ring: newLogRing(r.opts.LogBytes)}
		r.fns[name] = fs
	}
	return fs
}

// Logs returns the tail of the function's captured log (all processes, all
// invocations), at most n bytes (n <= 0: all kept). It returns nil for a
// function never invoked.
func (r *Runner) Logs(name string, n int) []byte {
	r.mu.Lock()
	fs, ok := r.fns[name]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	return fs.ring.tail(n)
}

// Retire stops every process of a function (after an update or delete):
// idle processes at once, busy ones when their invocation ends. The
// function's captured log is kept.
func (r *Runner) Retire(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fs, ok := r.fns[name]
	if !ok {
		return
	}
	for p := range fs.procs {
		if p.state == stateIdle {
			r.stopLocked(p, "retired")
		} else {
			p.retired = true
		}
	}
}

// Stats returns the warm (idle) and busy (starting or invoked) process
// counts of a function. Processes being stopped are in neither.
func (r *Runner) Stats(name string) (idle, busy int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fs, ok := r.fns[name]
	if !ok {
		return 0, 0
	}
	for p := range fs.procs {
		switch p.state {
		case stateIdle:
			idle++
		case stateBusy:
			busy++
		}
	}
	return idle, busy
}

// Close stops all processes and returns once they are reaped and every
// Invoke call has returned (those in flight fail). Later Invoke calls fail.
// Close is idempotent.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	for _, fs := range r.fns {
		for p := range fs.procs {
			r.stopLocked(p, "runner closed")
		}
	}
	r.mu.Unlock()
	r.wg.Wait()
}

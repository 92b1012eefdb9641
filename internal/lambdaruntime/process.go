package lambdaruntime

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// defaultPath is the PATH a function process gets unless its
	// Environment sets one.
	defaultPath = "/usr/local/bin:/usr/bin:/bin"
	// reapTimeout bounds waiting for a killed process to be reaped and for
	// its log pipe to end.
	reapTimeout = 10 * time.Second
	// pipeGrace is how long the log pipe may stay open after the process
	// exits (held by an escaped child) before it is closed on our side.
	pipeGrace = 2 * time.Second
	// initErrorGrace is how long a runtime that reported an init error may
	// take to exit by itself before it is killed.
	initErrorGrace = 500 * time.Millisecond
)

// process is one running bootstrap with its own Runtime API server.
type process struct {
	r       *Runner
	fs      *fnState
	codeID  string
	cmd     *exec.Cmd
	srv     *http.Server
	addr    string // host:port of its Runtime API
	logs    *lineReader
	started time.Time

	// assign hands an invocation to the /next call that waits for one. At
	// most one invocation is ever pending on a process.
	assign chan *invocation
	// initFailed is closed when the runtime reports /init/error.
	initFailed chan struct{}
	// exited is closed once the process has been reaped; exitErr is set
	// before.
	exited  chan struct{}
	exitErr error

	// Guarded by Runner.mu.
	state     procState
	retired   bool
	idleTimer *time.Timer
	idleGen   int

	// killMu guards the process id against signalling a reaped process.
	killMu      sync.Mutex
	pid         int
	reaped      bool
	killPending bool // a kill was asked before the process started

	// mu guards the fields below and the fields of the invocations it
	// holds that are documented as guarded by the process.
	mu          sync.Mutex
	ready       bool // the runtime has called /next at least once
	initEnded   bool // init succeeded or failed; initDur is final
	initDur     time.Duration
	initErr     []byte // error document posted to /init/error
	initErrType string
	cur         *invocation // delivered by /next and not yet followed by the next /next
	logTarget   *invocation // the invocation whose Result.Logs gets the output
}

// entrypointError is a bootstrap that cannot be executed; Invoke reports it
// as a function error, as AWS does (Runtime.InvalidEntrypoint).
type entrypointError struct {
	path string
	err  error
}

func (e *entrypointError) Error() string {
	if errors.Is(e.err, os.ErrNotExist) {
		return fmt.Sprintf("Couldn't find valid bootstrap(s): [%s]", e.path)
	}
	return e.err.Error()
}

func (e *entrypointError) Unwrap() error { return e.err }

// startProcess starts a process of f whose output, from the first byte, is
// captured into inv's log. The process is registered in fs as busy.
func (r *Runner) startProcess(fs *fnState, f *Function, inv *invocation) (*process, error) {
	dir, err := filepath.Abs(f.CodeDir)
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: start %s: code directory: %w", f.Name, err)
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if st, err := os.Stat(bootstrap); err != nil {
		return nil, &entrypointError{path: bootstrap, err: err}
	} else if st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, &entrypointError{path: bootstrap, err: fmt.Errorf("%s: %w", bootstrap, os.ErrNotExist)}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: start %s: listen for the runtime API: %w", f.Name, err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: log pipe: %w", f.Name, err)
	}

	p := &process{
		r:          r,
		fs:         fs,
		codeID:     f.CodeID,
		assign:     make(chan *invocation, 1),
		initFailed: make(chan struct{}),
		exited:     make(chan struct{}),
		addr:       ln.Addr().String(),
		logTarget:  inv,
	}
	p.logs = newLineReader(pr, p.emitLine)
	p.srv = &http.Server{
		Handler:           p.routes(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelDebug),
	}
	cmd := exec.Command(bootstrap)
	cmd.Dir = dir
	cmd.Env = environ(f, dir, p.addr)
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd = cmd

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = ln.Close()
		_ = pr.Close()
		_ = pw.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", f.Name, errClosed)
	}
	p.state = stateBusy
	fs.procs[p] = struct{}{}
	r.mu.Unlock()

	p.started = time.Now()
	err = cmd.Start()
	_ = pw.Close() // the child holds its own copy
	if err != nil {
		_ = ln.Close()
		_ = pr.Close()
		r.forget(p)
		return nil, &entrypointError{path: bootstrap, err: err}
	}
	p.killMu.Lock()
	p.pid = cmd.Process.Pid
	pending := p.killPending
	p.killMu.Unlock()
	if pending {
		p.kill()
	}
	r.log.Debug("function process started", "function", f.Name, "pid", p.pid, "codeID", f.CodeID, "runtimeAPI", p.addr)

	r.wg.Add(3)
	go func() {
		defer r.wg.Done()
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Warn("runtime API server failed", "function", f.Name, "pid", p.pid, "err", err)
		}
	}()
	go func() {
		defer r.wg.Done()
		p.logs.run()
	}()
	go func() {
		defer r.wg.Done()
		p.wait()
	}()
	return p, nil
}

// wait reaps the process, kills what is left of its process group, shuts
// its Runtime API server, waits for its log pipe to end and forgets it.
func (p *process) wait() {
	err := p.cmd.Wait()
	p.killMu.Lock()
	_ = syscall.Kill(-p.pid, syscall.SIGKILL) // children left in the group
	p.reaped = true
	p.killMu.Unlock()
	p.exitErr = err
	close(p.exited)
	_ = p.srv.Close()

	t := time.NewTimer(pipeGrace)
	select {
	case <-p.logs.done:
	case <-t.C:
		// A child outside the group still holds the pipe.
		_ = p.logs.f.Close()
		<-p.logs.done
	}
	t.Stop()
	p.r.forget(p)
	p.r.log.Debug("function process exited", "function", p.fs.name, "pid", p.pid, "status", exitStatus(err))
}

// kill sends SIGKILL to the process group, unless the process is reaped
// already; asked before the process has started, it takes effect at start.
func (p *process) kill() {
	p.killMu.Lock()
	defer p.killMu.Unlock()
	switch {
	case p.reaped:
	case p.pid == 0:
		p.killPending = true
	default:
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	}
}

// stopAfterInitError leaves a runtime that reported an init error a moment
// to exit by itself (its last words are then logged), then kills it.
func (p *process) stopAfterInitError() {
	t := time.NewTimer(initErrorGrace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
	p.killAndReap()
}

// killAndReap kills the process group and waits, bounded, until the process
// is reaped and all its output has been read.
func (p *process) killAndReap() {
	p.kill()
	p.awaitReaped()
}

// awaitReaped waits, bounded, until the process is reaped and all its output
// has been read.
func (p *process) awaitReaped() {
	t := time.NewTimer(reapTimeout)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		p.r.log.Warn("function process not reaped after SIGKILL", "function", p.fs.name, "pid", p.getPID())
		return
	}
	select {
	case <-p.logs.done:
	case <-t.C:
	}
}

// drainLogs waits, bounded, until the output the process wrote so far has
// been captured.
func (p *process) drainLogs() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p.logs.drain(ctx)
}

func (p *process) getPID() int {
	p.killMu.Lock()
	defer p.killMu.Unlock()
	return p.pid
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// emitLine records one line of process output in the function's log and,
// during an invocation, in that invocation's log.
func (p *process) emitLine(line []byte) {
	p.mu.Lock()
	target := p.logTarget
	p.mu.Unlock()
	p.fs.ring.write(line)
	if target != nil {
		target.logs.write(line)
	}
}

// capture directs the process's output to inv's log.
func (p *process) capture(inv *invocation) {
	p.mu.Lock()
	p.logTarget = inv
	p.mu.Unlock()
}

// stopCapture stops directing output to inv's log.
func (p *process) stopCapture(inv *invocation) {
	p.mu.Lock()
	if p.logTarget == inv {
		p.logTarget = nil
	}
	p.mu.Unlock()
}

// endInitLocked fixes the init duration at now, unless init has ended
// already. p.mu must be held.
func (p *process) endInitLocked() {
	if !p.initEnded {
		p.initEnded = true
		p.initDur = time.Since(p.started)
	}
}

// endInit fixes the init duration at now, unless init has ended already,
// and returns it: the time from start to the first /next call or to the
// failure of init.
func (p *process) endInit() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endInitLocked()
	return p.initDur
}

// initError returns the document posted to /init/error, if any.
func (p *process) initError() (doc []byte, errType string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.initErr, p.initErrType
}

// maxMemoryMB is the process's peak resident set size in MB (rounded up),
// or 0 when it cannot be read.
func (p *process) maxMemoryMB() int {
	if p.hasExited() {
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(p.getPID()) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		if err != nil {
			return 0
		}
		return (kb + 1023) / 1024
	}
	return 0
}

// exitStatus describes how a process ended, as AWS words it after
// "Runtime exited".
func exitStatus(err error) string {
	if err == nil {
		return "without providing a reason"
	}
	return "with error: " + err.Error()
}

// environ builds a process environment in the shape of Lambda's: defaults
// the function may override, the function's variables, then the reserved
// variables, which always win. Nothing is taken from the server's own
// environment.
func environ(f *Function, dir, runtimeAPI string) []string {
	env := map[string]string{
		"PATH": defaultPath,
		"HOME": "/tmp",
		"LANG": "en_US.UTF-8",
		"TZ":   ":UTC",
	}
	for k, v := range f.Env {
		env[k] = v
	}
	version := f.Version
	if version == "" {
		version = defaultVersion
	}
	memory := f.MemoryMB
	if memory <= 0 {
		memory = defaultMemoryMB
	}
	reserved := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(memory),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      logStreamName(version),
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      f.Region,
		"AWS_DEFAULT_REGION":              f.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + f.Runtime,
		"_HANDLER":                        f.Handler,
		"LAMBDA_TASK_ROOT":                dir,
		"LAMBDA_RUNTIME_DIR":              dir,
		"AWS_ACCESS_KEY_ID":               "test",
		"AWS_SECRET_ACCESS_KEY":           "test",
		"AWS_SESSION_TOKEN":               "test",
	}
	for k, v := range reserved {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// logStreamName is a Lambda-style log stream name: date/[version]32 hex.
func logStreamName(version string) string {
	return time.Now().UTC().Format("2006/01/02") + "/[" + version + "]" + randomHex(16)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported systems
	return hex.EncodeToString(b)
}

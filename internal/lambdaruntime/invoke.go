package lambdaruntime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/abanico/abanico/internal/uuid"
)

const (
	// functionErrorUnhandled is the X-Amz-Function-Error of every failure.
	functionErrorUnhandled = "Unhandled"
	// nextGrace is the least time a runtime gets, after its response, to ask
	// for the next invocation before it is considered hung.
	nextGrace = 100 * time.Millisecond
	// awsTimeFormat is how AWS stamps platform log lines.
	awsTimeFormat = "2006-01-02T15:04:05.000Z"
)

// invocation is one request on its way through a process.
type invocation struct {
	id            string
	arn           string
	version       string
	payload       []byte
	clientContext string // decoded JSON for the Lambda-Runtime-Client-Context header
	traceID       string
	timeout       time.Duration
	memoryMB      int
	assignedAt    time.Time
	logs          *logRing

	deliveredCh chan struct{} // closed when /next has handed it to the runtime
	done        chan struct{} // closed when it has a response or error
	next        chan struct{} // closed at the /next call following its outcome

	// Guarded by the mu of the process it is assigned to.
	delivered     bool
	deliveredAt   time.Time
	deadline      time.Time
	completed     bool // has a response or error
	abandoned     bool // given up (timeout, crash, cancel); late outcomes are refused
	completedAt   time.Time
	result        []byte
	functionError string
}

func newInvocation(f *Function, in Invocation, logBytes int) *invocation {
	inv := &invocation{
		id:            in.RequestID,
		arn:           f.ARN,
		version:       f.Version,
		payload:       in.Payload,
		clientContext: clientContextJSON(in.ClientContext),
		traceID:       in.TraceID,
		timeout:       f.Timeout,
		memoryMB:      f.MemoryMB,
		assignedAt:    time.Now(),
		logs:          newLogRing(logBytes),
		deliveredCh:   make(chan struct{}),
		done:          make(chan struct{}),
		next:          make(chan struct{}),
	}
	if inv.id == "" {
		inv.id = uuid.New()
	}
	if inv.arn == "" {
		inv.arn = "arn:aws:lambda:" + f.Region + ":000000000000:function:" + f.Name
	}
	if inv.version == "" {
		inv.version = defaultVersion
	}
	if len(inv.payload) == 0 {
		inv.payload = []byte("{}")
	}
	if inv.traceID == "" {
		inv.traceID = newTraceID()
	}
	if inv.timeout <= 0 {
		inv.timeout = defaultTimeout
	}
	if inv.memoryMB <= 0 {
		inv.memoryMB = defaultMemoryMB
	}
	return inv
}

// renew returns a copy of inv, as new, for another process.
func (inv *invocation) renew(logBytes int) *invocation {
	return &invocation{
		id:            inv.id,
		arn:           inv.arn,
		version:       inv.version,
		payload:       inv.payload,
		clientContext: inv.clientContext,
		traceID:       inv.traceID,
		timeout:       inv.timeout,
		memoryMB:      inv.memoryMB,
		assignedAt:    time.Now(),
		logs:          newLogRing(logBytes),
		deliveredCh:   make(chan struct{}),
		done:          make(chan struct{}),
		next:          make(chan struct{}),
	}
}

// outcome is what running an invocation on one process gave.
type outcome struct {
	res      *Result
	err      error
	reusable bool // the process is healthy and waits in /next
	retry    bool // a warm process was found dead before taking the invocation
}

// run hands inv to p and follows it to its end: p's /next call takes it,
// the runtime answers (or fails, crashes, times out), and the runtime asks
// for the next invocation.
func (r *Runner) run(ctx context.Context, fs *fnState, p *process, inv *invocation, cold bool) outcome {
	if !cold {
		p.capture(inv)
	}
	select {
	case p.assign <- inv:
	default:
		// Cannot happen: a process takes one invocation at a time.
		p.kill()
		return outcome{retry: true}
	}

	// The runtime takes the invocation with /next: at once when warm, after
	// its init when cold.
	wait := r.opts.InitTimeout
	if cold {
		wait -= time.Since(p.started)
	}
	initTimer := time.NewTimer(wait)
	defer initTimer.Stop()
	select {
	case <-inv.deliveredCh:
	case <-p.initFailed:
	case <-p.exited:
	case <-initTimer.C:
	case <-ctx.Done():
	}
	if p.withdraw(inv) {
		return r.undelivered(ctx, fs, p, inv, cold)
	}

	// The runtime has it: wait for its outcome within the timeout.
	p.mu.Lock()
	deadline := inv.deadline
	p.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-inv.done:
	case <-p.exited:
	case <-timer.C:
	case <-ctx.Done():
	}
	if p.abandon(inv) {
		return r.failed(ctx, fs, p, inv, cold)
	}

	// It has an outcome; the invocation ends when the runtime asks for the
	// next one (or exits, or hangs past the deadline).
	grace := max(time.Until(deadline), nextGrace)
	graceTimer := time.NewTimer(grace)
	defer graceTimer.Stop()
	reusable := false
	select {
	case <-inv.next:
		reusable = true
	case <-p.exited:
	case <-graceTimer.C:
		r.log.Info("function process did not ask for the next invocation in time; stopping it", "function", fs.name, "pid", p.getPID(), "requestId", inv.id)
	case <-ctx.Done():
	}
	var e ending
	p.mu.Lock()
	e.payload, e.functionError = inv.result, inv.functionError
	p.mu.Unlock()
	if reusable {
		p.drainLogs()
	} else {
		exitedAlone := p.hasExited()
		p.killAndReap()
		if exitedAlone {
			e.before = exitLines(inv.id, p.exitErr)
		}
	}
	return outcome{res: r.conclude(fs, p, inv, cold, e), reusable: reusable}
}

// undelivered ends an invocation the runtime never took: init failed, the
// process exited, init took too long, or ctx was cancelled.
func (r *Runner) undelivered(ctx context.Context, fs *fnState, p *process, inv *invocation, cold bool) outcome {
	initDur := p.endInit()
	if doc, errType := p.initError(); doc != nil {
		p.stopAfterInitError()
		r.log.Info("function init failed", "function", fs.name, "requestId", inv.id, "errorType", errType)
		return outcome{res: r.conclude(fs, p, inv, cold, ending{
			payload:       doc,
			functionError: functionErrorUnhandled,
			before:        []string{initReport(initDur, "error", errType)},
		})}
	}
	if err := ctx.Err(); err != nil {
		p.killAndReap()
		r.conclude(fs, p, inv, cold, ending{})
		return outcome{err: fmt.Errorf("lambdaruntime: invoke %s: %w", fs.name, err)}
	}
	if p.hasExited() {
		if r.isClosed() {
			p.awaitReaped()
			r.conclude(fs, p, inv, cold, ending{})
			return outcome{err: fmt.Errorf("lambdaruntime: invoke %s: %w", fs.name, errClosed)}
		}
		if !cold {
			return outcome{retry: true}
		}
		p.awaitReaped()
		r.log.Info("function process exited during init", "function", fs.name, "requestId", inv.id, "status", exitStatus(p.exitErr))
		msg := exitMessage(inv.id, p.exitErr)
		return outcome{res: r.conclude(fs, p, inv, cold, ending{
			payload:       errorDocument(msg, "Runtime.ExitError"),
			functionError: functionErrorUnhandled,
			before:        append([]string{initReport(initDur, "error", "Runtime.ExitError")}, exitLines(inv.id, p.exitErr)...),
		})}
	}
	// The runtime did not ask for the invocation in time.
	p.killAndReap()
	r.log.Info("function process did not call the runtime API in time", "function", fs.name, "requestId", inv.id, "initTimeout", r.opts.InitTimeout)
	msg := timeoutMessage(inv.id, r.opts.InitTimeout)
	e := ending{
		payload:       timeoutDocument(msg),
		functionError: functionErrorUnhandled,
		after:         []string{msg},
	}
	if cold {
		e.before = []string{initReport(initDur, "timeout", "")}
	}
	return outcome{res: r.conclude(fs, p, inv, cold, e)}
}

// failed ends an invocation the runtime took but did not answer: it timed
// out, the process exited, or ctx was cancelled.
func (r *Runner) failed(ctx context.Context, fs *fnState, p *process, inv *invocation, cold bool) outcome {
	if err := ctx.Err(); err != nil {
		p.killAndReap()
		r.conclude(fs, p, inv, cold, ending{})
		return outcome{err: fmt.Errorf("lambdaruntime: invoke %s: %w", fs.name, err)}
	}
	if p.hasExited() {
		p.awaitReaped()
		if r.isClosed() {
			r.conclude(fs, p, inv, cold, ending{})
			return outcome{err: fmt.Errorf("lambdaruntime: invoke %s: %w", fs.name, errClosed)}
		}
		r.log.Info("function process exited during an invocation", "function", fs.name, "requestId", inv.id, "status", exitStatus(p.exitErr))
		return outcome{res: r.conclude(fs, p, inv, cold, ending{
			payload:       errorDocument(exitMessage(inv.id, p.exitErr), "Runtime.ExitError"),
			functionError: functionErrorUnhandled,
			before:        exitLines(inv.id, p.exitErr),
		})}
	}
	p.killAndReap()
	r.log.Info("function invocation timed out", "function", fs.name, "requestId", inv.id, "timeout", inv.timeout)
	msg := timeoutMessage(inv.id, inv.timeout)
	return outcome{res: r.conclude(fs, p, inv, cold, ending{
		payload:       timeoutDocument(msg),
		functionError: functionErrorUnhandled,
		after:         []string{msg},
	})}
}

// entrypointFailure is the result of an invocation whose bootstrap could not
// be started.
func (r *Runner) entrypointFailure(fs *fnState, inv *invocation, ee *entrypointError) *Result {
	r.log.Warn("function bootstrap cannot be started", "function", fs.name, "err", ee)
	msg := "RequestId: " + inv.id + " Error: " + ee.Error()
	return r.conclude(fs, nil, inv, true, ending{
		payload:       errorDocument(msg, "Runtime.InvalidEntrypoint"),
		functionError: functionErrorUnhandled,
		before:        []string{msg, "Runtime.InvalidEntrypoint"},
	})
}

// ending is how an invocation ends: its result and the platform log lines
// to write before END and after REPORT.
type ending struct {
	payload       []byte
	functionError string
	before        []string
	after         []string
}

// conclude stops capturing output for inv, writes the closing platform
// lines (and START when the runtime never took inv) and returns the result.
// p is nil when no process could be started.
func (r *Runner) conclude(fs *fnState, p *process, inv *invocation, cold bool, e ending) *Result {
	var (
		delivered  bool
		start, end time.Time
		initDur    time.Duration
		memUsed    int
	)
	if p != nil {
		p.stopCapture(inv)
		p.mu.Lock()
		delivered, start, end = inv.delivered, inv.deliveredAt, inv.completedAt
		p.mu.Unlock()
		if cold {
			initDur = p.endInit()
		}
		memUsed = p.maxMemoryMB()
	}
	if end.IsZero() {
		end = time.Now()
	}
	if !delivered {
		start = inv.assignedAt
		fs.platform(inv, "START RequestId: "+inv.id+" Version: "+inv.version)
	}
	for _, l := range e.before {
		fs.platform(inv, l)
	}
	d := end.Sub(start)
	fs.platform(inv, "END RequestId: "+inv.id)
	fs.platform(inv, reportLine(inv.id, d, inv.memoryMB, memUsed, cold, initDur))
	for _, l := range e.after {
		fs.platform(inv, l)
	}
	res := &Result{
		RequestID:     inv.id,
		Payload:       e.payload,
		FunctionError: e.functionError,
		Logs:          inv.logs.tail(0),
		Duration:      d,
		ColdStart:     cold,
	}
	if cold {
		res.InitDuration = initDur
	}
	return res
}

// platform writes a line of the platform's own to the function's log and
// to inv's.
func (fs *fnState) platform(inv *invocation, line string) {
	fs.ring.writeLine(line)
	inv.logs.writeLine(line)
}

// withdraw gives up inv if the runtime has not taken it yet; it reports
// whether it did.
func (p *process) withdraw(inv *invocation) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if inv.delivered {
		return false
	}
	inv.abandoned = true
	return true
}

// abandon gives up inv if it has no outcome yet, so that a late response
// is refused; it reports whether it did.
func (p *process) abandon(inv *invocation) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if inv.completed {
		return false
	}
	inv.abandoned = true
	if p.cur == inv {
		p.cur = nil
	}
	return true
}

// reportLine is AWS's REPORT line.
func reportLine(id string, d time.Duration, memoryMB, usedMB int, cold bool, initDur time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	billed := max(int64(math.Ceil(ms)), 1)
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		id, ms, billed, memoryMB, usedMB)
	if cold {
		s += fmt.Sprintf("\tInit Duration: %.2f ms", float64(initDur)/float64(time.Millisecond))
	}
	return s
}

// initReport is AWS's INIT_REPORT line for a failed init.
func initReport(d time.Duration, status, errType string) string {
	s := fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s", float64(d)/float64(time.Millisecond), status)
	if errType != "" {
		s += "\tError Type: " + errType
	}
	return s
}

// timeoutMessage is AWS's "Task timed out" line and error message.
func timeoutMessage(id string, timeout time.Duration) string {
	return fmt.Sprintf("%s %s Task timed out after %.2f seconds", time.Now().UTC().Format(awsTimeFormat), id, timeout.Seconds())
}

// timeoutDocument is AWS's timeout error document: a message only.
func timeoutDocument(msg string) []byte {
	return errorDocument(msg, "")
}

// exitMessage is the error message of a runtime that exited mid-invocation.
func exitMessage(id string, exitErr error) string {
	return "RequestId: " + id + " Error: Runtime exited " + exitStatus(exitErr)
}

// exitLines are the log lines AWS writes when the runtime exits.
func exitLines(id string, exitErr error) []string {
	return []string{exitMessage(id, exitErr), "Runtime.ExitError"}
}

// newTraceID returns an X-Ray style trace header value.
func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}

// clientContextJSON turns the base64 client context of an Invoke call into
// the JSON runtimes expect; a value that is not base64 is passed as is.
func clientContextJSON(s string) string {
	if s == "" {
		return ""
	}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err == nil && json.Valid(b) {
		return string(b)
	}
	return s
}

package function

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/lambdaruntime"
	"github.com/abanico/abanico/internal/uuid"
)

// Payload limits (AWS).
const (
	MaxSyncPayload  = 6 << 20
	MaxAsyncPayload = 1 << 20
	logTailBytes    = 4096
)

// Headers of a queued (Event) invocation.
const (
	hdrRequestID = "Abanico-Request-Id"
	hdrQueued    = "Abanico-Ts"
)

// Invoke invokes a function: RequestResponse runs it and returns its
// result; Event stores the invocation durably and returns 202 (it runs
// soon after, retried as AWS retries asynchronous invocations); DryRun
// only checks the call.
func (s *Service) Invoke(ctx context.Context, nameOrArn string, in InvokeInput) (*InvokeOutput, error) {
	c, err := s.Get(nameOrArn)
	if err != nil {
		return nil, err
	}
	switch in.Type {
	case "", InvokeRequestResponse:
		if len(in.Payload) > MaxSyncPayload {
			return nil, errorf(CodeRequestTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", MaxSyncPayload)
		}
		res, err := s.run(ctx, c, lambdaruntime.Invocation{Payload: in.Payload, ClientContext: in.ClientContext})
		if err != nil {
			return nil, err
		}
		out := &InvokeOutput{StatusCode: 200, Payload: res.Payload, FunctionError: res.FunctionError,
			ExecutedVersion: "$LATEST", RequestID: res.RequestID}
		if in.LogTail {
			tail := res.Logs
			if len(tail) > logTailBytes {
				tail = tail[len(tail)-logTailBytes:]
			}
			out.LogResult = base64.StdEncoding.EncodeToString(tail)
		}
		return out, nil
	case InvokeEvent:
		if len(in.Payload) > MaxAsyncPayload {
			return nil, errorf(CodeRequestTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", MaxAsyncPayload)
		}
		id := uuid.New()
		h := nats.Header{}
		h.Set(hdrRequestID, id)
		h.Set(hdrQueued, strconv.FormatInt(s.now().UnixMilli(), 10))
		if _, err := s.writer.Write(ctx, []engine.Record{{Subject: asyncSubject + "." + c.Name, Header: h, Data: in.Payload}}); err != nil {
			return nil, internal(err)
		}
		return &InvokeOutput{StatusCode: 202, RequestID: id}, nil
	case InvokeDryRun:
		return &InvokeOutput{StatusCode: 204}, nil
	}
	return nil, invalid("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", in.Type)
}

// run runs one invocation on a local process.
func (s *Service) run(ctx context.Context, c *Config, inv lambdaruntime.Invocation) (*lambdaruntime.Result, error) {
	if c.ReservedConcurrency != nil && *c.ReservedConcurrency == 0 {
		return nil, throttled()
	}
	dir, err := s.codeDir(ctx, c)
	if err != nil {
		return nil, internal(err)
	}
	f := &lambdaruntime.Function{
		Name: c.Name, ARN: s.FunctionArn(c.Name), Version: "$LATEST", Region: s.opts.Region, Handler: c.Handler,
		Runtime: c.Runtime, CodeDir: dir, CodeID: c.RevisionID, Env: c.Environment,
		Timeout: time.Duration(c.Timeout) * time.Second, MemoryMB: c.MemorySize,
	}
	if c.ReservedConcurrency != nil {
		f.Concurrency = *c.ReservedConcurrency
	}
	res, err := s.runner.Invoke(ctx, f, inv)
	if errors.Is(err, lambdaruntime.ErrThrottled) {
		return nil, throttled()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, internal(err)
	}
	return res, nil
}

func throttled() *Error {
	return &Error{Code: CodeTooManyRequests, Message: "Rate Exceeded."}
}

// DeliveryResult is the outcome of an invocation made for a subscription.
type DeliveryResult struct {
	RequestID     string
	FunctionError string // non-empty: the function ran and failed
	Payload       []byte
	// MaxRetries is the function's MaximumRetryAttempts for asynchronous
	// invocations (AWS's default 2).
	MaxRetries int
}

// Deliver invokes a function for an SNS subscription, as SNS invokes
// Lambda: asynchronously from the publisher's point of view, so the
// function's own retry setting applies to its failures. Errors are
// *Error: ResourceNotFoundException (the function is gone: retrying cannot
// help), TooManyRequestsException (throttled: retry later) or others.
func (s *Service) Deliver(ctx context.Context, functionArn string, payload []byte) (DeliveryResult, error) {
	c, err := s.Get(functionArn)
	if err != nil {
		return DeliveryResult{}, err
	}
	res, err := s.run(ctx, c, lambdaruntime.Invocation{Payload: payload})
	if err != nil {
		return DeliveryResult{}, err
	}
	return DeliveryResult{RequestID: res.RequestID, FunctionError: res.FunctionError, Payload: res.Payload, MaxRetries: maxRetries(c)}, nil
}

func maxRetries(c *Config) int {
	if c.MaximumRetryAttempts != nil {
		return *c.MaximumRetryAttempts
	}
	return 2
}

// AsyncRetryDelay is the wait before retry n of a failed asynchronous
// invocation: one minute, then two, as AWS documents.
func AsyncRetryDelay(n int) time.Duration {
	if n <= 1 {
		return time.Minute
	}
	return 2 * time.Minute
}

func asyncConsumer(name string) string { return "fn_" + name }

// ensureAsyncCursor creates the durable cursor of a function's queued
// invocations.
func (s *Service) ensureAsyncCursor(ctx context.Context, name string) error {
	_, err := s.js.CreateOrUpdateConsumer(ctx, asyncStream, jetstream.ConsumerConfig{
		Durable: asyncConsumer(name), FilterSubject: asyncSubject + "." + name,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 16 * time.Minute, MaxDeliver: -1,
		MaxAckPending: 10000, MaxWaiting: 64, Replicas: s.eng.Replicas(),
	})
	return err
}

// asyncWorker runs one function's queued invocations on this node, at
// most Options.AsyncConcurrency at a time.
type asyncWorker struct {
	s      *Service
	name   string
	slots  chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (s *Service) startAsync(name string) *asyncWorker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &asyncWorker{s: s, name: name, slots: make(chan struct{}, s.opts.AsyncConcurrency), cancel: cancel}
	w.wg.Add(1)
	go w.run(ctx)
	return w
}

func (w *asyncWorker) stop() {
	w.cancel()
	w.wg.Wait()
}

func (w *asyncWorker) run(ctx context.Context) {
	defer w.wg.Done()
	for ctx.Err() == nil {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		msgs, err := w.s.eng.Fetch(ctx, asyncStream, asyncConsumer(w.name), 1, 20*time.Second)
		if len(msgs) == 0 {
			<-w.slots
		}
		for _, m := range msgs {
			w.wg.Add(1)
			go func() {
				defer func() { <-w.slots; w.wg.Done() }()
				w.handle(ctx, m)
			}()
		}
		if err != nil && ctx.Err() == nil {
			if errors.Is(err, engine.ErrNoConsumer) {
				if _, _, ok := w.s.fns.Get(w.name); ok {
					_ = w.s.ensureAsyncCursor(ctx, w.name)
				}
			}
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
}

// handle runs one queued invocation: acknowledged when it succeeded or
// finally failed; retried after one and then two minutes when the
// function failed (up to MaximumRetryAttempts), and with a growing delay
// while the function is throttled, until the event is too old.
func (w *asyncWorker) handle(ctx context.Context, m *nats.Msg) {
	c, _, ok := w.s.fns.Get(w.name)
	if !ok {
		_ = m.Ack()
		return
	}
	attempt := 1
	if info, err := engine.ParseAck(m.Reply); err == nil && info.Delivered > 0 {
		attempt = int(info.Delivered)
	}
	queued, _ := strconv.ParseInt(m.Header.Get(hdrQueued), 10, 64)
	maxAge := 21600
	if c.MaximumEventAgeInSeconds != nil {
		maxAge = *c.MaximumEventAgeInSeconds
	}
	id := m.Header.Get(hdrRequestID)
	if age := w.s.now().Sub(time.UnixMilli(queued)); age > time.Duration(maxAge)*time.Second {
		w.s.log.Warn("queued invocation too old, dropped", "function", w.name, "request", id, "age", age)
		_ = m.Ack()
		return
	}
	res, err := w.s.run(ctx, c, lambdaruntime.Invocation{RequestID: id, Payload: m.Data})
	if ctx.Err() != nil {
		return // shutting down: it runs again later
	}
	var fe *Error
	if err != nil {
		delay := 5 * time.Second
		if errors.As(err, &fe) && fe.Code == CodeTooManyRequests {
			delay = min(time.Duration(1<<min(attempt, 8))*time.Second, 5*time.Minute)
		}
		_ = m.NakWithDelay(delay)
		return
	}
	if res.FunctionError != "" {
		if attempt <= maxRetries(c) {
			_ = m.NakWithDelay(AsyncRetryDelay(attempt))
			return
		}
		w.s.log.Warn("queued invocation failed, dropped", "function", w.name, "request", id, "attempts", attempt)
	}
	_ = m.Ack()
}

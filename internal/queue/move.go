package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"sync"
	"time"
)

// MoveTask is a dead-letter redrive (StartMessageMoveTask).
type MoveTask struct {
	Handle         string
	Status         string // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
	SourceArn      string
	DestinationArn string
	MaxPerSecond   int
	Moved          int64
	ToMove         int64
	FailureReason  string
	Started        int64 // ms
}

type moveTask struct {
	MoveTask
	cancel context.CancelFunc
}

// moveTasks holds the move tasks of this node. Tasks run in memory: a task
// that is running when the server stops ends there (its messages stay in the
// dead-letter queue and a new task can be started).
type moveTasks struct {
	mu    sync.Mutex
	tasks []*moveTask
	wg    sync.WaitGroup
}

func newMoveTasks() *moveTasks { return &moveTasks{} }

func (m *moveTasks) cancelAll() {
	m.mu.Lock()
	for _, t := range m.tasks {
		if t.cancel != nil {
			t.cancel()
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// StartMoveTask starts moving messages out of a dead-letter queue, to
// destinationArn or (when empty) back to each message's source queue.
func (s *Service) StartMoveTask(ctx context.Context, sourceArn, destinationArn string, maxPerSecond *int) (string, error) {
	src, err := s.ByARN(sourceArn)
	if err != nil {
		return "", errorf(CodeResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if destinationArn != "" {
		if _, err := s.ByARN(destinationArn); err != nil {
			return "", errorf(CodeResourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
	}
	srcs, _ := s.DeadLetterSources(src.Name)
	if len(srcs) == 0 {
		return "", errorf(CodeInvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.")
	}
	rate := 0
	if maxPerSecond != nil {
		if *maxPerSecond < 1 || *maxPerSecond > 500 {
			return "", errorf(CodeInvalidParameterValue, "Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.", *maxPerSecond)
		}
		rate = *maxPerSecond
	}
	c, err := s.counts(ctx, src)
	if err != nil {
		return "", internal(err)
	}
	s.tasks.mu.Lock()
	for _, t := range s.tasks.tasks {
		if t.SourceArn == sourceArn && (t.Status == "RUNNING" || t.Status == "CANCELLING") {
			s.tasks.mu.Unlock()
			return "", errorf(CodeUnsupportedOperation, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	hb, _ := json.Marshal(map[string]string{"taskId": NewMessageID(), "sourceArn": sourceArn})
	tctx, cancel := context.WithCancel(context.Background())
	t := &moveTask{MoveTask: MoveTask{
		Handle: base64.StdEncoding.EncodeToString(hb), Status: "RUNNING", SourceArn: sourceArn,
		DestinationArn: destinationArn, MaxPerSecond: rate, ToMove: c.visible + c.notVisible,
		Started: s.now().UnixMilli(),
	}, cancel: cancel}
	s.tasks.tasks = append(s.tasks.tasks, t)
	s.tasks.wg.Add(1)
	s.tasks.mu.Unlock()
	go s.runMoveTask(tctx, t, src.Name)
	return t.Handle, nil
}

func (s *Service) runMoveTask(ctx context.Context, t *moveTask, src string) {
	defer s.tasks.wg.Done()
	finish := func(status, reason string) {
		s.tasks.mu.Lock()
		if t.Status == "CANCELLING" {
			status = "CANCELLED"
		}
		t.Status, t.FailureReason = status, reason
		s.tasks.mu.Unlock()
	}
	zero, ten := 0, 10
	vt := 60
	empty := 0
	for {
		if ctx.Err() != nil {
			finish("CANCELLED", "")
			return
		}
		msgs, err := s.Receive(ctx, src, ReceiveInput{MaxMessages: &ten, WaitTimeSeconds: &zero, VisibilityTimeout: &vt,
			AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}})
		if err != nil {
			if ctx.Err() != nil {
				finish("CANCELLED", "")
			} else {
				finish("FAILED", err.Error())
			}
			return
		}
		if len(msgs) == 0 {
			empty++
			if empty >= 2 {
				finish("COMPLETED", "")
				return
			}
			continue
		}
		empty = 0
		for i, m := range msgs {
			// A cancellation takes effect between messages: the received
			// messages not moved yet are made visible again, and a message
			// is never sent without being deleted.
			if ctx.Err() != nil {
				s.releaseMoves(src, msgs[i:])
				finish("CANCELLED", "")
				return
			}
			dest := t.DestinationArn
			if dest == "" {
				dest = m.Attributes["DeadLetterQueueSourceArn"]
			}
			dq, err := s.ByARN(dest)
			if err != nil {
				s.releaseMoves(src, msgs[i:])
				finish("FAILED", "Destination queue "+dest+" does not exist.")
				return
			}
			mctx := context.WithoutCancel(ctx)
			if _, err := s.Send(mctx, dq.Name, m.Attributes["SenderId"], []SendInput{{Body: m.Body, Attributes: m.MessageAttributes}}); err != nil {
				s.releaseMoves(src, msgs[i:])
				finish("FAILED", err.Error())
				return
			}
			if _, err := s.DeleteMessages(mctx, src, []string{m.ReceiptHandle}); err != nil {
				s.releaseMoves(src, msgs[i+1:])
				finish("FAILED", err.Error())
				return
			}
			s.tasks.mu.Lock()
			t.Moved++
			s.tasks.mu.Unlock()
			if t.MaxPerSecond > 0 {
				select {
				case <-time.After(time.Second / time.Duration(t.MaxPerSecond)):
				case <-ctx.Done():
				}
			}
		}
	}
}

// releaseMoves makes messages a move task received but did not move
// visible again, so that they need not wait out the task's visibility
// timeout.
func (s *Service) releaseMoves(src string, msgs []Message) {
	if len(msgs) == 0 {
		return
	}
	changes := make([]VisibilityChange, len(msgs))
	for i, m := range msgs {
		changes[i] = VisibilityChange{ReceiptHandle: m.ReceiptHandle}
	}
	// A release that fails only leaves the messages hidden until their
	// visibility timeout ends; they are not lost.
	if _, err := s.ChangeVisibility(context.Background(), src, changes); err != nil {
		s.log.Warn("release messages of a stopped move task", "queue", src, "messages", len(msgs), "err", err)
	}
}

// CancelMoveTask cancels a running task and returns how many messages it
// moved.
func (s *Service) CancelMoveTask(handle string) (int64, error) {
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	for _, t := range s.tasks.tasks {
		if t.Handle == handle {
			if t.Status != "RUNNING" {
				return 0, errorf(CodeUnsupportedOperation, "Only active tasks can be cancelled.")
			}
			t.Status = "CANCELLING"
			t.cancel()
			return t.Moved, nil
		}
	}
	return 0, errorf(CodeResourceNotFound, "Task does not exist.")
}

// ListMoveTasks returns a source queue's most recent tasks, newest first.
func (s *Service) ListMoveTasks(sourceArn string, max int) ([]MoveTask, error) {
	if _, err := s.ByARN(sourceArn); err != nil {
		return nil, errorf(CodeResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if max == 0 {
		max = 1
	}
	if max < 1 || max > 10 {
		return nil, errorf(CodeInvalidParameterValue, "Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and 10.", max)
	}
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	var out []MoveTask
	for _, t := range s.tasks.tasks {
		if t.SourceArn == sourceArn {
			mt := t.MoveTask
			if mt.Status != "RUNNING" {
				mt.Handle = ""
			}
			out = append(out, mt)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started > out[j].Started })
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// MoveTask returns the task with the given handle, whatever its status,
// handle included (ListMoveTasks, as SQS's ListMessageMoveTasks, shows the
// handles of running tasks only, so a finished task cannot be told apart
// there by its handle).
func (s *Service) MoveTask(handle string) (MoveTask, error) {
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	for _, t := range s.tasks.tasks {
		if t.Handle == handle {
			return t.MoveTask, nil
		}
	}
	return MoveTask{}, errorf(CodeResourceNotFound, "Task does not exist.")
}

package lambdaruntime

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"time"
)

const (
	// maxLogLine bounds one captured line: longer output without a newline
	// is cut into lines of this size.
	maxLogLine = 256 << 10
	// drainWindow is how long a drain keeps reading after the pipe looked
	// empty, so that bytes in flight are still counted in.
	drainWindow = 2 * time.Millisecond
)

// logRing keeps the most recent bytes written to it: at most max bytes are
// ever returned, the oldest being dropped first. It is safe for concurrent
// use.
type logRing struct {
	mu  sync.Mutex
	max int
	buf []byte // the kept bytes are the last max of buf
}

func newLogRing(max int) *logRing {
	return &logRing{max: max}
}

// write appends b, dropping the oldest bytes beyond the bound. It copies b.
func (l *logRing) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(b) >= l.max {
		l.buf = append(l.buf[:0], b[len(b)-l.max:]...)
		return
	}
	l.buf = append(l.buf, b...)
	// Compact only once twice the bound is held, so that appends stay
	// amortised O(len(b)).
	if len(l.buf) > 2*l.max {
		n := copy(l.buf, l.buf[len(l.buf)-l.max:])
		l.buf = l.buf[:n]
	}
}

// writeLine appends s and a newline.
func (l *logRing) writeLine(s string) {
	l.write([]byte(s + "\n"))
}

// tail returns a copy of the last n kept bytes (all kept bytes when n <= 0).
func (l *logRing) tail(n int) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf
	if len(b) > l.max {
		b = b[len(b)-l.max:]
	}
	if n > 0 && len(b) > n {
		b = b[len(b)-n:]
	}
	return bytes.Clone(b)
}

// lineReader reads what a process writes to its log pipe (stdout and stderr
// share it) and hands it to emit line by line, newline included. emit must
// not keep the slice it is given.
//
// drain lets an invocation wait until everything the process wrote to the
// pipe before the call has been handed to emit: it is how output printed just
// before a response reliably lands in that invocation's log.
type lineReader struct {
	f       *os.File
	emit    func(line []byte)
	partial []byte // a line begun but not yet ended; owned by run

	done chan struct{} // closed when run has returned

	mu       sync.Mutex
	waiters  []chan struct{}
	finished bool
}

func newLineReader(f *os.File, emit func([]byte)) *lineReader {
	return &lineReader{f: f, emit: emit, done: make(chan struct{})}
}

// run reads the pipe until every writer has closed it (or it is closed),
// then hands over any unfinished line, releases every drain waiting and
// closes the pipe.
func (l *lineReader) run() {
	defer func() {
		l.flush()
		l.mu.Lock()
		l.finished = true
		ws := l.waiters
		l.waiters = nil
		l.mu.Unlock()
		release(ws)
		_ = l.f.Close()
		close(l.done)
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := l.f.Read(buf)
		l.consume(buf[:n])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if !l.serveDrains(buf) {
				return
			}
		default:
			return
		}
	}
}

// serveDrains answers the drain requests that woke the reader: it reads
// everything the pipe holds now, hands over a pending partial line, and then
// releases the requests. It reports false when the pipe has ended.
func (l *lineReader) serveDrains(buf []byte) bool {
	for {
		l.mu.Lock()
		ws := l.waiters
		l.waiters = nil
		l.mu.Unlock()

		if err := l.f.SetReadDeadline(time.Now().Add(drainWindow)); err != nil {
			release(ws)
			return false
		}
		for {
			n, err := l.f.Read(buf)
			l.consume(buf[:n])
			if err == nil {
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			release(ws)
			return false
		}
		l.flush()

		// A drain requested meanwhile has set a new deadline: serve it too
		// rather than clearing that deadline.
		l.mu.Lock()
		more := len(l.waiters) > 0
		if !more {
			_ = l.f.SetReadDeadline(time.Time{})
		}
		l.mu.Unlock()
		release(ws)
		if !more {
			return true
		}
	}
}

// drain returns once everything written to the pipe before the call has
// been handed to emit, once the pipe has ended, or when ctx is done.
func (l *lineReader) drain(ctx context.Context) {
	ch := make(chan struct{})
	l.mu.Lock()
	if l.finished {
		l.mu.Unlock()
		return
	}
	// Waking the reader: its pending Read fails with ErrDeadlineExceeded.
	if err := l.f.SetReadDeadline(time.Now()); err != nil {
		l.mu.Unlock()
		return
	}
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	select {
	case <-ch:
	case <-l.done:
	case <-ctx.Done():
	}
}

// consume splits b into lines, keeping an unfinished one for later.
func (l *lineReader) consume(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.partial = append(l.partial, b...)
			for len(l.partial) >= maxLogLine {
				l.emitLine(l.partial[:maxLogLine])
				l.partial = l.partial[:copy(l.partial, l.partial[maxLogLine:])]
			}
			return
		}
		if len(l.partial) == 0 {
			l.emit(b[:i+1])
		} else {
			l.partial = append(l.partial, b[:i+1]...)
			l.emit(l.partial)
			l.partial = l.partial[:0]
		}
		b = b[i+1:]
	}
}

// flush hands over an unfinished line, ending it with a newline.
func (l *lineReader) flush() {
	if len(l.partial) > 0 {
		l.emitLine(l.partial)
		l.partial = l.partial[:0]
	}
}

// emitLine hands over b with a newline appended.
func (l *lineReader) emitLine(b []byte) {
	line := make([]byte, 0, len(b)+1)
	line = append(line, b...)
	l.emit(append(line, '\n'))
}

func release(ws []chan struct{}) {
	for _, w := range ws {
		close(w)
	}
}

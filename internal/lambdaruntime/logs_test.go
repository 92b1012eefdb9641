package lambdaruntime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogRing(t *testing.T) {
	l := newLogRing(10)
	l.write([]byte("abcdef"))
	l.write([]byte("ghijkl"))
	if got := string(l.tail(0)); got != "cdefghijkl" {
		t.Fatalf("tail(0) = %q", got)
	}
	if got := string(l.tail(3)); got != "jkl" {
		t.Fatalf("tail(3) = %q", got)
	}
	l.write([]byte("0123456789abcdefghijklmnopqrstuvwxyz"))
	if got := string(l.tail(0)); got != "qrstuvwxyz" {
		t.Fatalf("tail after a long write = %q", got)
	}
	for i := range 1000 {
		l.write([]byte{byte('a' + i%26)})
		if n := len(l.tail(0)); n != 10 {
			t.Fatalf("tail holds %d bytes", n)
		}
		if len(l.buf) > 20 {
			t.Fatalf("buffer grew to %d bytes", len(l.buf))
		}
	}
	if got := string(l.tail(0)); got != "cdefghijkl" {
		t.Fatalf("tail = %q", got)
	}
}

type lineSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *lineSink) emit(b []byte) {
	s.mu.Lock()
	s.lines = append(s.lines, string(b))
	s.mu.Unlock()
}

func (s *lineSink) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func TestLineReaderDrain(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	var sink lineSink
	l := newLineReader(pr, sink.emit)
	go l.run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Everything written before drain is there when it returns, an
	// unfinished line included.
	for i := range 200 {
		fmt.Fprintf(pw, "line %d\npartial %d", i, i)
		l.drain(ctx)
		got := sink.get()
		if len(got) < 2 || got[len(got)-2] != fmt.Sprintf("line %d\n", i) || got[len(got)-1] != fmt.Sprintf("partial %d\n", i) {
			t.Fatalf("after drain %d: last lines %q", i, got[max(0, len(got)-2):])
		}
	}

	// Concurrent drains all return.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				l.drain(ctx)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("drains did not return")
	}

	// Over-long lines are cut.
	long := strings.Repeat("z", maxLogLine+10)
	fmt.Fprintln(pw, long)
	pw.Close()
	<-l.done
	got := sink.get()
	tail := strings.Join(got[len(got)-2:], "")
	if tail != long[:maxLogLine]+"\n"+long[maxLogLine:]+"\n" {
		t.Fatalf("long line split as %d and %d bytes", len(got[len(got)-2]), len(got[len(got)-1]))
	}
	l.drain(ctx) // after the end: returns at once
}

func TestErrorBody(t *testing.T) {
	if got := string(errorBody([]byte(`{"errorMessage":"m","errorType":"T"}`), "X")); got != `{"errorMessage":"m","errorType":"T"}` {
		t.Fatalf("JSON document = %s", got)
	}
	if got := string(errorBody([]byte("plain text"), "X")); got != `{"errorType":"X","errorMessage":"plain text"}` {
		t.Fatalf("text body = %s", got)
	}
	if got := string(errorBody(nil, "")); got != `{"errorType":"Runtime.Unknown","errorMessage":"Unknown application error occurred"}` {
		t.Fatalf("empty body = %s", got)
	}
	if !bytes.Equal(timeoutDocument("m"), []byte(`{"errorMessage":"m"}`)) {
		t.Fatalf("timeout document = %s", timeoutDocument("m"))
	}
}

func TestReportLine(t *testing.T) {
	got := reportLine("id", 12340*time.Microsecond, 128, 20, true, 1500*time.Microsecond)
	want := "REPORT RequestId: id\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 1.50 ms"
	if got != want {
		t.Fatalf("reportLine =\n%q\nwant\n%q", got, want)
	}
	if got := reportLine("id", 0, 256, 0, false, 0); !strings.Contains(got, "Billed Duration: 1 ms") || strings.Contains(got, "Init") {
		t.Fatalf("warm reportLine = %q", got)
	}
}

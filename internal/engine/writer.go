package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Record is one message to store.
type Record struct {
	Subject string
	Header  nats.Header
	Data    []byte
}

// maxGroup bounds the records of one group commit.
const maxGroup = 4096

// maxGroupBytes bounds the size of a group so a commit stays short.
const maxGroupBytes = 16 << 20

// writeTimeout bounds the wait for one group's acknowledgements.
const writeTimeout = 30 * time.Second

// Writer stores records in one stream and answers each Write only when its
// records are stored with the engine's durability.
//
// Writes are group-committed: one committer publishes everything queued
// (pipelined), and waits for JetStream's acknowledgements — each message is
// then written to its block file (or, on a cluster, replicated). On the
// embedded engine in strict mode it then fsyncs the stream's files once for
// the whole group before answering. While one group is being stored the next
// one gathers, so the number of fsyncs per second stays bounded by the disk
// and the number of writes per fsync grows with concurrency.
type Writer struct {
	e      *Engine
	nc     *nats.Conn // the writer's own connection
	js     jetstream.JetStream
	stream string
	in     chan *writeReq
	stop   chan struct{}
	wg     sync.WaitGroup
	sync   bool // fsync each group (embedded, strict)

	closeOnce sync.Once
}

type writeReq struct {
	recs []Record
	done chan writeRes
}

type writeRes struct {
	seqs []uint64
	err  error
}

// NewWriter starts a writer for a stream, on a connection of its own.
// Close it when done.
func (e *Engine) NewWriter(stream string) (*Writer, error) {
	nc, err := e.dial("abanico-writer-" + stream)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream context: %w", err)
	}
	w := &Writer{
		e: e, nc: nc, js: js, stream: stream,
		in:   make(chan *writeReq, 4096),
		stop: make(chan struct{}),
		sync: e.ns != nil && e.cfg.Durability == Strict,
	}
	w.wg.Add(1)
	go w.loop()
	return w, nil
}

// Close stops the writer after the writes already queued are stored.
func (w *Writer) Close() {
	w.closeOnce.Do(func() { close(w.stop) })
	w.wg.Wait()
	w.nc.Close()
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("writer closed")

// Write stores recs and returns the stream sequence of each.
func (w *Writer) Write(ctx context.Context, recs []Record) ([]uint64, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	req := &writeReq{recs: recs, done: make(chan writeRes, 1)}
	select {
	case w.in <- req:
	case <-w.stop:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, the write is carried out even if ctx ends: the caller may
	// not learn the outcome, but the store stays consistent.
	res := <-req.done
	return res.seqs, res.err
}

func (w *Writer) loop() {
	defer w.wg.Done()
	for {
		var first *writeReq
		select {
		case first = <-w.in:
		case <-w.stop:
			for {
				select {
				case r := <-w.in:
					w.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch := []*writeReq{first}
		n, size := len(first.recs), recsSize(first.recs)
	gather:
		for n < maxGroup && size < maxGroupBytes {
			select {
			case r := <-w.in:
				batch = append(batch, r)
				n += len(r.recs)
				size += recsSize(r.recs)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

func recsSize(recs []Record) int {
	n := 0
	for _, r := range recs {
		n += len(r.Data) + len(r.Subject) + 64
	}
	return n
}

// commit stores a group: all records are published and acknowledged, then
// (strict mode) made durable with one sync of the stream.
func (w *Writer) commit(batch []*writeReq) {
	var all []Record
	for _, r := range batch {
		all = append(all, r.recs...)
	}
	seqs, err := w.publish(all)
	if err == nil && w.sync {
		if serr := w.e.SyncStream(w.stream); serr != nil {
			err = fmt.Errorf("sync stream %s: %w", w.stream, serr)
		}
	}
	off := 0
	for _, r := range batch {
		if err != nil {
			r.done <- writeRes{err: err}
			continue
		}
		r.done <- writeRes{seqs: seqs[off : off+len(r.recs)]}
		off += len(r.recs)
	}
}

// publish sends every record at once and waits for all acknowledgements.
func (w *Writer) publish(recs []Record) ([]uint64, error) {
	futs := make([]jetstream.PubAckFuture, len(recs))
	for i, r := range recs {
		f, err := w.js.PublishMsgAsync(&nats.Msg{Subject: r.Subject, Header: r.Header, Data: r.Data})
		if err != nil {
			return nil, fmt.Errorf("publish to %s: %w", r.Subject, err)
		}
		futs[i] = f
	}
	seqs := make([]uint64, len(recs))
	timeout := time.NewTimer(writeTimeout)
	defer timeout.Stop()
	for i, f := range futs {
		select {
		case a := <-f.Ok():
			seqs[i] = a.Sequence
		case err := <-f.Err():
			return nil, fmt.Errorf("publish to %s: %w", recs[i].Subject, err)
		case <-timeout.C:
			return nil, fmt.Errorf("publish to %s: timed out", recs[i].Subject)
		}
	}
	return seqs, nil
}

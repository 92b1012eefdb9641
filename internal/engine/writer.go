package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Record is one message to store.
type Record struct {
	Subject string
	Header  nats.Header
	Data    []byte
}

// MaxGroup is the largest number of records one group commit carries; it is
// nats-server's atomic batch limit.
const MaxGroup = 1000

// maxGroupBytes bounds the size of a group so a commit stays short.
const maxGroupBytes = 16 << 20

// Writer stores records in one stream and acknowledges each Write only when
// its records are stored with the engine's durability.
//
// In strict mode concurrent writes are group-committed: while one group is
// being stored and fsynced, the next group collects everything that arrives,
// and is then stored as one atomic batch, which nats-server commits with a
// single fsync. A Write's records are stored contiguously and atomically:
// either all of them are stored or none.
type Writer struct {
	e      *Engine
	stream string
	in     chan *writeReq
	stop   chan struct{}
	wg     sync.WaitGroup
	group  bool

	closeOnce sync.Once
}

type writeReq struct {
	recs []Record
	done chan writeRes
}

type writeRes struct {
	first uint64
	err   error
}

// NewWriter starts a writer for a stream. Close it when done.
func (e *Engine) NewWriter(stream string) *Writer {
	w := &Writer{
		e: e, stream: stream,
		in:    make(chan *writeReq, 4096),
		stop:  make(chan struct{}),
		group: e.cfg.Durability == Strict,
	}
	if w.group {
		w.wg.Add(1)
		go w.loop()
	}
	return w
}

// Close stops the writer after the writes already queued are stored.
func (w *Writer) Close() {
	w.closeOnce.Do(func() { close(w.stop) })
	w.wg.Wait()
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("writer closed")

// Write stores recs and returns the stream sequence of each.
func (w *Writer) Write(ctx context.Context, recs []Record) ([]uint64, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	if len(recs) > MaxGroup {
		return nil, fmt.Errorf("write of %d records exceeds %d", len(recs), MaxGroup)
	}
	if !w.group {
		return w.writeAsync(ctx, recs)
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
	if res.err != nil {
		return nil, res.err
	}
	seqs := make([]uint64, len(recs))
	for i := range seqs {
		seqs[i] = res.first + uint64(i)
	}
	return seqs, nil
}

func (w *Writer) loop() {
	defer w.wg.Done()
	var carry *writeReq
	for {
		var first *writeReq
		if carry != nil {
			first, carry = carry, nil
		} else {
			select {
			case first = <-w.in:
			case <-w.stop:
				// Drain what is queued, then exit.
				for {
					select {
					case r := <-w.in:
						w.commit([]*writeReq{r})
					default:
						return
					}
				}
			}
		}
		batch := []*writeReq{first}
		n, size := len(first.recs), recsSize(first.recs)
	gather:
		for n < MaxGroup && size < maxGroupBytes {
			select {
			case r := <-w.in:
				if n+len(r.recs) > MaxGroup {
					carry = r
					break gather
				}
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

func (w *Writer) commit(batch []*writeReq) {
	total := 0
	for _, r := range batch {
		total += len(r.recs)
	}
	var last uint64
	var err error
	if total == 1 {
		last, err = w.publishOne(batch[0].recs[0])
	} else {
		last, err = w.publishAtomic(batch, total)
		if err != nil && !isRetryableBatchError(err) {
			for _, r := range batch {
				r.done <- writeRes{err: err}
			}
			return
		}
		if err != nil {
			// The batch was not committed: store each request on its own.
			w.e.log.Warn("atomic batch failed, storing requests one by one", "stream", w.stream, "err", err)
			for _, r := range batch {
				w.commitSingle(r)
			}
			return
		}
	}
	if err != nil {
		for _, r := range batch {
			r.done <- writeRes{err: err}
		}
		return
	}
	first := last - uint64(total) + 1
	for _, r := range batch {
		r.done <- writeRes{first: first}
		first += uint64(len(r.recs))
	}
}

// commitSingle stores one request's records, atomically if more than one.
func (w *Writer) commitSingle(r *writeReq) {
	var last uint64
	var err error
	if len(r.recs) == 1 {
		last, err = w.publishOne(r.recs[0])
	} else {
		last, err = w.publishAtomic([]*writeReq{r}, len(r.recs))
	}
	if err != nil {
		r.done <- writeRes{err: err}
		return
	}
	r.done <- writeRes{first: last - uint64(len(r.recs)) + 1}
}

const writeTimeout = 30 * time.Second

type pubAck struct {
	Stream    string    `json:"stream"`
	Sequence  uint64    `json:"seq"`
	Duplicate bool      `json:"duplicate,omitempty"`
	BatchSize int       `json:"count,omitempty"`
	Error     *apiError `json:"error,omitempty"`
}

type apiError struct {
	Code        int    `json:"code"`
	ErrCode     uint16 `json:"err_code"`
	Description string `json:"description"`
}

// APIError is a JetStream API error returned by a write.
type APIError struct {
	Code        int
	ErrCode     uint16
	Description string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("jetstream: %s (code %d, err_code %d)", e.Description, e.Code, e.ErrCode)
}

func isRetryableBatchError(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	// 10176 incomplete batch, 10210 too many inflight, 10174 disabled.
	return ae.ErrCode == 10176 || ae.ErrCode == 10210 || ae.ErrCode == 10174
}

func parseAck(data []byte) (pubAck, error) {
	var a pubAck
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("decode publish ack: %w", err)
	}
	if a.Error != nil {
		return a, &APIError{Code: a.Error.Code, ErrCode: a.Error.ErrCode, Description: a.Error.Description}
	}
	return a, nil
}

func (w *Writer) publishOne(r Record) (uint64, error) {
	m := &nats.Msg{Subject: r.Subject, Header: r.Header, Data: r.Data}
	resp, err := w.e.nc.RequestMsg(m, writeTimeout)
	if err != nil {
		return 0, fmt.Errorf("publish to %s: %w", r.Subject, err)
	}
	a, err := parseAck(resp.Data)
	if err != nil {
		return 0, err
	}
	return a.Sequence, nil
}

// publishAtomic stores all records of the batch as one JetStream atomic
// batch and returns the sequence of the last one; the batch's sequences are
// contiguous.
func (w *Writer) publishAtomic(batch []*writeReq, total int) (uint64, error) {
	id := nuid.Next()
	seq := 0
	for _, r := range batch {
		for _, rec := range r.recs {
			seq++
			h := nats.Header{}
			for k, v := range rec.Header {
				h[k] = v
			}
			h.Set("Nats-Batch-Id", id)
			h.Set("Nats-Batch-Sequence", strconv.Itoa(seq))
			m := &nats.Msg{Subject: rec.Subject, Header: h, Data: rec.Data}
			if seq < total {
				if err := w.e.nc.PublishMsg(m); err != nil {
					return 0, fmt.Errorf("publish batch %s: %w", id, err)
				}
				continue
			}
			h.Set("Nats-Batch-Commit", "1")
			resp, err := w.e.nc.RequestMsg(m, writeTimeout)
			if err != nil {
				return 0, fmt.Errorf("commit batch %s: %w", id, err)
			}
			a, err := parseAck(resp.Data)
			if err != nil {
				return 0, err
			}
			if a.BatchSize != 0 && a.BatchSize != total {
				return 0, fmt.Errorf("batch %s: stored %d of %d", id, a.BatchSize, total)
			}
			return a.Sequence, nil
		}
	}
	return 0, errors.New("empty batch")
}

// writeAsync stores records without grouping (relaxed mode): every record is
// published at once and the acknowledgements are awaited together.
func (w *Writer) writeAsync(ctx context.Context, recs []Record) ([]uint64, error) {
	select {
	case <-w.stop:
		return nil, ErrClosed
	default:
	}
	futs := make([]jetstream.PubAckFuture, len(recs))
	for i, r := range recs {
		f, err := w.e.js.PublishMsgAsync(&nats.Msg{Subject: r.Subject, Header: r.Header, Data: r.Data})
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

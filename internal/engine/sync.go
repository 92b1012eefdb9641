package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// streamSyncer makes a stream's stored messages durable on demand: it
// fsyncs the stream's message block files that may hold unsynced data and,
// when blocks were added, their directory. JetStream writes each message
// to its block file (write(2)) before acknowledging it, so an fsync after
// the acknowledgements covers every one of them: one fsync for a whole
// group of writes.
type streamSyncer struct {
	dir string

	mu      sync.Mutex
	files   map[int]*os.File // open block files by index
	lastIdx int              // highest block index synced so far
	lastN   int              // number of block files at the last sync
}

func newStreamSyncer(storeDir, stream string) *streamSyncer {
	return &streamSyncer{
		dir:   filepath.Join(storeDir, "jetstream", "$G", "streams", stream, "msgs"),
		files: map[int]*os.File{},
	}
}

// Sync fsyncs every block file from the last synced one on, and the
// directory when its set of blocks changed.
func (s *streamSyncer) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", s.dir, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", s.dir, err)
	}
	present := map[int]bool{}
	maxIdx, n := 0, 0
	for _, name := range names {
		if !strings.HasSuffix(name, ".blk") {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSuffix(name, ".blk"))
		if err != nil {
			continue
		}
		n++
		present[idx] = true
		if idx > maxIdx {
			maxIdx = idx
		}
	}
	// Forget blocks that were removed.
	for idx, f := range s.files {
		if !present[idx] {
			f.Close()
			delete(s.files, idx)
		}
	}
	from := s.lastIdx
	if from == 0 {
		from = maxIdx
	}
	for idx := from; idx <= maxIdx; idx++ {
		if !present[idx] {
			continue
		}
		f := s.files[idx]
		if f == nil {
			f, err = os.OpenFile(filepath.Join(s.dir, strconv.Itoa(idx)+".blk"), os.O_RDONLY, 0)
			if err != nil {
				if os.IsNotExist(err) {
					continue
				}
				return fmt.Errorf("open block %d: %w", idx, err)
			}
			s.files[idx] = f
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("fsync block %d of %s: %w", idx, s.dir, err)
		}
	}
	if maxIdx != s.lastIdx || n != s.lastN {
		if err := d.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", s.dir, err)
		}
	}
	s.lastIdx, s.lastN = maxIdx, n
	return nil
}

func (s *streamSyncer) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for idx, f := range s.files {
		f.Close()
		delete(s.files, idx)
	}
}

// SyncStream makes everything acknowledged so far in stream durable. With
// an external cluster it does nothing: the cluster's own durability
// settings (sync interval, replication) apply.
func (e *Engine) SyncStream(stream string) error {
	if e.ns == nil {
		return nil
	}
	e.syncMu.Lock()
	s := e.syncers[stream]
	if s == nil {
		s = newStreamSyncer(e.cfg.DataDir, stream)
		e.syncers[stream] = s
	}
	e.syncMu.Unlock()
	return s.Sync()
}

// Package registry keeps a set of named definitions (queues, topics,
// subscriptions) in a JetStream key-value bucket and a watched in-memory
// copy of it on every node, so that reads never leave the process and every
// Abanico node of a cluster sees the same definitions.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/abanico/abanico/internal/engine"
)

// ErrExists is returned by Create when the key is taken.
var ErrExists = errors.New("already exists")

// ErrConflict is returned by Update when the entry changed since it was read.
var ErrConflict = errors.New("changed concurrently")

// ErrNotFound is returned for a missing key.
var ErrNotFound = errors.New("not found")

// Registry is a watched, durable map from key to T. Values returned by Get
// and List are shared with the cache: callers must copy before mutating.
type Registry[T any] struct {
	eng    *engine.Engine
	kv     jetstream.KeyValue
	bucket string
	log    *slog.Logger
	notify func(key string, v *T)

	mu    sync.RWMutex
	items map[string]item[T]
	watch jetstream.KeyWatcher
	done  chan struct{}
}

type item[T any] struct {
	v   *T
	rev uint64
}

// Open creates or adopts the bucket, loads every entry and keeps the cache
// current. notify (optional) is called after every change, local or from
// another node, with the new value or nil for a deletion.
func Open[T any](ctx context.Context, eng *engine.Engine, bucket string, log *slog.Logger, notify func(key string, v *T)) (*Registry[T], error) {
	kv, err := eng.JetStream().CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, History: 1, Replicas: eng.Replicas(), Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	r := &Registry[T]{eng: eng, kv: kv, bucket: bucket, log: log, notify: notify,
		items: map[string]item[T]{}, done: make(chan struct{})}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch bucket %s: %w", bucket, err)
	}
	r.watch = w
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("watch of %s closed", bucket)
			}
			if e == nil { // initial values loaded
				go r.loop()
				return r, nil
			}
			r.apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return nil, ctx.Err()
		}
	}
}

func (r *Registry[T]) loop() {
	defer close(r.done)
	for e := range r.watch.Updates() {
		if e != nil {
			r.apply(e)
		}
	}
}

func (r *Registry[T]) apply(e jetstream.KeyValueEntry) {
	key := e.Key()
	if e.Operation() != jetstream.KeyValuePut {
		r.set(key, nil, e.Revision())
		return
	}
	v := new(T)
	if err := json.Unmarshal(e.Value(), v); err != nil {
		r.log.Error("bad definition", "bucket", r.bucket, "key", key, "err", err)
		return
	}
	r.set(key, v, e.Revision())
}

// set records a change unless a newer revision is already known. A
// deletion leaves a tombstone (v nil) so that an older put arriving late
// through the watch cannot bring the entry back.
func (r *Registry[T]) set(key string, v *T, rev uint64) {
	r.mu.Lock()
	cur, ok := r.items[key]
	if ok && cur.rev >= rev {
		r.mu.Unlock()
		return
	}
	r.items[key] = item[T]{v: v, rev: rev}
	changed := v != nil || (ok && cur.v != nil)
	r.mu.Unlock()
	if changed && r.notify != nil {
		r.notify(key, v)
	}
}

// Get returns the value and its revision.
func (r *Registry[T]) Get(key string) (*T, uint64, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	it, ok := r.items[key]
	if !ok || it.v == nil {
		return nil, 0, false
	}
	return it.v, it.rev, true
}

// List returns the values whose keys start with prefix, sorted by key.
func (r *Registry[T]) List(prefix string) []*T {
	r.mu.RLock()
	keys := make([]string, 0, len(r.items))
	for k, it := range r.items {
		if it.v != nil && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = r.items[k].v
	}
	r.mu.RUnlock()
	return out
}

// sync makes the bucket's latest write durable (strict mode).
func (r *Registry[T]) sync() error {
	if err := r.eng.SyncStream("KV_" + r.bucket); err != nil {
		return fmt.Errorf("sync %s: %w", r.bucket, err)
	}
	return nil
}

// Create stores a new entry; ErrExists if the key is taken.
func (r *Registry[T]) Create(ctx context.Context, key string, v *T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	rev, err := r.kv.Create(ctx, key, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		// Load the winner so callers see it at once.
		if e, gerr := r.kv.Get(ctx, key); gerr == nil {
			r.apply(e)
		}
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", key, err)
	}
	if err := r.sync(); err != nil {
		return err
	}
	r.set(key, v, rev)
	return nil
}

// Update replaces an entry read at revision rev; ErrConflict if it changed.
func (r *Registry[T]) Update(ctx context.Context, key string, v *T, rev uint64) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	nrev, err := r.kv.Update(ctx, key, b, rev)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.Is(err, jetstream.ErrKeyExists) || (errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
			if e, gerr := r.kv.Get(ctx, key); gerr == nil {
				r.apply(e)
			}
			return ErrConflict
		}
		return fmt.Errorf("update %s: %w", key, err)
	}
	if err := r.sync(); err != nil {
		return err
	}
	r.set(key, v, nrev)
	return nil
}

// Modify reads key, applies fn to a copy made by clone, and stores the
// result, retrying on concurrent changes. fn's error is returned as is.
func (r *Registry[T]) Modify(ctx context.Context, key string, clone func(*T) *T, fn func(*T) error) (*T, error) {
	for attempt := 0; attempt < 20; attempt++ {
		cur, rev, ok := r.Get(key)
		if !ok {
			return nil, ErrNotFound
		}
		v := clone(cur)
		if err := fn(v); err != nil {
			return nil, err
		}
		err := r.Update(ctx, key, v, rev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("update %s: %w", key, ErrConflict)
}

// Delete removes an entry.
func (r *Registry[T]) Delete(ctx context.Context, key string) error {
	if err := r.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := r.sync(); err != nil {
		return err
	}
	// The deletion's revision is not returned; keep the revision of the
	// last event seen, so that an older put arriving late is still ignored
	// while the deletion marker, and any later put, are applied. (A guess
	// such as rev+1 can equal the next real revision and hide it.)
	r.mu.Lock()
	cur, ok := r.items[key]
	r.items[key] = item[T]{v: nil, rev: cur.rev}
	changed := ok && cur.v != nil
	r.mu.Unlock()
	if changed && r.notify != nil {
		r.notify(key, nil)
	}
	return nil
}

// Close stops the watch.
func (r *Registry[T]) Close() {
	_ = r.watch.Stop()
	<-r.done
}

package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func openTest(t testing.TB, d Durability) *Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := Open(ctx, Config{DataDir: t.TempDir(), Durability: d})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(e.Close)
	_, err = e.JetStream().CreateStream(ctx, jetstream.StreamConfig{
		Name: "T", Subjects: []string{"t.>"}, Retention: jetstream.WorkQueuePolicy,
		AllowAtomicPublish: true, AllowMsgSchedules: true, AllowMsgTTL: true, AllowDirect: true,
	})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	return e
}

func TestWriterGroupsConcurrentWrites(t *testing.T) {
	for _, d := range []Durability{Strict, Relaxed} {
		t.Run(string(d), func(t *testing.T) {
			e := openTest(t, d)
			w, err := e.NewWriter("T")
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx := context.Background()
			var wg sync.WaitGroup
			seen := sync.Map{}
			const writers, per = 16, 50
			errs := make(chan error, writers)
			for g := 0; g < writers; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < per; i++ {
						recs := []Record{
							{Subject: "t.a", Data: []byte(fmt.Sprintf("%d-%d-0", g, i))},
							{Subject: "t.a", Data: []byte(fmt.Sprintf("%d-%d-1", g, i)), Header: nats.Header{"X": []string{"y"}}},
						}
						seqs, err := w.Write(ctx, recs)
						if err != nil {
							errs <- err
							return
						}
						for j, s := range seqs {
							if _, dup := seen.LoadOrStore(s, string(recs[j].Data)); dup {
								errs <- fmt.Errorf("sequence %d returned twice", s)
								return
							}
						}
					}
				}(g)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			// Every returned sequence holds exactly the record written.
			s, err := e.JetStream().Stream(ctx, "T")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			seen.Range(func(k, v any) bool {
				n++
				m, err := s.GetMsg(ctx, k.(uint64))
				if err != nil {
					t.Fatalf("get %d: %v", k, err)
				}
				if string(m.Data) != v.(string) {
					t.Fatalf("seq %d holds %q, want %q", k, m.Data, v)
				}
				return true
			})
			if n != writers*per*2 {
				t.Fatalf("stored %d records, want %d", n, writers*per*2)
			}
		})
	}
}

func BenchmarkWriter(b *testing.B) {
	for _, d := range []Durability{Strict, Relaxed} {
		for _, conc := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/writers=%d", d, conc), func(b *testing.B) {
				e := openTest(b, d)
				w, err := e.NewWriter("T")
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				data := make([]byte, 1024)
				b.SetParallelism(conc)
				b.SetBytes(1024)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := w.Write(context.Background(), []Record{{Subject: "t.b", Data: data}}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

func BenchmarkWriterBatch10(b *testing.B) {
	for _, d := range []Durability{Strict, Relaxed} {
		for _, conc := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", d, conc*2), func(b *testing.B) {
				e := openTest(b, d)
				w, err := e.NewWriter("T")
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				recs := make([]Record, 10)
				for i := range recs {
					recs[i] = Record{Subject: "t.b", Data: make([]byte, 1024)}
				}
				b.SetParallelism(conc)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := w.Write(context.Background(), recs); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// TestStrictWritesSyncTheStreamFiles checks that strict group commits find
// and fsync the stream's block files where the embedded server keeps them.
func TestStrictWritesSyncTheStreamFiles(t *testing.T) {
	e := openTest(t, Strict)
	w, err := e.NewWriter("T")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write(context.Background(), []Record{{Subject: "t.s", Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	e.syncMu.Lock()
	s := e.syncers["T"]
	e.syncMu.Unlock()
	if s == nil {
		t.Fatal("no sync happened for a strict write")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastIdx == 0 || len(s.files) == 0 {
		t.Fatalf("the sync found no block files in %s", s.dir)
	}
	if err := e.SyncStream("NOPE"); err == nil {
		t.Fatal("syncing a stream that does not exist must fail, not pass silently")
	}
}

package registry

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/abanico/abanico/internal/engine"
)

type def struct{ N int }

// TestCreateAfterDelete re-creates a deleted key: the new value must stay,
// whatever order the watch reports the deletion and the put in.
func TestCreateAfterDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := engine.Open(ctx, engine.Config{DataDir: t.TempDir(), Durability: engine.Strict})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r, err := Open[def](ctx, e, "test_reg", slog.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 20; i++ {
		if err := r.Create(ctx, "k", &def{N: i}); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if err := r.Create(ctx, "other", &def{N: i}); err != nil && err != ErrExists {
			t.Fatal(err)
		}
		if err := r.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Create(ctx, "k", &def{N: 99}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the watch catch up
	if v, _, ok := r.Get("k"); !ok || v.N != 99 {
		t.Fatalf("after re-create: %v %v", v, ok)
	}
}

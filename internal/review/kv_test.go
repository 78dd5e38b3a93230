package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// kvs returns a JetStream bucket on a real server and a MemoryKV: the
// stores must behave the same on both.
func kvs(t *testing.T) map[string]KV {
	t.Helper()
	js, err := jetstream.New(connect(t, startNATS(t, t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	b, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "KV_TEST"})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]KV{"nats": NATSKV(b), "memory": NewMemoryKV()}
}

func TestKVCompareAndSet(t *testing.T) {
	ctx := context.Background()
	for name, kv := range kvs(t) {
		t.Run(name, func(t *testing.T) {
			if _, _, err := kv.Get(ctx, "m.a.x"); !errors.Is(err, ErrNoKey) {
				t.Fatalf("get missing: %v", err)
			}
			r1, err := kv.Create(ctx, "m.a.x", []byte("1"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kv.Create(ctx, "m.a.x", []byte("2")); !errors.Is(err, errConflict) {
				t.Fatalf("create existing: %v", err)
			}
			r2, err := kv.Update(ctx, "m.a.x", []byte("2"), r1)
			if err != nil || r2 <= r1 {
				t.Fatalf("update: %d %v", r2, err)
			}
			if _, err := kv.Update(ctx, "m.a.x", []byte("3"), r1); !errors.Is(err, errConflict) {
				t.Fatalf("stale update: %v", err)
			}
			if v, rev, err := kv.Get(ctx, "m.a.x"); string(v) != "2" || rev != r2 || err != nil {
				t.Fatalf("get: %q %d %v", v, rev, err)
			}
			for _, k := range []string{"m.b.x", "m.a.y", "s.x"} {
				if _, err := kv.Create(ctx, k, []byte("v")); err != nil {
					t.Fatal(err)
				}
			}
			keys, err := kv.Keys(ctx, "m.*.x")
			slices.Sort(keys)
			if err != nil || fmt.Sprint(keys) != "[m.a.x m.b.x]" {
				t.Fatalf("keys m.*.x: %v %v", keys, err)
			}
			if err := kv.Purge(ctx, "m.a.x"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := kv.Get(ctx, "m.a.x"); !errors.Is(err, ErrNoKey) {
				t.Fatalf("get purged: %v", err)
			}
			if _, err := kv.Create(ctx, "m.a.x", []byte("again")); err != nil {
				t.Fatalf("create after purge: %v", err)
			}
		})
	}
}

// TestUpdateJSONConcurrent: concurrent read-modify-writes through the one
// compare-and-set helper lose no update.
func TestUpdateJSONConcurrent(t *testing.T) {
	ctx := context.Background()
	type counter struct{ N int }
	for name, kv := range kvs(t) {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			contended := 0
			for g := 0; g < 8; g++ {
				wg.Go(func() {
					for i := 0; i < 10; i++ {
						for {
							_, err := updateJSON(ctx, kv, "c", func(c *counter) error { c.N++; return nil })
							if errors.Is(err, ErrContended) {
								mu.Lock()
								contended++
								mu.Unlock()
								continue // the caller's retry
							}
							if err != nil {
								t.Error(err)
							}
							break
						}
					}
				})
			}
			wg.Wait()
			c, _, err := getJSON[counter](ctx, kv, "c")
			if err != nil || c.N != 80 {
				t.Fatalf("counter %d, want 80 (%v; %d contended)", c.N, err, contended)
			}
		})
	}
}

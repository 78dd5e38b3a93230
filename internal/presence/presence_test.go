package presence

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/testkit"
)

func startJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Start(t))
	return js
}

func waitCount(t *testing.T, got *atomic.Int32, want int32, what string) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%s: replica count %d", what, want), 10*time.Second, func() bool { return got.Load() == want })
}

// Two replicas see each other; when one stops the other counts one again.
func TestReplicasCountEachOther(t *testing.T) {
	js := startJS(t)
	var a, b atomic.Int32
	cfg := func(id string, n *atomic.Int32) Config {
		return Config{ID: id, Every: 100 * time.Millisecond, OnChange: func(c int) { n.Store(int32(c)) }}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	defer stopA()
	doneA := make(chan error, 1)
	go func() { doneA <- Run(ctxA, js, cfg("a", &a)) }()
	waitCount(t, &a, 1, "a alone")

	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan error, 1)
	go func() { doneB <- Run(ctxB, js, cfg("b", &b)) }()
	waitCount(t, &a, 2, "a with b")
	waitCount(t, &b, 2, "b with a")

	stopB()
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	waitCount(t, &a, 1, "a after b left")
	stopA()
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
}

// A replica that dies without leaving (kill -9) drops out after the TTL.
func TestSilentReplicaExpires(t *testing.T) {
	js := startJS(t)
	ctx := context.Background()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket, TTL: 300 * time.Millisecond, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "ghost", []byte("x")); err != nil {
		t.Fatal(err)
	}
	var a atomic.Int32
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = Run(rctx, js, Config{ID: "a", Every: 50 * time.Millisecond, TTL: 300 * time.Millisecond, OnChange: func(c int) { a.Store(int32(c)) }})
	}()
	waitCount(t, &a, 2, "a and the ghost")
	waitCount(t, &a, 1, "ghost expired")
}

func TestEmptyIDRejected(t *testing.T) {
	js := startJS(t)
	if err := Run(context.Background(), js, Config{}); err == nil {
		t.Fatal("empty id accepted")
	}
}

// Package natstest gives tests a real embedded NATS server with JetStream on
// a random loopback port and a store directory under t.TempDir().
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate/internal/natsutil"
)

// Start runs an embedded server for the test and shuts it down at cleanup.
func Start(tb testing.TB) *natsutil.Embedded {
	tb.Helper()
	e, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	tb.Cleanup(e.Shutdown)
	return e
}

// Connect opens a client connection (closed at cleanup) and its JetStream
// context.
func Connect(tb testing.TB, e *natsutil.Embedded) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	nc, err := natsutil.Connect(e.ClientURL(), natsutil.ConnectOptions{Name: tb.Name()})
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("natstest: jetstream: %v", err)
	}
	return nc, js
}

// StreamMessages reads every message currently stored in stream (in order)
// with an ephemeral ordered consumer.
func StreamMessages(tb testing.TB, js jetstream.JetStream, stream string) []jetstream.Msg {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		tb.Fatalf("natstest: stream %s: %v", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		tb.Fatalf("natstest: stream info: %v", err)
	}
	want := info.State.Msgs
	if want == 0 {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		tb.Fatalf("natstest: ordered consumer: %v", err)
	}
	var out []jetstream.Msg
	for uint64(len(out)) < want {
		batch, err := cons.Fetch(int(min(want-uint64(len(out)), 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			tb.Fatalf("natstest: fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			out = append(out, m)
			n++
		}
		if batch.Error() != nil {
			tb.Fatalf("natstest: fetch: %v", batch.Error())
		}
		if n == 0 {
			tb.Fatalf("natstest: fetched %d of %d messages, then nothing", len(out), want)
		}
	}
	return out
}

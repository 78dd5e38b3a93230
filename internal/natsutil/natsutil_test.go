package natsutil_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/testkit"
)

func TestEnsureStreamsIdempotentAndDedupeSurvivesRestart(t *testing.T) {
	e := natstest.Start(t)
	nc, js := natstest.Connect(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := natsutil.StreamOptions{Prefix: "mg"}
	for i := 0; i < 2; i++ {
		if err := natsutil.EnsureStreams(ctx, js, opts); err != nil {
			t.Fatalf("ensure #%d: %v", i, err)
		}
	}
	s, err := js.Stream(ctx, modgate.StreamEscalations)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Duplicates != natsutil.DefaultDuplicateWindow || cfg.Storage != jetstream.FileStorage ||
		len(cfg.Subjects) != 1 || cfg.Subjects[0] != "mg.escalations.>" {
		t.Fatalf("unexpected stream config: %+v", cfg)
	}
	subj := natsutil.EscalationSubject("mg", modgate.LaneNormal)
	if _, err := js.Publish(ctx, subj, []byte("a"), jetstream.WithMsgID("c-1")); err != nil {
		t.Fatal(err)
	}

	e.Shutdown()
	if err := e.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	// The client reconnects on its own to the same URL.
	testkit.Eventually(t, "the client to reconnect", 10*time.Second, nc.IsConnected)
	ack, err := js.Publish(ctx, subj, []byte("a"), jetstream.WithMsgID("c-1"))
	if err != nil {
		t.Fatalf("publish after restart: %v", err)
	}
	if !ack.Duplicate {
		t.Fatalf("same Nats-Msg-Id after restart was stored again (seq %d)", ack.Sequence)
	}
	if msgs := natstest.StreamMessages(t, js, modgate.StreamEscalations); len(msgs) != 1 {
		t.Fatalf("stream holds %d messages, want 1", len(msgs))
	}
}

func TestStartEmbeddedNeedsStoreDir(t *testing.T) {
	if _, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{}); err == nil {
		t.Fatal("started without a store dir")
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"nats://127.0.0.1:4222":                  "nats://127.0.0.1:4222",
		"nats://user:pw@h1:4222":                 "nats://***@h1:4222",
		"nats://u:p@h1:4222, nats://u:p@h2:4222": "nats://***@h1:4222,nats://***@h2:4222",
		"tls://token@h3:4222,nats://h4:4222":     "tls://***@h3:4222,nats://h4:4222",
		"u:p@h5:4222":                            "***@h5:4222",
	}
	for in, want := range tests {
		if got := natsutil.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStartEmbeddedPortInUse(t *testing.T) {
	e := natstest.Start(t)
	u, err := url.Parse(e.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	_, err = natsutil.StartEmbedded(natsutil.EmbeddedConfig{Port: port, StoreDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second server on a busy port: %v", err)
	}
}

package review

import (
	"context"
	"testing"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/nats-io/nats.go/jetstream"
)

// TestEscalationStreamOneShape: the escalations stream the queue creates
// for tests and first starts is the gateway's (it used to keep 7 days with
// a 2-minute duplicate window where the gateway keeps 30 days and 24 h).
func TestEscalationStreamOneShape(t *testing.T) {
	nc := connect(t, startNATS(t, t.TempDir()))
	openQueue(t, nc, testConfig())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), modgate.StreamEscalations)
	if err != nil {
		t.Fatal(err)
	}
	got := s.CachedInfo().Config
	want := natsutil.EscalationsStreamConfig(natsutil.StreamOptions{})
	if got.Duplicates != want.Duplicates || got.MaxAge != want.MaxAge || got.Retention != want.Retention ||
		got.Storage != want.Storage || got.Discard != want.Discard || len(got.Subjects) != 1 || got.Subjects[0] != want.Subjects[0] {
		t.Fatalf("stream config\n got %+v\nwant %+v", got, want)
	}
}

package escalate

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/spool"
	"github.com/modgate/modgate/internal/testkit"
)

func testEscalation(id, lane string) *modgate.Escalation {
	return &modgate.Escalation{CaseID: modgate.CaseIDFor("t", id, ""), Lane: lane, Source: "screen",
		Message: modgate.Message{ID: id, Text: "x", Tenant: "t"}, Verdict: modgate.Verdict{Action: "review"}, At: time.Now().UTC()}
}

// TestEscalatorSpoolAndReplay drives the publisher against a real server
// that goes away and comes back: acked publishes, spooled ones, replay,
// and de-duplication of a case published twice.
func TestEscalatorSpoolAndReplay(t *testing.T) {
	e := natstest.Start(t)
	nc, js := natstest.Connect(t, e)
	ctx := context.Background()
	if err := natsutil.EnsureStreams(ctx, js, natsutil.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	m := newCounts()
	esc, err := New(Config{Conn: nc, Spool: sp, Metrics: m, AckTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"published while up", func(t *testing.T) {
			out, err := esc.Escalate(ctx, testEscalation("a", modgate.LaneNormal))
			if err != nil || out != Published {
				t.Fatalf("%v %v", out, err)
			}
			outs, errs := esc.EscalateMany(ctx, []*modgate.Escalation{testEscalation("b", modgate.LaneHigh), testEscalation("c", modgate.LaneNormal)})
			if errs[0] != nil || errs[1] != nil || outs[0] != Published || outs[1] != Published {
				t.Fatalf("%v %v", outs, errs)
			}
		}},
		{"spooled while down", func(t *testing.T) {
			e.Shutdown()
			testkit.Eventually(t, "the client to notice", 10*time.Second, func() bool { return !nc.IsConnected() })
			// "a" again: it was stored before; the replay must not store it twice.
			for _, id := range []string{"a", "d"} {
				out, err := esc.Escalate(ctx, testEscalation(id, modgate.LaneNormal))
				if err != nil || out != Spooled {
					t.Fatalf("%s: %v %v", id, out, err)
				}
			}
			outs, errs := esc.EscalateMany(ctx, []*modgate.Escalation{testEscalation("e", modgate.LaneNormal)})
			if errs[0] != nil || outs[0] != Spooled {
				t.Fatalf("%v %v", outs, errs)
			}
			esc.EscalateAsync(testEscalation("f", modgate.LanePatrol))
			if sp.Pending() != 4 {
				t.Fatalf("spool holds %d, want 4", sp.Pending())
			}
			if n, err := esc.Replay(ctx); err == nil || n != 0 {
				t.Fatalf("replay while down = %d, %v", n, err)
			}
			if sp.Pending() != 4 {
				t.Fatalf("failed replay lost records: %d pending", sp.Pending())
			}
		}},
		{"replayed after restart", func(t *testing.T) {
			if err := e.Restart(); err != nil {
				t.Fatal(err)
			}
			testkit.Eventually(t, "the client to reconnect", 10*time.Second, nc.IsConnected)
			n, err := esc.Replay(ctx)
			if err != nil || n != 4 || sp.Pending() != 0 {
				t.Fatalf("replay = %d, %v (pending %d)", n, err, sp.Pending())
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, s.run)
	}

	counts := map[string]int{}
	lanes := map[string]string{}
	for _, msg := range natstest.StreamMessages(t, js, modgate.StreamEscalations) {
		var got modgate.Escalation
		if err := json.Unmarshal(msg.Data(), &got); err != nil {
			t.Fatal(err)
		}
		counts[got.Message.ID]++
		lanes[got.Message.ID] = msg.Subject()
	}
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		if counts[id] != 1 {
			t.Fatalf("case %s stored %d times (%v)", id, counts[id], counts)
		}
	}
	if lanes["b"] != "modgate.escalations.high" || lanes["f"] != "modgate.escalations.patrol" {
		t.Fatalf("subjects: %v", lanes)
	}
	if err := esc.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestReplayDeadLettersPoisonAndGoesOn: a spool holding an escalation over
// the server's max_payload (what earlier versions spooled for a hostile
// id) used to stop every replay at that record forever. Now it moves to
// the dead-letter log, is counted, and every other record is delivered.
func TestReplayDeadLettersPoisonAndGoesOn(t *testing.T) {
	e := natstest.Start(t)
	nc, js := natstest.Connect(t, e)
	ctx := context.Background()
	if err := natsutil.EnsureStreams(ctx, js, natsutil.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sp, err := spool.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	record := func(esc *modgate.Escalation) []byte {
		data, _ := json.Marshal(esc)
		b, _ := json.Marshal(spoolRecord{Subject: natsutil.EscalationSubject("", esc.Lane), MsgID: esc.CaseID, Lane: esc.Lane, Data: data})
		return b
	}
	poison := testEscalation(strings.Repeat("<", 250000), modgate.LaneNormal)
	for i, rec := range [][]byte{record(testEscalation("p0", modgate.LaneNormal)), record(poison), []byte("not json"),
		record(testEscalation("p1", modgate.LaneNormal)), record(testEscalation("p2", modgate.LaneHigh))} {
		if err := sp.Append(rec); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	m := newCounts()
	esc, err := New(Config{Conn: nc, Spool: sp, Metrics: m, AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := esc.Replay(ctx)
	if err != nil || n != 5 {
		t.Fatalf("replay = %d, %v; want 5 handled", n, err)
	}
	if sp.Pending() != 0 || sp.DeadCount() != 2 {
		t.Fatalf("pending %d, dead letters %d; want 0 and 2", sp.Pending(), sp.DeadCount())
	}
	counts := map[string]int{}
	for _, msg := range natstest.StreamMessages(t, js, modgate.StreamEscalations) {
		var got modgate.Escalation
		if err := json.Unmarshal(msg.Data(), &got); err != nil {
			t.Fatal(err)
		}
		counts[got.Message.ID]++
	}
	if len(counts) != 3 || counts["p0"] != 1 || counts["p1"] != 1 || counts["p2"] != 1 {
		t.Fatalf("stream holds %v", counts)
	}
	dls, err := spool.DeadLetters(dir)
	if err != nil || len(dls) != 2 || !strings.Contains(dls[0].Reason, poison.CaseID) {
		t.Fatalf("dead letters %v, %v", dls, err)
	}
	if got := m.snapshot(); got.dead != 2 || got.pending != 0 || got.outcomes["normal/dead_lettered"] != 1 {
		t.Errorf("metrics: %+v", got)
	}

	// An escalation that cannot fit is refused before anything is stored.
	if _, err := esc.Escalate(ctx, poison); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized escalate = %v, want ErrTooLarge", err)
	}
	if sp.Pending() != 0 {
		t.Fatalf("oversized escalation was spooled")
	}
	outs, errs := esc.EscalateMany(ctx, []*modgate.Escalation{testEscalation("p3", modgate.LaneNormal), poison})
	if outs[0] != Published || errs[0] != nil || outs[1] != "" || !errors.Is(errs[1], ErrTooLarge) {
		t.Fatalf("batch = %v %v", outs, errs)
	}
}

// counts is a Metrics that remembers what it was told (the gateway's
// Prometheus metrics are tested in internal/api).
type counts struct {
	mu sync.Mutex
	countsView
}

type countsView struct {
	outcomes map[string]int
	pending  int
	dead     int
}

func newCounts() *counts { return &counts{countsView: countsView{outcomes: map[string]int{}}} }

func (c *counts) Escalation(lane, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outcomes[lane+"/"+outcome]++
}

func (c *counts) SetSpoolPending(n int) { c.mu.Lock(); c.pending = n; c.mu.Unlock() }
func (c *counts) SetSpoolDead(n int)    { c.mu.Lock(); c.dead = n; c.mu.Unlock() }

func (c *counts) snapshot() countsView {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := countsView{outcomes: map[string]int{}, pending: c.pending, dead: c.dead}
	for k, v := range c.outcomes {
		out.outcomes[k] = v
	}
	return out
}

func TestShedContext(t *testing.T) {
	ids := func(cs []modgate.ContextMessage) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.ID)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name string
		in   []modgate.ContextMessage
		want string
	}{
		{"oldest bystander first", []modgate.ContextMessage{{ID: "a", Assembling: true}, {ID: "b"}, {ID: "c"}, {ID: "me", Current: true}}, "a,c,me"},
		{"assembling ones last", []modgate.ContextMessage{{ID: "a", Assembling: true}, {ID: "b", Assembling: true}, {ID: "me", Current: true}}, "b,me"},
		{"own message alone goes", []modgate.ContextMessage{{ID: "me", Current: true}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(shedContext(tc.in)); got != tc.want {
				t.Errorf("shedContext = %q, want %q", got, tc.want)
			}
		})
	}
}

package review

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

// TestFaultOversizedCaseIsStoredWhole: a text inside every screening limit
// (65,400 '<' and a trigger word) makes a case whose JSON is over NATS
// max_payload (each '<' is escaped to six bytes, and a case holds the text
// three times). It used to be answered "published" and then never become a
// case (the consumer retried for ever); now the text goes to the object
// store and the case works like any other, text intact.
func TestFaultOversizedCaseIsStoredWhole(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()

	e := escalation(1, modgate.LaneNormal)
	text := strings.Repeat("<", 65400) + "带你炒股"
	e.Message.Text, e.Verdict.MaskedText = text, text
	if b, _ := json.Marshal(e); int64(len(b)) > nc.MaxPayload() {
		t.Fatalf("the escalation itself (%d bytes) is over max_payload; the test needs one that fits", len(b))
	}
	publishEscalations(t, nc, []modgate.Escalation{e, escalation(2, modgate.LaneNormal)})
	testkit.Eventually(t, "both cases", 15*time.Second, func() bool { return countState(q, modgate.CaseOpen) == 2 })

	c, err := q.Get(ctx, e.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Message.Text != text || c.MaskedText != text || c.Verdict == nil || c.Verdict.MaskedText != text {
		t.Fatalf("text not kept whole: %d/%d bytes", len(c.Message.Text), len(text))
	}
	raw, err := q.cases.Get(ctx, e.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(raw.Value())) > nc.MaxPayload() || !strings.Contains(string(raw.Value()), `"body_ref"`) {
		t.Fatalf("KV value is %d bytes and not split", len(raw.Value()))
	}
	if got, _ := q.List(Filter{}); len(got) != 2 || got[0].Preview == "" {
		t.Fatalf("index: %+v", got)
	}

	// The whole life cycle works on it: a report, a claim, a decision.
	if _, err := q.Report(ctx, modgate.Report{MessageID: e.Message.ID, Tenant: "t1", ReporterID: "r1", Reason: "ads",
		Text: strings.Repeat("<", 60000)}); err != nil {
		t.Fatalf("report: %v", err)
	}
	if _, err := q.Claim(ctx, e.CaseID, "alice"); err != nil {
		t.Fatalf("claim: %v", err)
	}
	d, err := q.Decide(ctx, e.CaseID, "alice", "", modgate.Decision{Action: modgate.DecisionRemove})
	if err != nil || d.State != modgate.CaseDecided || d.Message.Text != text || len(d.Reports) != 1 {
		t.Fatalf("decide: %v %+v", err, d)
	}
	// A second replica reads it the same way.
	q2 := openQueue(t, connect(t, s), testConfig())
	c2, err := q2.Get(ctx, e.CaseID)
	if err != nil || c2.Message.Text != text || c2.State != modgate.CaseDecided {
		t.Fatalf("replica 2: %v", err)
	}
	// Only the current body is kept; subject deletion removes it.
	objs, err := q.bodies.List(ctx)
	if err != nil || len(objs) != 1 {
		t.Fatalf("body objects: %d, %v", len(objs), err)
	}
	if _, err := q.DeleteSubject(ctx, "admin", e.Message.Sender.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := q.bodies.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatalf("body objects after subject deletion: %v", err)
	}
}

// TestFaultPoisonEscalationsDeadLettered: undecodable or invalid messages
// on the escalation subjects, and one whose case cannot be written however
// often it is retried, end in the dead-letter stream after a bounded number
// of attempts instead of holding a consumer slot for ever; the queue goes
// on, and after the cause is fixed an admin replays the dead letter.
func TestFaultPoisonEscalationsDeadLettered(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	cfg := testConfig()
	cfg.MaxDeliver, cfg.RetryDelay = 3, 20*time.Millisecond
	q := openQueue(t, nc, cfg)
	ctx := context.Background()
	js, _ := jetstream.New(nc)

	// A case key holding garbage (disk corruption, a hostile writer): the
	// escalation for it fails on every attempt.
	stuck := escalation(7, modgate.LaneNormal)
	if _, err := q.cases.Put(ctx, stuck.CaseID, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{[]byte("not json at all"), []byte(`{"case_id":"bad id!","message":{"text":"x"}}`)} {
		if _, err := js.Publish(ctx, "modgate.escalations.normal", raw); err != nil {
			t.Fatal(err)
		}
	}
	publishEscalations(t, nc, []modgate.Escalation{stuck, escalation(8, modgate.LaneNormal)})
	testkit.Eventually(t, "three dead letters", 15*time.Second, func() bool {
		dls, _, err := q.DeadLetters(ctx, 0, 10)
		return err == nil && len(dls) == 3
	})
	if _, err := q.Get(ctx, escalation(8, "").CaseID); err != nil {
		t.Fatalf("a good escalation after the poison ones: %v", err)
	}
	dls, total, err := q.DeadLetters(ctx, 0, 10)
	if err != nil || total != 3 || q.DeadLetterCount() != 3 {
		t.Fatalf("dead letters: %d %v (count %d)", total, err, q.DeadLetterCount())
	}
	var stuckDL DeadLetter
	for _, d := range dls {
		if d.Subject != "modgate.escalations.normal" || d.Reason == "" || d.StreamSeq == 0 {
			t.Errorf("dead letter lacks its origin: %+v", d)
		}
		if d.CaseID == stuck.CaseID {
			stuckDL = d
		}
	}
	if stuckDL.Deliveries < 2 || !strings.Contains(stuckDL.Reason, "attempts") {
		t.Fatalf("stuck escalation: %+v", stuckDL)
	}
	// The consumer holds nothing any more.
	cons, err := js.Consumer(ctx, modgate.StreamEscalations, ConsumerCases)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "no pending acks", 5*time.Second, func() bool {
		ci, err := cons.Info(ctx)
		return err == nil && ci.NumAckPending == 0 && ci.NumPending == 0
	})

	// Fix the cause, then replay: the case appears, the dead letter goes.
	if err := q.cases.Purge(ctx, stuck.CaseID); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ReplayDeadLetter(ctx, "admin", stuckDL.Seq); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "replayed case", 10*time.Second, func() bool {
		c, err := q.Get(ctx, stuck.CaseID)
		return err == nil && c.Message.Text == stuck.Message.Text
	})
	if _, total, _ := q.DeadLetters(ctx, 0, 10); total != 2 {
		t.Fatalf("%d dead letters after replay, want 2", total)
	}
	if _, err := q.ReplayDeadLetter(ctx, "admin", stuckDL.Seq); !errors.Is(err, ErrNoDeadLetter) {
		t.Fatalf("replaying twice: %v", err)
	}
}

// TestFaultReensureAfterNATSRestart: a restarted NATS server has lost the
// memory-storage buckets; before, every rate-limited call (reports,
// logins) failed until the gateway restarted. Reensure, which the gateway
// runs on reconnect, brings them back.
func TestFaultReensureAfterNATSRestart(t *testing.T) {
	dir := t.TempDir()
	s := startNATS(t, dir)
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()
	if ok, err := q.limiter.Allow(ctx, "login", "alice", 10, time.Minute); err != nil || !ok {
		t.Fatalf("allow before restart: %v %v", ok, err)
	}
	port := s.Addr().(*net.TCPAddr).Port
	s.Shutdown()
	s.WaitForShutdown()
	startNATSPort(t, dir, port)
	testkit.Eventually(t, "reconnect", 10*time.Second, nc.IsConnected)
	if _, err := q.limiter.Allow(ctx, "login", "alice", 10, time.Minute); err == nil {
		t.Fatal("the memory-storage rate bucket survived a restart; this test cannot show the defect")
	}
	start := time.Now()
	testkit.Eventually(t, "reensure", 15*time.Second, func() bool { return q.Reensure(ctx) == nil })
	t.Logf("assets re-created %s after the reconnect", time.Since(start).Round(time.Millisecond))
	if ok, err := q.limiter.Allow(ctx, "login", "alice", 10, time.Minute); err != nil || !ok {
		t.Fatalf("allow after reensure: %v %v", ok, err)
	}
	if _, err := q.Report(ctx, modgate.Report{MessageID: "m-r", Tenant: "t1", ReporterID: "r1", Reason: "ads"}); err != nil {
		t.Fatalf("report after reensure: %v", err)
	}
	publishEscalations(t, nc, []modgate.Escalation{escalation(40, modgate.LaneNormal)})
	testkit.Eventually(t, "case after restart", 10*time.Second, func() bool {
		_, err := q.Get(ctx, escalation(40, "").CaseID)
		return err == nil
	})
}

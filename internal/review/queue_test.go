package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

func TestEscalationBecomesCaseIdempotently(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	esc := escalation(1, modgate.LaneHigh)
	patrol := escalation(2, modgate.LaneNormal)
	patrol.Source = "patrol"
	publishEscalations(t, nc, []modgate.Escalation{esc, patrol})
	testkit.Eventually(t, "2 cases", 10*time.Second, func() bool { return countState(q, modgate.CaseOpen) == 2 })

	ctx := context.Background()
	c, err := q.Get(ctx, esc.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Lane != modgate.LaneHigh || c.State != modgate.CaseOpen || c.Verdict == nil || c.Message.Text != esc.Message.Text {
		t.Fatalf("case = %+v", c)
	}
	if want := c.Created.Add(q.cfg.SLA[modgate.LaneHigh]); !c.SLA.Equal(want) {
		t.Fatalf("SLA due %v, want %v", c.SLA, want)
	}
	p, _ := q.Get(ctx, patrol.CaseID)
	if p.Lane != modgate.LanePatrol {
		t.Fatalf("patrol source went to lane %q", p.Lane)
	}
	rev := c.Revision
	// A replay (same case id after the duplicate window, or a redelivery)
	// must not change the case.
	wrote, err := q.Enqueue(ctx, esc)
	if err != nil || wrote {
		t.Fatalf("re-enqueue wrote=%v err=%v", wrote, err)
	}
	c2, _ := q.Get(ctx, esc.CaseID)
	if c2.Revision != rev {
		t.Fatalf("revision moved %d -> %d on redelivery", rev, c2.Revision)
	}
	// Invalid escalations are refused.
	bad := escalation(3, modgate.LaneNormal)
	bad.CaseID = "no/such.id"
	if _, err := q.Enqueue(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad case id: err = %v", err)
	}
}

func TestClaimOrderLanesPriorityAge(t *testing.T) {
	s := startNATS(t, t.TempDir())
	q := openQueue(t, connect(t, s), testConfig())
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).UTC()
	mk := func(i int, lane string, sev int, age time.Duration) string {
		e := escalation(i, lane)
		e.Verdict.Severity = sev
		e.At = base.Add(age)
		if _, err := q.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e.CaseID
	}
	patrol := mk(1, modgate.LanePatrol, 3, 0)
	normalNew := mk(2, modgate.LaneNormal, 2, 10*time.Minute)
	normalOld := mk(3, modgate.LaneNormal, 2, 0)
	normalSev := mk(4, modgate.LaneNormal, 3, 20*time.Minute)
	high := mk(5, modgate.LaneHigh, 2, 30*time.Minute)
	want := []string{high, normalSev, normalOld, normalNew, patrol}
	for i, w := range want {
		c, err := q.ClaimNext(ctx, "alice", nil)
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		if c.ID != w {
			t.Fatalf("claim %d got %s (lane %s), want %s", i, c.ID, c.Lane, w)
		}
	}
	if _, err := q.ClaimNext(ctx, "alice", nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty queue: err = %v", err)
	}
}

// Two replicas on one NATS server, 20 reviewers claiming concurrently: no
// case is ever handed to two reviewers, and every case is handed out.
func TestTwoReplicasNeverHandOutACaseTwice(t *testing.T) {
	s := startNATS(t, t.TempDir())
	q1 := openQueue(t, connect(t, s), testConfig())
	q2 := openQueue(t, connect(t, s), testConfig())
	const n = 120
	var escs []modgate.Escalation
	for i := 0; i < n; i++ {
		escs = append(escs, escalation(i, modgate.Lanes[i%3]))
	}
	publishEscalations(t, connect(t, s), escs)
	testkit.Eventually(t, "both replicas see all cases", 15*time.Second, func() bool {
		return countState(q1, modgate.CaseOpen) == n && countState(q2, modgate.CaseOpen) == n
	})
	ctx := context.Background()
	var mu sync.Mutex
	owner := map[string]string{}
	var dup []string
	var wg sync.WaitGroup
	for r := 0; r < 20; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			q := q1
			if r%2 == 1 {
				q = q2
			}
			name := fmt.Sprintf("rev-%d", r)
			for {
				c, err := q.ClaimNext(ctx, name, nil)
				if errors.Is(err, ErrEmpty) {
					return
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				mu.Lock()
				if prev, ok := owner[c.ID]; ok {
					dup = append(dup, fmt.Sprintf("%s held by %s and %s", c.ID, prev, name))
				}
				owner[c.ID] = name
				mu.Unlock()
			}
		}(r)
	}
	wg.Wait()
	if len(dup) > 0 {
		t.Fatalf("cases handed out twice: %v", dup)
	}
	if len(owner) != n {
		t.Fatalf("%d cases handed out, want %d", len(owner), n)
	}
	// The stored holder is the one each reviewer was told.
	for id, who := range owner {
		c, err := q1.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != modgate.CaseClaimed || c.Lease.Holder != who {
			t.Fatalf("%s: stored holder %+v, told %s", id, c.Lease, who)
		}
	}
}

func TestLeaseExpiryReturnsCase(t *testing.T) {
	s := startNATS(t, t.TempDir())
	cfg := testConfig()
	clk := testClock()
	cfg.Clock, cfg.Lease = clk, 5*time.Minute
	q := openQueue(t, connect(t, s), cfg)
	ctx := context.Background()
	e := escalation(1, modgate.LaneNormal)
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	c, err := q.ClaimNext(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Claim(ctx, c.ID, "bob"); !errors.Is(err, ErrClaimed) {
		t.Fatalf("bob claimed a held case: %v", err)
	}
	if _, err := q.ClaimNext(ctx, "bob", nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("bob got a case while alice holds the only one: %v", err)
	}
	clk.Advance(cfg.Lease - time.Second)
	if _, err := q.Claim(ctx, c.ID, "bob"); !errors.Is(err, ErrClaimed) {
		t.Fatalf("bob claimed a case a second before its lease ends: %v", err)
	}
	clk.Advance(time.Second)
	// The sweeper writes the expiry back as open.
	testkit.Eventually(t, "lease expiry written back", 5*time.Second, func() bool {
		x, err := q.load(ctx, c.ID)
		return err == nil && x.State == modgate.CaseOpen
	})
	x, _ := q.Get(ctx, c.ID)
	if last := x.History[len(x.History)-1]; last.Kind != modgate.AuditExpiry || last.Actor != "alice" {
		t.Fatalf("last history %+v, want expiry by alice", last)
	}
	// Alice's stale lease is useless now.
	if _, err := q.Decide(ctx, c.ID, "alice", c.Lease.Token, modgate.Decision{Action: modgate.DecisionRemove}); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("decide on expired lease: %v", err)
	}
	b, err := q.ClaimNext(ctx, "bob", nil)
	if err != nil || b.ID != c.ID {
		t.Fatalf("bob claim after expiry: %v %v", b, err)
	}
	// Release returns it at once.
	if _, err := q.Release(ctx, b.ID, "bob", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ClaimNext(ctx, "carol", nil); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
}

func TestExtendKeepsLease(t *testing.T) {
	s := startNATS(t, t.TempDir())
	cfg := testConfig()
	clk := testClock()
	cfg.Clock, cfg.Lease, cfg.MaxLease = clk, 4*time.Minute, 20*time.Minute
	q := openQueue(t, connect(t, s), cfg)
	ctx := context.Background()
	e := escalation(1, modgate.LaneNormal)
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	c, _ := q.ClaimNext(ctx, "alice", nil)
	x, err := q.Extend(ctx, c.ID, "alice", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Lease.Expires.Sub(clk.Now()); got != 20*time.Minute {
		t.Fatalf("extended lease ends in %v, want capped at MaxLease 20m", got)
	}
	clk.Advance(10 * time.Minute) // past the original lease
	if _, err := q.Claim(ctx, c.ID, "bob"); !errors.Is(err, ErrClaimed) {
		t.Fatalf("extended lease lost: %v", err)
	}
	if _, err := q.Extend(ctx, c.ID, "bob", "", 0); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("bob extended alice's lease: %v", err)
	}
}

// A replica dies holding a claimed case: the lease expires and another
// replica hands the case out again.
func TestCrashedReplicaLeaseReturns(t *testing.T) {
	s := startNATS(t, t.TempDir())
	cfg := testConfig()
	clk := testClock()
	cfg.Clock, cfg.Lease = clk, 5*time.Minute // both replicas on one clock
	ctx := context.Background()
	ncA := connect(t, s)
	qa, err := Open(ctx, ncA, cfg)
	if err != nil {
		t.Fatal(err)
	}
	qb := openQueue(t, connect(t, s), cfg)
	e := escalation(1, modgate.LaneNormal)
	publishEscalations(t, connect(t, s), []modgate.Escalation{e})
	testkit.Eventually(t, "case on A", 10*time.Second, func() bool { return countState(qa, modgate.CaseOpen) == 1 })
	c, err := qa.ClaimNext(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Crash: the process and its connection disappear without releasing.
	qa.Close()
	ncA.Close()
	if _, err := qb.ClaimNext(ctx, "bob", nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("case handed out while the dead replica's lease is valid: %v", err)
	}
	clk.Advance(cfg.Lease + time.Second)
	testkit.Eventually(t, "case returned to B's queue", 5*time.Second, func() bool {
		got, err := qb.ClaimNext(ctx, "bob", nil)
		return err == nil && got.ID == c.ID
	})
}

func TestDecideBadInputLeavesStateUnchanged(t *testing.T) {
	s := startNATS(t, t.TempDir())
	q := openQueue(t, connect(t, s), testConfig())
	ctx := context.Background()
	e := escalation(1, modgate.LaneNormal)
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	long := make([]rune, modgate.MaxNoteRunes+1)
	for i := range long {
		long[i] = '长'
	}
	before, _ := q.Get(ctx, e.CaseID)
	tests := []struct {
		name     string
		id, user string
		d        modgate.Decision
		want     error
	}{
		{"unknown case", "c-00000000000000000000", "alice", modgate.Decision{Action: "remove"}, ErrNotFound},
		{"malformed id", "../etc", "alice", modgate.Decision{Action: "remove"}, ErrNotFound},
		{"without claim", e.CaseID, "alice", modgate.Decision{Action: "remove"}, ErrNotHolder},
		{"invalid action", e.CaseID, "alice", modgate.Decision{Action: "delete"}, ErrInvalid},
		{"oversized note", e.CaseID, "alice", modgate.Decision{Action: "warn", Note: string(long)}, ErrInvalid},
		{"bad label", e.CaseID, "alice", modgate.Decision{Action: "warn", Labels: []string{"<b>"}}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := q.Decide(ctx, tc.id, tc.user, "", tc.d); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			after, _ := q.Get(ctx, e.CaseID)
			if after.Revision != before.Revision {
				t.Fatalf("state changed: revision %d -> %d", before.Revision, after.Revision)
			}
		})
	}
	// Claimed by bob: alice may not decide, bob may once.
	if _, err := q.Claim(ctx, e.CaseID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Decide(ctx, e.CaseID, "alice", "", modgate.Decision{Action: "remove"}); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("non-holder decide: %v", err)
	}
	if _, err := q.Decide(ctx, e.CaseID, "bob", "", modgate.Decision{Action: "remove"}); err != nil {
		t.Fatal(err)
	}
	mid, _ := q.Get(ctx, e.CaseID)
	if _, err := q.Decide(ctx, e.CaseID, "bob", "", modgate.Decision{Action: "approve"}); !errors.Is(err, ErrAlreadyDecided) {
		t.Fatalf("double decide: %v", err)
	}
	if _, err := q.Claim(ctx, e.CaseID, "carol"); !errors.Is(err, ErrAlreadyDecided) {
		t.Fatalf("claim decided: %v", err)
	}
	end, _ := q.Get(ctx, e.CaseID)
	if end.Revision != mid.Revision || end.Decision.Action != "remove" {
		t.Fatalf("double decision changed the case: %+v", end.Decision)
	}
}

func TestDecisionEventsAndThreeTwoOne(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()
	decisions := subscribe(t, nc, "modgate.decisions.>")
	enforcement := subscribe(t, nc, "modgate.enforcement.>")

	decide := func(i int, labels []string, action string) *modgate.Case {
		t.Helper()
		e := escalation(i, modgate.LaneNormal)
		e.Message.Sender.ID = "spammer"
		if _, err := q.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Claim(ctx, e.CaseID, "alice"); err != nil {
			t.Fatal(err)
		}
		c, err := q.Decide(ctx, e.CaseID, "alice", "", modgate.Decision{Action: action, Labels: labels, Note: "电话 13812345678"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// approve: no violation, no enforcement.
	c := decide(1, nil, modgate.DecisionApprove)
	if c.Decision.Enforcement != "" || !c.Published {
		t.Fatalf("approve: %+v published=%v", c.Decision, c.Published)
	}
	// first violation (finance): warn stays a warning.
	c = decide(2, []string{"finance"}, modgate.DecisionWarn)
	if c.Decision.Enforcement != modgate.DecisionWarn {
		t.Fatalf("first violation enforcement %q, want warn", c.Decision.Enforcement)
	}
	// second violation: the 2 in 3-2-1 removes the member.
	c = decide(3, []string{"abuse"}, modgate.DecisionRemove)
	if c.Decision.Enforcement != modgate.DecisionRemoveMember {
		t.Fatalf("second violation enforcement %q, want remove_member", c.Decision.Enforcement)
	}
	v, err := q.Strikes().Violations(ctx, "t1", "spammer")
	if err != nil || v.Count != 2 || v.Ads != 0 {
		t.Fatalf("violations %+v %v, want 2/0", v, err)
	}
	// one ad by another member: the 1 in 3-2-1.
	e := escalation(10, modgate.LaneNormal)
	e.Message.Sender.ID = "adman"
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	q.Claim(ctx, e.CaseID, "alice")
	c, err = q.Decide(ctx, e.CaseID, "alice", "", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"ads"}})
	if err != nil || c.Decision.Enforcement != modgate.DecisionRemoveMember {
		t.Fatalf("ad: %+v %v", c.Decision, err)
	}

	want := []string{"modgate.decisions.approve", "modgate.decisions.warn", "modgate.decisions.remove", "modgate.decisions.remove"}
	for i, w := range want {
		select {
		case m := <-decisions:
			if m.Subject != w {
				t.Fatalf("decision %d on %s, want %s", i, m.Subject, w)
			}
			var ev modgate.DecisionEvent
			if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Reviewer != "alice" || ev.CaseID == "" {
				t.Fatalf("decision event %s: %v", m.Data, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("decision %d not published", i)
		}
	}
	wantEnf := []string{"modgate.enforcement.warn", "modgate.enforcement.remove_member", "modgate.enforcement.remove_member"}
	for i, w := range wantEnf {
		select {
		case m := <-enforcement:
			if m.Subject != w {
				t.Fatalf("enforcement %d on %s, want %s", i, m.Subject, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("enforcement %d not published", i)
		}
	}
	// Republishing (a sweeper retry) does not add a strike or an event.
	if _, err := q.publishDecision(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := q.Strikes().Violations(ctx, "t1", "adman"); v.Count != 1 || v.Ads != 1 {
		t.Fatalf("adman violations after republish %+v, want 1/1", v)
	}
	info, err := q.js.Stream(ctx, StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	si, _ := info.Info(ctx)
	if si.State.Msgs != 7 {
		t.Fatalf("events stream holds %d messages, want 7 (4 decisions + 3 enforcement)", si.State.Msgs)
	}
	// The note is masked in the audit trail.
	var notes []string
	err = q.AuditRange(ctx, time.Time{}, time.Time{}, []string{modgate.AuditDecision}, 0, func(ev modgate.AuditEvent) error {
		notes = append(notes, ev.Text)
		return nil
	})
	if err != nil || len(notes) != 4 {
		t.Fatalf("audit decisions %v %v", notes, err)
	}
	for _, n := range notes {
		if n != "电话 138******78" && n != "" {
			t.Fatalf("audit note not masked: %q", n)
		}
	}
}

// NATS restarts (same store): decided cases stay decided, nothing is
// decided twice, open cases are still there.
func TestNATSRestartLosesNothing(t *testing.T) {
	dir := t.TempDir()
	s := startNATS(t, dir)
	ctx := context.Background()
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	var escs []modgate.Escalation
	for i := 0; i < 30; i++ {
		escs = append(escs, escalation(i, modgate.LaneNormal))
	}
	publishEscalations(t, nc, escs)
	testkit.Eventually(t, "30 cases", 10*time.Second, func() bool { return countState(q, modgate.CaseOpen) == 30 })
	decided := map[string]uint64{}
	for i := 0; i < 10; i++ {
		c, err := q.ClaimNext(ctx, "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := q.Decide(ctx, c.ID, "alice", "", modgate.Decision{Action: modgate.DecisionRemove})
		if err != nil {
			t.Fatal(err)
		}
		decided[c.ID] = d.Revision
	}
	tcp := s.Addr().(*net.TCPAddr)
	s.Shutdown()
	s.WaitForShutdown()
	s2 := startNATSPort(t, dir, tcp.Port)
	testkit.Eventually(t, "reconnect", 10*time.Second, func() bool { return nc.IsConnected() })
	// A fresh replica rebuilds its index from the restarted server.
	q2 := openQueue(t, connect(t, s2), testConfig())
	if got := countState(q2, modgate.CaseDecided); got != 10 {
		t.Fatalf("%d decided after restart, want 10", got)
	}
	if got := countState(q2, modgate.CaseOpen); got != 20 {
		t.Fatalf("%d open after restart, want 20", got)
	}
	for id := range decided {
		if _, err := q2.Claim(ctx, id, "bob"); !errors.Is(err, ErrAlreadyDecided) {
			t.Fatalf("%s claimable after restart: %v", id, err)
		}
	}
	// The old replica keeps working through the reconnect.
	testkit.Eventually(t, "old replica usable", 10*time.Second, func() bool {
		_, err := q.ClaimNext(ctx, "carol", nil)
		return err == nil
	})
	st, _ := q2.js.Stream(ctx, StreamEvents)
	si, err := st.Info(ctx, jetstream.WithSubjectFilter("modgate.decisions.>"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range si.State.Subjects {
		n += int(c)
	}
	if n != 10 {
		t.Fatalf("events after restart: %d decisions stored, want 10", n)
	}
}

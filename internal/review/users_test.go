package review

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

func TestUsersFileErrors(t *testing.T) {
	hash, err := HashPassword("correct-horse")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, body, want string
	}{
		{"bad yaml", "u.yaml", "users: [\n  - name: a\n   role: x", "line"},
		{"bad json", "u.json", `{"users": [}`, "users file"},
		{"unknown json field", "u.json", `{"users": [], "admins": []}`, "unknown field"},
		{"bad role", "u.yaml", "users:\n  - {name: a, role: boss, hash: '" + hash + "'}\n", `role "boss"`},
		{"bad name", "u.yaml", "users:\n  - {name: 'a b', role: lead, hash: '" + hash + "'}\n", "invalid name"},
		{"duplicate", "u.yaml", "users:\n  - {name: a, role: lead, hash: '" + hash + "'}\n  - {name: a, role: lead, hash: '" + hash + "'}\n", "twice"},
		{"plain password", "u.yaml", "users:\n  - {name: a, role: lead, hash: hunter2}\n", "not bcrypt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenUsers(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want one naming %s and containing %q", err, p, tc.want)
			}
		})
	}
}

func TestUsersReloadOnChange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.json")
	a, err := OpenUsers(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate("bob", "whatever-1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("empty file: %v", err)
	}
	// A second handle (the CLI) writes; the first (the server) sees it.
	b, _ := OpenUsers(p)
	if err := b.AddUser("bob", modgate.RoleLead, "bobs-password"); err != nil {
		t.Fatal(err)
	}
	u, err := a.Authenticate("bob", "bobs-password")
	if err != nil || u.Role != modgate.RoleLead {
		t.Fatalf("after add: %+v %v", u, err)
	}
	if _, err := a.Authenticate("bob", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	time.Sleep(10 * time.Millisecond) // distinct mtime on coarse filesystems
	if err := b.RemoveUser("bob"); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Lookup("bob"); ok {
		t.Fatal("removed user still known")
	}
}

func TestSessions(t *testing.T) {
	s := startNATS(t, t.TempDir())
	cfg := testConfig()
	clk := testClock()
	cfg.Clock = clk
	q1 := openQueue(t, connect(t, s), cfg)
	q2 := openQueue(t, connect(t, s), cfg)
	ctx := context.Background()
	tok, sess, err := q1.Sessions().Create(ctx, "alice", modgate.RoleReviewer)
	if err != nil {
		t.Fatal(err)
	}
	// Any replica accepts it.
	got, err := q2.Sessions().Lookup(ctx, tok)
	if err != nil || got.User != "alice" || got.CSRF != sess.CSRF {
		t.Fatalf("lookup on replica 2: %+v %v", got, err)
	}
	for _, bad := range []string{"", "nope", strings.Repeat("x", 500)} {
		if _, err := q1.Sessions().Lookup(ctx, bad); !errors.Is(err, ErrNoSession) {
			t.Fatalf("lookup %q: %v", bad, err)
		}
	}
	// Idle expiry (30 minutes by default).
	clk.Advance(29 * time.Minute)
	if _, err := q2.Sessions().Lookup(ctx, tok); err != nil {
		t.Fatalf("session idle for 29 minutes: %v", err)
	}
	clk.Advance(30 * time.Minute)
	if _, err := q1.Sessions().Lookup(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("idle session still valid: %v", err)
	}
	tok2, _, _ := q1.Sessions().Create(ctx, "bob", modgate.RoleLead)
	if err := q2.Sessions().Delete(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := q1.Sessions().Lookup(ctx, tok2); !errors.Is(err, ErrNoSession) {
		t.Fatalf("deleted session still valid: %v", err)
	}
}

func TestStatsAndAuditRange(t *testing.T) {
	s := startNATS(t, t.TempDir())
	cfg := testConfig()
	cfg.SLA = map[string]time.Duration{modgate.LaneNormal: time.Minute}
	q := openQueue(t, connect(t, s), cfg)
	ctx := context.Background()
	old := escalation(1, modgate.LaneNormal)
	old.At = time.Now().Add(-2 * time.Minute)
	q.Enqueue(ctx, old)
	q.Enqueue(ctx, escalation(2, modgate.LaneNormal))
	for i, action := range []string{modgate.DecisionApprove, modgate.DecisionRemove, modgate.DecisionApprove, modgate.DecisionApprove} {
		e := escalation(10+i, modgate.LaneNormal)
		e.Source = "patrol"
		q.Enqueue(ctx, e)
		if _, err := q.Claim(ctx, e.CaseID, "pat"); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Decide(ctx, e.CaseID, "pat", "", modgate.Decision{Action: action}); err != nil {
			t.Fatal(err)
		}
	}
	st := q.Stats(ctx, time.Time{})
	var normal LaneStats
	for _, l := range st.Lanes {
		if l.Lane == modgate.LaneNormal {
			normal = l
		}
	}
	if normal.Open != 2 || normal.Breached != 1 || normal.OldestAgeSeconds < 119 {
		t.Fatalf("normal lane %+v", normal)
	}
	if st.Decisions != 4 || st.PatrolDecided != 4 || st.PatrolMisses != 1 || st.PatrolMissRate != 0.25 || st.ByReviewer["pat"] != 4 {
		t.Fatalf("stats %+v", st)
	}
	if st := q.Stats(ctx, time.Now().Add(time.Hour)); st.Decisions != 0 {
		t.Fatalf("since in the future counted %d decisions", st.Decisions)
	}
	// Audit: every kind recorded, time-range filtering works.
	mid := time.Now()
	time.Sleep(20 * time.Millisecond)
	if err := q.Audit(ctx, modgate.AuditEvent{Kind: modgate.AuditRevision, Actor: "server",
		Revision: &modgate.Revision{Policy: "p2", Lexicon: "l2"}}); err != nil {
		t.Fatal(err)
	}
	if err := q.Audit(ctx, modgate.AuditEvent{Kind: "Bad Kind"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad kind: %v", err)
	}
	<-q.js.PublishAsyncComplete()
	count := func(from, to time.Time, kinds ...string) map[string]int {
		n := map[string]int{}
		if err := q.AuditRange(ctx, from, to, kinds, 0, func(ev modgate.AuditEvent) error { n[ev.Kind]++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := count(time.Time{}, time.Time{})
	if all["escalation"] != 6 || all["claim"] != 4 || all["decision"] != 4 || all["revision_change"] != 1 {
		t.Fatalf("audit kinds %v", all)
	}
	if after := count(mid, time.Time{}); len(after) != 1 || after["revision_change"] != 1 {
		t.Fatalf("audit after %v: %v", mid, after)
	}
	if before := count(time.Time{}, mid, modgate.AuditDecision); before["decision"] != 4 || len(before) != 1 {
		t.Fatalf("decisions before mid: %v", before)
	}
	if none := count(time.Now().Add(time.Hour), time.Time{}); len(none) != 0 {
		t.Fatalf("future range: %v", none)
	}
}

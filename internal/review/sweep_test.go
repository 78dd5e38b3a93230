package review

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
)

// A replica that stored a decision (or a hidden flag) but died before
// publishing: any replica's sweeper publishes the events, once.
func TestSweeperRepublishesInterruptedEvents(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()
	decisions := subscribe(t, nc, "modgate.decisions.>")
	hidden := subscribe(t, nc, "modgate.reports.hidden")

	e := escalation(1, modgate.LaneNormal)
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	// What Decide writes before publishing, written as if by a replica
	// that then crashed (decided 5 s ago, not published).
	at := time.Now().Add(-5 * time.Second).UTC()
	c, _ := q.load(ctx, e.CaseID)
	c.State = modgate.CaseDecided
	c.Decision = &modgate.DecisionRecord{Action: modgate.DecisionRemove, Labels: []string{"finance"}, Reviewer: "ghost", At: at, Violation: true}
	if err := q.store(ctx, c); err != nil {
		t.Fatal(err)
	}
	h := escalation(2, modgate.LaneNormal)
	q.Enqueue(ctx, h)
	hc, _ := q.load(ctx, h.CaseID)
	hc.Hidden, hc.ReportCount, hc.Score = true, 3, 1.5
	hc.Updated = time.Now().Add(-5 * time.Second)
	if err := q.store(ctx, hc); err != nil {
		t.Fatal(err)
	}

	select {
	case m := <-decisions:
		var ev modgate.DecisionEvent
		if err := json.Unmarshal(m.Data, &ev); err != nil || ev.CaseID != e.CaseID || ev.Reviewer != "ghost" {
			t.Fatalf("republished decision %s", m.Data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("sweeper did not republish the decision")
	}
	select {
	case <-hidden:
	case <-time.After(5 * time.Second):
		t.Fatal("sweeper did not republish the hidden event")
	}
	testkit.Eventually(t, "published flags", 5*time.Second, func() bool {
		a, _ := q.load(ctx, e.CaseID)
		b, _ := q.load(ctx, h.CaseID)
		return a.Published && b.HiddenPublished
	})
	if v, _ := q.Strikes().Violations(ctx, "t1", e.Message.Sender.ID); v.Count != 1 {
		t.Fatalf("strike from republished decision: %+v", v)
	}
	// Nothing more arrives: every step was done once.
	select {
	case m := <-decisions:
		t.Fatalf("decision published twice: %s", m.Data)
	case m := <-hidden:
		t.Fatalf("hidden published twice: %s", m.Data)
	case <-time.After(300 * time.Millisecond):
	}
}

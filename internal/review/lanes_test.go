package review

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// TestExtraLaneFromTheList: the queue sizes its lanes from modgate's list, so
// a lane added there is claimable and has an SLA without further code (a
// fixed-size array here once panicked on every claim-next).
func TestExtraLaneFromTheList(t *testing.T) {
	oldSpecs, oldLanes := modgate.LaneSpecs, modgate.Lanes
	t.Cleanup(func() { modgate.LaneSpecs, modgate.Lanes = oldSpecs, oldLanes })
	modgate.LaneSpecs = append(slices.Clone(oldSpecs), modgate.LaneInfo{Name: "extra", Zh: "额外", En: "Extra", SLA: 2 * time.Hour})
	modgate.Lanes = append(slices.Clone(oldLanes), "extra")

	s := startNATS(t, t.TempDir())
	q := openQueue(t, connect(t, s), testConfig())
	if got := q.SLA("extra"); got != 2*time.Hour {
		t.Fatalf("SLA of the extra lane = %v, want 2h", got)
	}
	ctx := context.Background()
	e := escalation(1, "extra")
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	c, err := q.ClaimNext(ctx, "alice", nil)
	if err != nil {
		t.Fatalf("claim-next with a fifth lane: %v", err)
	}
	if c.ID != e.CaseID || c.Lane != "extra" {
		t.Fatalf("claimed %s in lane %s, want %s in extra", c.ID, c.Lane, e.CaseID)
	}
	if !c.SLA.Equal(c.Created.Add(2 * time.Hour)) {
		t.Fatalf("case SLA %v, want created+2h (%v)", c.SLA, c.Created.Add(2*time.Hour))
	}
}

package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
)

func TestReportOpensJoinsAndHides(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()
	hidden := subscribe(t, nc, "modgate.reports.hidden")
	outcome := subscribe(t, nc, "modgate.reports.outcome")

	// A message the gateway never saw: the case opens with what is known.
	r := modgate.Report{MessageID: "m-x", ReporterID: "r1", Reason: "ads", Tenant: "t1", Sender: "u-9", Group: "g-1",
		Text: "加我微信 13812345678"}
	res, err := q.Report(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.CaseID != modgate.CaseIDFor("t1", "m-x", "") || res.Duplicate || res.Reporters != 1 || res.Lane != modgate.LaneReports {
		t.Fatalf("first report %+v", res)
	}
	c, _ := q.Get(ctx, res.CaseID)
	if c.Source != "report" || c.Message.Sender.ID != "u-9" || c.MaskedText != "加我微信 138******78" || !slices.Contains(c.Labels, "ads") {
		t.Fatalf("case from report %+v", c)
	}
	// Same reporter again: counted once, state unchanged.
	rev := c.Revision
	res, err = q.Report(ctx, r)
	if err != nil || !res.Duplicate || res.Reporters != 1 {
		t.Fatalf("duplicate report %+v %v", res, err)
	}
	if c2, _ := q.Get(ctx, res.CaseID); c2.Revision != rev {
		t.Fatal("duplicate report changed the case")
	}
	// More distinct reporters raise the score; the third crosses HideScore 1.5.
	for i, rep := range []string{"r2", "r3"} {
		r.ReporterID = rep
		res, err = q.Report(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reporters != i+2 {
			t.Fatalf("reporters %d, want %d", res.Reporters, i+2)
		}
	}
	if !res.Hidden || res.Score < 1.5 {
		t.Fatalf("after 3 reporters: %+v", res)
	}
	select {
	case m := <-hidden:
		var ev modgate.HiddenEvent
		if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Action != "hidden_pending_review" || ev.Reporters != 3 {
			t.Fatalf("hidden event %s %v", m.Data, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no hidden event")
	}
	// The gateway's escalation arrives later and merges into the case.
	e := escalation(0, modgate.LaneHigh)
	e.CaseID, e.Message.ID = res.CaseID, "m-x"
	if wrote, err := q.Enqueue(ctx, e); err != nil || !wrote {
		t.Fatalf("merge escalation: %v %v", wrote, err)
	}
	c, _ = q.Get(ctx, res.CaseID)
	if c.Verdict == nil || c.Lane != modgate.LaneReports || c.ReportCount != 3 {
		t.Fatalf("merged case lane=%s verdict=%v reports=%d", c.Lane, c.Verdict != nil, c.ReportCount)
	}
	// Decide: reporters hear the outcome and their accuracy moves.
	if _, err := q.Claim(ctx, c.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Decide(ctx, c.ID, "alice", "", modgate.Decision{Action: modgate.DecisionRemove}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		select {
		case m := <-outcome:
			var ev modgate.ReportOutcomeEvent
			if err := json.Unmarshal(m.Data, &ev); err != nil || !ev.Upheld {
				t.Fatalf("outcome %s", m.Data)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("outcome %d missing", i)
		}
	}
	st, _, err := q.reporters.Stats(ctx, "r1")
	if err != nil || st.Total != 1 || st.Upheld != 1 || st.Weight() <= 0.5 {
		t.Fatalf("reporter stats %+v %v", st, err)
	}
}

// Reporters whose reports were never upheld carry little weight: a brigade
// of them does not reach the reports lane.
func TestBadFaithReportersDoNotJumpTheQueue(t *testing.T) {
	s := startNATS(t, t.TempDir())
	q := openQueue(t, connect(t, s), testConfig())
	ctx := context.Background()
	for _, rep := range []string{"b1", "b2", "b3"} {
		for i := 0; i < 8; i++ {
			if err := q.reporters.outcome(ctx, fmt.Sprintf("c-old%d", i), rep, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	var res modgate.ReportResult
	var err error
	for _, rep := range []string{"b1", "b2", "b3"} {
		res, err = q.Report(ctx, modgate.Report{MessageID: "m-ok", ReporterID: rep, Reason: "abuse"})
		if err != nil {
			t.Fatal(err)
		}
	}
	if res.Lane == modgate.LaneReports || res.Hidden {
		t.Fatalf("3 bad-faith reporters moved the case: %+v", res)
	}
	res, err = q.Report(ctx, modgate.Report{MessageID: "m-ok", ReporterID: "fresh", Reason: "abuse"})
	if err != nil || res.Lane != modgate.LaneReports {
		t.Fatalf("a new reporter (weight 0.5) should reach the lane: %+v %v", res, err)
	}
}

func TestReportValidationAndFlood(t *testing.T) {
	s := startNATS(t, t.TempDir())
	cfg := testConfig()
	cfg.ReportLimit = 5
	cfg.ReportWindow = time.Hour
	q1 := openQueue(t, connect(t, s), cfg)
	q2 := openQueue(t, connect(t, s), cfg)
	ctx := context.Background()
	tests := []struct {
		name string
		r    modgate.Report
	}{
		{"no message id", modgate.Report{ReporterID: "r", Reason: "ads"}},
		{"no reporter", modgate.Report{MessageID: "m", Reason: "ads"}},
		{"no reason", modgate.Report{MessageID: "m", ReporterID: "r"}},
		{"invalid utf8 text", modgate.Report{MessageID: "m", ReporterID: "r", Reason: "ads", Text: "\xff\xfe"}},
		{"oversized text", modgate.Report{MessageID: "m", ReporterID: "r", Reason: "ads", Text: strings.Repeat("a", modgate.DefaultMaxTextBytes+1)}},
		{"control chars in id", modgate.Report{MessageID: "m\n1", ReporterID: "r", Reason: "ads"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := q1.Report(ctx, tc.r); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, n := q1.List(Filter{}); n != 0 {
		t.Fatalf("invalid reports created %d cases", n)
	}
	// A flood from one reporter through both replicas: exactly the limit
	// gets through, the rest are refused without touching any case.
	var ok, limited int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			q := q1
			if i%2 == 1 {
				q = q2
			}
			_, err := q.Report(ctx, modgate.Report{MessageID: fmt.Sprintf("flood-%d", i), ReporterID: "flooder", Reason: "spam"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrRateLimited):
				limited++
			default:
				t.Errorf("report %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if ok != 5 || limited != 15 {
		t.Fatalf("flood: %d accepted, %d limited; want 5 and 15", ok, limited)
	}
	testkit.Eventually(t, "both indexes", 5*time.Second, func() bool {
		_, n1 := q1.List(Filter{})
		_, n2 := q2.List(Filter{})
		return n1 == 5 && n2 == 5
	})
	time.Sleep(100 * time.Millisecond) // no refused report shows up late
	if _, n := q1.List(Filter{}); n != 5 {
		t.Fatalf("flood created %d cases, want 5", n)
	}
}

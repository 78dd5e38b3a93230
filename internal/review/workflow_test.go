package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/internal/testkit"
	"github.com/modgate/modgate/policies"
	"github.com/nats-io/nats.go"
)

// shippedScreener is the screening pipeline with the shipped lexicons,
// policies and models (what /v1/screen runs), for report intake.
var shippedScreener = sync.OnceValues(func() (*screen.Screener, error) {
	return screen.New(screen.Config{SkipPolicyTests: true})
})

func testScreener(t *testing.T) Screener {
	t.Helper()
	s, err := shippedScreener()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claimDecide enqueues escalation i for sender and decides it as who.
func claimDecide(t *testing.T, q *Queue, i int, sender, who string, d modgate.Decision) *modgate.Case {
	t.Helper()
	ctx := context.Background()
	e := escalation(i, modgate.LaneNormal)
	e.Message.Sender.ID = sender
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	c, err := q.Claim(ctx, e.CaseID, who)
	if err != nil {
		t.Fatal(err)
	}
	c, err = q.Decide(ctx, e.CaseID, who, c.Lease.Token, d)
	if err != nil {
		t.Fatalf("decide %s: %v", e.CaseID, err)
	}
	return c
}

// next waits for one message on ch.
func next(t *testing.T, ch chan *nats.Msg, what string) *nats.Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s event", what)
		return nil
	}
}

// The queue asks the policies what a decision triggers: the same data.json
// numbers the screening verdicts use. An operator who raises
// remove_after_ads to 2 changes what a reviewer's first ads removal does.
func TestDecideAsksThePolicies(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	ctx := context.Background()

	shipped := openQueue(t, nc, testConfig())
	c := claimDecide(t, shipped, 1, "ads-1", "alice", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"ads"}})
	if c.Decision.Enforcement != modgate.DecisionRemoveMember || c.Decision.Rule != "ads" || !c.Decision.AdsOffence {
		t.Fatalf("shipped 3-2-1, first ads removal: %+v, want remove_member by the ads rule", c.Decision)
	}
	shipped.Close()

	fsys := fstest.MapFS{}
	if err := fs.WalkDir(policies.Default, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.Default, p)
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fsys["data.json"].Data = []byte(strings.Replace(string(fsys["data.json"].Data), `"remove_after_ads": 1`, `"remove_after_ads": 2`, 1))
	edited, err := policies.Load(ctx, fsys, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Discipline = edited
	q := openQueue(t, nc, cfg)
	c = claimDecide(t, q, 2, "ads-2", "alice", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"ads"}})
	if c.Decision.Enforcement != "" || c.Decision.Violations == nil || c.Decision.Violations.Ads != 1 {
		t.Fatalf("remove_after_ads 2, first ads removal: %+v, want a strike and no removal", c.Decision)
	}
	c = claimDecide(t, q, 3, "ads-2", "alice", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"ads"}})
	if c.Decision.Enforcement != modgate.DecisionRemoveMember {
		t.Fatalf("remove_after_ads 2, second ads removal: %+v, want remove_member", c.Decision)
	}

	// What each key would do, before it is pressed.
	e := escalation(4, modgate.LaneNormal)
	e.Message.Sender.ID = "ads-1" // already one ads strike
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	held, err := q.Claim(ctx, e.CaseID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := q.Consequences(ctx, held, []string{"abuse"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cs[modgate.DecisionRemove]; got.Enforcement != modgate.DecisionRemoveMember || got.Rule != "violations" || got.Violations.Count != 2 {
		t.Errorf("consequence of remove for a member with one strike: %+v", got)
	}
	if got := cs[modgate.DecisionApprove]; got.Enforcement != "" || got.Violation {
		t.Errorf("consequence of approve: %+v", got)
	}

	// A violation needs a label; a stale confirmation is refused with the
	// new consequence; both leave the case as it was.
	noLabels := []string{}
	if _, err := q.Decide(ctx, e.CaseID, "alice", held.Lease.Token, modgate.Decision{Action: modgate.DecisionRemove, Labels: noLabels}); !errors.Is(err, ErrInvalid) {
		t.Errorf("remove without a label: %v, want ErrInvalid", err)
	}
	none := ""
	_, err = q.Decide(ctx, e.CaseID, "alice", held.Lease.Token, modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"abuse"}, Expect: &none})
	var ce *ConsequenceError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConsequenceChanged) || ce.Consequence.Enforcement != modgate.DecisionRemoveMember {
		t.Fatalf("decision confirmed without the removal it triggers: %v", err)
	}
	if x, _ := q.Get(ctx, e.CaseID); x.State != modgate.CaseClaimed || x.Decision != nil {
		t.Fatalf("a refused decision changed the case: %+v", x.Decision)
	}
	// The time a decision waited in the undo window is not handling time.
	rm := modgate.DecisionRemoveMember
	x, err := q.Decide(ctx, e.CaseID, "alice", held.Lease.Token, modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"abuse"}, Expect: &rm, HeldMS: 60_000})
	if err != nil {
		t.Fatal(err)
	}
	if x.Decision.HandlingMS != 0 {
		t.Errorf("handling %d ms: the undo wait (capped at the configured window) was counted", x.Decision.HandlingMS)
	}
}

// An appeal goes to the appeals lane; the reviewer who decided cannot take
// it; overturning removes the strike and tells the platform.
func TestAppealOverturnedByAnotherReviewer(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	cfg := testConfig()
	cfg.AppealLimit = 3 // refused appeals count too: they are what a flood is made of
	q := openQueue(t, nc, cfg)
	ctx := context.Background()
	reversed := subscribe(t, nc, "modgate.decisions.reversed")
	appeals := subscribe(t, nc, "modgate.appeals.>")

	c := claimDecide(t, q, 1, "u-appeal", "alice", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"abuse"}})
	if v, _ := q.Strikes().Violations(ctx, "t1", "u-appeal"); v.Count != 1 {
		t.Fatalf("strikes before the appeal: %+v", v)
	}
	open := claimDecide(t, q, 2, "u-other", "alice", modgate.Decision{Action: modgate.DecisionApprove})
	_ = open
	if _, err := q.Appeal(ctx, "t2", AppealRequest{CaseID: c.ID, Reason: "误判", AppellantID: "u-appeal"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("appeal through another tenant's key: %v", err)
	}
	if _, err := q.Appeal(ctx, "t1", AppealRequest{CaseID: c.ID, Reason: "", AppellantID: "u-appeal"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("appeal without a reason: %v", err)
	}
	res, err := q.Appeal(ctx, "t1", AppealRequest{CaseID: c.ID, Reason: "我只是在讨论新闻", AppellantID: "u-appeal"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lane != modgate.LaneAppeals || res.State != modgate.CaseAppealed {
		t.Fatalf("appeal result %+v", res)
	}
	if m := next(t, appeals, "appeal opened"); m.Subject != "modgate.appeals.opened" {
		t.Fatalf("appeal event on %s", m.Subject)
	}
	if _, err := q.Appeal(ctx, "t1", AppealRequest{CaseID: c.ID, Reason: "again", AppellantID: "u-appeal"}); !errors.Is(err, ErrAppealed) {
		t.Fatalf("second appeal: %v", err)
	}
	if _, err := q.Appeal(ctx, "t1", AppealRequest{CaseID: open.ID, Reason: "third", AppellantID: "u-appeal"}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("third appeal within the window: %v", err)
	}

	// Alice decided it: she can neither claim it nor get it from claim-next.
	if _, err := q.Claim(ctx, c.ID, "alice"); !errors.Is(err, ErrSameReviewer) {
		t.Fatalf("alice claimed the appeal of her own decision: %v", err)
	}
	if _, err := q.ClaimNext(ctx, "alice", nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("claim-next gave alice her own appeal: %v", err)
	}
	b, err := q.ClaimNext(ctx, "bob", nil)
	if err != nil || b.ID != c.ID || b.Appeal == nil {
		t.Fatalf("bob's claim-next: %v %v", b, err)
	}
	if _, err := q.Decide(ctx, c.ID, "bob", b.Lease.Token, modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"abuse"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a plain decision on an appeal: %v", err)
	}
	cs, err := q.Consequences(ctx, b, nil)
	if err != nil || cs[modgate.AppealOverturn].Violations.Count != 0 {
		t.Fatalf("consequence of overturning: %+v %v", cs[modgate.AppealOverturn], err)
	}
	d, err := q.Decide(ctx, c.ID, "bob", b.Lease.Token, modgate.Decision{Action: modgate.AppealOverturn, Note: "新闻讨论，不违规"})
	if err != nil {
		t.Fatal(err)
	}
	if d.State != modgate.CaseDecided || d.Appeal.Outcome != modgate.AppealOverturn || len(d.Reversals) != 1 || d.FollowUp != "" {
		t.Fatalf("after overturn: state %s appeal %+v reversals %+v follow-up %q", d.State, d.Appeal, d.Reversals, d.FollowUp)
	}
	var ev modgate.ReversalEvent
	if err := json.Unmarshal(next(t, reversed, "reversal").Data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != modgate.ReversalAppeal || ev.Action != modgate.DecisionRemove || !ev.StrikeRemoved || ev.Violations.Count != 0 || ev.By != "bob" {
		t.Fatalf("reversal event %+v", ev)
	}
	if m := next(t, appeals, "appeal decided"); m.Subject != "modgate.appeals.overturned" {
		t.Fatalf("appeal outcome on %s", m.Subject)
	}
	if v, _ := q.Strikes().Violations(ctx, "t1", "u-appeal"); v.Count != 0 {
		t.Fatalf("strikes after the overturn: %+v", v)
	}
	kinds := map[string]int{}
	if err := q.AuditRange(ctx, time.Time{}, time.Time{}, []string{modgate.AuditAppeal, modgate.AuditAppealDecision, modgate.AuditReversal}, 0,
		func(ev modgate.AuditEvent) error { kinds[ev.Kind]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if kinds[modgate.AuditAppeal] != 1 || kinds[modgate.AuditAppealDecision] != 1 || kinds[modgate.AuditReversal] != 1 {
		t.Fatalf("audit of the appeal: %v", kinds)
	}
}

// The reviewer who decided takes the decision back within the window: the
// strike goes, the case is theirs again, and the new decision is a new
// event (not swallowed by the stream's de-duplication).
func TestReverseWithinWindow(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	cfg := testConfig()
	clk := testClock()
	cfg.Clock, cfg.ReversalWindow = clk, 10*time.Minute
	q := openQueue(t, nc, cfg)
	ctx := context.Background()
	decisions := subscribe(t, nc, "modgate.decisions.>")

	c := claimDecide(t, q, 1, "u-rev", "alice", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"ads"}})
	next(t, decisions, "decision")
	if _, err := q.Reverse(ctx, c.ID, "bob", modgate.RoleReviewer, "不是我的"); !errors.Is(err, ErrReversalWindow) {
		t.Fatalf("bob reversed alice's decision: %v", err)
	}
	if _, err := q.Reverse(ctx, c.ID, "alice", modgate.RoleReviewer, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("reversal without a reason: %v", err)
	}
	r, err := q.Reverse(ctx, c.ID, "alice", modgate.RoleReviewer, "标签选错了")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != modgate.CaseClaimed || r.Lease.Holder != "alice" || r.Decision != nil || len(r.Reversals) != 1 {
		t.Fatalf("after reversal: %+v", r)
	}
	if m := next(t, decisions, "reversal"); m.Subject != "modgate.decisions.reversed" {
		t.Fatalf("reversal published on %s", m.Subject)
	}
	if v, _ := q.Strikes().Violations(ctx, "t1", "u-rev"); v.Count != 0 {
		t.Fatalf("strike kept after the reversal: %+v", v)
	}
	d, err := q.Decide(ctx, c.ID, "alice", r.Lease.Token, modgate.Decision{Action: modgate.DecisionApprove})
	if err != nil || d.Decision.Round != 1 {
		t.Fatalf("second decision: %+v %v", d, err)
	}
	if m := next(t, decisions, "second decision"); m.Subject != "modgate.decisions.approve" {
		t.Fatalf("second decision published on %s", m.Subject)
	}
	clk.Advance(11 * time.Minute)
	if _, err := q.Reverse(ctx, c.ID, "alice", modgate.RoleReviewer, "太晚了"); !errors.Is(err, ErrReversalWindow) {
		t.Fatalf("reversal after the window: %v", err)
	}
}

// Escalated cases wait for the leads.
func TestEscalateToLeads(t *testing.T) {
	s := startNATS(t, t.TempDir())
	q := openQueue(t, connect(t, s), testConfig())
	ctx := context.Background()
	e := escalation(1, modgate.LaneNormal)
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	c, _ := q.ClaimNext(ctx, "alice", nil)
	if _, err := q.EscalateToLeads(ctx, c.ID, "bob", "", "?"); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("a non-holder escalated: %v", err)
	}
	x, err := q.EscalateToLeads(ctx, c.ID, "alice", c.Lease.Token, "疑似新型诈骗，请组长看")
	if err != nil {
		t.Fatal(err)
	}
	if x.Lane != modgate.LaneEscalated || x.State != modgate.CaseOpen || x.Escalation.FromLane != modgate.LaneNormal {
		t.Fatalf("escalated case %+v", x)
	}
	if _, err := q.ClaimNext(ctx, "bob", nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("a reviewer got an escalated case: %v", err)
	}
	if _, err := q.Claim(ctx, c.ID, "bob"); !errors.Is(err, ErrLeadsOnly) {
		t.Fatalf("a reviewer claimed an escalated case: %v", err)
	}
	l, err := q.ClaimNextAs(ctx, "lena", modgate.RoleLead, nil)
	if err != nil || l.ID != c.ID {
		t.Fatalf("lead claim-next: %v %v", l, err)
	}
}

// A report that opens a case is screened like /v1/screen; a report without
// text says so, and the text a reviewer asks for fills it in.
func TestReportsScreenedAndTextRequested(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	cfg := testConfig()
	cfg.Screener = testScreener(t)
	q := openQueue(t, nc, cfg)
	ctx := context.Background()
	requests := subscribe(t, nc, "modgate.reports.text_requested")

	text := "加微信 abc12345 领取福利，稳赚不赔，联系人：张伟 电话 021-63501234"
	res, err := q.Report(ctx, modgate.Report{MessageID: "rm-1", ReporterID: "r-1", Reason: "ads", Text: text, Tenant: "t1", Sender: "u-r"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.Get(ctx, res.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Verdict == nil || len(c.Verdict.Matches) == 0 || len(c.Verdict.Reasons) == 0 || !c.IntakeScreened || c.TextMissing {
		t.Fatalf("reported case not screened: verdict %+v", c.Verdict)
	}
	for _, pii := range []string{"63501234", "张伟"} {
		if strings.Contains(c.MaskedText, pii) || strings.Contains(c.Verdict.MaskedText, pii) {
			t.Errorf("masked text shows %q: %q", pii, c.MaskedText)
		}
	}
	if !slices.Contains(c.Labels, "ads") || len(c.Labels) < 2 {
		t.Errorf("labels %v: want the reason and what screening found", c.Labels)
	}

	res, err = q.Report(ctx, modgate.Report{MessageID: "rm-2", ReporterID: "r-1", Reason: "abuse", Tenant: "t1", Sender: "u-r"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = q.Get(ctx, res.CaseID)
	if !c.TextMissing || c.Verdict != nil {
		t.Fatalf("report without text: text_missing %v", c.TextMissing)
	}
	held, err := q.Claim(ctx, c.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	x, err := q.RequestText(ctx, c.ID, "alice", held.Lease.Token)
	if err != nil || x.TextRequested == nil || x.State != modgate.CaseOpen {
		t.Fatalf("request text: %+v %v", x, err)
	}
	var ev modgate.TextRequestEvent
	if err := json.Unmarshal(next(t, requests, "text request").Data, &ev); err != nil || ev.MessageID != "rm-2" || ev.Reviewer != "alice" {
		t.Fatalf("text request event %+v %v", ev, err)
	}
	// While the platform is asked, n does not hand the case straight back.
	var drawn []*modgate.Case
	for {
		got, err := q.ClaimNext(ctx, "bob", nil)
		if errors.Is(err, ErrEmpty) {
			break
		}
		if err != nil || got.ID == c.ID {
			t.Fatalf("claim-next while the text is asked: %v %v", got.ID, err)
		}
		drawn = append(drawn, got)
	}
	for _, x := range drawn {
		if _, err := q.Release(ctx, x.ID, "bob", x.Lease.Token, false); err != nil {
			t.Fatal(err)
		}
	}
	// The platform answers with the report again, now with the text: the
	// duplicate counts nothing but completes and screens the case.
	dup, err := q.Report(ctx, modgate.Report{MessageID: "rm-2", ReporterID: "r-1", Reason: "abuse", Tenant: "t1", Sender: "u-r", Text: "转发集赞送红包，加我微信"})
	if err != nil || !dup.Duplicate || dup.Reporters != 1 {
		t.Fatalf("text answer: %+v %v", dup, err)
	}
	c, _ = q.Get(ctx, c.ID)
	if c.TextMissing || c.Verdict == nil || len(c.Verdict.Matches) == 0 {
		t.Fatalf("the text answer did not complete the case: missing %v verdict %+v", c.TextMissing, c.Verdict)
	}
	// cannot_judge closes a case without a strike and without touching the
	// reporters' record.
	held, err = q.ClaimNext(ctx, "alice", nil)
	if err != nil || held.ID != c.ID {
		t.Fatalf("claim-next once the text came: %+v %v", held, err)
	}
	d, err := q.Decide(ctx, c.ID, "alice", held.Lease.Token, modgate.Decision{Action: modgate.DecisionCannotJudge, Labels: []string{}})
	if err != nil || d.Decision.Violation {
		t.Fatalf("cannot judge: %+v %v", d, err)
	}
	if st, _, _ := q.Reporters().Stats(ctx, "r-1"); st.Total != 0 {
		t.Fatalf("cannot_judge counted for the reporter: %+v", st)
	}
}

// Team notes and tags: any reviewer, no lease; kept out of platform events.
func TestNotesAndTags(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()
	decisions := subscribe(t, nc, "modgate.*.>") // platform events; the leads' audit trail is skipped below
	e := escalation(1, modgate.LaneNormal)
	if _, err := q.Enqueue(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := q.AddNote(ctx, e.CaseID, "bob", "同一团伙，见 c-xxx"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.AddNote(ctx, e.CaseID, "bob", "  "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}
	if _, err := q.SetTags(ctx, e.CaseID, "bob", []string{"团伙A", " 团伙A ", "待复核"}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.SetTags(ctx, e.CaseID, "bob", []string{strings.Repeat("长", 40)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("long tag: %v", err)
	}
	c, _ := q.Claim(ctx, e.CaseID, "alice")
	c, err := q.Decide(ctx, e.CaseID, "alice", c.Lease.Token, modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"finance"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notes) != 1 || c.Notes[0].Author != "bob" || !slices.Equal(c.Tags, []string{"团伙A", "待复核"}) {
		t.Fatalf("notes %+v tags %v", c.Notes, c.Tags)
	}
	deadline := time.After(2 * time.Second)
	for {
		select {
		case m := <-decisions:
			if strings.HasPrefix(m.Subject, "modgate.audit.") {
				continue
			}
			if strings.Contains(string(m.Data), "同一团伙") || strings.Contains(string(m.Data), "团伙A") {
				t.Fatalf("a team note or tag reached %s", m.Subject)
			}
			continue
		case <-deadline:
		}
		break
	}
}

// Search answers from the index in NATS: fields, masked text only,
// paging with exact totals; a replica rebuilds missing postings at start.
func TestSearch(t *testing.T) {
	s := startNATS(t, t.TempDir())
	nc := connect(t, s)
	q := openQueue(t, nc, testConfig())
	ctx := context.Background()
	for i := 0; i < 12; i++ {
		e := escalation(i, modgate.LaneNormal)
		e.Message.Sender.ID = fmt.Sprintf("u-%d", i%3)
		e.Message.Group.ID = "g-search"
		e.Verdict.MaskedText = fmt.Sprintf("第%d条 加微信 138******78 保本保息", i)
		if i == 5 {
			e.Verdict.MaskedText = "代开发票请联系，价格优惠"
			e.Verdict.Labels = []string{"illegal"}
		}
		if _, err := q.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	c := claimDecide(t, q, 99, "u-0", "alice", modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"finance"}})
	if _, err := q.SetTags(ctx, c.ID, "bob", []string{"团伙A"}); err != nil {
		t.Fatal(err)
	}
	search := func(sq SearchQuery) SearchResult {
		t.Helper()
		var r SearchResult
		testkit.Eventually(t, fmt.Sprintf("search %+v", sq), 10*time.Second, func() bool {
			var err error
			r, err = q.Search(ctx, sq)
			if err != nil {
				t.Fatal(err)
			}
			return r.Total > 0
		})
		return r
	}
	tests := []struct {
		name  string
		sq    SearchQuery
		total int
	}{
		{"sender", SearchQuery{Sender: "u-1"}, 4},
		{"sender in tenant", SearchQuery{Sender: "u-0", Tenant: "t1"}, 5},
		{"group", SearchQuery{Group: "g-search"}, 12},
		{"label", SearchQuery{Label: "illegal"}, 1},
		{"text", SearchQuery{Text: "代开发票"}, 1},
		{"text phrase with a space", SearchQuery{Text: "加微信 138"}, 12},
		{"message id", SearchQuery{MessageID: "m-7"}, 1},
		{"decision", SearchQuery{Decision: modgate.DecisionRemove}, 1},
		{"reviewer", SearchQuery{Reviewer: "alice"}, 1},
		{"tag", SearchQuery{Tag: "团伙A"}, 1},
		{"no criteria: the last 30 days", SearchQuery{}, 13},
		{"label and sender", SearchQuery{Label: "finance", Sender: "u-2"}, 3},
		{"text and sender (text read, few candidates)", SearchQuery{Text: "保本保息", Sender: "u-1"}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := search(tc.sq); r.Total != tc.total {
				t.Fatalf("total %d, want %d", r.Total, tc.total)
			}
		})
	}
	// Only masked text is searchable: the phone number is not.
	for _, sq := range []SearchQuery{{Text: "13812345678"}, {Text: "不存在的词"}, {Text: "13812345678", Sender: "u-1"}} {
		if r, err := q.Search(ctx, sq); err != nil || r.Total != 0 {
			t.Errorf("search %+v: %d hits (%v), want none", sq, r.Total, err)
		}
	}
	if _, err := q.Search(ctx, SearchQuery{Text: "加"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("one-character text search: %v", err)
	}
	// Paging: newest first, exact totals.
	p1, _ := q.Search(ctx, SearchQuery{Group: "g-search", Limit: 5})
	p3, _ := q.Search(ctx, SearchQuery{Group: "g-search", Limit: 5, Offset: 10})
	if p1.Total != 12 || len(p1.Cases) != 5 || len(p3.Cases) != 2 || p1.Cases[0].Created.Before(p1.Cases[4].Created) {
		t.Fatalf("pages: %d/%d and %d", p1.Total, len(p1.Cases), len(p3.Cases))
	}
	if r, _ := q.Search(ctx, SearchQuery{Label: "finance", Decision: "none"}); r.Total != 11 {
		t.Errorf("undecided finance cases: %d, want 11", r.Total)
	}

	// The subject-data deletion purges a case's postings (they hold its
	// sender and text).
	if _, err := q.DeleteSubject(ctx, "root", "u-1"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sd.*." + keyPart("u-1") + ".*", "tx.*.*.*"} {
		ps, _, err := q.postings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for id := range ps {
			if c, err := q.load(ctx, id); errors.Is(err, ErrNotFound) || err == nil && c.Message.Sender.ID == "u-1" {
				t.Fatalf("a posting of a deleted case is left: %s", id)
			}
		}
	}
	// The postings are lost (an upgrade): a replica that starts indexes
	// every case again.
	if err := q.js.DeleteStream(ctx, StreamSearch); err != nil {
		t.Fatal(err)
	}
	q.Close()
	q2 := openQueue(t, nc, testConfig())
	testkit.Eventually(t, "the index repaired", 10*time.Second, func() bool {
		r, err := q2.Search(ctx, SearchQuery{Sender: "u-2"})
		return err == nil && r.Total == 4
	})
}

// Bulk decisions: leads only, a dry run first, every case audited.
func TestBulkDecide(t *testing.T) {
	s := startNATS(t, t.TempDir())
	q := openQueue(t, connect(t, s), testConfig())
	ctx := context.Background()
	var ids []string
	for i := 0; i < 4; i++ {
		e := escalation(i, modgate.LaneNormal)
		e.Message.Sender.ID = fmt.Sprintf("bulk-%d", i)
		if _, err := q.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.CaseID)
	}
	held, _ := q.Claim(ctx, ids[3], "alice") // held by someone else: skipped
	_ = held
	d := modgate.Decision{Action: modgate.DecisionRemove, Labels: []string{"ads"}, Note: "批量清理广告"}
	if _, err := q.BulkDecide(ctx, "alice", modgate.RoleReviewer, ids, d, true); !errors.Is(err, ErrLeadsOnly) {
		t.Fatalf("a reviewer's bulk decision: %v", err)
	}
	dry, err := q.BulkDecide(ctx, "lena", modgate.RoleLead, ids, d, true)
	if err != nil {
		t.Fatal(err)
	}
	removals := 0
	for _, it := range dry {
		if it.Consequence != nil && it.Consequence.Enforcement == modgate.DecisionRemoveMember {
			removals++
		}
	}
	if removals != 4 {
		t.Fatalf("dry run: %d removals, want 4 (one ads offence each): %+v", removals, dry)
	}
	if c, _ := q.Get(ctx, ids[0]); c.State != modgate.CaseOpen {
		t.Fatalf("a dry run changed a case: %s", c.State)
	}
	out, err := q.BulkDecide(ctx, "lena", modgate.RoleLead, ids, d, false)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, it := range out {
		if it.OK {
			ok++
		}
	}
	if ok != 3 || out[3].OK || out[3].Error == "" {
		t.Fatalf("bulk result %+v: want 3 decided and the held one refused", out)
	}
	n := 0
	testkit.Eventually(t, "bulk decisions audited", 5*time.Second, func() bool {
		n = 0
		_ = q.AuditRange(ctx, time.Time{}, time.Time{}, []string{modgate.AuditDecision}, 0, func(ev modgate.AuditEvent) error {
			if ev.Actor == "lena" && ev.Detail["bulk"] == "true" {
				n++
			}
			return nil
		})
		return n == 3
	})
}

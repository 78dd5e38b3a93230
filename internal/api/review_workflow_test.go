package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/testkit"
)

// The workflow routes through HTTP, as the reviewer app calls them:
// consequences, escalation, notes and tags, reversal, search, the sender
// page, my decisions, bulk decisions and appeals.
func TestReviewWorkflowAPI(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	alice, bob, lena := e.login(t, "alice").Token, e.login(t, "bob").Token, e.login(t, "lena").Token
	ids := []string{e.enqueue(t, 1, modgate.LaneHigh), e.enqueue(t, 2, modgate.LaneNormal), e.enqueue(t, 3, modgate.LaneNormal)}

	// The case view carries what each key would do.
	var cr CaseResponse
	r := e.do(t, "POST", "/v1/review/claim-next", alice, map[string]any{})
	r.decode(t, &cr)
	id := cr.Case.ID
	tok := cr.Case.Lease.Token
	r = e.do(t, "GET", "/v1/review/cases/"+id, alice, nil)
	r.decode(t, &cr)
	if c := cr.Consequences[modgate.DecisionRemove]; !c.Violation || c.Enforcement != "" || cr.Consequences[modgate.DecisionRemoveMember].Enforcement != modgate.DecisionRemoveMember {
		t.Fatalf("consequences: %s", r.body)
	}
	var cq ConsequencesResponse
	r = e.do(t, "GET", "/v1/review/cases/"+id+"/consequences?labels=ads,contact", alice, nil)
	r.decode(t, &cq)
	if c := cq.Consequences[modgate.DecisionRemove]; c.Enforcement != modgate.DecisionRemoveMember || c.Rule != "ads" {
		t.Fatalf("consequences with ads: %s", r.body)
	}
	if r := e.do(t, "GET", "/v1/review/cases/"+id+"/consequences?labels=A%20B", alice, nil); r.status != 400 {
		t.Fatalf("bad label: %d", r.status)
	}

	// Escalation: only leads take it.
	r = e.do(t, "POST", "/v1/review/cases/"+id+"/escalate", alice, map[string]any{"token": tok, "note": "请组长看"})
	r.decode(t, &cr)
	if r.status != 200 || cr.Case.Lane != modgate.LaneEscalated {
		t.Fatalf("escalate: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/review/cases/"+id+"/claim", bob, map[string]any{}); r.status != 403 {
		t.Fatalf("a reviewer claimed an escalated case: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/v1/review/claim-next", lena, map[string]any{})
	r.decode(t, &cr)
	if r.status != 200 || cr.Case.ID != id {
		t.Fatalf("lead claim-next: %d %s", r.status, r.body)
	}

	// Notes and tags, by anyone, no lease.
	if r := e.do(t, "POST", "/v1/review/cases/"+ids[1]+"/notes", bob, map[string]any{"text": "和 m-1 同一个人"}); r.status != 200 {
		t.Fatalf("note: %d %s", r.status, r.body)
	}
	if r := e.do(t, "PUT", "/v1/review/cases/"+ids[1]+"/tags", bob, map[string]any{"tags": []string{"团伙A"}}); r.status != 200 {
		t.Fatalf("tags: %d %s", r.status, r.body)
	}
	if r := e.do(t, "PUT", "/v1/review/cases/"+ids[1]+"/tags", bob, map[string]any{}); r.status != 400 {
		t.Fatalf("tags without a list: %d", r.status)
	}

	// Decide, then take it back from "my decisions".
	r = e.do(t, "POST", "/v1/review/cases/"+ids[1]+"/claim", alice, map[string]any{})
	r.decode(t, &cr)
	none := ""
	if r := e.do(t, "POST", "/v1/review/cases/"+ids[1]+"/decide", alice, map[string]any{"action": "remove", "labels": []string{"abuse"},
		"token": cr.Case.Lease.Token, "expect": none, "held_ms": 4000}); r.status != 200 {
		t.Fatalf("decide: %d %s", r.status, r.body)
	}
	var mine MyDecisions
	testkit.Eventually(t, "my decisions", 5*time.Second, func() bool {
		e.do(t, "GET", "/v1/review/my-decisions", alice, nil).decode(t, &mine)
		return mine.Total == 1
	})
	if mine.Cases[0].ID != ids[1] || mine.ReversalSeconds != 600 {
		t.Fatalf("my decisions: %+v", mine)
	}
	r = e.do(t, "GET", "/v1/review/cases/"+ids[1], alice, nil)
	r.decode(t, &cr)
	if cr.ReversibleUntil == nil || len(cr.Case.Notes) != 1 || len(cr.Case.Tags) != 1 {
		t.Fatalf("decided case for its reviewer: %s", r.body)
	}
	if r := e.do(t, "POST", "/v1/review/cases/"+ids[1]+"/reverse", bob, map[string]any{"reason": "错"}); r.status != 409 {
		t.Fatalf("bob reversed alice's decision: %d", r.status)
	}
	r = e.do(t, "POST", "/v1/review/cases/"+ids[1]+"/reverse", alice, map[string]any{"reason": "选错了"})
	r.decode(t, &cr)
	if r.status != 200 || cr.Case.State != modgate.CaseClaimed || cr.Case.Lease.Holder != "alice" {
		t.Fatalf("reverse: %d %s", r.status, r.body)
	}

	// Search and the sender page.
	var sr review.SearchResult
	testkit.Eventually(t, "search by tag", 5*time.Second, func() bool {
		e.do(t, "GET", "/v1/review/search?tag=%E5%9B%A2%E4%BC%99A", alice, nil).decode(t, &sr)
		return sr.Total == 1
	})
	r = e.do(t, "GET", "/v1/review/search?sender=u-1&limit=2", alice, nil)
	r.decode(t, &sr)
	if r.status != 200 || sr.Total != 3 || len(sr.Cases) != 2 {
		t.Fatalf("search by sender, paged: %s", r.body)
	}
	var sp SenderPage
	r = e.do(t, "GET", "/v1/review/senders/u-1?tenant=t1", alice, nil)
	r.decode(t, &sp)
	if r.status != 200 || sp.Total != 3 || sp.Sender != "u-1" {
		t.Fatalf("sender page: %s", r.body)
	}

	// Bulk: a dry run, then the decision.
	var br BulkResponse
	r = e.do(t, "POST", "/v1/review/bulk-decide", lena, map[string]any{"case_ids": []string{ids[2]}, "action": "remove", "labels": []string{"ads"}, "dry_run": true})
	r.decode(t, &br)
	if r.status != 200 || br.Removals != 1 || br.Decided != 0 {
		t.Fatalf("bulk dry run: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/v1/review/bulk-decide", lena, map[string]any{"case_ids": []string{ids[2]}, "action": "remove", "labels": []string{"ads"}})
	r.decode(t, &br)
	if r.status != 200 || br.Decided != 1 {
		t.Fatalf("bulk: %d %s", r.status, r.body)
	}

	// Appeals: open intake (no keys here), a decided case, once.
	bad := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"unknown case", map[string]any{"case_id": "c-0000000000000000dead", "reason": "冤枉", "appellant_id": "u-1"}, 404},
		{"not decided", map[string]any{"case_id": ids[0], "reason": "冤枉", "appellant_id": "u-1"}, 409},
		{"no reason", map[string]any{"case_id": ids[2], "appellant_id": "u-1"}, 400},
		{"unknown field", map[string]any{"case_id": ids[2], "reason": "x", "appellant_id": "u-1", "x": 1}, 400},
	}
	for _, tc := range bad {
		if r := e.do(t, "POST", "/v1/appeals", "", tc.body); r.status != tc.status {
			t.Errorf("appeal %s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
		}
	}
	var ar review.AppealResult
	r = e.do(t, "POST", "/v1/appeals", "", map[string]any{"case_id": ids[2], "reason": "不是广告", "appellant_id": "u-1"})
	r.decode(t, &ar)
	if r.status != 201 || ar.Lane != modgate.LaneAppeals {
		t.Fatalf("appeal: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/appeals", "", map[string]any{"case_id": ids[2], "reason": "again", "appellant_id": "u-1"}); r.status != 409 {
		t.Fatalf("second appeal: %d", r.status)
	}
	// lena decided it: bob reviews the appeal.
	if r := e.do(t, "POST", "/v1/review/cases/"+ids[2]+"/claim", lena, map[string]any{}); r.status != 409 {
		t.Fatalf("the decider claimed the appeal: %d", r.status)
	}
	r = e.do(t, "POST", "/v1/review/cases/"+ids[2]+"/claim", bob, map[string]any{})
	r.decode(t, &cr)
	if r := e.do(t, "POST", "/v1/review/cases/"+ids[2]+"/decide", bob, map[string]any{"action": "uphold", "token": cr.Case.Lease.Token}); r.status != 200 {
		t.Fatalf("uphold: %d %s", r.status, r.body)
	}
	// Many appeals from one appellant are refused.
	for i := 0; i < 10; i++ {
		r = e.do(t, "POST", "/v1/appeals", "", map[string]any{"case_id": ids[2], "reason": fmt.Sprint(i), "appellant_id": "flood"})
	}
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("appeal flood: %d %s", r.status, r.body)
	}

	// JSON for reviewers goes compressed.
	r = e.do(t, "GET", "/v1/review/search?sender=u-1", alice, nil, "Accept-Encoding", "gzip")
	if r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("search answer not compressed: %v", r.header)
	}
}

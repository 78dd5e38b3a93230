package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/testkit"
	"github.com/modgate/modgate/policies"
	"golang.org/x/crypto/bcrypt"
)

// reviewEnv is a real reviewer API on an HTTP server on loopback: with a
// review queue on embedded JetStream (newReviewEnv), or with only the small
// stores in memory (newMemoryEnv).
type reviewEnv struct {
	q     *review.Queue // nil in a memory env
	srv   *httptest.Server
	clock *clock.Fake // a memory env's clock
	audit *auditRecorder
	deps  ReviewDeps
}

func newReviewEnv(t *testing.T, cfg review.Config) *reviewEnv {
	t.Helper()
	nc, _ := natstest.Connect(t, natstest.Start(t))
	cfg.CreateEscalationStream = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if cfg.Discipline == nil {
		cfg.Discipline = shippedPolicies(t)
	}
	q, err := review.Open(ctx, nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return serveReview(t, ReviewDeps{Queue: q, Users: testUsers(t)}, &reviewEnv{q: q})
}

var loadShipped = sync.OnceValues(func() (*policies.Engine, error) {
	return policies.Load(context.Background(), policies.Default, policies.Options{SkipTests: true})
})

// shippedPolicies answers the queue's 3-2-1 question with the shipped
// policies (policies/discipline.rego).
func shippedPolicies(t *testing.T) *policies.Engine {
	t.Helper()
	e, err := loadShipped()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// newMemoryEnv is the reviewer API without a case queue: sessions, login
// limits and the audit log in memory, on a clock the test moves. For the
// handlers that need no case workflow (login, sessions, users, admin
// sessions), where a NATS server adds nothing; the stores themselves are
// tested on real NATS in internal/review.
func newMemoryEnv(t *testing.T) *reviewEnv {
	t.Helper()
	e := &reviewEnv{clock: clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), audit: &auditRecorder{}}
	d := ReviewDeps{Users: testUsers(t), Audit: e.audit,
		Sessions: review.NewSessions(review.NewMemoryKV(), 30*time.Minute, 12*time.Hour, e.clock),
		Limiter:  review.NewLimiter(review.NewMemoryKV(), e.clock)}
	return serveReview(t, d, e)
}

// testUsers is a users file with a reviewer, a second reviewer, a lead
// and an admin.
func testUsers(t *testing.T) *review.Users {
	t.Helper()
	review.BcryptCost = bcrypt.MinCost // speed only; the login path is the same
	users, err := review.OpenUsers(filepath.Join(t.TempDir(), "users.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, role string }{{"alice", "reviewer"}, {"bob", "reviewer"}, {"lena", "lead"}, {"root", "admin"}} {
		if err := users.AddUser(u.name, u.role, "pw-"+u.name+"-123"); err != nil {
			t.Fatal(err)
		}
	}
	return users
}

func serveReview(t *testing.T, d ReviewDeps, e *reviewEnv) *reviewEnv {
	t.Helper()
	e.deps = d
	r := chi.NewRouter()
	MountReview(r, d)
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	return e
}

// auditRecorder is an AuditLog in memory.
type auditRecorder struct {
	mu     sync.Mutex
	events []modgate.AuditEvent
}

func (a *auditRecorder) Audit(_ context.Context, ev modgate.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
	return nil
}

func (a *auditRecorder) kinds() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, ev := range a.events {
		out = append(out, ev.Kind)
	}
	return out
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) code(t *testing.T) string {
	t.Helper()
	var e ErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("not an error body: %s", r.body)
	}
	return e.Error.Code
}

func (e *reviewEnv) do(t *testing.T, method, path, token string, body any, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, body: b, header: res.Header}
}

func (e *reviewEnv) login(t *testing.T, user string) LoginResponse {
	t.Helper()
	r := e.do(t, "POST", "/v1/review/login", "", map[string]string{"user": user, "password": "pw-" + user + "-123"})
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	var lr LoginResponse
	r.decode(t, &lr)
	return lr
}

func (e *reviewEnv) enqueue(t *testing.T, i int, lane string) string {
	t.Helper()
	mid := fmt.Sprintf("m-%d", i)
	esc := modgate.Escalation{CaseID: modgate.CaseIDFor("t1", mid, ""), Lane: lane, Source: "screen",
		Message: modgate.Message{ID: mid, Text: "加微信 13812345678", Tenant: "t1", Sender: modgate.Sender{ID: "u-1"}},
		Verdict: modgate.Verdict{Action: "review", Labels: []string{"contact"}, MaskedText: "加微信 138******78", Severity: 2}}
	if _, err := e.q.Enqueue(context.Background(), esc); err != nil {
		t.Fatal(err)
	}
	return esc.CaseID
}

func TestReviewAPIAuth(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	tests := []struct {
		name   string
		body   any
		status int
	}{
		{"wrong password", map[string]string{"user": "alice", "password": "nope-nope"}, 401},
		{"unknown user", map[string]string{"user": "mallory", "password": "whatever1"}, 401},
		{"missing fields", map[string]string{"user": "alice"}, 400},
		{"unknown field", map[string]any{"user": "alice", "password": "x", "admin": true}, 400},
		{"not json", "{", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do(t, "POST", "/v1/review/login", "", tc.body); r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	if r := e.do(t, "GET", "/v1/review/cases", "", nil); r.status != 401 || r.code(t) != CodeUnauthorized {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	if r := e.do(t, "GET", "/v1/review/cases", "forged", nil); r.status != 401 {
		t.Fatalf("forged token: %d", r.status)
	}
	lr := e.login(t, "alice")
	if r := e.do(t, "GET", "/v1/review/me", lr.Token, nil); r.status != 200 || !strings.Contains(string(r.body), `"reviewer"`) {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	// Cookie sessions need the CSRF header on state changes.
	cookie := "modgate_session=" + lr.Token
	if r := e.do(t, "GET", "/v1/review/stats", "", nil, "Cookie", cookie); r.status != 200 {
		t.Fatalf("cookie GET: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/review/claim-next", "", map[string]any{}, "Cookie", cookie); r.status != 403 {
		t.Fatalf("cookie POST without CSRF: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/review/claim-next", "", map[string]any{}, "Cookie", cookie, CSRFHeader, lr.CSRF); r.status != 204 {
		t.Fatalf("cookie POST with CSRF on empty queue: %d %s", r.status, r.body)
	}
	// Role checks happen on the server.
	for _, p := range []string{"/v1/review/audit", "/v1/review/decisions.csv", "/v1/review/subjects/u-1", "/v1/review/users/"} {
		if r := e.do(t, "GET", p, lr.Token, nil); r.status != 403 {
			t.Fatalf("reviewer GET %s: %d", p, r.status)
		}
	}
	if r := e.do(t, "POST", "/v1/review/logout", lr.Token, nil); r.status != 204 {
		t.Fatalf("logout %d", r.status)
	}
	if r := e.do(t, "GET", "/v1/review/me", lr.Token, nil); r.status != 401 {
		t.Fatalf("token after logout: %d", r.status)
	}
}

func TestReviewAPIWorkflowAndBadInput(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	alice, bob := e.login(t, "alice").Token, e.login(t, "bob").Token
	id := e.enqueue(t, 1, modgate.LaneHigh)
	e.enqueue(t, 2, modgate.LaneNormal)

	var list CaseList
	r := e.do(t, "GET", "/v1/review/cases?lane=high&state=open", alice, nil)
	r.decode(t, &list)
	if r.status != 200 || list.Total != 1 || list.Cases[0].ID != id {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"lane=vip", "state=gone", "limit=0", "limit=x", "min_age=-3"} {
		if r := e.do(t, "GET", "/v1/review/cases?"+bad, alice, nil); r.status != 400 {
			t.Fatalf("list ?%s: %d", bad, r.status)
		}
	}
	var cr CaseResponse
	r = e.do(t, "POST", "/v1/review/claim-next", alice, map[string]any{})
	r.decode(t, &cr)
	if r.status != 200 || cr.Case.ID != id || cr.Case.Lease.Holder != "alice" || cr.Case.Message.Text != "" {
		t.Fatalf("claim-next: %d %s", r.status, r.body)
	}
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"unknown case", "GET", "/v1/review/cases/c-0000000000000000dead", alice, nil, 404, CodeNotFound},
		{"unknown case claim", "POST", "/v1/review/cases/c-0000000000000000dead/claim", alice, nil, 404, CodeNotFound},
		{"claim held by other", "POST", "/v1/review/cases/" + id + "/claim", bob, nil, 409, CodeConflict},
		{"decide without claim", "POST", "/v1/review/cases/" + id + "/decide", bob, map[string]any{"action": "remove"}, 409, CodeConflict},
		{"invalid action", "POST", "/v1/review/cases/" + id + "/decide", alice, map[string]any{"action": "nuke"}, 400, CodeBadRequest},
		{"oversized note", "POST", "/v1/review/cases/" + id + "/decide", alice, map[string]any{"action": "warn", "note": strings.Repeat("注", 2001)}, 400, CodeBadRequest},
		{"bad label", "POST", "/v1/review/cases/" + id + "/decide", alice, map[string]any{"action": "warn", "labels": []string{"A B"}}, 400, CodeBadRequest},
		{"unknown field", "POST", "/v1/review/cases/" + id + "/decide", alice, map[string]any{"action": "warn", "force": true}, 400, CodeInvalidJSON},
		{"wrong content type", "POST", "/v1/review/cases/" + id + "/decide", alice, nil, 415, CodeUnsupportedMedia},
		{"bad lane claim-next", "POST", "/v1/review/claim-next", bob, map[string]any{"lanes": []string{"vip"}}, 400, CodeBadRequest},
		{"release by other", "POST", "/v1/review/cases/" + id + "/release", bob, map[string]any{}, 409, CodeConflict},
		{"force release by reviewer", "POST", "/v1/review/cases/" + id + "/release", bob, map[string]any{"force": true}, 403, CodeForbidden},
		{"extend bad seconds", "POST", "/v1/review/cases/" + id + "/extend", alice, map[string]any{"seconds": -1}, 400, CodeBadRequest},
		{"unmask as reviewer", "POST", "/v1/review/cases/" + id + "/unmask", alice, map[string]any{"reason": "看看"}, 403, CodeForbidden},
		{"unmask in the query", "GET", "/v1/review/cases/" + id + "?unmask=1", alice, nil, 400, CodeBadRequest},
		{"remove without a label", "POST", "/v1/review/cases/" + id + "/decide", alice, map[string]any{"action": "remove", "labels": []string{}}, 400, CodeBadRequest},
		{"stale consequence", "POST", "/v1/review/cases/" + id + "/decide", alice, map[string]any{"action": "remove", "labels": []string{"ads"}, "expect": ""}, 409, CodeConsequenceChanged},
		{"escalate by other", "POST", "/v1/review/cases/" + id + "/escalate", bob, map[string]any{"note": "?"}, 409, CodeConflict},
		{"bulk by reviewer", "POST", "/v1/review/bulk-decide", alice, map[string]any{"case_ids": []string{id}, "action": "remove"}, 403, CodeForbidden},
		{"search bad lane", "GET", "/v1/review/search?lane=vip", alice, nil, 400, CodeBadRequest},
		{"search one character", "GET", "/v1/review/search?q=加", alice, nil, 400, CodeBadRequest},
		{"reverse an open case", "POST", "/v1/review/cases/" + id + "/reverse", alice, map[string]any{"reason": "x"}, 409, CodeConflict},
	}
	before, _ := e.q.Get(context.Background(), id)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.code == CodeUnsupportedMedia {
				r = e.do(t, tc.method, tc.path, tc.token, nil, "Content-Type", "text/plain")
			} else {
				r = e.do(t, tc.method, tc.path, tc.token, tc.body)
			}
			if r.status != tc.status || r.code(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	if after, _ := e.q.Get(context.Background(), id); after.Revision != before.Revision {
		t.Fatal("bad input changed the case")
	}
	// Bob's token is not Alice's lease token; other reviewers never see it.
	r = e.do(t, "GET", "/v1/review/cases/"+id, bob, nil)
	r.decode(t, &cr)
	if cr.Case.Lease == nil || cr.Case.Lease.Token != "" || cr.Violations == nil {
		t.Fatalf("bob's view of alice's case: %s", r.body)
	}
	r = e.do(t, "POST", "/v1/review/cases/"+id+"/extend", alice, map[string]any{"seconds": 60})
	if r.status != 200 {
		t.Fatalf("extend: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/v1/review/cases/"+id+"/decide", alice, map[string]any{"action": "remove", "labels": []string{"contact", "ads"}, "note": "引流"})
	r.decode(t, &cr)
	if r.status != 200 || cr.Case.State != modgate.CaseDecided || cr.Case.Decision.Enforcement != modgate.DecisionRemoveMember {
		t.Fatalf("decide: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/review/cases/"+id+"/decide", alice, map[string]any{"action": "approve"}); r.status != 409 {
		t.Fatalf("double decide: %d %s", r.status, r.body)
	}
	// Lead unmasks with a reason: gets the text, and the view and its
	// reason are audited.
	lead := e.login(t, "lena").Token
	if r := e.do(t, "POST", "/v1/review/cases/"+id+"/unmask", lead, map[string]any{"reason": ""}); r.status != 400 {
		t.Fatalf("unmask without a reason: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/v1/review/cases/"+id+"/unmask", lead, map[string]any{"reason": "核实举报 13812345678"})
	r.decode(t, &cr)
	if r.status != 200 || !cr.Unmasked || cr.Case.Message.Text != "加微信 13812345678" {
		t.Fatalf("unmask: %d %s", r.status, r.body)
	}
	var page AuditPage
	r = e.do(t, "GET", "/v1/review/audit?kind=unmask_view,decision", lead, nil)
	r.decode(t, &page)
	kinds := map[string]string{}
	for _, ev := range page.Events {
		kinds[ev.Kind] = ev.Actor
		if ev.Kind == modgate.AuditUnmaskView && ev.Text != "核实举报 138******78" {
			t.Errorf("unmask reason in the audit trail: %q", ev.Text)
		}
	}
	if kinds["unmask_view"] != "lena" || kinds["decision"] != "alice" {
		t.Fatalf("audit: %s", r.body)
	}
	r = e.do(t, "GET", "/v1/review/decisions.csv?from=2000-01-01", lead, nil)
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][1] != id || rows[1][6] != "remove" || rows[1][8] != "alice" {
		t.Fatalf("decisions.csv: %v %q", err, r.body)
	}
	r = e.do(t, "GET", "/v1/review/audit?from=tomorrow", lead, nil)
	if r.status != 400 {
		t.Fatalf("bad from: %d", r.status)
	}
	var st review.Stats
	r = e.do(t, "GET", "/v1/review/stats", bob, nil)
	r.decode(t, &st)
	if st.Decisions != 1 || st.ByReviewer["alice"] != 1 || st.ByAction["remove"] != 1 || st.Open != 1 {
		t.Fatalf("stats: %s", r.body)
	}
}

func TestReportsAPI(t *testing.T) {
	e := newReviewEnv(t, review.Config{ReportLimit: 3, ReportWindow: time.Hour})
	body := map[string]any{"message_id": "m-9", "reporter_id": "r1", "reason": "abuse", "tenant": "t1", "text": "你是傻子"}
	r := e.do(t, "POST", "/v1/reports", "", body)
	var res modgate.ReportResult
	r.decode(t, &res)
	if r.status != 201 || res.Reporters != 1 || res.Lane != modgate.LaneReports {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/reports", "", body); r.status != 200 || !strings.Contains(string(r.body), `"duplicate":true`) {
		t.Fatalf("duplicate: %d %s", r.status, r.body)
	}
	tests := []struct {
		name   string
		body   any
		status int
	}{
		{"missing reporter", map[string]any{"message_id": "m", "reason": "ads"}, 400},
		{"unknown field", map[string]any{"message_id": "m", "reporter_id": "r", "reason": "ads", "x": 1}, 400},
		{"too large", map[string]any{"message_id": "m", "reporter_id": "r", "reason": "ads", "text": strings.Repeat("x", 4*modgate.DefaultMaxTextBytes)}, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do(t, "POST", "/v1/reports", "", tc.body); r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	// Flood: r1 already used 2 of 3.
	var codes []int
	for i := 0; i < 5; i++ {
		r := e.do(t, "POST", "/v1/reports", "", map[string]any{"message_id": fmt.Sprintf("f-%d", i), "reporter_id": "r1", "reason": "spam"})
		codes = append(codes, r.status)
	}
	if fmt.Sprint(codes) != "[201 429 429 429 429]" {
		t.Fatalf("flood statuses %v", codes)
	}
	if _, n := e.q.List(review.Filter{}); n != 2 {
		t.Fatalf("flood left %d cases, want 2", n)
	}
}

// TestReportsSenderAndGroupForms: /v1/reports takes sender and group as
// objects, like /v1/screen; the string form (the id) still works.
func TestReportsSenderAndGroupForms(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	tests := []struct {
		name          string
		sender, group any
		status        int
		wantSender    string
		wantGroup     string
	}{
		{"objects", map[string]any{"id": "u-obj", "verified_org": false}, map[string]any{"id": "g-obj", "kind": "enterprise"}, 201, "u-obj", "g-obj"},
		{"strings (deprecated)", "u-str", "g-str", 201, "u-str", "g-str"},
		{"absent", nil, nil, 201, "", ""},
		{"unknown field in sender", map[string]any{"id": "u", "nick": "x"}, nil, 400, "", ""},
		{"number", 7, nil, 400, "", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"message_id": fmt.Sprintf("form-%d", i), "reporter_id": "r-form", "reason": "abuse", "tenant": "t1"}
			if tc.sender != nil {
				body["sender"] = tc.sender
			}
			if tc.group != nil {
				body["group"] = tc.group
			}
			r := e.do(t, "POST", "/v1/reports", "", body)
			if r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != 201 {
				return
			}
			var res modgate.ReportResult
			r.decode(t, &res)
			c, err := e.q.Get(context.Background(), res.CaseID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Message.Sender.ID != tc.wantSender || c.Message.Group.ID != tc.wantGroup {
				t.Fatalf("case sender %q group %q", c.Message.Sender.ID, c.Message.Group.ID)
			}
		})
	}
}

func TestReviewEventsSSE(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	tok := e.login(t, "alice").Token
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/review/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	id := e.enqueue(t, 5, modgate.LaneNormal)
	go func() {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/review/cases/"+id+"/claim", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	sc := bufio.NewScanner(res.Body)
	var kinds []string
	for sc.Scan() && len(kinds) < 2 {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var ch review.CaseChange
		if err := json.Unmarshal([]byte(line[6:]), &ch); err != nil || ch.ID != id {
			t.Fatalf("event %q: %v", line, err)
		}
		kinds = append(kinds, ch.Kind)
	}
	if fmt.Sprint(kinds) != "[escalated claim]" {
		t.Fatalf("events %v", kinds)
	}
}

func TestSubjectRequests(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	e.enqueue(t, 1, modgate.LaneNormal)
	e.enqueue(t, 2, modgate.LaneNormal)
	admin := e.login(t, "root").Token
	r := e.do(t, "GET", "/v1/review/subjects/u-1", admin, nil)
	var d review.SubjectData
	r.decode(t, &d)
	if r.status != 200 || len(d.Cases) != 2 || d.Cases[0].Message.Text == "" {
		t.Fatalf("export: %d %s", r.status, r.body)
	}
	r = e.do(t, "DELETE", "/v1/review/subjects/u-1", admin, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"cases":2`) {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	testkit.Eventually(t, "no case listed after delete", 5*time.Second, func() bool {
		_, n := e.q.List(review.Filter{})
		return n == 0
	})
	var page AuditPage
	e.do(t, "GET", "/v1/review/audit?kind=subject_export,subject_delete", admin, nil).decode(t, &page)
	if len(page.Events) != 2 || page.Events[0].Actor != "root" {
		t.Fatalf("subject requests not audited: %+v", page.Events)
	}
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	e := newMemoryEnv(t)
	first, second := e.login(t, "bob").Token, e.login(t, "bob").Token
	if r := e.do(t, "POST", "/v1/review/users/me/password", first, map[string]string{"old": "wrong-one", "new": "fresh-password"}); r.status != 403 {
		t.Fatalf("wrong old password: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/review/users/me/password", first, map[string]string{"old": "pw-bob-123", "new": "short"}); r.status != 400 {
		t.Fatalf("short new password: %d %s", r.status, r.body)
	}
	r := e.do(t, "POST", "/v1/review/users/me/password", first, map[string]string{"old": "pw-bob-123", "new": "fresh-password"})
	var lr LoginResponse
	r.decode(t, &lr)
	if r.status != 200 || lr.Token == "" {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	for _, old := range []string{first, second} {
		if r := e.do(t, "GET", "/v1/review/me", old, nil); r.status != 401 {
			t.Fatalf("old session still valid: %d", r.status)
		}
	}
	if r := e.do(t, "GET", "/v1/review/me", lr.Token, nil); r.status != 200 {
		t.Fatalf("new session: %d", r.status)
	}
	if r := e.do(t, "POST", "/v1/review/login", "", map[string]string{"user": "bob", "password": "fresh-password"}); r.status != 200 {
		t.Fatalf("login with new password: %d", r.status)
	}
}

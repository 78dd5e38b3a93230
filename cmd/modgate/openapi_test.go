package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/testkit"
)

func init() {
	// Non-JSON bodies the API answers: checked as strings.
	for _, ct := range []string{"text/csv", "text/html", "text/event-stream", "application/octet-stream", "text/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(ct, func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		})
	}
}

// openAPIGateway is a gateway with keys, reviewer accounts of every role
// and its OpenAPI document loaded and validated by kin-openapi.
type openAPIGateway struct {
	m      *Main
	base   string
	doc    *openapi3.T
	router routers.Router
}

func startOpenAPIGateway(t *testing.T) *openAPIGateway {
	t.Helper()
	cfg := gwConfig(t)
	cfg.APIKeys, cfg.AdminKey = "t1=tk", "ak"
	cfg.Users = filepath.Join(t.TempDir(), "users.yaml")
	review.BcryptCost = bcrypt.MinCost
	users, err := review.OpenUsers(cfg.Users)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range [][2]string{{"alice", "reviewer"}, {"lena", "lead"}, {"root", "admin"}} {
		if err := users.AddUser(u[0], u[1], "pw-"+u[0]+"-123"); err != nil {
			t.Fatal(err)
		}
	}
	m := gwStart(t, cfg)
	g := &openAPIGateway{m: m, base: "http://" + m.Addr()}
	r := gwDo(t, "GET", g.base+"/openapi.json", "", "", nil)
	if r.Status != 200 {
		t.Fatalf("/openapi.json: %d", r.Status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	g.doc = doc
	if g.router, err = legacy.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return g
}

// chiToOpenAPI turns a chi route pattern into the document's path: mount
// roots lose their trailing slash, a wildcard is the {path} parameter.
func chiToOpenAPI(route string) string {
	if strings.HasSuffix(route, "/*") {
		return strings.TrimSuffix(route, "*") + "{path}"
	}
	if len(route) > 1 && strings.HasSuffix(route, "/") && route != "/review/" {
		return strings.TrimSuffix(route, "/")
	}
	return route
}

// TestOpenAPICoversEveryRoute walks the gateway's router: every route it
// serves is in /openapi.json, and the document lists no route it lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	g := startOpenAPIGateway(t)
	served := map[string]bool{}
	err := chi.Walk(g.m.API.Routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + chiToOpenAPI(route)
		served[key] = true
		if item := g.doc.Paths.Find(chiToOpenAPI(route)); item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s %s is served but not in /openapi.json", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range g.doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("/openapi.json documents %s %s, which the gateway does not serve", method, path)
			}
		}
	}
	if len(served) < 35 {
		t.Fatalf("walked only %d routes", len(served))
	}
}

// TestOpenAPIResponsesMatch drives every documented route with real
// requests (successes and errors) and validates each answer against the
// document with kin-openapi: status documented, body matching its schema.
func TestOpenAPIResponsesMatch(t *testing.T) {
	g := startOpenAPIGateway(t)
	ctx := context.Background()
	covered := map[string]bool{}

	// check sends a request and validates the answer; it returns the body.
	check := func(t *testing.T, c *http.Client, method, path, token, ctype string, body []byte, want int) []byte {
		t.Helper()
		req := gwRequest(t, method, g.base+path, token, ctype, body)
		if c == nil {
			c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var b []byte
		if res.Header.Get("Content-Type") == "text/event-stream" {
			b = []byte("retry: 2000\n\n") // the stream never ends; its first frame
		} else if b, err = io.ReadAll(res.Body); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
		}
		route, params, err := g.router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: not in the document: %v", method, path, err)
		}
		covered[route.Method+" "+route.Path] = true
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 res.StatusCode, Header: res.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		in.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
			t.Errorf("%s %s → %d does not match the document: %v\nbody: %.2000s", method, path, res.StatusCode, err, b)
		}
		return b
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	const jsonCT = "application/json"
	login := func(user string) api.LoginResponse {
		var lr api.LoginResponse
		b := check(t, nil, "POST", "/v1/review/login", "", jsonCT, js(map[string]string{"user": user, "password": "pw-" + user + "-123"}), 200)
		if err := json.Unmarshal(b, &lr); err != nil {
			t.Fatal(err)
		}
		return lr
	}

	// Health and the document itself.
	check(t, nil, "GET", "/healthz", "", "", nil, 200)
	check(t, nil, "GET", "/readyz", "", "", nil, 200)
	check(t, nil, "GET", "/metrics", "", "", nil, 200)
	check(t, nil, "GET", "/openapi.json", "", "", nil, 200)

	// Screening: every verdict kind, a batch, errors.
	var sr map[string]any
	for _, text := range []string{cleanText, blockText, reviewText} {
		b := check(t, nil, "POST", "/v1/screen", "tk", jsonCT, js(modgate.Message{ID: "oa-" + text, Text: text, Sender: modgate.Sender{ID: "u-oa"}}), 200)
		_ = json.Unmarshal(b, &sr)
	}
	caseID, _ := sr["case_id"].(string)
	if caseID == "" {
		t.Fatalf("review verdict without a case id: %v", sr)
	}
	check(t, nil, "POST", "/v1/screen", "", jsonCT, js(modgate.Message{Text: "x"}), 401)
	check(t, nil, "POST", "/v1/screen", "ak", jsonCT, js(modgate.Message{Text: "x"}), 403)
	check(t, nil, "POST", "/v1/screen", "tk", jsonCT, []byte(`{"text":`), 400)
	check(t, nil, "POST", "/v1/screen", "tk", "text/plain", []byte(`{}`), 415)
	check(t, nil, "POST", "/v1/screen/batch", "tk", jsonCT, js(map[string]any{"messages": []any{
		modgate.Message{ID: "b1", Text: cleanText}, modgate.Message{ID: "b2", Text: reviewText}, map[string]any{"id": "b3"}}}), 200)

	// Reports: object and (deprecated) string forms, a duplicate, an error.
	rep := map[string]any{"message_id": "oa-r1", "reporter_id": "rep-1", "reason": "abuse", "text": "你是傻子",
		"sender": map[string]any{"id": "u-oa2"}, "group": map[string]any{"id": "g-1", "kind": "enterprise"}}
	check(t, nil, "POST", "/v1/reports", "tk", jsonCT, js(rep), 201)
	check(t, nil, "POST", "/v1/reports", "tk", jsonCT, js(rep), 200)
	check(t, nil, "POST", "/v1/reports", "tk", jsonCT, js(map[string]any{"message_id": "oa-r2", "reporter_id": "rep-1", "reason": "ads", "sender": "u-oa3"}), 201)
	check(t, nil, "POST", "/v1/reports", "tk", jsonCT, js(map[string]any{"message_id": "oa-r3"}), 400)

	// Admin.
	check(t, nil, "GET", "/v1/admin/revision", "ak", "", nil, 200)
	check(t, nil, "GET", "/v1/admin/revision", "tk", "", nil, 403)
	check(t, nil, "GET", "/v1/admin/files", "ak", "", nil, 200)
	check(t, nil, "GET", "/v1/admin/files/policy/discipline.rego", "ak", "", nil, 200)
	check(t, nil, "GET", "/v1/admin/files/policy/nope.rego", "ak", "", nil, 404)
	check(t, nil, "GET", "/v1/admin/files/model/x", "ak", "", nil, 400)
	check(t, nil, "PUT", "/v1/admin/lexicons/extra.txt", "ak", "text/plain", []byte("开放接口测试词 | illegal | 3\n"), 200)
	check(t, nil, "PUT", "/v1/admin/lexicons/bad.txt", "ak", "text/plain", []byte("坏词 | nosuchlabel | 2\n"), 422)
	check(t, nil, "PUT", "/v1/admin/policies/extra_test.rego", "ak", "text/plain", []byte("package modgate_test\n\ntest_ok if { true }\n"), 200)
	check(t, nil, "PUT", "/v1/admin/policies/..rego", "ak", "text/plain", []byte("x"), 400)
	// A poison escalation becomes a dead letter to list and replay.
	nc, err := nats.Connect(g.m.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish(modgate.DefaultSubjectPrefix+".escalations.normal", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	var dls api.DeadLettersResponse
	testkit.Eventually(t, "a dead letter", 30*time.Second, func() bool {
		r := gwDo(t, "GET", g.base+"/v1/admin/dead-letters", "ak", "", nil)
		_ = json.Unmarshal(r.Body, &dls)
		return len(dls.DeadLetters) > 0
	})
	check(t, nil, "GET", "/v1/admin/dead-letters?limit=10", "ak", "", nil, 200)
	check(t, nil, "GET", "/v1/admin/dead-letters?limit=x", "ak", "", nil, 400)
	check(t, nil, "POST", fmt.Sprintf("/v1/admin/dead-letters/%d/replay", dls.DeadLetters[0].Seq), "ak", "", nil, 200)
	check(t, nil, "POST", "/v1/admin/dead-letters/999999/replay", "ak", "", nil, 404)

	// The reviewer API, as reviewer, lead and admin.
	alice, lena, root := login("alice"), login("lena"), login("root")
	check(t, nil, "POST", "/v1/review/login", "", jsonCT, js(map[string]string{"user": "alice", "password": "wrong-password"}), 401)
	check(t, nil, "GET", "/v1/review/me", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/me", "", "", nil, 401)
	check(t, nil, "GET", "/v1/review/meta", alice.Token, "", nil, 200)
	testkit.Eventually(t, "the screened case", 30*time.Second, func() bool {
		return gwDo(t, "GET", g.base+"/v1/review/cases/"+caseID, alice.Token, "", nil).Status == 200
	})
	check(t, nil, "GET", "/v1/review/cases?limit=5", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/cases?lane=nope", alice.Token, "", nil, 400)
	check(t, nil, "GET", "/v1/review/cases/"+caseID, alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/cases/"+caseID+"?unmask=1", alice.Token, "", nil, 400)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/unmask", lena.Token, jsonCT, js(map[string]string{"reason": "核实举报"}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/unmask", lena.Token, jsonCT, js(map[string]string{"reason": ""}), 400)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/unmask", alice.Token, jsonCT, js(map[string]string{"reason": "看看"}), 403)
	check(t, nil, "GET", "/v1/review/cases/"+caseID+"/consequences?labels=ads", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/cases/"+caseID+"/consequences?labels=A%20B", alice.Token, "", nil, 400)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/notes", alice.Token, jsonCT, js(map[string]string{"text": "团队备注"}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/notes", alice.Token, jsonCT, js(map[string]string{"text": " "}), 400)
	check(t, nil, "PUT", "/v1/review/cases/"+caseID+"/tags", alice.Token, jsonCT, js(map[string][]string{"tags": {"团伙A"}}), 200)
	check(t, nil, "PUT", "/v1/review/cases/"+caseID+"/tags", alice.Token, jsonCT, js(map[string]any{"tags": "团伙A"}), 400)
	// More cases to work: reports (one without text).
	for i := 0; i < 3; i++ {
		check(t, nil, "POST", "/v1/reports", "tk", jsonCT, js(map[string]any{"message_id": fmt.Sprintf("oa-w%d", i), "reporter_id": "rep-w",
			"reason": "ads", "text": "加微信领红包 " + fmt.Sprint(i), "sender": "u-oa"}), 201)
	}
	var noText modgate.ReportResult
	if err := json.Unmarshal(check(t, nil, "POST", "/v1/reports", "tk", jsonCT, js(map[string]any{"message_id": "oa-notext", "reporter_id": "rep-w", "reason": "abuse"}), 201), &noText); err != nil {
		t.Fatal(err)
	}
	check(t, nil, "GET", "/v1/review/cases/c-nosuchcase", alice.Token, "", nil, 404)
	var claimed api.CaseResponse
	b := check(t, nil, "POST", "/v1/review/cases/"+caseID+"/claim", alice.Token, jsonCT, []byte(`{}`), 200)
	if err := json.Unmarshal(b, &claimed); err != nil || claimed.Case.Lease == nil {
		t.Fatalf("claim: %v %s", err, b)
	}
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/claim", lena.Token, jsonCT, []byte(`{}`), 409)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/extend", alice.Token, jsonCT, js(map[string]any{"token": claimed.Case.Lease.Token, "seconds": 60}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+caseID+"/release", alice.Token, jsonCT, js(map[string]any{"token": claimed.Case.Lease.Token}), 200)
	b = check(t, nil, "POST", "/v1/review/claim-next", alice.Token, jsonCT, js(map[string]any{"lanes": []string{modgate.LaneReports, modgate.LaneHigh, modgate.LaneNormal}}), 200)
	if err := json.Unmarshal(b, &claimed); err != nil || claimed.Case.Lease == nil {
		t.Fatalf("claim-next: %v %s", err, b)
	}
	check(t, nil, "POST", "/v1/review/cases/"+claimed.Case.ID+"/decide", alice.Token, jsonCT,
		js(map[string]any{"action": modgate.DecisionRemove, "note": "测试", "token": claimed.Case.Lease.Token}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+claimed.Case.ID+"/decide", alice.Token, jsonCT, js(map[string]any{"action": "explode"}), 400)
	decidedID := claimed.Case.ID
	check(t, nil, "POST", "/v1/appeals", "tk", jsonCT, js(map[string]string{"case_id": decidedID, "reason": "误判", "appellant_id": "u-oa"}), 201)
	check(t, nil, "POST", "/v1/appeals", "tk", jsonCT, js(map[string]string{"case_id": decidedID, "reason": "再次", "appellant_id": "u-oa"}), 409)
	check(t, nil, "POST", "/v1/appeals", "tk", jsonCT, js(map[string]string{"case_id": decidedID}), 400)
	check(t, nil, "POST", "/v1/appeals", "", jsonCT, js(map[string]string{"case_id": decidedID}), 401)
	check(t, nil, "POST", "/v1/review/cases/"+decidedID+"/reverse", alice.Token, jsonCT, js(map[string]string{"reason": "已申诉"}), 409)
	check(t, nil, "POST", "/v1/review/cases/"+decidedID+"/reverse", alice.Token, jsonCT, js(map[string]string{"reason": ""}), 400)
	var held []api.CaseResponse
	for {
		res := gwDo(t, "POST", g.base+"/v1/review/claim-next", alice.Token, jsonCT, []byte(`{}`))
		if res.Status == 204 {
			break
		}
		if res.Status != 200 {
			t.Fatalf("draining the queue: %d", res.Status)
		}
		var cr api.CaseResponse
		if err := json.Unmarshal(res.Body, &cr); err != nil {
			t.Fatal(err)
		}
		held = append(held, cr)
	}
	if len(held) < 3 {
		t.Fatalf("only %d cases to work", len(held))
	}
	h0, h1 := held[0].Case, held[1].Case
	check(t, nil, "POST", "/v1/review/cases/"+h0.ID+"/escalate", alice.Token, jsonCT, js(map[string]string{"token": h0.Lease.Token, "note": "请组长看"}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+h0.ID+"/escalate", alice.Token, jsonCT, js(map[string]string{"token": h0.Lease.Token, "note": "again"}), 409)
	check(t, nil, "POST", "/v1/review/cases/"+h1.ID+"/decide", alice.Token, jsonCT,
		js(map[string]any{"action": modgate.DecisionRemove, "labels": []string{"ads"}, "token": h1.Lease.Token, "expect": modgate.DecisionRemoveMember, "held_ms": 3000}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+h1.ID+"/reverse", alice.Token, jsonCT, js(map[string]string{"reason": "标签选错"}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+noText.CaseID+"/request-text", alice.Token, jsonCT, js(map[string]string{"token": ""}), 200)
	check(t, nil, "POST", "/v1/review/cases/"+noText.CaseID+"/request-text", alice.Token, jsonCT, js(map[string]string{"token": ""}), 409)
	check(t, nil, "POST", "/v1/review/cases/"+h1.ID+"/request-text", alice.Token, jsonCT, js(map[string]string{"token": ""}), 400)
	gwDo(t, "POST", g.base+"/v1/review/cases/"+noText.CaseID+"/claim", alice.Token, jsonCT, []byte(`{}`)) // keep the queue empty
	check(t, nil, "POST", "/v1/review/bulk-decide", lena.Token, jsonCT, js(map[string]any{"case_ids": []string{held[2].Case.ID}, "action": "remove", "labels": []string{"ads"}, "dry_run": true}), 200)
	check(t, nil, "POST", "/v1/review/bulk-decide", lena.Token, jsonCT, js(map[string]any{"case_ids": []string{}, "action": "remove"}), 400)
	check(t, nil, "POST", "/v1/review/bulk-decide", alice.Token, jsonCT, js(map[string]any{"case_ids": []string{held[2].Case.ID}, "action": "remove"}), 403)
	testkit.Eventually(t, "the search index", 10*time.Second, func() bool {
		var sr review.SearchResult
		_ = json.Unmarshal(gwDo(t, "GET", g.base+"/v1/review/search?sender=u-oa", alice.Token, "", nil).Body, &sr)
		return sr.Total > 0
	})
	check(t, nil, "GET", "/v1/review/search?sender=u-oa&q=%E7%BA%A2%E5%8C%85&limit=2", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/search?lane=nope", alice.Token, "", nil, 400)
	check(t, nil, "GET", "/v1/review/my-decisions", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/my-decisions?limit=0", alice.Token, "", nil, 400)
	check(t, nil, "GET", "/v1/review/senders/u-oa?tenant=t1", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/senders/u-oa?limit=x", alice.Token, "", nil, 400)
	check(t, nil, "POST", "/v1/review/claim-next", alice.Token, jsonCT, []byte(`{}`), 204)
	check(t, nil, "GET", "/v1/review/members/strikes?sender=u-oa", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/members/strikes", alice.Token, "", nil, 400)
	check(t, nil, "GET", "/v1/review/stats", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/events", alice.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/decisions.csv", lena.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/decisions.csv", alice.Token, "", nil, 403)
	check(t, nil, "GET", "/v1/review/audit?limit=50", lena.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/audit?from=yesterday", lena.Token, "", nil, 400)
	check(t, nil, "GET", "/v1/review/audit.csv", lena.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/subjects/u-oa", root.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/subjects/u-oa", lena.Token, "", nil, 403)
	check(t, nil, "DELETE", "/v1/review/subjects/u-oa2", root.Token, "", nil, 200)
	check(t, nil, "GET", "/v1/review/users", root.Token, "", nil, 200)
	check(t, nil, "POST", "/v1/review/users/me/password", lena.Token, jsonCT, js(map[string]string{"old": "wrong-old-pw", "new": "fresh-password"}), 403)
	check(t, nil, "POST", "/v1/review/users/me/password", lena.Token, jsonCT, js(map[string]string{"old": "pw-lena-123", "new": "fresh-password"}), 200)
	check(t, nil, "POST", "/v1/review/logout", alice.Token, "", nil, 204)
	check(t, nil, "POST", "/v1/review/logout", alice.Token, "", nil, 401)
	// An admin session may use /v1/admin.
	check(t, nil, "GET", "/v1/admin/revision", root.Token, "", nil, 200)

	// The web app, as a browser would: login form, shell, static file, logout.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	check(t, browser, "GET", "/review/", "", "", nil, 303)
	page := check(t, browser, "GET", "/review/login", "", "", nil, 200)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if csrf == nil {
		t.Fatalf("login page without a CSRF field")
	}
	form := url.Values{"user": {"alice"}, "password": {"pw-alice-123"}, "csrf": {string(csrf[1])}}
	check(t, browser, "POST", "/review/login", "", "application/x-www-form-urlencoded", []byte(form.Encode()), 303)
	shell := check(t, browser, "GET", "/review/", "", "", nil, 200)
	check(t, browser, "GET", "/review/static/app.js", "", "", nil, 200)
	check(t, browser, "HEAD", "/review/static/app.js", "", "", nil, 200)
	check(t, browser, "GET", "/review/static/nope.js", "", "", nil, 404)
	meta := regexp.MustCompile(`data-csrf="([^"]+)"`).FindSubmatch(shell)
	if meta == nil {
		t.Fatalf("shell without a CSRF meta tag")
	}
	check(t, browser, "POST", "/review/logout", "", "application/x-www-form-urlencoded", []byte(url.Values{"csrf": {string(meta[1])}}.Encode()), 303)

	var missing []string
	for path, item := range g.doc.Paths.Map() {
		for method := range item.Operations() {
			if !covered[method+" "+path] {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("documented routes no request exercised: %v", missing)
	}
}

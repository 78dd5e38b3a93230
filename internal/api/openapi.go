package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// The OpenAPI document is built from the Go types the handlers encode and
// decode, so the schemas cannot drift from the wire format; the route table
// below says which type each route takes and answers. Tests walk the chi
// router and fail on a route missing here, and validate real responses of
// every route against the document (cmd/modgate/openapi_test.go).

// docRoute documents one route.
type docRoute struct {
	method, path, tag, summary string
	// auth: "" (open), "tenant", "admin", "session", "lead" or "admin-session"
	auth  string
	query []docParam
	// body is a value of the request type (nil: no body); bodyType its
	// content type (default application/json).
	body     any
	bodyType string
	// ok is the success status and okBody a value of its type (nil: no
	// body); okType its content type (default application/json).
	ok     int
	okBody any
	okType string
	okDesc string
	// also lists further statuses without a body (a 204 "no case waiting").
	also map[int]string
	// errs are error statuses answered with the Error body.
	errs []int
}

type docParam struct {
	name, typ, desc string
}

// emptyObject is the body of a POST that takes no fields ({} or nothing).
type emptyObject struct{}

var docRoutes = []docRoute{
	// ---- health ----
	{method: "GET", path: "/healthz", tag: "health", summary: "Liveness: the process serves HTTP", ok: 200, okBody: HealthResponse{}},
	{method: "GET", path: "/readyz", tag: "health", summary: "Readiness: engine loaded, NATS connected, not draining; degraded states listed (paths for admin keys only)",
		ok: 200, okBody: ReadyResponse{}, errs: []int{503}},
	{method: "GET", path: "/metrics", tag: "health", summary: "Prometheus metrics", ok: 200, okBody: "", okType: "text/plain"},
	{method: "GET", path: "/openapi.json", tag: "health", summary: "This document", ok: 200, okBody: anyJSON{}},

	// ---- screening ----
	{method: "POST", path: "/v1/screen", tag: "screening", auth: "tenant", summary: "Screen one message",
		body: modgate.Message{}, ok: 200, okBody: ScreenResponse{},
		okDesc: "The verdict. A review verdict carries case_id and escalation (also in the X-Modgate-Escalation header): the case is durable before the answer.",
		errs:   []int{400, 401, 403, 413, 415, 429, 503}},
	{method: "POST", path: "/v1/screen/batch", tag: "screening", auth: "tenant", summary: "Screen up to max_batch messages; one result per message, in order",
		body: BatchRequest{}, ok: 200, okBody: BatchResponse{}, errs: []int{400, 401, 403, 413, 415, 429, 503}},
	{method: "POST", path: "/v1/appeals", tag: "reports", auth: "tenant", summary: "Appeal a decided case: it goes to the appeals lane, where another reviewer upholds or overturns it",
		body: review.AppealRequest{}, ok: 201, okBody: review.AppealResult{}, errs: []int{400, 401, 403, 404, 409, 413, 415, 429, 503}},
	{method: "POST", path: "/v1/reports", tag: "reports", auth: "tenant", summary: "File a member's report: opens or joins the message's case",
		body: reportRequest{}, ok: 201, okBody: modgate.ReportResult{}, okDesc: "Report counted (200 with duplicate=true when this reporter already reported the message)",
		also: map[int]string{200: "duplicate report: nothing changed"}, errs: []int{400, 401, 403, 413, 415, 429, 503}},

	// ---- admin ----
	{method: "GET", path: "/v1/admin/revision", tag: "admin", auth: "admin", summary: "The policy and lexicon revision serving, and the last reload error",
		ok: 200, okBody: RevisionResponse{}, errs: []int{401, 403}},
	{method: "GET", path: "/v1/admin/files", tag: "admin", auth: "admin", summary: "The policy and lexicon files the serving engine was built from, and whether uploads are possible",
		ok: 200, okBody: FilesResponse{}, errs: []int{401, 403}},
	{method: "GET", path: "/v1/admin/files/{kind}/{file}", tag: "admin", auth: "admin", summary: "One serving file's text (kind: policy or lexicon)",
		ok: 200, okBody: "", okType: "text/plain", errs: []int{400, 401, 403, 404}},
	{method: "PUT", path: "/v1/admin/policies/{file}", tag: "admin", auth: "admin", summary: "Upload a policy file (*.rego or data.json); tested before it goes live",
		body: "", bodyType: "text/plain", ok: 200, okBody: UploadResponse{}, errs: []int{400, 401, 403, 409, 413, 422, 500}},
	{method: "PUT", path: "/v1/admin/lexicons/{file}", tag: "admin", auth: "admin", summary: "Upload a lexicon file (*.txt); tested before it goes live",
		body: "", bodyType: "text/plain", ok: 200, okBody: UploadResponse{}, errs: []int{400, 401, 403, 409, 413, 422, 500}},
	{method: "GET", path: "/v1/admin/dead-letters", tag: "admin", auth: "admin", summary: "Escalations the review queue could not turn into cases (MODGATE_DEADLETTER)",
		query: []docParam{{"after", "integer", "sequence to page after"}, {"limit", "integer", "1..1000 (default 100)"}},
		ok:    200, okBody: DeadLettersResponse{}, errs: []int{400, 401, 403, 503}},
	{method: "POST", path: "/v1/admin/dead-letters/{seq}/replay", tag: "admin", auth: "admin", summary: "Publish a dead letter to the escalations stream again",
		ok: 200, okBody: ReplayResponse{}, errs: []int{400, 401, 403, 404, 503}},

	// ---- reviewer API ----
	{method: "POST", path: "/v1/review/login", tag: "review", summary: "Start a session (token shown once; also set as the UI cookie)",
		body: loginRequest{}, ok: 200, okBody: LoginResponse{}, errs: []int{400, 401, 415, 429, 503}},
	{method: "POST", path: "/v1/review/logout", tag: "review", auth: "session", summary: "End the session", ok: 204, errs: []int{401, 403}},
	{method: "GET", path: "/v1/review/me", tag: "review", auth: "session", summary: "Who is signed in", ok: 200, okBody: MeResponse{}, errs: []int{401}},
	{method: "GET", path: "/v1/review/meta", tag: "review", auth: "session", summary: "Labels (with colours), lanes (with SLA) and decision keys for the UI",
		ok: 200, okBody: ReviewMeta{}, errs: []int{401}},
	{method: "GET", path: "/v1/review/cases", tag: "review", auth: "session", summary: "Cases in claim order",
		query: []docParam{{"lane", "string", "one lane"}, {"state", "string", "open, claimed, decided or appealed"}, {"label", "string", ""},
			{"tenant", "string", ""}, {"holder", "string", ""}, {"min_age", "string", "seconds or a duration like 10m"},
			{"limit", "integer", "1..500 (default 50)"}, {"offset", "integer", ""}},
		ok: 200, okBody: CaseList{}, errs: []int{400, 401}},
	{method: "GET", path: "/v1/review/cases/{id}", tag: "review", auth: "session", summary: "One case, masked, with the sender's record and what each decision key would trigger (consequences)",
		ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 404}},
	{method: "GET", path: "/v1/review/cases/{id}/consequences", tag: "review", auth: "session", summary: "What each decision key would trigger for the member with these labels (the policies' 3-2-1 rule)",
		query: []docParam{{"labels", "string", "comma-separated labels (absent: the case's)"}},
		ok:    200, okBody: ConsequencesResponse{}, errs: []int{400, 401, 404}},
	{method: "POST", path: "/v1/review/cases/{id}/unmask", tag: "review", auth: "lead", summary: "The case with personal data shown; the reason is recorded in the audit trail first",
		body: unmaskRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 415}},
	{method: "POST", path: "/v1/review/cases/{id}/escalate", tag: "review", auth: "session", summary: "Escalate a held case to the leads (escalated lane) with a note",
		body: escalateRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/request-text", tag: "review", auth: "session", summary: "Ask the platform for a reported message's text (event reports.text_requested); the case goes back to the queue",
		body: tokenRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/notes", tag: "review", auth: "session", summary: "Add a team note (private to reviewers)",
		body: noteRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 415, 503}},
	{method: "PUT", path: "/v1/review/cases/{id}/tags", tag: "review", auth: "session", summary: "Replace the case's team tags (private to reviewers, searchable)",
		body: tagsRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/reverse", tag: "review", auth: "session", summary: "Take a decision back within the reversal window (its reviewer, or a lead): decisions.reversed, the strike removed, the case claimed by the caller",
		body: reverseRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 415, 503}},
	{method: "GET", path: "/v1/review/search", tag: "review", auth: "session", summary: "Search cases (index in NATS): fields, date range, masked text; newest first with the total",
		query: []docParam{{"tenant", "string", ""}, {"sender", "string", ""}, {"group", "string", ""}, {"message_id", "string", ""},
			{"label", "string", ""}, {"decision", "string", "a decision action, or none"}, {"reviewer", "string", "who decided"}, {"tag", "string", ""},
			{"state", "string", ""}, {"lane", "string", ""}, {"q", "string", "text (2+ characters) in the masked text"},
			{"from", "string", "RFC 3339 or a date"}, {"to", "string", "RFC 3339 or a date"}, {"limit", "integer", "1..200 (default 50)"}, {"offset", "integer", ""}},
		ok: 200, okBody: review.SearchResult{}, errs: []int{400, 401}},
	{method: "GET", path: "/v1/review/my-decisions", tag: "review", auth: "session", summary: "The caller's decisions, newest first (reversible within reversal_seconds)",
		query: []docParam{{"limit", "integer", "1..200 (default 50)"}, {"offset", "integer", ""}},
		ok:    200, okBody: MyDecisions{}, errs: []int{400, 401}},
	{method: "GET", path: "/v1/review/senders/{sender}", tag: "review", auth: "session", summary: "A sender's confirmed violations and every case of their messages",
		query: []docParam{{"tenant", "string", ""}, {"limit", "integer", "1..200 (default 50)"}, {"offset", "integer", ""}},
		ok:    200, okBody: SenderPage{}, errs: []int{400, 401}},
	{method: "POST", path: "/v1/review/bulk-decide", tag: "review", auth: "lead", summary: "One decision on many cases (leads); dry_run answers each case's consequence; each decision audited",
		body: bulkRequest{}, ok: 200, okBody: BulkResponse{}, errs: []int{400, 401, 403, 415}},
	{method: "POST", path: "/v1/review/claim-next", tag: "review", auth: "session", summary: "Claim the first waiting case (optionally from some lanes)",
		body: claimNextRequest{}, ok: 200, okBody: CaseResponse{}, also: map[int]string{204: "no case waiting"}, errs: []int{400, 401, 403, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/claim", tag: "review", auth: "session", summary: "Claim one case",
		body: emptyObject{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/extend", tag: "review", auth: "session", summary: "Extend the holder's lease",
		body: extendRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/release", tag: "review", auth: "session", summary: "Return a case to the queue (force: a lead releases someone else's)",
		body: releaseRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 415, 503}},
	{method: "POST", path: "/v1/review/cases/{id}/decide", tag: "review", auth: "session", summary: "Decide a held case; publishes decision, enforcement and report-outcome events",
		body: decideRequest{}, ok: 200, okBody: CaseResponse{}, errs: []int{400, 401, 403, 404, 409, 413, 415, 503}},
	{method: "GET", path: "/v1/review/members/strikes", tag: "review", auth: "session", summary: "A member's unexpired confirmed violations",
		query: []docParam{{"sender", "string", "required"}, {"tenant", "string", ""}},
		ok:    200, okBody: StrikesResponse{}, errs: []int{400, 401}},
	{method: "GET", path: "/v1/review/stats", tag: "review", auth: "session", summary: "Queue depth per lane, SLA, decision statistics",
		query: []docParam{{"since", "string", "RFC 3339 or a date"}}, ok: 200, okBody: review.Stats{}, errs: []int{400, 401}},
	{method: "GET", path: "/v1/review/events", tag: "review", auth: "session", summary: "Live case changes as Server-Sent Events (event: case, data: CaseChange)",
		ok: 200, okBody: "", okType: "text/event-stream", errs: []int{401}},
	{method: "GET", path: "/v1/review/decisions.csv", tag: "review", auth: "lead", summary: "Decisions in a time range as CSV",
		query: []docParam{{"from", "string", "RFC 3339 or a date"}, {"to", "string", "RFC 3339 or a date"}},
		ok:    200, okBody: "", okType: "text/csv", errs: []int{400, 401, 403}},
	{method: "GET", path: "/v1/review/audit", tag: "review", auth: "lead", summary: "Audit events in a time range",
		query: []docParam{{"from", "string", "RFC 3339 or a date"}, {"to", "string", "RFC 3339 or a date"}, {"kind", "string", "comma-separated kinds"},
			{"limit", "integer", "1..10000 (default 1000)"}},
		ok: 200, okBody: AuditPage{}, errs: []int{400, 401, 403}},
	{method: "GET", path: "/v1/review/audit.csv", tag: "review", auth: "lead", summary: "Audit events in a time range as CSV",
		query: []docParam{{"from", "string", "RFC 3339 or a date"}, {"to", "string", "RFC 3339 or a date"}, {"kind", "string", "comma-separated kinds"}},
		ok:    200, okBody: "", okType: "text/csv", errs: []int{400, 401, 403}},
	{method: "GET", path: "/v1/review/subjects/{sender}", tag: "review", auth: "admin-session", summary: "Export everything kept about a sender (PIPL access request; audited)",
		ok: 200, okBody: review.SubjectData{}, errs: []int{400, 401, 403}},
	{method: "DELETE", path: "/v1/review/subjects/{sender}", tag: "review", auth: "admin-session", summary: "Delete a sender's cases, strikes and reporter record (PIPL deletion; audited)",
		ok: 200, okBody: SubjectDeleteResponse{}, errs: []int{400, 401, 403}},
	{method: "GET", path: "/v1/review/users", tag: "review", auth: "admin-session", summary: "Reviewer accounts (names and roles)",
		ok: 200, okBody: UsersResponse{}, errs: []int{401, 403}},
	{method: "POST", path: "/v1/review/users/me/password", tag: "review", auth: "session", summary: "Change your password; ends your other sessions and returns a new one",
		body: passwordRequest{}, ok: 200, okBody: LoginResponse{}, errs: []int{400, 401, 403, 404, 415, 429, 503}},

	// ---- the reviewer web app ----
	{method: "GET", path: "/review/", tag: "web app", summary: "The reviewer web app (HTML; redirects to the login page without a session)",
		ok: 200, okBody: "", okType: "text/html", also: map[int]string{303: "not signed in: to /review/login"}},
	{method: "GET", path: "/review/login", tag: "web app", summary: "Login page (HTML)", ok: 200, okBody: "", okType: "text/html"},
	{method: "POST", path: "/review/login", tag: "web app", summary: "Login form (user, password, csrf); sets the session cookie",
		body: loginForm{}, bodyType: "application/x-www-form-urlencoded", ok: 303, okDesc: "signed in: to /review/",
		also: map[int]string{200: "wrong credentials: the login page again (HTML)", 403: "cross-site or without the form's CSRF token", 429: "too many failed logins"}},
	{method: "POST", path: "/review/logout", tag: "web app", summary: "Logout form (csrf); ends the session", body: logoutForm{}, bodyType: "application/x-www-form-urlencoded",
		ok: 303, okDesc: "to /review/login", also: map[int]string{403: "cross-site or without the CSRF token"}},
	{method: "GET", path: "/review/static/{path}", tag: "web app", summary: "The web app's scripts, styles and fonts", ok: 200, okBody: "", okType: "*/*",
		also: map[int]string{404: "no such file"}},
	{method: "HEAD", path: "/review/static/{path}", tag: "web app", summary: "Headers of a static file", ok: 200, also: map[int]string{404: "no such file"}},
}

// anyJSON documents a JSON value of any shape.
type anyJSON struct{}

type loginForm struct {
	User     string `json:"user"`
	Password string `json:"password"`
	CSRF     string `json:"csrf"`
}

type logoutForm struct {
	CSRF string `json:"csrf"`
}

// docFields adds enums and descriptions the Go types cannot carry, keyed
// "Type.json_field".
var docFields = map[string]map[string]any{
	"Verdict.action":              {"enum": []string{modgate.ActionAllow, modgate.ActionReview, modgate.ActionBlock}},
	"Verdict.enforcement":         {"enum": []string{modgate.DecisionWarn, modgate.DecisionRemoveMember}, "description": "the policy's member-discipline recommendation"},
	"Verdict.case_id":             {"description": "set on review verdicts: the case is durable (JetStream ack, or the local spool) before the response"},
	"Verdict.degraded":            {"description": "the engine could not decide and fail_mode answered"},
	"Verdict.severity":            {"description": "highest severity among matches and rules: 1 signal, 2 review, 3 block (0 when clean)"},
	"ScreenResponse.action":       {"enum": []string{modgate.ActionAllow, modgate.ActionReview, modgate.ActionBlock}},
	"ScreenResponse.enforcement":  {"enum": []string{modgate.DecisionWarn, modgate.DecisionRemoveMember}},
	"ScreenResponse.escalation":   {"enum": []string{"published", "spooled"}, "description": "where the review case went"},
	"ScreenResponse.case_id":      {"description": "set on review verdicts: the case is durable (JetStream ack, or the local spool) before the response"},
	"BatchItem.escalation":        {"enum": []string{"published", "spooled"}},
	"Message.text":                {"description": "the message text (required; valid UTF-8, at most max_text_bytes)"},
	"Message.tenant":              {"description": "ignored with a tenant key: the key's tenant is used"},
	"Message.context":             {"description": "free-form metadata kept with a review case"},
	"Match.start":                 {"description": "code-point offset into the original text (half-open)"},
	"Match.text":                  {"description": "the original substring, masked when it is personal data"},
	"Match.source":                {"enum": []string{modgate.SourceLexicon, modgate.SourceDetector, modgate.SourceModel}},
	"Case.lane":                   {"enum": modgate.Lanes},
	"Case.source":                 {"enum": []string{"screen", "patrol", "report"}},
	"Case.normalized":             {"description": "the text as the filter saw it; digits and e-mail addresses masked unless the case is unmasked"},
	"CaseSummary.lane":            {"enum": modgate.Lanes},
	"CaseChange.kind":             {"description": "the last history event, or deleted"},
	"decideRequest.labels":        {"description": "corrected labels (absent: keep the case's)"},
	"decideRequest.token":         {"description": "the lease token from the claim"},
	"decideRequest.action":        {"enum": append(append([]string{}, modgate.DecisionActions...), modgate.AppealActions...), "description": "uphold or overturn on a case under appeal"},
	"decideRequest.expect":        {"enum": []string{"", modgate.DecisionWarn, modgate.DecisionRemoveMember}, "description": "the enforcement the reviewer confirmed; 409 consequence_changed when the policies now answer another"},
	"decideRequest.held_ms":       {"description": "time the decision waited in the app's undo window (not handling time)"},
	"Consequence.enforcement":     {"enum": []string{"", modgate.DecisionWarn, modgate.DecisionRemoveMember}},
	"Consequence.rule":            {"enum": []string{"", "action", "ads", "violations"}},
	"bulkRequest.action":          {"enum": modgate.DecisionActions},
	"AppealEvent.outcome":         {"enum": []string{"opened", "upheld", "overturned"}},
	"Appeal.outcome":              {"enum": []string{modgate.AppealUphold, modgate.AppealOverturn}},
	"CaseSummary.appeal":          {"enum": []string{"pending", modgate.AppealUphold, modgate.AppealOverturn}},
	"claimNextRequest.lanes":      {"description": "only from these lanes (absent: all)"},
	"extendRequest.seconds":       {"description": "0..86400; 0 = the configured lease"},
	"LoginResponse.role":          {"enum": []string{modgate.RoleReviewer, modgate.RoleLead, modgate.RoleAdmin}},
	"LoginResponse.csrf":          {"description": "echo in X-CSRF-Token on state-changing requests made with the session cookie"},
	"ReadyResponse.status":        {"enum": []string{StatusReady, StatusDegraded, StatusNotReady}},
	"DecisionRecord.action":       {"enum": modgate.DecisionActions},
	"DecisionRecord.enforcement":  {"enum": []string{modgate.DecisionWarn, modgate.DecisionRemoveMember}},
	"ReportResult.lane":           {"enum": modgate.Lanes},
	"reportRequest.reason":        {"description": "a taxonomy label or free text"},
	"RevisionResponse.policy_dir": {"description": "shown to admin keys only"},
}

// typeSchemas replaces the reflected schema of types whose JSON form is
// not their Go shape.
var typeSchemas = map[reflect.Type]func(*specBuilder) map[string]any{
	reflect.TypeFor[time.Time](): func(*specBuilder) map[string]any {
		return map[string]any{"type": "string", "format": "date-time"}
	},
	reflect.TypeFor[json.RawMessage](): func(*specBuilder) map[string]any { return map[string]any{} },
	reflect.TypeFor[anyJSON]():         func(*specBuilder) map[string]any { return map[string]any{} },
	reflect.TypeFor[modgate.CaseState](): func(*specBuilder) map[string]any {
		return map[string]any{"type": "string", "enum": []string{string(modgate.CaseOpen), string(modgate.CaseClaimed), string(modgate.CaseDecided), string(modgate.CaseAppealed)}}
	},
}

// OpenAPI is the OpenAPI 3.0 document of every route, built once.
var OpenAPI = sync.OnceValues(buildOpenAPI)

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	b, err := OpenAPI()
	if err != nil {
		WriteError(w, http.StatusInternalServerError, CodeInternal, "the OpenAPI document could not be built")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// specBuilder collects component schemas while the paths are written.
type specBuilder struct {
	schemas map[string]any
	names   map[reflect.Type]string
}

func buildOpenAPI() ([]byte, error) {
	b := &specBuilder{schemas: map[string]any{}, names: map[reflect.Type]string{}}
	b.schemas["Error"] = b.inline(reflect.TypeFor[ErrorBody]())
	paths := map[string]map[string]any{}
	for _, rt := range docRoutes {
		op := map[string]any{"summary": rt.summary, "tags": []string{rt.tag}, "operationId": operationID(rt)}
		if sec := security(rt.auth); sec != nil {
			op["security"] = sec
		}
		var params []any
		for _, name := range pathParams(rt.path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			p := map[string]any{"name": q.name, "in": "query", "schema": map[string]any{"type": q.typ}}
			if q.desc != "" {
				p["description"] = q.desc
			}
			params = append(params, p)
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.body != nil {
			ct := rt.bodyType
			if ct == "" {
				ct = "application/json"
			}
			op["requestBody"] = map[string]any{"required": rt.method != "POST" || ct != "application/json" || !isEmptyObject(rt.body),
				"content": map[string]any{ct: map[string]any{"schema": b.schema(reflect.TypeOf(rt.body))}}}
		}
		responses := map[string]any{}
		okResp := map[string]any{"description": firstNonEmpty(rt.okDesc, http.StatusText(rt.ok))}
		if rt.okBody != nil {
			ct := rt.okType
			if ct == "" {
				ct = "application/json"
			}
			okResp["content"] = map[string]any{ct: map[string]any{"schema": b.schema(reflect.TypeOf(rt.okBody))}}
		}
		if rt.path == "/v1/screen" {
			okResp["headers"] = map[string]any{EscalationHeader: map[string]any{"schema": map[string]any{"type": "string", "enum": []string{"published", "spooled"}}}}
		}
		responses[strconv.Itoa(rt.ok)] = okResp
		for code, desc := range rt.also {
			r := map[string]any{"description": desc}
			if code == 200 && rt.okBody != nil && rt.ok != 200 {
				r["content"] = okResp["content"]
			}
			if code == 200 && rt.method == "POST" && rt.path == "/review/login" {
				r["content"] = map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}
			}
			if code == 403 || code == 404 || code == 429 {
				if strings.HasPrefix(rt.path, "/review/") {
					r["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}
				}
			}
			responses[strconv.Itoa(code)] = r
		}
		for _, code := range rt.errs {
			responses[strconv.Itoa(code)] = map[string]any{"description": errorDesc(code),
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		}
		op["responses"] = responses
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "modgate", "version": "1",
			"description": "Content-moderation and compliance gateway: screening, reports, the review queue and administration. Errors are {\"error\":{\"code\",\"message\"}}; see docs/api.md and docs/review.md."},
		"paths": paths,
		"components": map[string]any{
			"schemas": b.schemas,
			"securitySchemes": map[string]any{
				"tenantKey": map[string]any{"type": "http", "scheme": "bearer", "description": "a tenant API key (not needed when the gateway runs without keys)"},
				"adminKey":  map[string]any{"type": "http", "scheme": "bearer", "description": "an admin API key, or an admin's reviewer session"},
				"session":   map[string]any{"type": "http", "scheme": "bearer", "description": "a reviewer session token from POST /v1/review/login"},
				"sessionCookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie,
					"description": "the web app's session cookie; state-changing requests also need X-CSRF-Token and must be same-origin"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func isEmptyObject(v any) bool {
	t := reflect.TypeOf(v)
	return t.Kind() == reflect.Struct && (t.NumField() == 0 || t == reflect.TypeFor[claimNextRequest]() || t == reflect.TypeFor[releaseRequest]() || t == reflect.TypeFor[extendRequest]())
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func operationID(rt docRoute) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	up := true
	for _, r := range rt.path {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func security(auth string) []any {
	switch auth {
	case "tenant":
		return []any{map[string]any{"tenantKey": []string{}}}
	case "admin":
		return []any{map[string]any{"adminKey": []string{}}, map[string]any{"sessionCookie": []string{}}}
	case "session", "lead", "admin-session":
		return []any{map[string]any{"session": []string{}}, map[string]any{"sessionCookie": []string{}}}
	}
	return nil
}

func pathParams(path string) []string {
	var out []string
	for _, part := range strings.Split(path, "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			out = append(out, part[1:len(part)-1])
		}
	}
	return out
}

func errorDesc(code int) string {
	switch code {
	case 400:
		return "bad input (bad_request, invalid_json, invalid_utf8, missing_text)"
	case 401:
		return "missing or invalid credentials (unauthorized)"
	case 403:
		return "not allowed: wrong key kind, role, CSRF token or a cross-site request (forbidden)"
	case 404:
		return "no such resource (not_found)"
	case 409:
		return "conflicting state (conflict)"
	case 413:
		return "body or text over the size limit (payload_too_large)"
	case 415:
		return "Content-Type must be application/json (unsupported_media_type)"
	case 422:
		return "the file does not build or its tests fail (invalid_file); details list file:line problems"
	case 429:
		return "rate limited (rate_limited); Retry-After is set"
	case 500:
		return "internal error (internal)"
	case 503:
		return "not ready, shutting down, or storage unavailable; retry (not_ready)"
	}
	return http.StatusText(code)
}

// schema returns the schema of t: a $ref for named structs (added to the
// components once), inline otherwise.
func (b *specBuilder) schema(t reflect.Type) map[string]any {
	if f, ok := typeSchemas[t]; ok {
		return f(b)
	}
	switch t {
	case reflect.TypeFor[senderField](), reflect.TypeFor[groupField]():
		obj := reflect.TypeFor[modgate.Sender]()
		if t == reflect.TypeFor[groupField]() {
			obj = reflect.TypeFor[modgate.Group]()
		}
		return map[string]any{"description": "an object as in /v1/screen, or (deprecated) the id as a string",
			"oneOf": []any{b.schema(obj), map[string]any{"type": "string", "deprecated": true}}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return b.schema(t.Elem())
	case reflect.Struct:
		if t.Name() == "" {
			return b.inline(t)
		}
		name, ok := b.names[t]
		if !ok {
			name = t.Name()
			if _, taken := b.schemas[name]; taken {
				name = strings.ReplaceAll(t.String(), ".", "_")
			}
			b.names[t] = name
			b.schemas[name] = map[string]any{} // placeholder for recursion
			b.schemas[name] = b.inline(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": b.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": b.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	panic(fmt.Sprintf("api: openapi: no schema for %s", t))
}

// inline is the object schema of struct t, with embedded structs' fields
// merged in as encoding/json does.
func (b *specBuilder) inline(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	b.fields(t, t.Name(), false, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return s
}

// fields adds t's fields to props; optional marks the fields of an embedded
// pointer that may be nil (a batch item that failed has no verdict).
func (b *specBuilder) fields(t reflect.Type, owner string, optional bool, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if _, custom := typeSchemas[f.Type]; !custom && et.Kind() == reflect.Struct {
				b.fields(et, owner, optional || f.Type.Kind() == reflect.Pointer && !alwaysEmbedded[owner], props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := strings.Contains(opts, "omitempty")
		s := b.schema(f.Type)
		k := f.Type.Kind()
		if !omitempty && (k == reflect.Pointer || k == reflect.Map || k == reflect.Slice && f.Type.Elem().Kind() != reflect.Uint8) && !neverNull[owner+"."+name] {
			// encoding/json writes null for a nil pointer, map or slice.
			if ref, ok := s["$ref"]; ok {
				s = map[string]any{"allOf": []any{map[string]any{"$ref": ref}}}
			}
			s["nullable"] = true
		}
		if extra := docFields[owner+"."+name]; extra != nil {
			if ref, ok := s["$ref"]; ok {
				s = map[string]any{"allOf": []any{map[string]any{"$ref": ref}}}
			}
			for k, v := range extra {
				s[k] = v
			}
		}
		props[name] = s
		if !omitempty && !optional {
			*required = append(*required, name)
		}
	}
}

// alwaysEmbedded lists types whose embedded pointer is never nil.
var alwaysEmbedded = map[string]bool{"ScreenResponse": true}

// neverNull lists list fields the contract promises are arrays or objects,
// never null (the verdict's lists; lists the handlers always fill).
var neverNull = map[string]bool{
	"Verdict.labels": true, "Verdict.matches": true, "Verdict.reasons": true,
	"ScreenResponse.labels": true, "ScreenResponse.matches": true, "ScreenResponse.reasons": true,
	"CaseList.cases": true, "BatchResponse.results": true, "AuditPage.events": true, "UsersResponse.users": true,
	"DeadLettersResponse.dead_letters": true, "StrikesResponse.strikes": true, "ReviewMeta.labels": true,
	"ReviewMeta.lanes": true, "ReviewMeta.actions": true, "SearchResult.cases": true, "BulkResponse.results": true,
	"SenderPage.strikes": true, "FilesResponse.files": true, "ConsequencesResponse.consequences": true, "SenderPage.cases": true, "MyDecisions.cases": true,
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/escalate"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/testkit"
)

// Messages the shipped policies decide: reviewText is a review (finance
// solicitation), blockText a block, cleanText an allow.
const (
	reviewText = "带你炒股"
	blockText  = "保本保息，加微信 abc12345 带你炒股"
	cleanText  = "今天天气不错，我们下午三点开会"
)

// gwCopyDir copies the files of the repo's dir with ext into a temp dir, so
// admin uploads in tests never touch the repository.
func gwCopyDir(t *testing.T, src string, exts ...string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		for _, ext := range exts {
			if strings.HasSuffix(e.Name(), ext) {
				b, err := os.ReadFile(filepath.Join(src, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dst
}

// gwConfig is a test configuration: loopback on a random port, embedded NATS
// on a random port, data in a temp dir, the shipped policies and lexicons
// copied into temp dirs.
func gwConfig(t *testing.T) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.NATSListen = "127.0.0.1:-1"
	cfg.DataDir = t.TempDir()
	cfg.PolicyDir = gwCopyDir(t, "../../policies", ".rego", ".json")
	cfg.LexiconDir = gwCopyDir(t, "../../lexicons", ".txt")
	cfg.Watch = false
	cfg.PatrolRate = 0
	cfg.ShutdownTimeout = Duration(5 * time.Second)
	return cfg
}

func gwStart(t *testing.T, cfg Config) *Main {
	t.Helper()
	m := NewMain(cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

type gwResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r gwResp) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response is not JSON (%d): %q", r.Status, r.Body)
	}
	return v
}

func (r gwResp) errCode() string {
	var e api.ErrorBody
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// gwRequest is a request with an optional content type and bearer token.
func gwRequest(t *testing.T, method, url, token, ctype string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func gwDo(t *testing.T, method, url, token, ctype string, body []byte) gwResp {
	t.Helper()
	res, err := http.DefaultClient.Do(gwRequest(t, method, url, token, ctype, body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return gwResp{Status: res.StatusCode, Header: res.Header, Body: b}
}

func gwJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// streamCases counts the messages stored in MODGATE_ESCALATIONS by case id
// and returns the escalations.
func streamCases(t *testing.T, js jetstream.JetStream) (map[string]int, []modgate.Escalation) {
	t.Helper()
	counts := map[string]int{}
	var escs []modgate.Escalation
	for _, m := range natstest.StreamMessages(t, js, modgate.StreamEscalations) {
		var e modgate.Escalation
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			t.Fatalf("stream holds a non-escalation: %v", err)
		}
		if got := m.Headers().Get(jetstream.MsgIDHeader); got != e.CaseID {
			t.Fatalf("Nats-Msg-Id %q != case id %q", got, e.CaseID)
		}
		counts[e.CaseID]++
		escs = append(escs, e)
	}
	return counts, escs
}

func TestServeEndpoints(t *testing.T) {
	cfg := gwConfig(t)
	cfg.APIKeys = "t1=tenant-key-1,t2=tenant-key-2"
	cfg.AdminKey = "admin-key"
	cfg.MaxBodyBytes = 4096
	cfg.MaxTextBytes = 1024
	cfg.MaxBatch = 5
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()
	const tk, ak = "tenant-key-1", "admin-key"
	const jsonCT = "application/json"

	screen := func(v any) []byte { return gwJSON(v) }
	tests := []struct {
		name     string
		method   string
		path     string
		token    string
		ctype    string
		body     []byte
		status   int
		code     string
		check    func(t *testing.T, r gwResp)
		escalate string // expected X-Modgate-Escalation
	}{
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200, check: func(t *testing.T, r gwResp) {
			v := r.json(t)
			if v["status"] != "ready" || v["nats"] != "connected" {
				t.Fatalf("readyz = %s", r.Body)
			}
		}},
		{name: "openapi", method: "GET", path: "/openapi.json", status: 200, check: func(t *testing.T, r gwResp) {
			v := r.json(t)
			paths, _ := v["paths"].(map[string]any)
			for _, p := range []string{"/v1/screen", "/v1/screen/batch", "/healthz", "/readyz", "/metrics", "/v1/admin/revision", "/v1/admin/policies/{file}", "/v1/admin/lexicons/{file}"} {
				if _, ok := paths[p]; !ok {
					t.Fatalf("openapi.json lacks %s", p)
				}
			}
		}},
		{name: "screen allow", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT,
			body: screen(map[string]any{"id": "m-allow", "text": cleanText}), status: 200,
			check: func(t *testing.T, r gwResp) {
				v := r.json(t)
				if v["action"] != "allow" || v["case_id"] != nil || v["decision_id"] == "" {
					t.Fatalf("allow verdict = %s", r.Body)
				}
				if labels, ok := v["labels"].([]any); !ok || len(labels) != 0 {
					t.Fatalf("labels must be an empty array: %s", r.Body)
				}
			}},
		{name: "screen review escalates, tenant forced by key", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT,
			body: screen(map[string]any{"id": "m-review", "text": reviewText, "tenant": "someone-else", "unknown_field": 1}), status: 200, escalate: "published",
			check: func(t *testing.T, r gwResp) {
				v := r.json(t)
				want := modgate.CaseIDFor("t1", "m-review", "")
				if v["action"] != "review" || v["case_id"] != want || v["escalation"] != "published" {
					t.Fatalf("review verdict = %s (want case %s)", r.Body, want)
				}
			}},
		{name: "screen block", method: "POST", path: "/v1/screen", token: "tenant-key-2", ctype: "application/json; charset=utf-8",
			body: screen(map[string]any{"id": "m-block", "text": blockText}), status: 200,
			check: func(t *testing.T, r gwResp) {
				v := r.json(t)
				if v["action"] != "block" || v["revision"] == nil {
					t.Fatalf("block verdict = %s", r.Body)
				}
				if strings.Contains(string(r.Body), `"normalized"`) {
					t.Fatalf("normalized text leaked into the response")
				}
			}},
		{name: "malformed json", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT, body: []byte(`{"text":`), status: 400, code: api.CodeInvalidJSON},
		{name: "wrong type", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT, body: []byte(`{"text":["a"]}`), status: 400, code: api.CodeInvalidJSON},
		{name: "invalid utf8", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT, body: []byte("{\"text\":\"\xc3\x28\"}"), status: 400, code: api.CodeInvalidUTF8},
		{name: "missing text", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT, body: []byte(`{"id":"x"}`), status: 400, code: api.CodeMissingText},
		{name: "no key", method: "POST", path: "/v1/screen", ctype: jsonCT, body: screen(map[string]any{"text": "a"}), status: 401, code: api.CodeUnauthorized},
		{name: "bad key", method: "POST", path: "/v1/screen", token: "nope", ctype: jsonCT, body: screen(map[string]any{"text": "a"}), status: 401, code: api.CodeUnauthorized},
		{name: "admin key on screen", method: "POST", path: "/v1/screen", token: ak, ctype: jsonCT, body: screen(map[string]any{"text": "a"}), status: 403, code: api.CodeForbidden},
		{name: "tenant key on admin", method: "GET", path: "/v1/admin/revision", token: tk, status: 403, code: api.CodeForbidden},
		{name: "admin no key", method: "GET", path: "/v1/admin/revision", status: 401, code: api.CodeUnauthorized},
		{name: "body over cap", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT,
			body: screen(map[string]any{"text": strings.Repeat("字", 2000)}), status: 413, code: api.CodeTooLarge},
		{name: "text over cap", method: "POST", path: "/v1/screen", token: tk, ctype: jsonCT,
			body: screen(map[string]any{"text": strings.Repeat("a", 1025)}), status: 413, code: api.CodeTooLarge},
		{name: "wrong content type", method: "POST", path: "/v1/screen", token: tk, ctype: "text/plain", body: screen(map[string]any{"text": "a"}), status: 415, code: api.CodeUnsupportedMedia},
		{name: "no content type", method: "POST", path: "/v1/screen", token: tk, body: screen(map[string]any{"text": "a"}), status: 415, code: api.CodeUnsupportedMedia},
		{name: "review api mounted (needs a reviewer session)", method: "GET", path: "/v1/review/cases", status: 401},
		{name: "reports need a tenant key", method: "POST", path: "/v1/reports", ctype: jsonCT, body: []byte(`{}`), status: 401, code: api.CodeUnauthorized},
		{name: "reviewer web app mounted", method: "GET", path: "/review/login", status: 200, check: func(t *testing.T, r gwResp) {
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || r.Header.Get("Content-Security-Policy") == "" {
				t.Fatalf("/review/login: %v", r.Header)
			}
		}},
		{name: "unknown route", method: "GET", path: "/v1/nope", status: 404, code: api.CodeNotFound},
		{name: "batch in order with per-item errors", method: "POST", path: "/v1/screen/batch", token: tk, ctype: jsonCT,
			body:   []byte(`{"messages":[{"id":"b1","text":"` + cleanText + `"},{"id":"b2"},{"id":"b3","text":"` + reviewText + `"},{"id":"b4","text":7},{"id":"b5","text":"` + blockText + `"}]}`),
			status: 200, check: func(t *testing.T, r gwResp) {
				var br api.BatchResponse
				if err := json.Unmarshal(r.Body, &br); err != nil || len(br.Results) != 5 {
					t.Fatalf("batch = %s (%v)", r.Body, err)
				}
				want := []struct{ id, action, code string }{{"b1", "allow", ""}, {"", "", api.CodeMissingText}, {"b3", "review", ""}, {"", "", api.CodeInvalidJSON}, {"b5", "block", ""}}
				for i, w := range want {
					it := br.Results[i]
					if w.code != "" {
						if it.Error == nil || it.Error.Code != w.code || it.Verdict != nil {
							t.Fatalf("item %d = %+v, want error %s", i, it, w.code)
						}
						continue
					}
					if it.Error != nil || it.Verdict == nil || it.ID != w.id || it.Action != w.action {
						t.Fatalf("item %d = %+v, want %s %s", i, it, w.id, w.action)
					}
				}
				if br.Results[2].CaseID != modgate.CaseIDFor("t1", "b3", "") || br.Results[2].Escalation != escalate.Published {
					t.Fatalf("batch review item not escalated: %+v", br.Results[2])
				}
			}},
		{name: "batch too many", method: "POST", path: "/v1/screen/batch", token: tk, ctype: jsonCT,
			body: []byte(`{"messages":[{"text":"a"},{"text":"a"},{"text":"a"},{"text":"a"},{"text":"a"},{"text":"a"}]}`), status: 413, code: api.CodeTooLarge},
		{name: "batch empty", method: "POST", path: "/v1/screen/batch", token: tk, ctype: jsonCT, body: []byte(`{"messages":[]}`), status: 400, code: api.CodeBadRequest},
		{name: "batch not an object", method: "POST", path: "/v1/screen/batch", token: tk, ctype: jsonCT, body: []byte(`[1]`), status: 400, code: api.CodeInvalidJSON},
		{name: "batch wrong content type", method: "POST", path: "/v1/screen/batch", token: tk, ctype: "application/x-www-form-urlencoded", body: []byte(`a=b`), status: 415, code: api.CodeUnsupportedMedia},
		{name: "admin revision", method: "GET", path: "/v1/admin/revision", token: ak, status: 200, check: func(t *testing.T, r gwResp) {
			v := r.json(t)
			rev := m.Screener.Revision()
			if v["policy"] != rev.Policy || v["lexicon"] != rev.Lexicon || v["last_reload_error"] != nil {
				t.Fatalf("revision = %s", r.Body)
			}
		}},
		{name: "upload bad name", method: "PUT", path: "/v1/admin/policies/.hidden.rego", token: ak, body: []byte("package x"), status: 400, code: api.CodeBadRequest},
		{name: "upload traversal", method: "PUT", path: "/v1/admin/lexicons/..%2F..%2Fetc.txt", token: ak, body: []byte("a | ads | 2"), status: 400, code: api.CodeBadRequest},
		{name: "upload wrong extension", method: "PUT", path: "/v1/admin/lexicons/x.rego", token: ak, body: []byte("a | ads | 2"), status: 400, code: api.CodeBadRequest},
		{name: "metrics", method: "GET", path: "/metrics", status: 200, check: func(t *testing.T, r gwResp) {
			for _, s := range []string{
				`modgate_http_requests_total{method="POST",route="/v1/screen",status="200"}`,
				`modgate_http_request_duration_seconds_bucket{route="/v1/screen",status="415"`,
				`modgate_verdicts_total{action="review",label="finance"}`,
				`modgate_engine_revision_info{lexicon="` + m.Screener.Revision().Lexicon,
				`modgate_escalations_total{lane="normal",outcome="published"} 2`,
				`modgate_engine_reload_failures_total 0`,
			} {
				if !strings.Contains(string(r.Body), s) {
					t.Fatalf("metrics lack %s", s)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := gwDo(t, tc.method, base+tc.path, tc.token, tc.ctype, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.code != "" && r.errCode() != tc.code {
				t.Fatalf("error code %q, want %q: %s", r.errCode(), tc.code, r.Body)
			}
			if tc.status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("error without JSON content type: %s", r.Header.Get("Content-Type"))
			}
			if got := r.Header.Get(api.EscalationHeader); got != tc.escalate {
				t.Fatalf("%s = %q, want %q", api.EscalationHeader, got, tc.escalate)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}

	// Every review case answered above is in the stream exactly once.
	counts, escs := streamCases(t, m.JS)
	for _, id := range []string{modgate.CaseIDFor("t1", "m-review", ""), modgate.CaseIDFor("t1", "b3", "")} {
		if counts[id] != 1 {
			t.Fatalf("case %s stored %d times; stream: %v", id, counts[id], counts)
		}
	}
	if len(escs) != 2 {
		t.Fatalf("stream holds %d escalations, want 2", len(escs))
	}
	for _, e := range escs {
		if e.Lane != modgate.LaneNormal || e.Source != "screen" || e.Message.Tenant != "t1" || e.Verdict.Action != "review" {
			t.Fatalf("escalation = %+v", e)
		}
	}
}

func TestServeAdminUpload(t *testing.T) {
	cfg := gwConfig(t)
	cfg.AdminKey = "ak"
	cfg.APIKeys = "t1=tk"
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()
	before := m.Screener.Revision()

	// A policy that does not compile: rejected with file:line, engine kept.
	r := gwDo(t, "PUT", base+"/v1/admin/policies/broken.rego", "ak", "text/plain", []byte("package modgate.broken\n\nthis is not rego {\n"))
	if r.Status != 422 || r.errCode() != api.CodeInvalidFile {
		t.Fatalf("broken policy: %d %s", r.Status, r.Body)
	}
	var eb api.ErrorBody
	_ = json.Unmarshal(r.Body, &eb)
	if det, _ := eb.Error.Details.([]any); len(det) == 0 || !strings.Contains(fmt.Sprint(det), "broken.rego") {
		t.Fatalf("problems do not name the file: %s", r.Body)
	}
	if _, err := os.Stat(filepath.Join(cfg.PolicyDir, "broken.rego")); !os.IsNotExist(err) {
		t.Fatalf("rejected upload was written: %v", err)
	}
	if m.Screener.Revision() != before {
		t.Fatal("revision changed after a rejected upload")
	}

	// A lexicon with an unknown label: rejected (lint error).
	r = gwDo(t, "PUT", base+"/v1/admin/lexicons/bad.txt", "ak", "text/plain", []byte("坏词 | nosuchlabel | 2\n"))
	if r.Status != 422 || r.errCode() != api.CodeInvalidFile {
		t.Fatalf("bad lexicon: %d %s", r.Status, r.Body)
	}

	// A valid lexicon: written atomically, engine reloaded, new term effective.
	const term = "蓝鲸测试词"
	probe := gwJSON(map[string]any{"id": "p1", "text": "这里有" + term})
	if v := gwDo(t, "POST", base+"/v1/screen", "tk", "application/json", probe).json(t); v["action"] != "allow" {
		t.Fatalf("probe before upload: %v", v)
	}
	r = gwDo(t, "PUT", base+"/v1/admin/lexicons/extra.txt", "ak", "text/plain", []byte(term+" | illegal | 3\n"))
	if r.Status != 200 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	after := m.Screener.Revision()
	if after.Lexicon == before.Lexicon || after.Policy != before.Policy {
		t.Fatalf("revision %v -> %v", before, after)
	}
	if b, err := os.ReadFile(filepath.Join(cfg.LexiconDir, "extra.txt")); err != nil || !strings.Contains(string(b), term) {
		t.Fatalf("uploaded file not in the watched dir: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(cfg.LexiconDir, ".upload-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
	v := gwDo(t, "POST", base+"/v1/screen", "tk", "application/json", probe).json(t)
	if v["action"] == "allow" {
		t.Fatalf("uploaded term not effective: %v", v)
	}
	rev, _ := v["revision"].(map[string]any)
	if rev["lexicon"] != after.Lexicon {
		t.Fatalf("verdict names revision %v, want %s", rev, after.Lexicon)
	}
	met := gwDo(t, "GET", base+"/metrics", "", "", nil)
	if !strings.Contains(string(met.Body), "modgate_engine_reload_failures_total 2") ||
		!strings.Contains(string(met.Body), `lexicon="`+after.Lexicon) {
		t.Fatalf("metrics do not show the reload failures / new revision")
	}
}

func TestServeUploadNeedsDirectory(t *testing.T) {
	cfg := gwConfig(t)
	cfg.PolicyDir, cfg.LexiconDir = "embedded", "embedded"
	m := gwStart(t, cfg)
	r := gwDo(t, "PUT", "http://"+m.Addr()+"/v1/admin/lexicons/x.txt", "", "text/plain", []byte("词 | ads | 2\n"))
	if r.Status != 409 || r.errCode() != api.CodeConflict {
		t.Fatalf("upload without dir: %d %s", r.Status, r.Body)
	}
}

func TestServeRateLimitPatrolAndDrain(t *testing.T) {
	cfg := gwConfig(t)
	cfg.RateLimit = 0.001 // effectively no refill during the test
	cfg.RateBurst = 3
	cfg.PatrolRate = 1 // every allow is sampled
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()
	body := func(id string) []byte { return gwJSON(map[string]any{"id": id, "text": cleanText, "tenant": "t9"}) }
	for i := 0; i < 3; i++ {
		if r := gwDo(t, "POST", base+"/v1/screen", "", "application/json", body(fmt.Sprint("p", i))); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := gwDo(t, "POST", base+"/v1/screen", "", "application/json", body("p3"))
	if r.Status != 429 || r.errCode() != api.CodeRateLimited || r.Header.Get("Retry-After") == "" {
		t.Fatalf("4th request: %d %s", r.Status, r.Body)
	}
	// Another tenant has its own bucket.
	other := gwJSON(map[string]any{"id": "o1", "text": cleanText, "tenant": "t8"})
	if r := gwDo(t, "POST", base+"/v1/screen", "", "application/json", other); r.Status != 200 {
		t.Fatalf("other tenant: %d %s", r.Status, r.Body)
	}
	// Batches are charged per message.
	batch := []byte(`{"messages":[{"text":"a","tenant":"t8"},{"text":"b","tenant":"t8"},{"text":"c","tenant":"t8"}]}`)
	if r := gwDo(t, "POST", base+"/v1/screen/batch", "", "application/json", batch); r.Status != 429 {
		t.Fatalf("batch over the bucket: %d %s", r.Status, r.Body)
	}

	// Patrol samples arrive in the patrol lane (async, so poll).
	var escs []modgate.Escalation
	testkit.Eventually(t, "4 patrol samples", 10*time.Second, func() bool {
		_, escs = streamCases(t, m.JS)
		return len(escs) >= 4
	})
	if len(escs) != 4 {
		t.Fatalf("patrol lane holds %d samples, want 4", len(escs))
	}
	for _, e := range escs {
		if e.Lane != modgate.LanePatrol || e.Source != "patrol" || e.Verdict.Action != "allow" || e.CaseID == "" {
			t.Fatalf("patrol escalation = %+v", e)
		}
	}

	// Draining: not ready, screening refused with 503.
	m.API.SetDraining()
	if r := gwDo(t, "GET", base+"/readyz", "", "", nil); r.Status != 503 || r.json(t)["status"] != "not_ready" {
		t.Fatalf("readyz while draining: %d %s", r.Status, r.Body)
	}
	if r := gwDo(t, "POST", base+"/v1/screen", "", "application/json", other); r.Status != 503 || r.errCode() != api.CodeNotReady {
		t.Fatalf("screen while draining: %d %s", r.Status, r.Body)
	}
}

func TestServeRefusesOpenNetworkListener(t *testing.T) {
	cfg := gwConfig(t)
	cfg.Addr = "0.0.0.0:0"
	m := NewMain(cfg, nil)
	err := m.Run(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("started an open API on a non-loopback address")
	}
	if !strings.Contains(err.Error(), "no API keys") {
		t.Fatalf("error does not say why: %v", err)
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "modgate.yaml")
	if err := os.WriteFile(file, []byte("addr: 127.0.0.1:9000\npatrol_rate: 0.5\nfail_mode: open\ndedupe_window: 48h\nmax_batch: 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MODGATE_CONFIG": file, "MODGATE_PATROL_RATE": "0.25", "MODGATE_MAX_BATCH": "20", "MODGATE_API_KEYS": "t=k"}
	cfg, _, err := LoadConfig([]string{"--max-batch", "30"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Addr = "127.0.0.1:9000"                 // file
	want.FailMode = "open"                       // file
	want.DedupeWindow = Duration(48 * time.Hour) // file
	want.PatrolRate = 0.25                       // env over file
	want.MaxBatch = 30                           // flag over env over file
	want.APIKeys = "t=k"                         // env only
	if fmt.Sprintf("%+v", cfg) != fmt.Sprintf("%+v", want) {
		t.Fatalf("config\n got %+v\nwant %+v", cfg, want)
	}

	// The same file as JSON.
	jfile := filepath.Join(t.TempDir(), "modgate.json")
	if err := os.WriteFile(jfile, []byte(`{"addr":"127.0.0.1:9000","patrol_rate":0.5,"fail_mode":"open","dedupe_window":"48h","max_batch":10}`), 0o644); err != nil {
		t.Fatal(err)
	}
	jcfg, _, err := LoadConfig([]string{"--config", jfile}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if jcfg.Addr != "127.0.0.1:9000" || jcfg.PatrolRate != 0.5 || jcfg.DedupeWindow != Duration(48*time.Hour) || jcfg.MaxBatch != 10 {
		t.Fatalf("JSON config: %+v", jcfg)
	}

	bad := []struct {
		name string
		file string
		args []string
		env  map[string]string
	}{
		{name: "unknown key in file", file: "adress: x\n"},
		{name: "bad duration in file", file: "dedupe_window: soon\n"},
		{name: "bad env", env: map[string]string{"MODGATE_MAX_BATCH": "many"}},
		{name: "bad flag", args: []string{"--patrol-rate", "x"}},
		{name: "unknown flag", args: []string{"--nope"}},
		{name: "stray arg", args: []string{"extra"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if tc.file != "" {
				f := filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(f, []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
				env = map[string]string{"MODGATE_CONFIG": f}
			}
			if _, _, err := LoadConfig(tc.args, func(k string) string { return env[k] }, io.Discard); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestServeHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("serve --help exit %d: %s", code, errb.String())
	}
	for _, s := range []string{"--nats-url", "-fail-mode", "MODGATE_API_KEYS", "MODGATE_ESCALATIONS", "-patrol-rate"} {
		if !strings.Contains(out.String(), strings.TrimPrefix(s, "-")) {
			t.Fatalf("help lacks %s", s)
		}
	}
	if code := run(context.Background(), []string{"serve", "--max-batch", "x"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Fatalf("bad flag exit %d", code)
	}
}

// TestServeFailMode makes the real engine fail at evaluation (a policy
// whose complete rule has two values for one tenant: an OPA conflict error)
// and checks what each fail_mode answers.
func TestServeFailMode(t *testing.T) {
	conflict := "package modgate\n\n" +
		"enforcement := \"conflict-a\" if input.tenant == \"fail-mode-test\"\n\n" +
		"enforcement := \"conflict-b\" if input.tenant == \"fail-mode-test\"\n"
	tests := []struct {
		mode     string
		action   string
		escalate bool
	}{
		{api.FailClosed, modgate.ActionReview, true},
		{api.FailOpen, modgate.ActionAllow, false},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			cfg := gwConfig(t)
			cfg.FailMode = tc.mode
			if err := os.WriteFile(filepath.Join(cfg.PolicyDir, "zz_conflict.rego"), []byte(conflict), 0o644); err != nil {
				t.Fatal(err)
			}
			m := gwStart(t, cfg)
			base := "http://" + m.Addr()
			// Other tenants are screened normally.
			ok := gwDo(t, "POST", base+"/v1/screen", "", "application/json", gwJSON(map[string]any{"id": "n1", "text": cleanText, "tenant": "t1"})).json(t)
			if ok["action"] != "allow" || ok["degraded"] != nil {
				t.Fatalf("healthy tenant: %v", ok)
			}
			r := gwDo(t, "POST", base+"/v1/screen", "", "application/json", gwJSON(map[string]any{"id": "f1", "text": cleanText, "tenant": "fail-mode-test"}))
			if r.Status != 200 {
				t.Fatalf("status %d %s", r.Status, r.Body)
			}
			v := r.json(t)
			if v["action"] != tc.action || v["degraded"] != true {
				t.Fatalf("fail_mode %s answered %s", tc.mode, r.Body)
			}
			if got := v["case_id"] != nil; got != tc.escalate {
				t.Fatalf("escalated = %v, want %v: %s", got, tc.escalate, r.Body)
			}
			if tc.escalate {
				counts, _ := streamCases(t, m.JS)
				if counts[modgate.CaseIDFor("fail-mode-test", "f1", "")] != 1 {
					t.Fatalf("degraded review not escalated: %v", counts)
				}
			}
		})
	}
}

// TestServeHotReload: with watch on, a file edited on disk swaps the engine;
// a broken file keeps the old engine and shows up in /readyz and metrics.
func TestServeHotReload(t *testing.T) {
	cfg := gwConfig(t)
	cfg.Watch = true
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()
	before := m.Screener.Revision()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		testkit.Eventually(t, what, 20*time.Second, cond)
	}
	if err := os.WriteFile(filepath.Join(cfg.LexiconDir, "hot.txt"), []byte("热加载测试词 | illegal | 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("lexicon reload", func() bool { return m.Screener.Revision().Lexicon != before.Lexicon })
	v := gwDo(t, "POST", base+"/v1/screen", "", "application/json", gwJSON(map[string]any{"text": "这是热加载测试词"})).json(t)
	if v["action"] == "allow" {
		t.Fatalf("hot-reloaded term not effective: %v", v)
	}
	good := m.Screener.Revision()
	if err := os.WriteFile(filepath.Join(cfg.PolicyDir, "broken.rego"), []byte("package modgate\n\nnot rego at all {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("reload error in /readyz", func() bool {
		r := gwDo(t, "GET", base+"/readyz", "", "", nil)
		eng, _ := r.json(t)["engine"].(map[string]any)
		return r.Status == 200 && eng["last_reload_error"] != nil
	})
	if m.Screener.Revision() != good {
		t.Fatal("a broken policy replaced the engine")
	}
	waitFor("reload failure metric", func() bool {
		return strings.Contains(string(gwDo(t, "GET", base+"/metrics", "", "", nil).Body), "modgate_engine_reload_failures_total 1")
	})
}

// TestServeRateLimitSharedByReplicas: two replicas on one NATS server split
// a tenant's rate between them (presence heartbeats), so the configured
// burst holds for the deployment, not once per replica; when one replica
// stops, the other takes the whole rate again.
func TestServeRateLimitSharedByReplicas(t *testing.T) {
	cfg1 := gwConfig(t)
	cfg1.RateLimit = 0.001 // no refill during the test
	cfg1.RateBurst = 4
	cfg1.ReplicaHeartbeat = Duration(100 * time.Millisecond)
	m1 := gwStart(t, cfg1)
	cfg2 := cfg1
	cfg2.DataDir = t.TempDir()
	cfg2.NATSURL = m1.NATSURL()
	m2 := NewMain(cfg2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m2.Run(ctx); err != nil {
		t.Fatalf("start second replica: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = m2.Close()
		}
	})
	// Wait until both replicas count two of them (a fresh tenant's bucket
	// then starts at half the burst).
	testkit.Eventually(t, "both replicas to count two", 10*time.Second, func() bool {
		return m1.API.RateShare() == 2 && m2.API.RateShare() == 2
	})
	send := func(m *Main, tenant, id string) int {
		b := gwJSON(map[string]any{"id": id, "text": cleanText, "tenant": tenant})
		return gwDo(t, "POST", "http://"+m.Addr()+"/v1/screen", "", "application/json", b).Status
	}
	ok := 0
	for i := 0; i < 8; i++ {
		m := m1
		if i%2 == 1 {
			m = m2
		}
		if send(m, "shared", fmt.Sprint("s", i)) == 200 {
			ok++
		}
	}
	if ok != 4 {
		t.Fatalf("%d requests accepted across two replicas, want the burst of 4", ok)
	}
	// One replica leaves: the other takes the whole rate for new tenants.
	stopped = true
	if err := m2.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the remaining replica to count one", 10*time.Second, func() bool { return m1.API.RateShare() == 1 })
	ok = 0
	for i := 0; i < 6; i++ {
		if send(m1, "alone", fmt.Sprint("a", i)) == 200 {
			ok++
		}
	}
	if ok != 4 {
		t.Fatalf("%d requests accepted by the remaining replica, want 4", ok)
	}
}

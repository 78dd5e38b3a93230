package api

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantText   string
	}{
		{"minimal", `{"text":"你好"}`, 0, "", "你好"},
		{"full", `{"id":"m-1","text":"加微信","tenant":"t1","sender":{"id":"u","account_age_days":3,"verified_org":true},"group":{"id":"g","kind":"personal"},"context":{"reply_to":"m-0"}}`, 0, "", "加微信"},
		{"unknown fields ignored", `{"text":"hi","extra":{"x":[1,2]},"foo":1}`, 0, "", "hi"},
		{"missing text", `{"id":"m-1"}`, http.StatusBadRequest, CodeMissingText, ""},
		{"empty text", `{"text":""}`, http.StatusBadRequest, CodeMissingText, ""},
		{"whitespace text", `{"text":" \n\t "}`, http.StatusBadRequest, CodeMissingText, ""},
		{"null body", `null`, http.StatusBadRequest, CodeMissingText, ""},
		{"malformed", `{"text":`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"not json", `text=hello`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"trailing garbage", `{"text":"a"} x`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"array", `[]`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"text wrong type", `{"text":42}`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"age wrong type", `{"text":"a","sender":{"account_age_days":"3"}}`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"sender wrong type", `{"text":"a","sender":"u-1"}`, http.StatusBadRequest, CodeInvalidJSON, ""},
		{"invalid utf8", "{\"text\":\"\xff\xfe\"}", http.StatusBadRequest, CodeInvalidUTF8, ""},
		{"too large", `{"text":"` + strings.Repeat("a", 65) + `"}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"at cap", `{"text":"` + strings.Repeat("a", 64) + `"}`, 0, "", strings.Repeat("a", 64)},
		// Every other field is bounded too: an id of 250,000 '<' once made
		// an escalation over NATS max_payload that jammed the spool.
		{"id too long", `{"text":"a","id":"` + strings.Repeat("<", 257) + `"}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"id at cap", `{"text":"a","id":"` + strings.Repeat("x", 256) + `"}`, 0, "", "a"},
		{"tenant too long", `{"text":"a","tenant":"` + strings.Repeat("t", 257) + `"}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"sender id too long", `{"text":"a","sender":{"id":"` + strings.Repeat("u", 257) + `"}}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"group id too long", `{"text":"a","group":{"id":"` + strings.Repeat("g", 257) + `"}}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"group kind too long", `{"text":"a","group":{"kind":"` + strings.Repeat("k", 65) + `"}}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"context too large", `{"text":"a","context":{"k":"` + strings.Repeat("c", 9000) + `"}}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"context escaping counts", `{"text":"a","context":{"k":"` + strings.Repeat("<", 1500) + `"}}`, http.StatusRequestEntityTooLarge, CodeTooLarge, ""},
		{"id with newline", `{"text":"a","id":"m\n1"}`, http.StatusBadRequest, CodeBadRequest, ""},
		{"tenant with NUL", `{"text":"a","tenant":"t\u0000"}`, http.StatusBadRequest, CodeBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeMessage([]byte(tc.body), 64)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if m.Text != tc.wantText {
					t.Fatalf("text = %q, want %q", m.Text, tc.wantText)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q", tc.body)
			}
			if err.Status != tc.wantStatus || err.Code != tc.wantCode {
				t.Fatalf("got %d %s (%s), want %d %s", err.Status, err.Code, err.Msg, tc.wantStatus, tc.wantCode)
			}
			if strings.Contains(err.Msg, "加微信") {
				t.Fatalf("error message echoes input: %s", err.Msg)
			}
		})
	}
}

// FuzzDecodeMessage: the decoder never panics, and whatever it accepts is a
// valid request (non-empty valid UTF-8 text within the cap).
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"text":"加微信 13800138000"}`, `{"id":"m","text":"a","sender":{"account_age_days":1}}`,
		`{"text":null}`, `{"text":"\ud800"}`, `{}`, `[`, "\xff", `{"text":"a","context":{"a":[{"b":null}]}}`,
	} {
		f.Add([]byte(s))
	}
	const maxText = 256
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeMessage(body, maxText)
		if err != nil {
			if err.Status < 400 || err.Status > 499 || err.Code == "" || err.Msg == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if m.Text == "" || len(m.Text) > maxText || !utf8.ValidString(m.Text) {
			t.Fatalf("accepted invalid message %+v", m)
		}
	})
}

func TestValidFileName(t *testing.T) {
	tests := []struct {
		kind, name string
		ok         bool
	}{
		{kindPolicy, "ads.rego", true},
		{kindPolicy, "data.json", true},
		{kindPolicy, "ads_test.rego", true},
		{kindLexicon, "finance.txt", true},
		{kindLexicon, "finance.rego", false},
		{kindPolicy, "../etc/passwd.rego", false},
		{kindPolicy, "..rego", false},
		{kindPolicy, ".hidden.rego", false},
		{kindPolicy, "a/b.rego", false},
		{kindPolicy, `a\b.rego`, false},
		{kindLexicon, "a..txt", false},
		{kindLexicon, "", false},
		{kindLexicon, strings.Repeat("a", 200) + ".txt", false},
		{kindLexicon, "词库.txt", false},
	}
	for _, tc := range tests {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			err := validFileName(tc.kind, tc.name)
			if (err == nil) != tc.ok {
				t.Fatalf("validFileName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			}
		})
	}
}

func TestEscalationLane(t *testing.T) {
	tests := []struct {
		name     string
		severity int
		source   string
		lane     string
	}{
		{"normal review", 2, "screen", modgate.LaneNormal},
		{"high severity", 3, "screen", modgate.LaneHigh},
		{"patrol", 0, "patrol", modgate.LanePatrol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &modgate.Message{ID: "m-1", Tenant: "t1", Text: "x"}
			v := &modgate.Verdict{DecisionID: "d", Severity: tc.severity}
			e := escalation(m, v, tc.source)
			if e.Lane != tc.lane || e.CaseID != modgate.CaseIDFor("t1", "m-1", "d") || v.CaseID != e.CaseID {
				t.Fatalf("got lane %s case %s", e.Lane, e.CaseID)
			}
		})
	}
}

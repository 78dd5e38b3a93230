package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modgate/modgate"
)

func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// testLexDir writes a small lexicon folder so results do not depend on the
// shipped starter set.
func testLexDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.txt": "@category finance.promise\n@severity 3\n稳赚不赔\n理财 | finance.topic | 1\n加微信 | contact.cue | 2\n口交 | porn | 3\n! 路口交通\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func decodeLines(t *testing.T, out string) []map[string]json.RawMessage {
	t.Helper()
	var res []map[string]json.RawMessage
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		res = append(res, m)
	}
	return res
}

func TestCheckJSONL(t *testing.T) {
	dir := testLexDir(t)
	in := strings.Join([]string{
		`{"id":"m1","text":"稳赚不赔，加 微 信"}`,
		`{"id":"m2","text":"路口交通很堵"}`,
		`not json`,
		`{"id":"m3"}`,
		``,
		`{"id":"m4","text":"理财` + "\xff" + `"}`,
		`{"id":"m5","text":"手机13800138000"}`,
	}, "\n")
	out, errOut, code := runCmd(t, in, "check", "--jsonl", "--lexicons", dir)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (some lines failed)", code)
	}
	lines := decodeLines(t, out)
	if len(lines) != 6 {
		t.Fatalf("got %d output lines, want 6:\n%s", len(lines), out)
	}
	var v1 modgate.Verdict
	if err := json.Unmarshal(mustJSON(t, lines[0]), &v1); err != nil {
		t.Fatal(err)
	}
	// Labels and reasons come from the shipped Rego policies: a guaranteed
	// return is a finance violation; the contact cue alone labels nothing.
	if v1.ID != "m1" || v1.Action != "block" || v1.Severity != 3 || len(v1.Matches) != 2 ||
		strings.Join(v1.Labels, ",") != "finance" || v1.Revision.Lexicon == "" || v1.Revision.Policy == "" ||
		v1.DecisionID == "" || len(v1.Reasons) == 0 || v1.Reasons[0].Rule != "finance.guaranteed_return" {
		t.Errorf("verdict 1 = %+v", v1)
	}
	if m := v1.Matches[1]; m.Term != "加微信" || m.Start != 5 || m.End != 10 || m.Text != "加 微 信" {
		t.Errorf("match offsets refer to the original text: %+v", m)
	}
	var v2 modgate.Verdict
	_ = json.Unmarshal(mustJSON(t, lines[1]), &v2)
	if v2.Action != "allow" || len(v2.Matches) != 0 {
		t.Errorf("allow phrase: %+v", v2)
	}
	wantErr := []struct {
		idx        int
		line, code string
	}{{2, "3", "invalid_json"}, {3, "4", "missing_text"}, {4, "6", "invalid_utf8"}}
	for _, w := range wantErr {
		got := lines[w.idx]
		if string(got["line"]) != w.line || !strings.Contains(string(got["error"]), `"code":"`+w.code+`"`) {
			t.Errorf("error line %d = %s %s, want line %s code %s", w.idx, got["line"], got["error"], w.line, w.code)
		}
		if !strings.Contains(errOut, "stdin:"+w.line+": "+w.code) {
			t.Errorf("stderr lacks stdin:%s: %s:\n%s", w.line, w.code, errOut)
		}
	}
	if strings.Contains(out, "13800138000") {
		t.Error("phone number leaked unmasked")
	}
}

func mustJSON(t *testing.T, m map[string]json.RawMessage) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckArgsAndLines(t *testing.T) {
	dir := testLexDir(t)
	tests := []struct {
		name    string
		stdin   string
		args    []string
		actions []string
		code    int
	}{
		{"arguments", "", []string{"稳赚不赔", "你好"}, []string{"block", "allow"}, 0},
		{"stdin lines", "口交\n\n你好\r\n加微信\n", nil, []string{"block", "allow", "allow"}, 0},
		{"too large", "", []string{"--max-bytes", "8", "稳赚不赔"}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"check", "--lexicons", dir}, tc.args...)
			out, _, code := runCmd(t, tc.stdin, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if tc.actions == nil {
				return
			}
			lines := decodeLines(t, out)
			if len(lines) != len(tc.actions) {
				t.Fatalf("got %d lines want %d: %s", len(lines), len(tc.actions), out)
			}
			for i, a := range tc.actions {
				if string(lines[i]["action"]) != `"`+a+`"` {
					t.Errorf("line %d action %s, want %s", i, lines[i]["action"], a)
				}
			}
		})
	}
}

func TestCheckBadLexiconDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.txt"), []byte("ok | ads\nbad | nolabel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, "", "check", "--lexicons", dir, "hi")
	if code != 1 || !strings.Contains(errOut, "x.txt:2: error:") {
		t.Errorf("code %d stderr %q", code, errOut)
	}
}

func TestCheckLongLineContinues(t *testing.T) {
	dir := testLexDir(t)
	in := `{"text":"` + strings.Repeat("a", 200) + `"}` + "\n" + `{"id":"ok","text":"稳赚不赔"}` + "\n"
	out, _, code := runCmd(t, in, "check", "--jsonl", "--max-bytes", "16", "--lexicons", dir)
	lines := decodeLines(t, out)
	if code != 1 || len(lines) != 2 || !strings.Contains(string(lines[0]["error"]), "payload_too_large") || string(lines[1]["id"]) != `"ok"` {
		t.Errorf("code %d out %s", code, out)
	}
}

func TestLexiconLint(t *testing.T) {
	good := testLexDir(t)
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.txt"), []byte("# c\nok | ads\nbad | nolabel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"shipped set is clean", []string{"lexicon", "lint"}, 0, ""},
		{"good folder", []string{"lexicon", "lint", good}, 0, ""},
		{"bad folder", []string{"lexicon", "lint", bad}, 1, `x.txt:3: error: unknown category "nolabel"`},
		{"missing folder", []string{"lexicon", "lint", filepath.Join(bad, "nope")}, 1, ""},
		{"unknown subcommand", []string{"lexicon", "frob"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, "", tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) {
				t.Errorf("code %d (want %d) out %q stderr %q", code, tc.code, out, errOut)
			}
		})
	}
}

// A broken policy folder is reported with file:line and exit code 1, and
// no verdict is written.
func TestCheckBrokenPolicies(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.rego"), []byte("package modgate\n\ndecision := {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "", "check", "--policies", dir, "你好")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	if !strings.Contains(errOut, "bad.rego:") {
		t.Errorf("stderr does not name the file and line:\n%s", errOut)
	}
}

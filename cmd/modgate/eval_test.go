package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeCorpus(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "corpus.tsv")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The shipped policies and lexicons decide these unambiguous cases.
const evalCorpus = "# clear-cut cases\nok\t今天天气不错，晚上一起吃饭\nok\t明天早上七点半校门口集合\nfinance\t理财产品保本保息，稳赚不赔\nok\t我的身份证号是110101199003078515，帮我填一下\n"

func TestEvalCommand(t *testing.T) {
	corpus := writeCorpus(t, evalCorpus)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		stdout   []string
		stderr   []string
		unwanted []string
	}{
		{
			name:   "text report",
			args:   []string{"eval", "--corpus", corpus},
			code:   0,
			stdout: []string{"4 samples (1 positive, 3 negative)", "overall", "finance", "worst false positives", "line 5"},
			// Personal data in reports is masked.
			unwanted: []string{"110101199003078515"},
		},
		{
			name:   "stdin and json",
			args:   []string{"eval", "--corpus", "-", "--json"},
			stdin:  evalCorpus,
			code:   0,
			stdout: []string{`"corpus": "stdin"`, `"samples": 4`, `"recall": 1`},
		},
		{
			name:   "recall gate fails",
			args:   []string{"eval", "--corpus", writeCorpus(t, "ads\t今天天气不错\nok\t明天见\n"), "--min-recall", "0.9"},
			code:   1,
			stderr: []string{"recall 0.00% below --min-recall 90.00%"},
		},
		{
			name:   "fp gate fails",
			args:   []string{"eval", "--corpus", corpus, "--max-fp-rate", "0"},
			code:   1,
			stderr: []string{"above --max-fp-rate"},
		},
		{
			name:   "bad line names file and line",
			args:   []string{"eval", "--corpus", writeCorpus(t, "ok\tfine\nnot a labelled line\n")},
			code:   2,
			stderr: []string{"corpus.tsv:2: want label<TAB>text"},
		},
		{name: "missing corpus flag", args: []string{"eval"}, code: 2, stderr: []string{"--corpus FILE is required"}},
		{name: "missing file", args: []string{"eval", "--corpus", "/nonexistent/x.tsv"}, code: 2, stderr: []string{"/nonexistent/x.tsv"}},
		{name: "unknown format", args: []string{"eval", "--corpus", corpus, "--format", "csv"}, code: 2, stderr: []string{"unknown corpus format"}},
		{name: "help", args: []string{"eval", "--help"}, code: 0, stderr: []string{"Usage: modgate eval"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, u := range tc.unwanted {
				if strings.Contains(out+errOut, u) {
					t.Errorf("output contains %q", u)
				}
			}
			if strings.Contains(strings.Join(tc.args, " "), "--json") {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("--json output is not JSON: %v", err)
				}
			}
		})
	}
}

package lexicons

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
)

func TestParseGood(t *testing.T) {
	lex, err := Load("testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	want := []modgate.Term{
		{Text: "加微信", Category: "contact", Subcategory: "cue", Severity: 1, File: "contact.txt", Line: 4},
		{Text: "vx", Category: "contact", Subcategory: "cue", Severity: 2, File: "contact.txt", Line: 5},
		{Text: "c#sharp", Category: "custom_x", Severity: 1, File: "contact.txt", Line: 6},
		{Text: "weird", Category: "custom_x", Subcategory: "sub_1", Severity: 3, Note: "note with | a pipe", File: "contact.txt", Line: 7},
		{Text: "保本保息", Category: "finance", Subcategory: "promise", Severity: 2, File: "finance.txt", Line: 4},
		{Text: "稳赚不赔", Category: "finance", Subcategory: "promise", Severity: 3, Note: "optional note", File: "finance.txt", Line: 5},
		{Text: "荐股", Category: "finance", Subcategory: "solicit", Severity: 2, File: "finance.txt", Line: 6},
		{Text: "路口交通", Allow: true, File: "finance.txt", Line: 7},
	}
	if !reflect.DeepEqual(lex.Terms, want) {
		t.Errorf("terms:\n got %+v\nwant %+v", lex.Terms, want)
	}
	if len(lex.Revision) != 64 {
		t.Errorf("revision %q: want 64 hex digits", lex.Revision)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"unknown category", "x | nolabel", `unknown category "nolabel"`},
		{"empty term", "| ads", "empty term"},
		{"severity out of range", "x | ads | 7", `severity "7"`},
		{"severity not a number", "x | ads | high", `severity "high"`},
		{"no category", "x", "has no category"},
		{"unknown directive", "@bogus 1", "unknown directive @bogus"},
		{"empty allow", "!   ", "empty allow phrase"},
		{"bad subcategory", "x | ads.Promo", `subcategory "Promo"`},
		{"invalid utf8", "x\xff | ads", "not valid UTF-8"},
		{"custom label not declared", "x | mine", `unknown category "mine"`},
		{"overlong line", strings.Repeat("长", 2000), "bytes long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			terms, probs := ParseFile("f.txt", strings.NewReader("# header\n"+tc.line+"\nok | ads\n"))
			if len(probs) != 1 {
				t.Fatalf("problems = %v, want one", probs)
			}
			p := probs[0]
			if p.File != "f.txt" || p.Line != 2 || p.Level != LevelError || !strings.Contains(p.Message, tc.want) {
				t.Errorf("problem %q: want f.txt:2: error: ...%s...", p.String(), tc.want)
			}
			// The line after the bad one still parses.
			if len(terms) == 0 || terms[len(terms)-1].Text != "ok" || terms[len(terms)-1].Line != 3 {
				t.Errorf("terms after error = %+v", terms)
			}
		})
	}
}

func TestComments(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"trailing comment", "加微信 | contact # why", "加微信"},
		{"hash inside term kept", "c#sharp | contact", "c#sharp"},
		{"tab before hash", "abc\t# x\n", "abc"},
		{"whole line", "  # comment", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			terms, probs := ParseFile("f.txt", strings.NewReader("@category contact\n"+tc.in))
			got := ""
			if len(terms) > 0 {
				got = terms[0].Text
			}
			if got != tc.want || len(probs) != 0 {
				t.Errorf("got %q (problems %v), want %q", got, probs, tc.want)
			}
		})
	}
}

func TestLoadErrorsNameFileLine(t *testing.T) {
	_, err := Load("testdata/bad")
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{"a.txt:3: error:", "a.txt:4: error:", "b.txt:1: error:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := Load("testdata/missing"); err == nil {
		t.Error("missing dir: want error")
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.txt") {
		t.Errorf("empty dir: err = %v", err)
	}
}

func TestRevision(t *testing.T) {
	base := fstest.MapFS{
		"a.txt": {Data: []byte("x | ads\n")},
		"b.txt": {Data: []byte("y | ads\n")},
	}
	rev := func(fsys fstest.MapFS) string {
		t.Helper()
		lex, err := LoadFS(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return lex.Revision
	}
	r0 := rev(base)
	if r0 != rev(base) {
		t.Error("revision not deterministic")
	}
	changed := fstest.MapFS{"a.txt": base["a.txt"], "b.txt": {Data: []byte("y | ads\n# note\n")}}
	renamed := fstest.MapFS{"a.txt": base["a.txt"], "c.txt": base["b.txt"]}
	// Moving bytes between name and content must change the hash.
	shifted := fstest.MapFS{"a.txt": {Data: []byte("x | ads\n")}, "b.txt": {Data: []byte("y | ads\n")}, "README.md": {Data: []byte("ignored")}}
	if rev(changed) == r0 || rev(renamed) == r0 {
		t.Error("revision did not change with content or name")
	}
	if rev(shifted) != r0 {
		t.Error("non-.txt files must not affect the revision")
	}
}

func TestLint(t *testing.T) {
	lower := func(s string) string { return strings.ToLower(s) }
	probs, err := LintDir("testdata/bad", lower)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	want := []string{
		`a.txt:3: error: unknown category "nolabel"`,
		`a.txt:4: error: empty term`,
		`a.txt:5: error: severity "7"`,
		`a.txt:6: error: unknown directive @bogus`,
		`a.txt:7: error: severity "x"`,
		`a.txt:8: error: empty allow phrase`,
		`b.txt:1: error: term "no category here" has no category`,
		`b.txt:3: error: duplicate term "dup" (same as "dup" at b.txt:2)`,
		`b.txt:4: warning: term "Dup" is normalised to "dup"`,
		`b.txt:4: error: duplicate term "Dup" (same as "dup" at b.txt:2)`,
		`b.txt:5: warning: term "x" is a single character`,
		`b.txt:6: warning: term "dup" also listed as "dup" at b.txt:2 with category ads`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
	if !HasErrors(probs) {
		t.Error("HasErrors = false")
	}
	good, err := LintDir("testdata/good", lower)
	if err != nil {
		t.Fatal(err)
	}
	if HasErrors(good) {
		t.Errorf("good set has errors: %v", good)
	}
}

func TestLintNormalisesToEmpty(t *testing.T) {
	lex := modgate.Lexicon{Terms: []modgate.Term{{Text: "***", Category: "ads", Severity: 2, File: "f.txt", Line: 9}}}
	probs := Lint(lex, func(s string) string { return strings.Trim(s, "*") })
	if len(probs) != 1 || probs[0].Level != LevelError || probs[0].Line != 9 {
		t.Errorf("problems = %v", probs)
	}
}

func TestDefaultSetLoads(t *testing.T) {
	lex, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	for _, term := range lex.Terms {
		labels[term.Category] = true
	}
	// The starter set covers the taxonomy (pii comes from detectors).
	for _, l := range modgate.Labels {
		if l != modgate.LabelPII && !labels[l] {
			t.Errorf("shipped lexicons have no %s terms", l)
		}
	}
	if len(lex.Revision) != 64 {
		t.Errorf("revision %q", lex.Revision)
	}
}

// FuzzParseFile: any input parses without panicking, every problem points
// at a real line, every term is non-empty with a valid severity.
func FuzzParseFile(f *testing.F) {
	f.Add("@category finance.promise\n@severity 2\n保本保息\n稳赚 | finance | 3 | n\n! 路口交通\n")
	f.Add("@label x\nfoo | x.y\n| ads\n@bogus\n")
	f.Fuzz(func(t *testing.T, in string) {
		terms, probs := ParseFile("f.txt", strings.NewReader(in))
		lines := strings.Count(in, "\n") + 1
		for _, p := range probs {
			if p.Line < 1 || p.Line > lines+1 || p.File != "f.txt" || p.Level != LevelError {
				t.Fatalf("bad problem %+v for %d lines", p, lines)
			}
		}
		for _, term := range terms {
			if term.Text == "" || (!term.Allow && (term.Category == "" || term.Severity < 1 || term.Severity > 3)) {
				t.Fatalf("bad term %+v", term)
			}
		}
	})
}

// TestVariantDirectives: @variants and @boundary apply to the lines below
// them until changed, values are checked, and lint warns where they cannot
// work.
func TestVariantDirectives(t *testing.T) {
	data, err := os.ReadFile("testdata/variants/bad.txt")
	if err != nil {
		t.Fatal(err)
	}
	terms, probs := ParseFile("bad.txt", bytes.NewReader(data))
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	wantProbs := []string{
		`bad.txt:4: error: @variants "soundalike": want pinyin, shape, pinyin,shape or none`,
		`bad.txt:5: error: @variants "none,pinyin": none cannot be combined with other values`,
		`bad.txt:6: error: @boundary "sentence": want word or none`,
		`bad.txt:7: error: @variants needs a value: pinyin, shape, pinyin,shape or none`,
	}
	if strings.Join(got, "\n") != strings.Join(wantProbs, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantProbs, "\n"))
	}
	type tv struct{ text, variants, boundary string }
	var gotTerms []tv
	for _, term := range terms {
		gotTerms = append(gotTerms, tv{term.Text, term.Variants, term.Boundary})
	}
	wantTerms := []tv{
		{"彩金", "pinyin", ""},
		{"赌", "pinyin", ""}, // pinyin,shape is canonicalised: pinyin implies shape
		{"中特", "pinyin", "word"},
		{"ok", "pinyin", "word"},
		{"开户", "", ""},
	}
	if !reflect.DeepEqual(gotTerms, wantTerms) {
		t.Errorf("terms = %v, want %v", gotTerms, wantTerms)
	}
	lint := Lint(modgate.Lexicon{Terms: terms}, nil)
	var warns []string
	for _, p := range lint {
		warns = append(warns, p.String())
	}
	wantWarns := []string{
		`bad.txt:9: warning: term "赌" is a single character`,
		`bad.txt:9: warning: @variants pinyin has no effect on "赌"`,
		`bad.txt:12: warning: @variants pinyin has no effect on "ok"`,
		`bad.txt:12: warning: @boundary word has no effect on "ok"`,
	}
	if len(warns) != len(wantWarns) {
		t.Fatalf("lint:\n%s", strings.Join(warns, "\n"))
	}
	for i := range wantWarns {
		if !strings.HasPrefix(warns[i], wantWarns[i]) {
			t.Errorf("lint %d:\n got %s\nwant %s...", i, warns[i], wantWarns[i])
		}
	}
}

func TestLintWarnsOnWholesaleVariants(t *testing.T) {
	var lex modgate.Lexicon
	for i := range MaxPinyinTerms + 2 {
		lex.Terms = append(lex.Terms, modgate.Term{Text: fmt.Sprintf("词%d语", i), Category: "ads", Severity: 1,
			Variants: modgate.VariantPinyin, File: "big.txt", Line: i + 1})
	}
	probs := Lint(lex, nil)
	n := 0
	for _, p := range probs {
		if strings.Contains(p.Message, "opt into @variants pinyin") {
			n++
			if p.Line != MaxPinyinTerms+1 || p.Level != LevelWarning {
				t.Errorf("warning at %v", p)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d wholesale warnings, want 1", n)
	}
}

// TestShippedSetLintsClean: the lexicon passes write terms in several
// files at once; a duplicate or a term the normaliser rewrites (點cn is
// 点cn) is an error `modgate lexicon lint` reports, caught here too.
func TestShippedSetLintsClean(t *testing.T) {
	ps, err := LintFS(FS(), filters.NormalizeString)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Level == LevelError {
			t.Errorf("%v", p)
		}
	}
}

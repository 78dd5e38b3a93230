package filters

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
)

// readFixtureLexicon reads a filters/testdata lexicon fixture: "@category
// x.y", "@severity n", "@variants v", "@boundary b" lines set defaults for
// the lines below; "! phrase" is an allow phrase; other lines are
// "term [| category [| severity]]". (Package lexicons has the real parser;
// filters does not import it.)
func readFixtureLexicon(t testing.TB, path string) modgate.Lexicon {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lex modgate.Lexicon
	cat, sev, vars, bound := "", 2, "", ""
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if d, ok := strings.CutPrefix(l, "@"); ok {
			name, arg, _ := strings.Cut(d, " ")
			arg = strings.TrimSpace(arg)
			switch name {
			case "category":
				cat = arg
			case "severity":
				sev, _ = strconv.Atoi(arg)
			case "variants":
				vars = arg
			case "boundary":
				bound = arg
			default:
				t.Fatalf("%s:%d: unknown directive %q", path, line, l)
			}
			continue
		}
		if a, ok := strings.CutPrefix(l, "!"); ok {
			lex.Terms = append(lex.Terms, modgate.Term{Text: strings.TrimSpace(a), Allow: true, File: path, Line: line})
			continue
		}
		fields := strings.Split(l, "|")
		term := modgate.Term{Text: strings.TrimSpace(fields[0]), Severity: sev, Variants: vars, Boundary: bound, File: path, Line: line}
		c := cat
		if len(fields) > 1 && strings.TrimSpace(fields[1]) != "" {
			c = strings.TrimSpace(fields[1])
		}
		if len(fields) > 2 {
			term.Severity, _ = strconv.Atoi(strings.TrimSpace(fields[2]))
		}
		term.Category, term.Subcategory, _ = strings.Cut(c, ".")
		if vars == "none" {
			term.Variants = ""
		}
		if bound == "none" {
			term.Boundary = ""
		}
		lex.Terms = append(lex.Terms, term)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lex
}

// TestVariantFalsePositives measures how many benign messages gain a
// variant hit (a match the literal lexicon would not make) when every
// gambling, porn and contact term of the shipped lexicons opts into pinyin
// variants, and fails when it passes the budget.
func TestVariantFalsePositives(t *testing.T) {
	lex := readFixtureLexicon(t, "testdata/variants_fixture.txt")
	f, err := New(lex, Options{})
	if err != nil {
		t.Fatal(err)
	}
	corpora := []struct {
		name   string
		budget float64
	}{
		{"benign_nus_sms_zh.tsv", 0.005},
		{"benign_thucnews_titles.tsv", 0.005},
		{"sms_spam_80w_sample.tsv", 0.005},
	}
	for _, c := range corpora {
		t.Run(c.name, func(t *testing.T) {
			texts := readBenign(t, c.name)
			gained := 0
			terms := map[string]int{}
			for _, s := range texts {
				fd, err := f.Scan(s)
				if err != nil {
					continue
				}
				hit := false
				for _, m := range fd.Matches {
					if m.Variant != "" {
						hit = true
						terms[m.Term+"←"+m.Text]++
					}
				}
				if hit {
					gained++
				}
			}
			rate := float64(gained) / float64(max(len(texts), 1))
			t.Logf("%s: %d of %d benign messages (%.3f%%) gain a variant hit", c.name, gained, len(texts), 100*rate)
			for k, v := range terms {
				t.Logf("  %s ×%d", k, v)
			}
			if rate > c.budget {
				t.Errorf("variant false positives %.3f%% over the %.1f%% budget", 100*rate, 100*c.budget)
			}
		})
	}
}

// TestVariantSpamGain logs how many spam messages of the 80w sample gain
// a variant hit with the same fixture (the benefit side of
// TestVariantFalsePositives). It fails only when nothing is gained.
func TestVariantSpamGain(t *testing.T) {
	p := sharedData(t, "sms_spam_80w_sample.tsv")
	lex := readFixtureLexicon(t, "testdata/variants_fixture.txt")
	f, err := New(lex, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	spam, gained, onlyVariant := 0, 0, 0
	for _, l := range strings.Split(string(data), "\n")[1:] {
		c := strings.Split(l, "\t")
		if len(c) < 2 || c[0] != "1" || len(c[1]) > modgate.DefaultMaxTextBytes {
			continue
		}
		spam++
		fd, err := f.Scan(c[1])
		if err != nil {
			continue
		}
		lit, vr := false, false
		for _, m := range fd.Matches {
			if m.Source != modgate.SourceLexicon {
				continue
			}
			if m.Variant != "" {
				vr = true
			} else {
				lit = true
			}
		}
		if vr {
			gained++
			if !lit {
				onlyVariant++
			}
		}
	}
	t.Logf("80w spam: %d of %d messages gain a variant hit; %d of them have no literal lexicon hit", gained, spam, onlyVariant)
	if gained == 0 {
		t.Error("the variant layer finds nothing in real spam")
	}
}

// readBenign reads the benign texts of a shared corpus (header row
// skipped): NUS SMS (id, language, text), THUCNews titles (split,
// category, title; dev and train rows only) and the 80w sample (label,
// text, ...; label 0 only).
func readBenign(t testing.TB, name string) []string {
	t.Helper()
	p := filepath.Join(testkit.SharedData(t), name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		var text string
		switch name {
		case "sms_spam_80w_sample.tsv":
			if len(c) < 2 || c[0] != "0" {
				continue
			}
			text = c[1]
		case "benign_thucnews_titles.tsv":
			if len(c) < 3 || c[0] == "test" {
				continue
			}
			text = c[2]
		default:
			text = c[len(c)-1]
		}
		if strings.TrimSpace(text) != "" && len(text) <= modgate.DefaultMaxTextBytes {
			out = append(out, text)
		}
	}
	return out
}

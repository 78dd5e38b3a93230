package lexicons

import (
	"fmt"
	"io/fs"
	"os"
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// MaxPinyinTerms is where lint starts to warn about the size of the
// pinyin variant layer (BENCHMARKS.md: about 1.2 KiB per opted-in term;
// 20k terms ≈ 24 MiB on top of the lexicon).
const MaxPinyinTerms = 20_000

// Lint checks loaded terms: duplicates, terms the normaliser would change
// (the text as written never reaches the matcher), empty and single-character
// terms. normalize is the matcher's fold (filters.NormalizeString); it is
// passed in because sibling packages do not import each other.
func Lint(lex modgate.Lexicon, normalize func(string) string) []Problem {
	var problems []Problem
	add := func(t modgate.Term, level, format string, args ...any) {
		problems = append(problems, Problem{File: t.File, Line: t.Line, Level: level, Message: fmt.Sprintf(format, args...)})
	}
	type key struct {
		norm, cat, sub string
		allow          bool
	}
	seen := map[key]modgate.Term{}
	byNorm := map[string]modgate.Term{}
	pinyinTerms := 0
	for _, t := range lex.Terms {
		kind := "term"
		if t.Allow {
			kind = "allow phrase"
		}
		if t.Text == "" {
			add(t, LevelError, "empty %s", kind)
			continue
		}
		norm := t.Text
		if normalize != nil {
			norm = normalize(t.Text)
		}
		switch {
		case norm == "":
			add(t, LevelError, "%s %q is empty after normalisation and can never match", kind, t.Text)
			continue
		case norm != t.Text:
			add(t, LevelWarning, "%s %q is normalised to %q before matching; write it as %q", kind, t.Text, norm, norm)
		}
		if utf8.RuneCountInString(norm) == 1 {
			add(t, LevelWarning, "%s %q is a single character and will match inside many ordinary words", kind, t.Text)
		}
		if t.Variants == modgate.VariantPinyin && !t.Allow {
			pinyinTerms++
			if pinyinTerms == MaxPinyinTerms+1 {
				add(t, LevelWarning, "more than %d terms opt into @variants pinyin (each costs about 1.2 KiB and every message is projected against all of them): opt in high-risk terms only", MaxPinyinTerms)
			}
		}
		if t.Variants == modgate.VariantPinyin && syllables(norm) < 2 {
			add(t, LevelWarning, "@variants pinyin has no effect on %q: pinyin variants need two or more syllables (one syllable has hundreds of homophones)", t.Text)
		}
		if t.Boundary == "word" && !hasHan(norm) {
			add(t, LevelWarning, "@boundary word has no effect on %q: the word list is Chinese; Latin terms always match on word boundaries", t.Text)
		}
		k := key{norm, t.Category, t.Subcategory, t.Allow}
		if prev, ok := seen[k]; ok {
			add(t, LevelError, "duplicate %s %q (same as %q at %s:%d)", kind, t.Text, prev.Text, prev.File, prev.Line)
			continue
		}
		seen[k] = t
		if t.Allow {
			continue
		}
		if prev, ok := byNorm[norm]; ok {
			add(t, LevelWarning, "term %q also listed as %q at %s:%d with category %s; both will be reported",
				t.Text, prev.Text, prev.File, prev.Line, catString(prev))
			continue
		}
		byNorm[norm] = t
	}
	sortProblems(problems)
	return problems
}

// syllables counts what the variant layer can read in a normalised term:
// Han characters and runs of Latin letters (a run may spell several
// syllables, so this is a lower bound).
func syllables(s string) int {
	n, inRun := 0, false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			n++
			inRun = false
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			if !inRun {
				n++
			}
			inRun = true
		default:
			inRun = false
		}
	}
	return n
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func catString(t modgate.Term) string {
	if t.Subcategory == "" {
		return t.Category
	}
	return t.Category + "." + t.Subcategory
}

// LintFS parses every *.txt file of fsys and lints the result: malformed
// lines and unknown categories (errors from parsing) plus everything Lint
// reports. The error is only for an unreadable folder.
func LintFS(fsys fs.FS, normalize func(string) string) ([]Problem, error) {
	lex, problems, err := parseFS(fsys)
	if err != nil {
		return nil, err
	}
	problems = append(problems, Lint(lex, normalize)...)
	sortProblems(problems)
	return problems, nil
}

// LintDir is LintFS over a folder on disk.
func LintDir(dir string, normalize func(string) string) ([]Problem, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("lexicons: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("lexicons: %s is not a directory", dir)
	}
	return LintFS(os.DirFS(dir), normalize)
}

// HasErrors reports whether any problem is an error (lint exits 1).
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if p.Level == LevelError {
			return true
		}
	}
	return false
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

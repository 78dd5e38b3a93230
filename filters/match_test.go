package filters

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveFindAll is the reference: every occurrence of every pattern.
func naiveFindAll(patterns []string, text string) []Hit {
	var hits []Hit
	for id, p := range patterns {
		if p == "" {
			continue
		}
		for i := 0; i+len(p) <= len(text); i++ {
			if text[i:i+len(p)] == p {
				hits = append(hits, Hit{Pattern: int32(id), Start: int32(i), End: int32(i + len(p))})
			}
		}
	}
	sortHitsByEnd(hits)
	return hits
}

func engines(t testing.TB, patterns []string) map[string]Matcher {
	t.Helper()
	out := map[string]Matcher{}
	for _, e := range []string{EngineCompact, EngineCloudflare} {
		m, err := NewMatcher(e, patterns)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		out[e] = m
	}
	return out
}

func TestMatcherFindAll(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		text     string
		want     []string // "pattern@start-end"
	}{
		{"classic he/she/his/hers", []string{"he", "she", "his", "hers"}, "ushers", []string{"she@1-4", "he@2-4", "hers@2-6"}},
		{"overlapping chinese", []string{"有一个东西", "一个东西", "一个", "东西", "个东"}, "我有一个东西",
			[]string{"一个@6-12", "个东@9-15", "有一个东西@3-18", "一个东西@6-18", "东西@12-18"}},
		{"repeat", []string{"aa"}, "aaaa", []string{"aa@0-2", "aa@1-3", "aa@2-4"}},
		{"no match", []string{"加微信"}, "加个微信吧", nil},
		{"pattern is whole text", []string{"保本保息"}, "保本保息", []string{"保本保息@0-12"}},
		{"empty text", []string{"x"}, "", nil},
		{"suffix of another", []string{"abcd", "bcd", "cd", "d"}, "xabcd", []string{"abcd@1-5", "bcd@2-5", "cd@3-5", "d@4-5"}},
		{"failure chain", []string{"abcx", "bcy", "cz"}, "abcz", []string{"cz@2-4"}},
		{"high bytes", []string{"\xff\x00", "\x00"}, "\xff\x00\x00", []string{"\xff\x00@0-2", "\x00@1-2", "\x00@2-3"}},
	}
	for _, tc := range tests {
		for name, m := range engines(t, tc.patterns) {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				var got []string
				for _, h := range m.FindAll(tc.text, nil) {
					got = append(got, fmt.Sprintf("%s@%d-%d", tc.patterns[h.Pattern], h.Start, h.End))
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got  %q\nwant %q", got, tc.want)
				}
			})
		}
	}
}

func TestNewMatcherErrors(t *testing.T) {
	tests := []struct {
		name, engine string
		patterns     []string
		want         string
	}{
		{"empty pattern", "", []string{"a", ""}, "empty"},
		{"duplicate", "compact", []string{"a", "a"}, "twice"},
		{"unknown engine", "fast", []string{"a"}, "unknown engine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewMatcher(tc.engine, tc.patterns)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCompactEmpty(t *testing.T) {
	m := NewCompact(nil)
	if got := m.FindAll("anything", nil); len(got) != 0 || m.Len() != 0 {
		t.Errorf("empty automaton found %v", got)
	}
}

// randomLexicon draws patterns from a tiny alphabet so they overlap a lot.
func randomLexicon(r *rand.Rand, alphabet []string, n, maxLen int) []string {
	seen := map[string]bool{}
	var ps []string
	for len(ps) < n {
		var b strings.Builder
		l := 1 + r.IntN(maxLen)
		for range l {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		if !seen[b.String()] {
			seen[b.String()] = true
			ps = append(ps, b.String())
		}
	}
	return ps
}

func TestCompactMatchesNaiveRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabets := [][]string{
		{"a", "b", "c"},
		{"微", "信", "加", "v", "x"},
		{"\x00", "\xff", "\x80", "a"},
	}
	for round := range 300 {
		alpha := alphabets[round%len(alphabets)]
		pats := randomLexicon(r, alpha, 1+r.IntN(40), 6)
		m := NewCompact(pats)
		for range 20 {
			var b strings.Builder
			for range r.IntN(60) {
				b.WriteString(alpha[r.IntN(len(alpha))])
			}
			text := b.String()
			got := m.FindAll(text, nil)
			want := naiveFindAll(pats, text)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("patterns %q text %q:\n got %v\nwant %v", pats, text, got, want)
			}
		}
	}
}

// FuzzEnginesAgree is the differential test the design asks for: the
// compact engine and the cloudflare adapter must report exactly the same
// hits. Lexicons stay small because cloudflare costs 4 KiB per pattern byte.
func FuzzEnginesAgree(f *testing.F) {
	f.Add("加微信\n微信\nvx\n信", "快加微信vx领红包")
	f.Add("he\nshe\nhis\nhers", "ushers and his")
	f.Add("有一个东西\n一个东西\n一个\n东西\n个东", "我有一个东东西")
	f.Add("aa\na\naaa", "aaaaab")
	f.Fuzz(func(t *testing.T, lexicon, text string) {
		// Small inputs: cloudflare's build is slow on long repetitive
		// patterns (seconds under coverage instrumentation), which would
		// stall the fuzzer without finding more.
		if len(lexicon) > 1000 || len(text) > 2000 {
			return
		}
		seen := map[string]bool{}
		var pats []string
		for p := range strings.SplitSeq(lexicon, "\n") {
			if p != "" && len(p) <= 48 && !seen[p] && len(pats) < 64 {
				seen[p] = true
				pats = append(pats, p)
			}
		}
		if len(pats) == 0 {
			return
		}
		cf, err := NewMatcher(EngineCloudflare, pats)
		if err != nil {
			t.Fatal(err)
		}
		cm, err := NewMatcher(EngineCompact, pats)
		if err != nil {
			t.Fatal(err)
		}
		a := cf.FindAll(text, nil)
		b := cm.FindAll(text, nil)
		// The engines agree wherever patterns are whole runes (lexicon
		// terms always are); a pattern that is a fragment of a character
		// is found by the compact engine only on the same invalid bytes.
		valid := true
		for _, p := range pats {
			valid = valid && utf8.ValidString(p)
		}
		if valid && !reflect.DeepEqual(a, b) {
			t.Fatalf("engines disagree on patterns %q text %q:\ncloudflare %v\ncompact    %v", pats, text, a, b)
		}
		if want := naiveSymbolFindAll(pats, text); !reflect.DeepEqual(b, want) {
			t.Fatalf("compact differs from the symbol-level reference on patterns %q text %q: %v vs %v", pats, text, b, want)
		}
	})
}

// naiveSymbolFindAll is the compact engine's reference: occurrences that
// start and end on the text's symbol boundaries (runes, or single invalid
// bytes); decoding from a boundary is fixed by the bytes, so the symbols
// inside then are the pattern's own.
func naiveSymbolFindAll(patterns []string, text string) []Hit {
	bound := map[int]bool{len(text): true}
	for i := 0; i < len(text); {
		bound[i] = true
		_, w := symAt(text, i)
		i += w
	}
	var hits []Hit
	for _, h := range naiveFindAll(patterns, text) {
		if bound[int(h.Start)] && bound[int(h.End)] {
			hits = append(hits, h)
		}
	}
	return hits
}

func TestCompactLargeLexiconSpotCheck(t *testing.T) {
	// A few thousand generated CJK terms exercise double-array placement
	// with wide fan-out nodes; every term must be found in itself.
	r := rand.New(rand.NewPCG(7, 7))
	pats := generatedTerms(r, 5000)
	m := NewCompact(pats)
	for i, p := range pats {
		hits := m.FindAll(p, nil)
		found := false
		for _, h := range hits {
			if int(h.Pattern) == i && h.Start == 0 && int(h.End) == len(p) {
				found = true
			}
		}
		if !found {
			t.Fatalf("pattern %d %q not found in itself: %v", i, p, hits)
		}
	}
	text := strings.Join(pats[:50], "，")
	got := m.FindAll(text, nil)
	want := naiveFindAll(pats, text)
	sort.Slice(got, func(i, j int) bool { return hitLess(got[i], got[j]) })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d hits, want %d", len(got), len(want))
	}
}

// generatedTerms makes n distinct 2-6 character terms from common CJK
// characters (used when the shared data set is absent).
func generatedTerms(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		l := 2 + r.IntN(5)
		rs := make([]rune, l)
		for i := range rs {
			rs[i] = rune(0x4e00 + r.IntN(3000))
		}
		s := string(rs)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// TestCompactSymbols pins the rune-level automaton's edge: patterns and
// text are read as UTF-8 symbols, an invalid byte being a symbol of its
// own, so a decoder resyncs after garbage and a fragment of a character
// matches only the same invalid bytes, never the inside of a valid rune.
func TestCompactSymbols(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		text     string
		want     []string
	}{
		{"resync after an invalid byte", []string{"中"}, "\xe4中\xff中", []string{"中@1-4", "中@5-8"}},
		{"fragment not inside a valid rune", []string{"\xe4\xb8"}, "中", nil},
		{"fragment matches the same invalid bytes", []string{"\xe4\xb8"}, "a\xe4\xb8x", []string{"\xe4\xb8@1-3"}},
		{"two-byte and four-byte runes", []string{"é", "😀x"}, "café😀x", []string{"é@3-5", "😀x@5-10"}},
		{"surrogate encoding is invalid bytes", []string{"a"}, "\xed\xa0\x80a", []string{"a@3-4"}},
		{"rune no pattern holds resets the state", []string{"加微信"}, "加微x信加微信", []string{"加微信@10-19"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range NewCompact(tc.patterns).FindAll(tc.text, nil) {
				got = append(got, fmt.Sprintf("%s@%d-%d", tc.patterns[h.Pattern], h.Start, h.End))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

package screen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
)

// evasion is one way spammers disguise text, applied to every message of a
// family set with a fixed seed.
type evasion struct {
	name string
	// drop is how many points of recall (with the fitting label) the
	// disguise may cost against the plain text before the test fails.
	drop float64
	f    func(rng *rand.Rand, s string) string
}

func han(r rune) bool { return unicode.Is(unicode.Han, r) }

// evasions builds the disguises. pool holds, per pinyin syllable, the Han
// characters of the team sets that read that way (homophones to swap in);
// trad maps a simplified character to a traditional one.
func evasions(pool map[string][]rune, trad map[rune]rune) []evasion {
	return []evasion{
		{"separators", 5, func(rng *rand.Rand, s string) string {
			seps := []string{" ", "·", "*", "丨", "❤", "🌹", "/", "-"}
			sep := seps[rng.IntN(len(seps))]
			var b strings.Builder
			rs := []rune(s)
			for i, r := range rs {
				b.WriteRune(r)
				if i+1 < len(rs) && han(r) && han(rs[i+1]) && rng.IntN(2) == 0 {
					b.WriteString(sep)
				}
			}
			return b.String()
		}},
		{"traditional", 3, func(_ *rand.Rand, s string) string {
			rs := []rune(s)
			for i, r := range rs {
				if t, ok := trad[r]; ok {
					rs[i] = t
				}
			}
			return string(rs)
		}},
		{"numerals", 8, func(rng *rand.Rand, s string) string {
			sets := [][]string{
				strings.Split("零一二三四五六七八九", ""), strings.Split("零壹贰叁肆伍陆柒捌玖", ""),
				strings.Split("洞幺两三四五六拐八勾", ""), strings.Split("⓪①②③④⑤⑥⑦⑧⑨", ""),
			}
			set := sets[rng.IntN(len(sets))]
			var b strings.Builder
			for _, r := range s {
				if r >= '0' && r <= '9' {
					b.WriteString(set[r-'0'])
					continue
				}
				b.WriteRune(r)
			}
			return b.String()
		}},
		{"fullwidth", 3, func(_ *rand.Rand, s string) string {
			var b strings.Builder
			for _, r := range s {
				if r > 0x20 && r < 0x7f {
					r += 0xFEE0
				}
				b.WriteRune(r)
			}
			return b.String()
		}},
		{"pinyin 20%", 25, func(rng *rand.Rand, s string) string {
			var b strings.Builder
			for _, r := range s {
				if han(r) && rng.IntN(10) < 2 {
					if sy := filters.Syllable(r); sy != "" {
						b.WriteString(sy)
						continue
					}
				}
				b.WriteRune(r)
			}
			return b.String()
		}},
		{"homophones 30%", 35, func(rng *rand.Rand, s string) string {
			rs := []rune(s)
			for i, r := range rs {
				if han(r) && rng.IntN(10) < 3 {
					if c := pool[filters.Syllable(r)]; len(c) > 1 {
						rs[i] = c[rng.IntN(len(c))]
					}
				}
			}
			return string(rs)
		}},
	}
}

// TestEvasionRobustness disguises the tuning family sets the ways spammers
// do (separators, traditional characters, spelled-out digits, full-width,
// Latin pinyin for single characters, homophones) and holds recall with the
// fitting label to within a bound of the plain text. The table it logs is
// the one in QUALITY.md.
func TestEvasionRobustness(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the evasion measurement")
	}
	s := shippedScreener(t)
	var files []string
	for _, d := range []string{"families", "families2"} {
		m, _ := filepath.Glob(filepath.Join(qualityDir, d, "*.tsv"))
		files = append(files, m...)
	}
	type set struct {
		name    string
		samples []Sample
	}
	var sets []set
	pool := map[string][]rune{}
	seen := map[rune]bool{}
	for _, f := range files {
		ss := readCorpusFile(t, f, FormatLabel)
		sets = append(sets, set{filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f), ss})
		for _, sm := range ss {
			for _, r := range sm.Text {
				if han(r) && !seen[r] {
					seen[r] = true
					if sy := filters.Syllable(r); sy != "" {
						pool[sy] = append(pool[sy], r)
					}
				}
			}
		}
	}
	for _, rs := range pool {
		slices.Sort(rs)
	}
	// Traditional forms: characters the normaliser folds to a simplified one.
	trad := map[rune]rune{}
	for r := rune(0x4E00); r <= 0x9FFF; r++ {
		if s := []rune(filters.NormalizeString(string(r))); len(s) == 1 && s[0] != r && han(s[0]) {
			if _, ok := trad[s[0]]; !ok {
				trad[s[0]] = r
			}
		}
	}
	recall := func(ss []Sample, f func(string) string) float64 {
		ok, n := 0, 0
		for _, sm := range ss {
			if len(sm.Labels) == 0 {
				continue
			}
			v, err := s.Screen(context.Background(), modgate.Message{Text: f(sm.Text)})
			if err != nil {
				continue
			}
			n++
			if slices.Contains(v.Labels, sm.Labels[0]) {
				ok++
			}
		}
		return 100 * float64(ok) / float64(max(n, 1))
	}
	evs := evasions(pool, trad)
	var tab strings.Builder
	fmt.Fprintf(&tab, "| set | plain |")
	for _, e := range evs {
		fmt.Fprintf(&tab, " %s |", e.name)
	}
	tab.WriteString("\n")
	total := make([]float64, len(evs)+1)
	for _, st := range sets {
		plain := recall(st.samples, func(s string) string { return s })
		total[0] += plain
		fmt.Fprintf(&tab, "| %s | %.0f |", st.name, plain)
		for i, e := range evs {
			rng := rand.New(rand.NewPCG(uint64(i+1), 7))
			got := recall(st.samples, func(s string) string { return e.f(rng, s) })
			total[i+1] += got
			fmt.Fprintf(&tab, " %.0f |", got)
		}
		tab.WriteString("\n")
	}
	fmt.Fprintf(&tab, "| mean | %.1f |", total[0]/float64(len(sets)))
	for i, e := range evs {
		mean := total[i+1] / float64(len(sets))
		fmt.Fprintf(&tab, " %.1f |", mean)
		if d := total[0]/float64(len(sets)) - mean; d > e.drop {
			t.Errorf("%s costs %.1f points of mean recall, bound %.0f", e.name, d, e.drop)
		}
	}
	t.Logf("recall (%%) with the fitting label, plain and disguised:\n%s", tab.String())
	if os.Getenv("MODGATE_EVASION_TABLE") != "" {
		fmt.Print(tab.String())
	}
}

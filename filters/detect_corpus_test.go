package filters

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modgate/modgate/internal/testkit"
)

// sharedData returns a file of ../shared/data, or skips the test (saying
// so on the terminal) when the folder is absent: it is test data, never
// shipped.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(testkit.SharedData(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not present", p)
	}
	return p
}

// readColumn returns column col (last when col < 0) of a TSV with a header.
func readColumn(t *testing.T, path string, col int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var out []string
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		c := col
		if c < 0 {
			c = len(cols) - 1
		}
		if c < len(cols) {
			out = append(out, cols[c])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDetectBenignCorpora runs the normaliser and detectors over real
// benign chat SMS and news titles: no personal data may fire, contacts
// (only real domains such as "51.com" in a headline) stay under 0.1%, and
// the normaliser is idempotent on every text.
func TestDetectBenignCorpora(t *testing.T) {
	corpora := []struct {
		name, file string
		col        int
	}{
		{"nus chat sms", "benign_nus_sms_zh.tsv", 2},
		{"thucnews titles", "benign_thucnews_titles.tsv", -1},
	}
	for _, c := range corpora {
		t.Run(c.name, func(t *testing.T) {
			texts := readColumn(t, sharedData(t, c.file), c.col)
			z := NewNormalizer()
			counts := map[string]int{}
			for _, s := range texts {
				n := z.Normalize(s)
				folded := n.Text
				for _, m := range Detect(n, nil) {
					counts[m.Subcategory]++
					if m.Category == "pii" {
						t.Errorf("personal data %s %q in benign text %q", m.Subcategory, m.Text, s)
					}
				}
				if again := NormalizeString(folded); again != folded {
					t.Errorf("not idempotent on %q: %q -> %q", s, folded, again)
				}
			}
			contacts := 0
			for k, v := range counts {
				if k == KindPrice || k == KindHeader || k == KindAddress {
					continue // commerce signals, not contacts: news quotes prices
				}
				contacts += v
			}
			t.Logf("%d texts, hits %v", len(texts), counts)
			if float64(contacts) > 0.001*float64(len(texts)) {
				t.Errorf("%d contact hits in %d benign texts (> 0.1%%): %v", contacts, len(texts), counts)
			}
		})
	}
}

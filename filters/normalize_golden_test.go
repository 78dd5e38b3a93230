package filters

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateNormalize = flag.Bool("update-normalize", false, "rewrite testdata/normalize.golden")

// TestNormalizeGolden folds realistic messages and compares the folded text
// and detector hits with testdata/normalize.golden.
func TestNormalizeGolden(t *testing.T) {
	f, err := os.Open("testdata/normalize_inputs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	z := NewNormalizer()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n := z.Normalize(line)
		fmt.Fprintf(&b, "in:   %s\nout:  %s\n", line, n.Text)
		for _, m := range Detect(n, nil) {
			fmt.Fprintf(&b, "hit:  %s [%d,%d) %q\n", m.Subcategory, m.Start, m.End, m.Text)
		}
		fmt.Fprintf(&b, "mask: %s\n\n", Mask(line, Detect(n, nil)))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	const golden = "testdata/normalize.golden"
	if *updateNormalize {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-normalize to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s line %d:\n got: %s\nwant: %s", golden, i+1, g, w)
			}
		}
	}
}

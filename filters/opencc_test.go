package filters

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestToSimplified(t *testing.T) {
	initTables()
	cases := []struct{ name, trad, simp string }{
		{"ten thousand", "萬", "万"},
		{"after", "後", "后"},
		{"hair", "髮", "发"},
		{"first candidate of 乾", "乾", "干"},
		{"extension A", "㑯", "㑔"},
		{"to astral", "㑮", "𫝈"},
		{"simplified unchanged", "发", "发"},
		{"not chinese", "a", "a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := []rune(c.trad)[0]
			if got := string(toSimplified(r)); got != c.simp {
				t.Errorf("toSimplified(%s) = %s, want %s", c.trad, got, c.simp)
			}
		})
	}
}

// TestToSimplifiedIdempotent: the generator resolves chains, so folding a
// simplified character again changes nothing.
func TestToSimplifiedIdempotent(t *testing.T) {
	initTables()
	rs := []rune(tsPairs)
	if len(rs) < 2*4000 {
		t.Fatalf("only %d pairs", len(rs)/2)
	}
	for i := 1; i < len(rs); i += 2 {
		if s := toSimplified(rs[i]); s != rs[i] {
			t.Errorf("%c -> %c -> %c", rs[i-1], rs[i], s)
		}
	}
}

// TestOpenCCTableUpToDate regenerates the table from the OpenCC module in
// the local module cache and compares; skipped when the module is absent.
func TestOpenCCTableUpToDate(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("go env:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "github.com/longbridgeapp/opencc@v0.3.13/dictionary/TSCharacters.txt")
	if _, err := os.Stat(src); err != nil {
		t.Skip("OpenCC module not in the module cache")
	}
	dst := filepath.Join(t.TempDir(), "opencc_table.go")
	cmd := exec.Command("go", "run", "./internal/gen", "-src", src, "-o", dst)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	want, _ := os.ReadFile("opencc_table.go")
	got, _ := os.ReadFile(dst)
	if string(got) != string(want) {
		t.Errorf("opencc_table.go is stale: run go generate ./filters")
	}
}

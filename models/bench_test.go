package models

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// benchMessages builds ~100-byte messages (90–108 bytes) from the public
// chat and spam corpora in ../shared/data (the same recipe as the filter
// benchmarks), or generated Chinese text when they are absent.
func benchMessages(tb testing.TB, n int) []string {
	tb.Helper()
	var texts []string
	for _, src := range []struct {
		file string
		col  int
	}{{"benign_nus_sms_zh.tsv", 2}, {"sms_spam_80w_sample.tsv", 1}} {
		f, err := os.Open(filepath.Join("..", "..", "shared", "data", src.file))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan()
		for sc.Scan() {
			if cols := strings.Split(sc.Text(), "\t"); len(cols) > src.col && cols[src.col] != "" {
				texts = append(texts, cols[src.col])
			}
		}
		f.Close()
	}
	r := rand.New(rand.NewPCG(1, 1))
	if len(texts) == 0 {
		for range 4 * n {
			rs := make([]rune, 10+r.IntN(30))
			for i := range rs {
				rs[i] = rune(0x4e00 + r.IntN(3000))
			}
			texts = append(texts, string(rs))
		}
	}
	r.Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
	var out []string
	var cur strings.Builder
	for _, t := range texts {
		if len(out) == n {
			break
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		for _, r := range t {
			if cur.Len()+utf8.RuneLen(r) > 108 {
				break
			}
			cur.WriteRune(r)
		}
		if cur.Len() >= 90 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScore scores every shipped model label of a ~100-byte message
// (the target: ≤ 1.5 µs for all labels together, 0–1 allocations).
// Run with -cpu 1.
func BenchmarkScore(b *testing.B) {
	s, err := LoadFS(Default)
	if err != nil {
		b.Fatal(err)
	}
	msgs := benchMessages(b, 2000)
	out := make([]float64, s.Len())
	extras := make([]float32, len(s.Extras()))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for i := 0; b.Loop(); i++ {
		s.Score(msgs[i%len(msgs)], extras, out)
		n++
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(s.Len()), "labels")
}

// BenchmarkExplain is the cost of explaining one flagged score (only
// messages a model rule acted on pay it).
func BenchmarkExplain(b *testing.B) {
	s, err := LoadFS(Default)
	if err != nil {
		b.Fatal(err)
	}
	msgs := benchMessages(b, 2000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Explain("abuse", msgs[i%len(msgs)], 3)
	}
}

func TestShippedModels(t *testing.T) {
	s, err := LoadFS(Default)
	if err != nil {
		t.Fatalf("shipped models: %v", err)
	}
	for _, m := range s.Models() {
		if m.Label+Ext != m.File {
			t.Errorf("%s holds %s", m.File, m.Label)
		}
		if len(m.Training) == 0 {
			t.Errorf("%s has no training metadata", m.File)
		}
		if _, err := os.Stat(m.Label + ".md"); err != nil {
			t.Errorf("%s has no model card: %v", m.File, err)
		}
		if _, err := os.Stat(m.Label + ".recipe"); err != nil {
			t.Errorf("%s has no recipe: %v", m.File, err)
		}
	}
}

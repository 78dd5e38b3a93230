// Package benchmarks compares modgate's compact Aho-Corasick engine with
// peer Go libraries on the same lexicon and messages. It is a separate
// module so the peers never enter modgate's own go.mod.
package benchmarks

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	bobu "github.com/BobuSumisu/aho-corasick"
	anknown "github.com/anknown/ahocorasick"
	coregx "github.com/coregx/ahocorasick"

	"github.com/modgate/modgate/filters"
)

// sharedFile finds ../shared/data next to the repository (this module
// lives in <repo>/benchmarks).
func sharedFile(name string) string {
	p := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

var (
	once     sync.Once
	terms    []string // distinct normalised terms, 2+ characters
	msgs     []string // normalised ~100-byte messages
	msgBs    [][]byte // the same as bytes, for the []byte-based peers
	msgRunes [][]rune // the same as runes, for rune-based anknown
	msgBytes int
	sources  string
)

func load(tb testing.TB) {
	tb.Helper()
	once.Do(func() {
		var tsrc, msrc string
		terms, tsrc = loadTerms(120_000)
		var raw []string
		raw, msrc = loadMessages(2000)
		z := filters.NewNormalizer()
		for _, m := range raw {
			n := z.Normalize(m).Text
			msgs = append(msgs, n)
			msgBs = append(msgBs, []byte(n))
			msgRunes = append(msgRunes, []rune(n))
			msgBytes += len(n)
		}
		sources = fmt.Sprintf("terms: %s; messages: %s", tsrc, msrc)
	})
}

func loadTerms(n int) ([]string, string) {
	seen := map[string]bool{}
	var out []string
	if p := sharedFile("lexicon_union_all_sensitive.txt"); p != "" {
		if f, err := os.Open(p); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() && len(out) < n {
				t := filters.NormalizeString(strings.TrimSpace(sc.Text()))
				if utf8.RuneCountInString(t) < 2 || seen[t] {
					continue
				}
				seen[t] = true
				out = append(out, t)
			}
			f.Close()
			if len(out) > n/2 {
				return out, "lexicon_union_all_sensitive.txt"
			}
		}
	}
	r := rand.New(rand.NewPCG(42, 42))
	for len(out) < n {
		rs := make([]rune, 2+r.IntN(5))
		for i := range rs {
			rs[i] = rune(0x4e00 + r.IntN(3000))
		}
		if s := string(rs); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, "generated"
}

func loadMessages(n int) ([]string, string) {
	var texts []string
	for _, src := range []struct {
		file string
		col  int
	}{{"benign_nus_sms_zh.tsv", 2}, {"sms_spam_80w_sample.tsv", 1}} {
		p := sharedFile(src.file)
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan()
		for sc.Scan() {
			cols := strings.Split(sc.Text(), "\t")
			if len(cols) > src.col && cols[src.col] != "" {
				texts = append(texts, cols[src.col])
			}
		}
		f.Close()
	}
	source := "benign_nus_sms_zh.tsv + sms_spam_80w_sample.tsv"
	if len(texts) == 0 {
		source = "generated"
		r := rand.New(rand.NewPCG(1, 1))
		for range 4 * n {
			rs := make([]rune, 10+r.IntN(30))
			for i := range rs {
				rs[i] = rune(0x4e00 + r.IntN(3000))
			}
			texts = append(texts, string(rs))
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	r.Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
	var out []string
	var b strings.Builder
	for _, t := range texts {
		if len(out) == n {
			break
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(t)
		if b.Len() < 90 {
			continue
		}
		s := b.String()
		if len(s) > 108 {
			cut := 108
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut]
		}
		out = append(out, s)
		b.Reset()
	}
	return out, source
}

// engine is one library behind a common shape: count every overlapping
// match in a message.
type engine struct {
	name  string
	max   int // largest lexicon it is measured at (memory)
	build func(terms []string) any
	count func(m any, i int) int // matches in msgs[i]
}

var engines = []engine{
	{
		name:  "modgate-compact",
		max:   100_000,
		build: func(t []string) any { return filters.NewCompact(t) },
		count: func(m any, i int) int {
			hits := hitBuf.Get().(*[]filters.Hit)
			*hits = m.(*filters.Compact).FindAll(msgs[i], (*hits)[:0])
			n := len(*hits)
			hitBuf.Put(hits)
			return n
		},
	},
	{
		name: "coregx",
		max:  100_000,
		build: func(t []string) any {
			a, err := coregx.NewBuilder().AddStrings(t).Build()
			if err != nil {
				panic(err)
			}
			return a
		},
		count: func(m any, i int) int {
			return len(m.(*coregx.Automaton).FindAllOverlapping(msgBs[i]))
		},
	},
	{
		name:  "bobusumisu",
		max:   50_000, // 2 KiB per trie state: ~GBs beyond
		build: func(t []string) any { return bobu.NewTrieBuilder().AddStrings(t).Build() },
		count: func(m any, i int) int {
			n := 0
			m.(*bobu.Trie).Walk(msgBs[i], func(end, l, p int64) bool { n++; return true })
			return n
		},
	},
	{
		name: "anknown",
		max:  100_000,
		build: func(t []string) any {
			ks := make([][]rune, len(t))
			sorted := slices.Clone(t)
			slices.Sort(sorted) // its double-array builder wants sorted keys
			for i, s := range sorted {
				ks[i] = []rune(s)
			}
			m := new(anknown.Machine)
			if err := m.Build(ks); err != nil {
				panic(err)
			}
			return m
		},
		count: func(m any, i int) int {
			return len(m.(*anknown.Machine).MultiPatternSearch(msgRunes[i], false))
		},
	},
}

var hitBuf = sync.Pool{New: func() any { s := make([]filters.Hit, 0, 64); return &s }}

var sizes = []int{1_000, 10_000, 50_000, 100_000}

var (
	built   = map[string]any{}
	builtMu sync.Mutex
)

// get builds (or reuses) one automaton, keeping only one alive at a time
// so peak memory stays at one engine.
func get(b *testing.B, e engine, n int) any {
	b.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	key := fmt.Sprint(e.name, n)
	if m, ok := built[key]; ok {
		return m
	}
	clear(built)
	runtime.GC()
	m := e.build(terms[:min(n, len(terms))])
	built[key] = m
	return m
}

// BenchmarkMatch is the match step alone: normalised message in, every
// overlapping match found (counted), one goroutine.
func BenchmarkMatch(b *testing.B) {
	load(b)
	avg := int64(msgBytes / len(msgs))
	for _, n := range sizes {
		for _, e := range engines {
			if n > e.max {
				continue
			}
			b.Run(fmt.Sprintf("terms=%d/lib=%s", n, e.name), func(b *testing.B) {
				m := get(b, e, n)
				b.SetBytes(avg)
				b.ReportAllocs()
				total := 0
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := range b.N {
					total += e.count(m, i%len(msgs))
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/msg")
				// CPU time stays meaningful when other processes share the cores.
				b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/msg")
				runtime.KeepAlive(total)
			})
		}
	}
}

// BenchmarkBuild reports build CPU time and retained heap per library.
func BenchmarkBuild(b *testing.B) {
	load(b)
	for _, n := range sizes {
		for _, e := range engines {
			if n > e.max {
				continue
			}
			b.Run(fmt.Sprintf("terms=%d/lib=%s", n, e.name), func(b *testing.B) {
				clear(built)
				t := terms[:min(n, len(terms))]
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				cpu0 := cpuTime()
				start := time.Now()
				m := e.build(t)
				wall := time.Since(start)
				cpu := cpuTime() - cpu0
				runtime.GC()
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(m)
				heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
				// Measured once above; report after b.Loop, which resets
				// the timer and any metric reported before it.
				for b.Loop() {
				}
				b.ReportMetric(float64(wall.Milliseconds()), "build-ms")
				b.ReportMetric(float64(cpu.Milliseconds()), "build-cpu-ms")
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
				b.ReportMetric(float64(heap)/float64(len(t)), "heap-B/term")
			})
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSameMatches checks the comparison is fair: every library finds the
// same number of matches as modgate's engine on every message.
func TestSameMatches(t *testing.T) {
	load(t)
	t.Log(sources)
	n := 10_000
	tt := terms[:min(n, len(terms))]
	var ref any
	for _, e := range engines {
		m := e.build(tt)
		if ref == nil {
			ref = m
		}
		mismatches := 0
		for i := range msgs {
			if got, want := e.count(m, i), engines[0].count(ref, i); got != want {
				if mismatches < 3 {
					t.Errorf("%s: message %d: %d matches, modgate-compact %d", e.name, i, got, want)
				}
				mismatches++
			}
		}
		if mismatches > 0 {
			t.Errorf("%s: %d of %d messages differ", e.name, mismatches, len(msgs))
		}
	}
}

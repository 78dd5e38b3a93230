package filters

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// Benchmarks read ../shared/data (next to the repository) when present and
// fall back to generated data otherwise, so they always run.

func sharedDataFile(name string) string {
	p := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

var (
	acOnce       sync.Once
	acTerms      []string // unique normalised terms, union lexicon order
	acMsgs       []string
	acMsgBytes   int // total bytes of acMsgs
	acTermSource string
	acMsgSource  string
)

func loadACBench(tb testing.TB) {
	tb.Helper()
	acOnce.Do(func() {
		acTerms, acTermSource = loadACTerms(120_000)
		acMsgs, acMsgSource = loadACMessages(2000)
		for _, m := range acMsgs {
			acMsgBytes += len(m)
		}
	})
}

// loadACTerms returns up to n distinct normalised terms of 2+ characters.
func loadACTerms(n int) ([]string, string) {
	seen := map[string]bool{}
	var out []string
	if p := sharedDataFile("lexicon_union_all_sensitive.txt"); p != "" {
		f, err := os.Open(p)
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() && len(out) < n {
				t := NormalizeString(strings.TrimSpace(sc.Text()))
				if utf8.RuneCountInString(t) < 2 || seen[t] {
					continue
				}
				seen[t] = true
				out = append(out, t)
			}
			if len(out) >= n/2 {
				return out, "lexicon_union_all_sensitive.txt"
			}
		}
	}
	r := rand.New(rand.NewPCG(42, 42))
	for _, t := range generatedTerms(r, n) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
		if len(out) == n {
			break
		}
	}
	return out, "generated"
}

// loadACMessages builds ~100-byte chat messages from the public corpora:
// short texts are joined, long ones cut at a rune boundary.
func loadACMessages(n int) ([]string, string) {
	var texts []string
	for _, src := range []struct {
		file string
		col  int
	}{{"benign_nus_sms_zh.tsv", 2}, {"sms_spam_80w_sample.tsv", 1}} {
		p := sharedDataFile(src.file)
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		var part []string
		for sc.Scan() {
			cols := strings.Split(sc.Text(), "\t")
			if len(cols) > src.col && cols[src.col] != "" {
				part = append(part, cols[src.col])
			}
		}
		f.Close()
		// Interleave benign and spam so both kinds are measured.
		texts = append(texts, part...)
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
	var msgs []string
	var b strings.Builder
	for _, t := range texts {
		if len(msgs) == n {
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
		msgs = append(msgs, s)
		b.Reset()
	}
	return msgs, source
}

var acSizes = []int{1_000, 10_000, 50_000, 100_000}

func acLexicon(terms []string) modgate.Lexicon {
	lex := modgate.Lexicon{Revision: "bench"}
	for _, t := range terms {
		lex.Terms = append(lex.Terms, modgate.Term{Text: t, Category: "illegal", Severity: 2})
	}
	return lex
}

var (
	acFilterCache   = map[string]*Filter{}
	acFilterCacheMu sync.Mutex
)

func acCachedFilter(b *testing.B, engine string, n int) *Filter {
	b.Helper()
	acFilterCacheMu.Lock()
	defer acFilterCacheMu.Unlock()
	key := fmt.Sprint(engine, n)
	if f := acFilterCache[key]; f != nil {
		return f
	}
	// Keep at most one cloudflare filter alive: it is gigabytes at size.
	for k := range acFilterCache {
		delete(acFilterCache, k)
	}
	runtime.GC()
	f, err := New(acLexicon(acTerms[:min(n, len(acTerms))]), Options{Engine: engine})
	if err != nil {
		b.Fatal(err)
	}
	acFilterCache[key] = f
	return f
}

// acEngineSizes: cloudflare costs ~48 MiB per 1k CJK terms, so it is only
// measured where it is usable.
func acEngineSizes(engine string) []int {
	if engine == EngineCloudflare {
		return []int{1_000, 10_000}
	}
	return acSizes
}

// BenchmarkScan is the whole filter step: validate, normalise, match,
// allow-list, detectors, masking.
func BenchmarkScan(b *testing.B) {
	loadACBench(b)
	for _, engine := range []string{EngineCompact, EngineCloudflare} {
		for _, n := range acEngineSizes(engine) {
			b.Run(fmt.Sprintf("engine=%s/terms=%d", engine, n), func(b *testing.B) {
				f := acCachedFilter(b, engine, n)
				b.SetBytes(int64(acMsgBytes / len(acMsgs)))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := acCPUTime()
				for i := range b.N {
					if _, err := f.Scan(acMsgs[i%len(acMsgs)]); err != nil {
						b.Fatal(err)
					}
				}
				reportPerMsg(b, cpu0)
			})
		}
	}
}

// BenchmarkScanParallel is BenchmarkScan on all cores.
func BenchmarkScanParallel(b *testing.B) {
	loadACBench(b)
	for _, n := range acSizes {
		b.Run(fmt.Sprintf("engine=compact/terms=%d", n), func(b *testing.B) {
			f := acCachedFilter(b, EngineCompact, n)
			b.SetBytes(int64(acMsgBytes / len(acMsgs)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := acCPUTime()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(acMsgs))
				for pb.Next() {
					if _, err := f.Scan(acMsgs[i%len(acMsgs)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
			reportPerMsg(b, cpu0)
		})
	}
}

// BenchmarkNormalizeMatch is the target metric: normalise + match, one
// goroutine (target ≤ 1.5 µs per ~100-byte message at 50k terms).
func BenchmarkNormalizeMatch(b *testing.B) {
	loadACBench(b)
	for _, n := range acSizes {
		b.Run(fmt.Sprintf("engine=compact/terms=%d", n), func(b *testing.B) {
			m := NewCompact(acTerms[:min(n, len(acTerms))])
			z := NewNormalizer()
			var hits []Hit
			b.SetBytes(int64(acMsgBytes / len(acMsgs)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := acCPUTime()
			for i := range b.N {
				nz := z.Normalize(acMsgs[i%len(acMsgs)])
				hits = m.FindAll(nz.Text, hits[:0])
			}
			reportPerMsg(b, cpu0)
		})
	}
}

// BenchmarkMatch is the match step alone on pre-normalised messages (the
// number to compare with the peer libraries in ../benchmarks).
func BenchmarkMatch(b *testing.B) {
	loadACBench(b)
	z := NewNormalizer()
	norm := make([]string, len(acMsgs))
	total := 0
	for i, m := range acMsgs {
		norm[i] = z.Normalize(m).Text
		total += len(norm[i])
	}
	for _, engine := range []string{EngineCompact, EngineCloudflare} {
		for _, n := range acEngineSizes(engine) {
			b.Run(fmt.Sprintf("engine=%s/terms=%d", engine, n), func(b *testing.B) {
				m, err := NewMatcher(engine, acTerms[:min(n, len(acTerms))])
				if err != nil {
					b.Fatal(err)
				}
				var hits []Hit
				b.SetBytes(int64(total / len(norm)))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := acCPUTime()
				for i := range b.N {
					hits = m.FindAll(norm[i%len(norm)], hits[:0])
				}
				reportPerMsg(b, cpu0)
				runtime.KeepAlive(m)
			})
		}
	}
}

// BenchmarkBuild measures building the compact automaton (ns/op is the
// build time) and the heap it retains afterwards.
func BenchmarkBuild(b *testing.B) {
	loadACBench(b)
	for _, n := range acSizes {
		terms := acTerms[:min(n, len(acTerms))]
		b.Run(fmt.Sprintf("engine=compact/terms=%d", n), func(b *testing.B) {
			var m *Compact
			cpu0 := acCPUTime()
			for b.Loop() {
				m = NewCompact(terms)
			}
			// CPU time per build: wall time is inflated when the machine
			// is shared.
			b.ReportMetric(float64((acCPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			size := m.SizeBytes()
			m = nil
			heap := acRetainedHeap(func() any { return NewCompact(terms) })
			b.ReportMetric(float64(heap)/float64(len(terms)), "heap-B/term")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(size)/(1<<20), "size-MiB")
		})
		b.Run(fmt.Sprintf("filter=compact/terms=%d", n), func(b *testing.B) {
			lex := acLexicon(terms)
			cpu0 := acCPUTime()
			for b.Loop() {
				if _, err := New(lex, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((acCPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			heap := acRetainedHeap(func() any {
				f, _ := New(lex, Options{})
				return f
			})
			b.ReportMetric(float64(heap)/float64(len(terms)), "heap-B/term")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			// The lexicon must outlive the measurement, or its own freeing
			// is subtracted from the filter's size.
			runtime.KeepAlive(lex)
		})
	}
	for _, n := range []int{1_000, 10_000} {
		terms := acTerms[:min(n, len(acTerms))]
		b.Run(fmt.Sprintf("engine=cloudflare/terms=%d", n), func(b *testing.B) {
			start := time.Now()
			heap := acRetainedHeap(func() any { return NewCloudflare(terms) })
			elapsed := time.Since(start)
			// Built once; b.Loop resets metrics reported before it.
			for b.Loop() {
			}
			b.ReportMetric(float64(elapsed.Milliseconds()), "build+gc-ms")
			b.ReportMetric(float64(heap)/float64(len(terms)), "heap-B/term")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
		})
	}
}

// reportPerMsg reports wall and CPU nanoseconds per message. CPU time
// stays meaningful when other processes share the cores; with RunParallel
// it is summed over goroutines.
func reportPerMsg(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/msg")
	b.ReportMetric(float64((acCPUTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/msg")
}

// acCPUTime is the process's user+system CPU time so far.
func acCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// acRetainedHeap is the live heap growth caused by keeping build()'s result.
func acRetainedHeap(build func() any) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

func TestACBenchData(t *testing.T) {
	loadACBench(t)
	if len(acTerms) < 1000 || len(acMsgs) < 100 {
		t.Fatalf("bench data too small: %d terms, %d messages", len(acTerms), len(acMsgs))
	}
	avg := acMsgBytes / len(acMsgs)
	if avg < 80 || avg > 130 {
		t.Errorf("average message %d bytes, want ~100", avg)
	}
	t.Logf("terms: %d from %s; messages: %d (avg %d bytes) from %s", len(acTerms), acTermSource, len(acMsgs), avg, acMsgSource)
}

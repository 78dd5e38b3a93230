package filters

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/modgate/modgate"
)

// variantBenchLexicon is the first n union terms plus the opted-in fixture
// terms: testdata/variants_fixture.txt (268 gambling/porn/contact terms
// with @variants pinyin) and testdata/false_blocks.txt (@boundary word
// terms). all=true opts every union term into pinyin variants as well
// (the worst case: a lexicon that opts in wholesale).
func variantBenchLexicon(tb testing.TB, n int, all bool) modgate.Lexicon {
	tb.Helper()
	lex := acLexicon(acTerms[:min(n, len(acTerms))])
	if all {
		for i := range lex.Terms {
			lex.Terms[i].Variants = modgate.VariantPinyin
		}
	}
	for _, fx := range []string{"testdata/variants_fixture.txt", "testdata/false_blocks.txt"} {
		lex.Terms = append(lex.Terms, readFixtureLexicon(tb, fx).Terms...)
	}
	return lex
}

var variantFilterCache = map[string]*Filter{}

func variantCachedFilter(b *testing.B, n int, all bool) *Filter {
	b.Helper()
	key := fmt.Sprint(n, all)
	if f := variantFilterCache[key]; f != nil {
		return f
	}
	clear(variantFilterCache)
	runtime.GC()
	f, err := New(variantBenchLexicon(b, n, all), Options{})
	if err != nil {
		b.Fatal(err)
	}
	variantFilterCache[key] = f
	return f
}

// BenchmarkScanVariants is BenchmarkScan (the whole filter step) with the
// variant layer and word boundaries switched on by opted-in terms.
func BenchmarkScanVariants(b *testing.B) {
	loadACBench(b)
	for _, c := range []struct {
		name string
		all  bool
	}{{"fixture", false}, {"all", true}} {
		for _, n := range []int{50_000, 100_000} {
			b.Run(fmt.Sprintf("opted=%s/terms=%d", c.name, n), func(b *testing.B) {
				f := variantCachedFilter(b, n, c.all)
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

// BenchmarkBuildVariants: build time and retained heap of a Filter with
// opted-in terms (the word list, loaded once per process, is included in
// the first measurement only; see BenchmarkWordList).
func BenchmarkBuildVariants(b *testing.B) {
	loadACBench(b)
	initPinyin()
	if err := loadWords(); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		all  bool
	}{{"fixture", false}, {"all", true}} {
		for _, n := range []int{50_000, 100_000} {
			b.Run(fmt.Sprintf("opted=%s/terms=%d", c.name, n), func(b *testing.B) {
				lex := variantBenchLexicon(b, n, c.all)
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
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
				runtime.KeepAlive(lex)
			})
		}
	}
}

// BenchmarkTables: one-time cost of the pinyin table and the word list
// (decoded on first use) and the heap they retain.
func BenchmarkTables(b *testing.B) {
	b.Run("pinyin", func(b *testing.B) {
		for b.Loop() {
			pyOnce = syncOnce()
			initPinyin()
		}
		pyOnce, pyID, pyExtra, pyOther, pyLatin = syncOnce(), nil, nil, nil, nil
		heap := acRetainedHeap(func() any { initPinyin(); return pyOther })
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	})
	b.Run("words", func(b *testing.B) {
		for b.Loop() {
			wordsOnce = syncOnce()
			_ = loadWords()
		}
		wordsOnce, wordFreq = syncOnce(), nil
		heap := acRetainedHeap(func() any { _ = loadWords(); return wordFreq })
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	})
}

func syncOnce() sync.Once { return sync.Once{} }

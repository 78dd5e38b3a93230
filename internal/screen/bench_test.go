package screen

import (
	"context"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// benchMessages is a realistic group-chat mix: the team-written quality set
// (about 70% everyday chat and near misses, 30% risky messages of every
// label), with sender metadata on some of them.
func benchMessages(b *testing.B) []modgate.Message {
	b.Helper()
	samples := readCorpusFile(b, "../../testdata/quality/chat.tsv", FormatLabel)
	msgs := make([]modgate.Message, len(samples))
	for i, s := range samples {
		m := modgate.Message{ID: "m", Text: s.Text, Tenant: "t1", Group: modgate.Group{ID: "g1", Kind: "personal"}}
		if i%3 == 0 {
			age := i % 30
			m.Sender = modgate.Sender{ID: "u1", AccountAgeDays: &age}
		}
		msgs[i] = m
	}
	return msgs
}

// BenchmarkScreen measures the whole pipeline (validate, normalise, match,
// detect, mask, model scores, policy, verdict) on one goroutine, with the
// policy engine's decision memo (as served), with the memo but without the
// classifier models (what the models add), and without the memo (every
// message evaluated by OPA).
func BenchmarkScreen(b *testing.B) {
	b.Run("memo", func(b *testing.B) { benchScreen(b, shippedScreener(b)) })
	b.Run("memo-nomodels", func(b *testing.B) {
		s, err := New(Config{PolicyDir: "../../policies", LexiconDir: "../../lexicons", NoModels: true})
		if err != nil {
			b.Fatal(err)
		}
		benchScreen(b, s)
	})
	b.Run("nomemo", func(b *testing.B) {
		s, err := New(Config{PolicyDir: "../../policies", LexiconDir: "../../lexicons", NoMemo: true})
		if err != nil {
			b.Fatal(err)
		}
		benchScreen(b, s)
	})
}

func benchScreen(b *testing.B, s *Screener) {
	msgs := benchMessages(b)
	ctx := context.Background()
	// One pass first, so the figure is the steady state a serving gateway
	// sees; what a key the memo has not seen costs (an OPA evaluation) is
	// BenchmarkScreenMix's one-pass figure, and the nomemo case.
	for _, m := range msgs {
		if _, err := s.Screen(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for i := 0; b.Loop(); i++ {
		if _, err := s.Screen(ctx, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time. The 2-core machine is
// shared, so wall-clock ns/op overstates the cost under load; CPU time per
// op (GC included) is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScreenParallel is the same mix on GOMAXPROCS goroutines.
func BenchmarkScreenParallel(b *testing.B) {
	s := shippedScreener(b)
	msgs := benchMessages(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Screen(ctx, msgs[i%len(msgs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkScreenMix screens a realistic public mix (NUS chat SMS and the
// 80w spam/ham sample, interleaved, as they come) through the shipped
// engine with its memo, and reports how many decisions the memo answered:
// model scores enter the memo key in bands of 0.01, so this is the figure
// that shows what the bands cost (against the same mix without models).
// -benchtime 42208x screens each message of the mix exactly once.
func BenchmarkScreenMix(b *testing.B) {
	var msgs []modgate.Message
	for _, c := range []struct{ file, format string }{
		{"benign_nus_sms_zh.tsv", FormatNUS}, {"sms_spam_80w_sample.tsv", FormatSMS80w},
	} {
		p := "../../../shared/data/" + c.file
		if _, err := os.Stat(p); err != nil {
			b.Skipf("%s absent: the mix needs ../shared/data", p)
		}
		for _, s := range readCorpusFile(b, p, c.format) {
			msgs = append(msgs, modgate.Message{Text: s.Text})
		}
	}
	r := rand.New(rand.NewPCG(5, 5))
	r.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	for _, noModels := range []bool{false, true} {
		name := "models"
		if noModels {
			name = "nomodels"
		}
		b.Run(name, func(b *testing.B) {
			s, err := New(Config{PolicyDir: "../../policies", LexiconDir: "../../lexicons", ModelDir: "../../models", NoModels: noModels})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, n := cpuTime(), 0
			for i := 0; b.Loop(); i++ {
				if _, err := s.Screen(ctx, msgs[i%len(msgs)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
			hits, misses := s.Engine().Policy().MemoStats()
			b.ReportMetric(100*float64(hits)/float64(max(hits+misses, 1)), "memo-hit-%")
		})
	}
}

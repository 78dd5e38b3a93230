package policies

import (
	"context"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// benchMix is a realistic group-chat mix: most messages are clean or carry
// harmless signals, a few are flagged.
func benchMix() []Input {
	est, newAcc := age(200), age(2)
	m := func(a *int, kind string, ms ...modgate.Match) Input {
		return Input{Message: &modgate.Message{Text: "…", Tenant: "t1", Sender: modgate.Sender{ID: "u", AccountAgeDays: a},
			Group: modgate.Group{ID: "g", Kind: kind}}, Findings: &modgate.Findings{Matches: ms}}
	}
	var mix []Input
	for range 12 {
		mix = append(mix, m(est, "personal")) // clean
	}
	mix = append(mix,
		m(est, "personal", lex("股票", "finance", "topic", 1, 2)),
		m(est, "personal", lex("医院", "medical", "topic", 1, 0), lex("处方", "medical", "topic", 1, 6)),
		m(est, "personal", lex("加我", "contact", "cue", 1, 0), det("phone", 3, 14)),
		m(est, "enterprise", lex("转发", "induced_sharing", "action", 1, 0)),
		m(nil, "personal", lex("他妈的", "abuse", "mild", 1, 0)),
		m(newAcc, "personal", det("url", 0, 22)),
		m(est, "personal", lex("全场", "ads", "promo", 1, 0), lex("特价", "ads", "promo", 1, 3), lex("光临", "ads", "promo", 1, 9), lex("咨询电话", "contact", "cue", 1, 12), det("phone", 16, 27)),
		m(est, "personal", lex("保本保息", "finance", "promise", 3, 0), lex("理财", "finance", "topic", 1, 4)),
		m(est, "personal", lex("转发到", "induced_sharing", "action", 1, 0), lex("领红包", "induced_sharing", "reward", 1, 6)),
		m(est, "personal", lex("傻逼", "abuse", "insult", 2, 0)),
		m(est, "personal", lex("真人荷官", "gambling", "solicit", 3, 0), lex("vx", "contact", "evasive", 2, 6), det("wechat", 8, 16)),
	)
	return mix
}

func benchDecide(b *testing.B, e *Engine, mix []Input) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		if _, err := e.Decide(ctx, mix[i%len(mix)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, cpu0, n)
}

// cpuTime is the process's user+system CPU time. The benchmark machine is
// shared, so wall time per op swings with other load; CPU time per op
// (cpu-ns/op, GC included) is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu0 time.Duration, n int) {
	b.Helper()
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
	}
}

// BenchmarkDecide measures the policy step alone on the shipped policies:
// memo = decisions memoised on the feature vector (the default), eval = every
// message through OPA, eval_unique = memo enabled but every vector new
// (worst case: memo lookup + eval + insert).
func BenchmarkDecide(b *testing.B) {
	mix := benchMix()
	b.Run("memo", func(b *testing.B) { benchDecide(b, loadShipped(b, Options{SkipTests: true}), mix) })
	b.Run("eval", func(b *testing.B) { benchDecide(b, loadShipped(b, Options{SkipTests: true, NoMemo: true}), mix) })
	// trivial: a constant decision (testdata/failing_test) through the same
	// path, OPA's floor on this machine, to compare against under load.
	b.Run("trivial", func(b *testing.B) {
		e, err := LoadDir(context.Background(), filepath.Join("testdata", "failing_test"), Options{SkipTests: true, NoMemo: true})
		if err != nil {
			b.Fatal(err)
		}
		benchDecide(b, e, mix)
	})
	b.Run("eval_unique", func(b *testing.B) {
		e := loadShipped(b, Options{SkipTests: true})
		uniq := make([]Input, 50000)
		for i := range uniq {
			in := mix[i%len(mix)]
			msg := *in.Message
			msg.Tenant = "t" + strconv.Itoa(i)
			uniq[i] = Input{Message: &msg, Findings: in.Findings}
		}
		benchDecide(b, e, uniq)
	})
}

func BenchmarkDecideParallel(b *testing.B) {
	mix := benchMix()
	for _, c := range []struct {
		name string
		opts Options
	}{{"memo", Options{SkipTests: true}}, {"eval", Options{SkipTests: true, NoMemo: true}}} {
		b.Run(c.name, func(b *testing.B) {
			e := loadShipped(b, c.opts)
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := cpuTime()
			defer func() { reportCPU(b, cpu0, b.N) }()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := e.Decide(ctx, mix[i%len(mix)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkDecideByKind breaks the eval cost down by kind of message (no
// memo), to see what the policy pays for each.
func BenchmarkDecideByKind(b *testing.B) {
	e := loadShipped(b, Options{SkipTests: true, NoMemo: true})
	mix := benchMix()
	for _, c := range []struct {
		name string
		i    int
	}{{"clean", 0}, {"topic_only", 12}, {"phone_and_cue", 14}, {"ad_with_phone", 18}, {"gambling_drainage", 22}} {
		b.Run(c.name, func(b *testing.B) { benchDecide(b, e, mix[c.i:c.i+1]) })
	}
}

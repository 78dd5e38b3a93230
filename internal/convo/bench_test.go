package convo

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/testkit"
)

// benchTexts is a chat mix: short replies (never fingerprinted), ordinary
// lines and a few ads, spread over many groups and senders.
var benchTexts = []string{
	"好", "收到", "哈哈哈", "好的，谢谢", "明天见", "嗯嗯",
	"今天天气不错，我们下午三点开会", "这个方案我觉得可以，再细化一下预算", "有人知道附近哪家餐厅好吃吗",
	"孩子的作业今晚要交，家长们记得提醒一下", "群公告已经更新，请大家查看", "我在路上，十分钟到",
	"兼职日结，刷单返利，私聊我", "周末特价全场五折，欢迎进店选购",
}

func benchMsg(i int) *modgate.Message {
	return msg(fmt.Sprint("m-", i), "t1", fmt.Sprint("g-", (i*104729)%10000), fmt.Sprint("u-", (i*7919)%50000), benchTexts[i%len(benchTexts)])
}

// BenchmarkObserveCommit is the window's inline cost per message (Observe
// before the policies, Commit after): "local" without NATS, "nats" with
// the records published to an embedded server (whose CPU is in this
// process). mix=builtin repeats 14 texts over 10,000 groups (every long
// text is a flood: the worst case for the flood index); mix=nus_sms is
// real chat lines, two per message so texts rarely repeat, over 100,000
// groups and 1,000,000 senders (skipped without ../shared/data).
//
//	go test ./internal/convo -run XXX -bench BenchmarkObserveCommit -benchmem -count 3
func BenchmarkObserveCommit(b *testing.B) {
	set := modgate.ConversationSettings{SplitMaxChars: 8, SplitMaxGap: 30 * time.Second, SplitMaxMessages: 5,
		FloodMinChars: 10, FloodWindow: 10 * time.Minute, FloodSimilarity: 0.6}
	builtin := make([]*modgate.Message, 4096)
	for i := range builtin {
		builtin[i] = benchMsg(i)
	}
	mixes := []struct {
		name string
		msgs func(b *testing.B) []*modgate.Message
	}{
		{"builtin", func(*testing.B) []*modgate.Message { return builtin }},
		{"nus_sms", func(b *testing.B) []*modgate.Message {
			texts := testkit.NUSTexts(b)
			out := make([]*modgate.Message, 1<<16)
			for i := range out {
				text := texts[i%len(texts)] + "，" + texts[(i/len(texts)*7+i*7919+13)%len(texts)]
				out[i] = msg(fmt.Sprint("m-", i), "t1", fmt.Sprint("g-", (i*104729)%100000), fmt.Sprint("u-", (i*7919)%1000000), text)
			}
			return out
		}},
	}
	for _, mix := range mixes {
		for _, mode := range []string{"local", "nats"} {
			b.Run("mix="+mix.name+"/"+mode, func(b *testing.B) {
				msgs := mix.msgs(b)
				s := New(Config{})
				if mode == "nats" {
					srv := natstest.Start(b)
					var err error
					if s, err = Open(context.Background(), Config{URL: srv.ClientURL()}); err != nil {
						b.Fatal(err)
					}
					b.Cleanup(s.Close)
					testkit.Eventually(b, "caught up", 5*time.Second, s.Available)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					m := msgs[i%len(msgs)]
					view, _ := s.Observe(m, m.Text, set)
					s.Commit(m, &modgate.Verdict{Action: modgate.ActionAllow, MaskedText: m.Text, Normalized: m.Text}, &view)
				}
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkMemoryGroups fills the window of G groups with P messages each
// (30-character masked texts, 20 senders per group) and reports the heap
// the view keeps per group and in total.
//
//	go test ./internal/convo -run XXX -bench BenchmarkMemoryGroups -benchtime 1x
func BenchmarkMemoryGroups(b *testing.B) {
	for _, tc := range []struct{ groups, per int }{{100_000, 5}, {100_000, 20}} {
		b.Run(fmt.Sprintf("groups=%d/messages=%d", tc.groups, tc.per), func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s := New(Config{MaxGroups: tc.groups})
				now := time.Now().UnixNano()
				for i := 0; i < tc.groups*tc.per; i++ {
					g := i % tc.groups
					r := Record{ID: fmt.Sprintf("m-%d", i), Tenant: "tenant-1", Group: fmt.Sprintf("group-%d", g),
						Sender: fmt.Sprintf("user-%d", (i/tc.groups)%20+g*20), At: now + int64(i), Action: "allow",
						Text: "今天天气不错，我们下午三点开会，记得带上周的报表和材料", Chars: 26}
					s.apply(&r)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				st := s.Stats()
				if st.Groups != tc.groups || st.Records != tc.groups*tc.per {
					b.Fatalf("stats %+v", st)
				}
				heap := float64(after.HeapAlloc - before.HeapAlloc)
				b.ReportMetric(heap/(1<<20), "MiB")
				b.ReportMetric(heap/float64(tc.groups), "B/group")
				runtime.KeepAlive(s)
			}
		})
	}
}

// cpuTime is the process's CPU time (the NATS server's goroutines
// included): on a shared machine cpu-ns/op is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

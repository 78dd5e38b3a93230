package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate/internal/convo"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/internal/testkit"
)

// convMix is a group chat: mostly short replies and ordinary lines, some
// ads; every message has a group and a sender.
var convMix = []string{
	"好", "收到", "哈哈哈", "好的，谢谢", "明天见", "嗯嗯", "+1", "在吗",
	"今天天气不错，我们下午三点开会", "这个方案我觉得可以，再细化一下预算", "有人知道附近哪家餐厅好吃吗",
	"孩子的作业今晚要交，家长们记得提醒一下", "群公告已经更新，请大家查看", "会议纪要我晚点发到群里",
	"我在路上，十分钟到", "下雨了，记得带伞", "社区明天停水，提前储水",
	"兼职日结，刷单返利，私聊我", "加我QQ 123456789 看精彩视频", "周末特价全场五折，欢迎进店选购",
}

// BenchmarkScreenConversation is /v1/screen through the handler with the
// conversation window off and on (the window on a real embedded NATS:
// every message is published and read back by the replica's consumer).
// Messages spread over 100,000 groups and 1,000,000 senders, so a group
// sees a message every few seconds and a sender one a minute even at the
// benchmark's compressed pace; on the corpus mix each text is two corpus
// lines picked by the message number (few texts repeat, as in real chat:
// replaying one line over and over would be a flood and make cases).
// memo-hit-% is the decision memo's hit rate over the run.
//
//	go test ./internal/api -run XXX -bench BenchmarkScreenConversation -benchmem -count 3
func BenchmarkScreenConversation(b *testing.B) {
	b.Run("mix=builtin", func(b *testing.B) { benchConversation(b, convMix, false) })
	b.Run("mix=nus_sms", func(b *testing.B) {
		// Real chat lines (NUS SMS corpus, Chinese part), when present.
		texts := testkit.NUSTexts(b)
		benchConversation(b, texts, true)
	})
}

func benchConversation(b *testing.B, texts []string, pair bool) {
	for _, mode := range []string{"off", "memory", "nats"} {
		b.Run("window="+mode, func(b *testing.B) {
			s := benchServer(b)
			sc := s.cfg.Engine.(*screen.Screener)
			if mode == "memory" {
				// The window's in-memory view alone, without publishing.
				sc.SetConversation(convo.New(convo.Config{}))
			}
			if mode == "nats" {
				e := natstest.Start(b)
				st, err := convo.Open(context.Background(), convo.Config{URL: e.ClientURL(), FileStorage: os.Getenv("CONVO_FILE") != ""})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(st.Close)
				sc.SetConversation(st)
			}
			h := s.Handler()
			h0, m0 := sc.Engine().Policy().MemoStats()
			bodies := make([][]byte, min(b.N, 1<<16))
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if i%len(bodies) == 0 {
					b.StopTimer()
					for k := range bodies {
						n := i + k
						text := texts[n%len(texts)]
						if pair {
							text += "，" + texts[(n/len(texts)*7+n*7919+13)%len(texts)]
						}
						bodies[k] = fmt.Appendf(bodies[k][:0], `{"id":"b-%d","text":%q,"tenant":"t1","sender":{"id":"u-%d"},"group":{"id":"g-%d"}}`,
							n, text, (n*7919)%1000000, (n*104729)%100000)
					}
					b.StartTimer()
				}
				req := httptest.NewRequest("POST", "/v1/screen", bytes.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat = append(lat, time.Since(t0))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
			h1, m1 := sc.Engine().Policy().MemoStats()
			if n := (h1 - h0) + (m1 - m0); n > 0 {
				b.ReportMetric(100*float64(h1-h0)/float64(n), "memo-hit-%")
			}
		})
	}
}

// cpuTime is the process's CPU time (the embedded NATS server included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

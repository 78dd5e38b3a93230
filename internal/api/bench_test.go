package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modgate/modgate/internal/escalate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/internal/spool"
)

// benchServer is the real pipeline without the network: embedded defaults,
// embedded JetStream, spool, handler called directly.
func benchServer(b *testing.B) *Server {
	b.Helper()
	sc, err := screen.New(screen.Config{})
	if err != nil {
		b.Fatal(err)
	}
	e := natstest.Start(b)
	nc, js := natstest.Connect(b, e)
	if err := natsutil.EnsureStreams(context.Background(), js, natsutil.StreamOptions{}); err != nil {
		b.Fatal(err)
	}
	sp, err := spool.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sp.Close() })
	m := NewMetrics()
	esc, err := escalate.New(escalate.Config{Conn: nc, Spool: sp, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = esc.Close(context.Background()) })
	s, err := New(Config{Engine: sc, Escalator: esc, Metrics: m, PatrolRate: -1})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchPost(b *testing.B, h http.Handler, path string, body func(i int) []byte) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", path, bytes.NewReader(body(i)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkScreenHandler: /v1/screen through the chi router, metrics and
// the real engine, without TCP. "review" includes the synchronous JetStream
// publish (the case is acked before the answer).
func BenchmarkScreenHandler(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	cases := []struct{ name, text string }{
		{"clean", "今天天气不错，我们下午三点开会，记得带上周的报表"},
		{"block", "保本保息，加微信 abc12345 带你炒股"},
		{"review", "带你炒股"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchPost(b, h, "/v1/screen", func(i int) []byte {
				return []byte(fmt.Sprintf(`{"id":"%s-%d","text":%q,"tenant":"t1"}`, c.name, i, c.text))
			})
		})
	}
}

// BenchmarkScreenBatch100 reports messages/s for /v1/screen/batch with a
// mix of 85 clean and 15 flagged messages (3 of them review verdicts).
func BenchmarkScreenBatch100(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	texts := []string{"今天天气不错，我们下午三点开会", "收到，谢谢大家", "明天的活动改到周六上午十点", "群公告已经更新，请大家查看", "保本保息，加微信 abc12345", "带你炒股"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sb strings.Builder
		sb.WriteString(`{"messages":[`)
		for j := 0; j < 100; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			t := texts[j%4]
			if j%20 == 0 {
				t = texts[5]
			} else if j%7 == 0 {
				t = texts[4]
			}
			fmt.Fprintf(&sb, `{"id":"b%d-%d","text":%q}`, i, j, t)
		}
		sb.WriteString(`]}`)
		req := httptest.NewRequest("POST", "/v1/screen/batch", strings.NewReader(sb.String()))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
}

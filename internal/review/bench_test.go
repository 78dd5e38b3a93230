package review

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// benchConfig sweeps at the default interval: the tests' 50 ms sweep
// would bill index scans to every operation.
func benchConfig() Config {
	c := testConfig()
	c.SweepInterval = 0
	return c
}

// cpuTime is this process's user+system CPU time. The embedded NATS server
// runs in-process, so CPU per operation covers both sides; it is the figure
// that survives a machine shared with other work (throughput on an idle
// machine ≈ cores / cpu-per-op).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration, n int) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(n), "cpu-µs/op")
}

// BenchmarkEnqueue measures durable escalation intake end to end: the
// screening path's async JetStream publish, the durable consumer and the
// case written to KV (an escalation counts when it is a case).
func BenchmarkEnqueue(b *testing.B) {
	s := startNATS(b, b.TempDir())
	nc := connect(b, s)
	q := openQueue(b, nc, benchConfig())
	escs := make([]modgate.Escalation, b.N)
	for i := range escs {
		escs[i] = escalation(i, modgate.Lanes[i%3])
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	publishEscalations(b, nc, escs)
	for {
		q.mu.RLock()
		n := len(q.idx)
		q.mu.RUnlock()
		if n >= b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "escalations/s")
	reportCPU(b, cpu0, b.N)
}

// BenchmarkClaimDecide is the claim→decide round trip with 20 concurrent
// reviewers spread over two replicas.
func BenchmarkClaimDecide(b *testing.B) { benchClaimDecide(b, 0) }

// BenchmarkClaimDecidePaced: the same 20 reviewers, each starting a
// claim→decide every 50 ms (400/s in all, below saturation), so the
// percentiles are service time rather than queueing.
func BenchmarkClaimDecidePaced(b *testing.B) { benchClaimDecide(b, 50*time.Millisecond) }

func benchClaimDecide(b *testing.B, pace time.Duration) {
	s := startNATS(b, b.TempDir())
	q1 := openQueue(b, connect(b, s), benchConfig())
	q2 := openQueue(b, connect(b, s), benchConfig())
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			e := escalation(i, modgate.Lanes[i%4])
			e.Message.Sender.ID = fmt.Sprintf("member-%d", i)
			if _, err := q1.Enqueue(ctx, e); err != nil {
				b.Error(err)
			}
		}(i)
	}
	wg.Wait()
	for {
		q2.mu.RLock()
		n := len(q2.active)
		q2.mu.RUnlock()
		if n >= b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var lat []time.Duration
	var mu sync.Mutex
	var done atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for r := 0; r < 20; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			q := q1
			if r%2 == 1 {
				q = q2
			}
			name := fmt.Sprintf("rev-%d", r)
			var mine []time.Duration
			next := time.Now().Add(time.Duration(r) * pace / 20)
			for done.Load() < int64(b.N) {
				if pace > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(pace)
				}
				t0 := time.Now()
				c, err := q.ClaimNext(ctx, name, nil)
				if errors.Is(err, ErrEmpty) {
					break
				}
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := q.Decide(ctx, c.ID, name, c.Lease.Token, modgate.Decision{Action: modgate.DecisionActions[r%4]}); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
				done.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(r)
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	reportCPU(b, cpu0, b.N)
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(q1.lostClaims.Load()+q2.lostClaims.Load())/float64(len(lat)), "lost-claims/op")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/el.Seconds(), "decisions/s")
}

// BenchmarkReport is report intake (rate limit, dedupe, reporter weight,
// case CAS) from many concurrent callers.
func BenchmarkReport(b *testing.B) {
	s := startNATS(b, b.TempDir())
	cfg := benchConfig()
	cfg.ReportLimit = 1 << 30
	q := openQueue(b, connect(b, s), cfg)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			// 4 reporters per message, arriving spread out over the run
			// (a burst on one message is CAS contention, tested elsewhere);
			// 1000 reporters in all.
			msgs := int64(b.N/4 + 1)
			r := modgate.Report{MessageID: fmt.Sprintf("m-%d", i%msgs), ReporterID: fmt.Sprintf("r-%d", i%1000),
				Reason: "ads", Tenant: "t1", Text: "加微信 13812345678"}
			if _, err := q.Report(ctx, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reports/s")
	reportCPU(b, cpu0, b.N)
}

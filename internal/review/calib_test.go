package review

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkKVPutCalibration is the floor: one KV put round trip per op
// against the same embedded server, 16 concurrent callers.
func BenchmarkKVPutCalibration(b *testing.B) {
	s := startNATS(b, b.TempDir())
	nc := connect(b, s)
	openQueue(b, nc, testConfig())
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, BucketReporters)
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 600)
	b.SetParallelism(16)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			if _, err := kv.Put(ctx, fmt.Sprintf("k.%d", i%5000), val); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "puts/s")
	reportCPU(b, cpu0, b.N)
}

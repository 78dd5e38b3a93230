package policies

import (
	"context"
	"testing"
)

func BenchmarkProbeEach(b *testing.B) {
	e := loadShipped(b, Options{SkipTests: true, NoMemo: true})
	mix := benchMix()
	for _, i := range []int{0, 12, 14, 18, 22} {
		b.Run(string(rune('a'+i)), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				if _, err := e.Decide(context.Background(), mix[i]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportCPU(b, cpu0, n)
		})
	}
}

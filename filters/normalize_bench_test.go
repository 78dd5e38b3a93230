package filters

import (
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// benchMessages are ~100-byte group-chat messages: mostly clean Chinese,
// some with evasion spellings, contacts and personal data.
var benchMessages = []string{
	"大家好，今天下午三点在会议室开会，请各位准时参加，带好笔记本电脑。",
	"這個週末有沒有人一起去爬山？天氣預報說會是晴天，記得帶水和防曬。",
	"兼职日结，加*微*信 abc_12345 了解详情，每天轻松赚三百元！！！",
	"有需要的朋友联系我 138-0013-8000，或者 QQ：12345678，随时在线。",
	"Ｆｒｅｅ 领取红包，点击 t.cn/A6abcd 立即参与，转发到三个群即可。",
	"老师您好，孩子今天发烧了，请假一天，明天的作业我会让他补上，谢谢。",
	"一三八零零一三八零零零 加我 V信 详聊，保本保息稳赚不赔，名额有限。",
	"我的邮箱是 zhang.san@example.com，身份证号码请私聊发给我，不要群发。",
}

// cpuTime is the process's user+system CPU time. The benchmark machine is
// shared, so wall-clock ns/op overstates the cost under load; cpu-ns/op
// (reported next to it) counts only the CPU this process used, GC included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the cpu-ns/op metric for a single-goroutine benchmark.
func reportCPU(b *testing.B, start time.Duration) {
	b.Helper()
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func benchBytes() int64 {
	n := 0
	for _, m := range benchMessages {
		n += len(m)
	}
	return int64(n / len(benchMessages))
}

// BenchmarkNormalize: ns/op is per message (average ~100 bytes).
func BenchmarkNormalize(b *testing.B) {
	z := NewNormalizer()
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	i := 0
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		z.Normalize(benchMessages[i%len(benchMessages)])
		i++
	}
}

func BenchmarkNormalizeParallel(b *testing.B) {
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		z := NewNormalizer()
		i := 0
		for pb.Next() {
			z.Normalize(benchMessages[i%len(benchMessages)])
			i++
		}
	})
}

// BenchmarkDetect measures the detectors alone on normalised messages.
func BenchmarkDetect(b *testing.B) {
	z := NewNormalizer()
	ns := make([]*Normalized, len(benchMessages))
	for i, m := range benchMessages {
		n := *z.Normalize(m) // copy: the Normalizer reuses its result
		n.origByte = append([]int32(nil), n.origByte...)
		n.bs = append([]int32(nil), n.bs...)
		n.be = append([]int32(nil), n.be...)
		ns[i] = &n
	}
	var dst []modgate.Match
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	i := 0
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		dst = Detect(ns[i%len(ns)], dst[:0])
		i++
	}
}

// BenchmarkNormalizeDetectMask is the whole step the filter runs per
// message besides lexicon matching.
func BenchmarkNormalizeDetectMask(b *testing.B) {
	z := NewNormalizer()
	var dst []modgate.Match
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	i := 0
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		m := benchMessages[i%len(benchMessages)]
		dst = Detect(z.Normalize(m), dst[:0])
		_ = Mask(m, dst)
		i++
	}
}

func BenchmarkNormalizeString(b *testing.B) {
	b.ReportAllocs()
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		NormalizeString("稳赚不赔")
	}
}

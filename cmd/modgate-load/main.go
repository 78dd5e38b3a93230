// Command modgate-load is the gateway's HTTP load generator. It measures the
// screening API side by side with a do-nothing chi handler that decodes and
// encodes the same JSON (the ceiling of HTTP+JSON on the machine), in one
// run, with a realistic message mix (mostly clean chat, some flagged):
//
//	# terminal 1: the gateway (fresh data dir, embedded NATS)
//	go build -o /tmp/modgate ./cmd/modgate && /tmp/modgate serve --data-dir /tmp/mg-load --log-level warn
//	# terminal 2: the echo ceiling (separate process, like the gateway) and the run
//	go run ./cmd/modgate-load --echo-server 127.0.0.1:9091 &
//	go run ./cmd/modgate-load --gateway http://127.0.0.1:8080 --echo http://127.0.0.1:9091
//
// or in one command (both servers as separate processes):
//
//	go build -o /tmp/modgate ./cmd/modgate && go build -o /tmp/modgate-load ./cmd/modgate-load
//	/tmp/modgate-load --spawn-gateway /tmp/modgate --spawn-echo
//
// Modes (all by default): max throughput with N closed-loop connections on
// echo and gateway; fixed rate (open loop, latency measured from the
// scheduled send time so queueing is not hidden) on the gateway; max
// throughput of /v1/screen/batch in messages per second.
//
// The conversation window's cost, side by side in one run: two spawned
// gateways, one with --conversation=false, loaded in alternation (max
// throughput, then the same fixed rate on both), messages spread over
// --groups groups and --senders senders:
//
//	/tmp/modgate-load --spawn-gateway /tmp/modgate --compare-window --rounds 3 \
//	    --groups 10000 --senders 50000 --pair-texts --corpus ../shared/data/benign_nus_sms_zh.tsv
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/modgate/modgate"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	gateway, echo, token string
	echoServer           string
	duration, warmup     time.Duration
	conns                int
	rate                 float64
	rateShare            float64
	batchSize            int
	modes                string
	corpus               string
	flaggedShare         float64
	spawnGateway         string
	spawnEcho            bool
	compareWindow        bool
	groups, senders      int
	pairTexts            bool
	rounds               int
	gwPID, echoPID       int // spawned servers, for CPU accounting
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("modgate-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.gateway, "gateway", "http://127.0.0.1:8080", "gateway base URL")
	fs.StringVar(&o.echo, "echo", "", "echo server base URL for the side-by-side ceiling (see --echo-server)")
	fs.StringVar(&o.token, "token", os.Getenv("MODGATE_LOAD_TOKEN"), "bearer tenant key (env MODGATE_LOAD_TOKEN)")
	fs.StringVar(&o.echoServer, "echo-server", "", "run only the do-nothing chi JSON echo server on this `ADDR`")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per step")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up per step")
	fs.IntVar(&o.conns, "conns", 32, "connections (closed-loop workers) in max mode")
	fs.Float64Var(&o.rate, "rate", 0, "fixed request rate per second; 0 = rate-share × measured gateway max")
	fs.Float64Var(&o.rateShare, "rate-share", 0.5, "fixed rate as a share of the measured gateway max (when --rate is 0)")
	fs.IntVar(&o.batchSize, "batch-size", 100, "messages per /v1/screen/batch call")
	fs.StringVar(&o.modes, "modes", "echo,max,rate,batch", "steps to run: echo, max, rate, batch")
	fs.StringVar(&o.corpus, "corpus", "", "optional TSV/text corpus (one message per line, text in the last column) instead of the built-in mix")
	fs.Float64Var(&o.flaggedShare, "flagged-share", 0.15, "share of flagged messages in the built-in mix")
	fs.StringVar(&o.spawnGateway, "spawn-gateway", "", "start this modgate `BINARY` (serve, temp data dir, random ports, embedded policies) and load it instead of --gateway")
	fs.IntVar(&o.rounds, "rounds", 1, "alternate the echo and gateway max steps this many times and report the median ratio (evens out other load on the machine)")
	fs.BoolVar(&o.spawnEcho, "spawn-echo", false, "start the echo server as a separate process (this binary with --echo-server) instead of --echo")
	fs.BoolVar(&o.compareWindow, "compare-window", false, "with --spawn-gateway: spawn a second gateway with --conversation=false and measure both side by side (max and fixed rate), reporting the window's throughput ratio and added p50 latency")
	fs.IntVar(&o.groups, "groups", 50, "spread messages over this many group ids")
	fs.IntVar(&o.senders, "senders", 500, "spread messages over this many sender ids")
	fs.BoolVar(&o.pairTexts, "pair-texts", false, "make each message two texts of the mix joined, picked so the pairs rarely repeat: a corpus replayed line by line is a flood of identical messages, which the conversation window flags")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.echoServer != "" {
		return serveEcho(o.echoServer, stderr)
	}
	if o.groups <= 0 || o.senders <= 0 {
		fmt.Fprintln(stderr, "modgate-load: --groups and --senders must be positive")
		return 2
	}
	if o.compareWindow && o.spawnGateway == "" {
		fmt.Fprintln(stderr, "modgate-load: --compare-window needs --spawn-gateway")
		return 2
	}
	texts, err := loadTexts(o)
	if err != nil {
		fmt.Fprintln(stderr, "modgate-load:", err)
		return 2
	}
	modes := map[string]bool{}
	for _, m := range strings.Split(o.modes, ",") {
		modes[strings.TrimSpace(m)] = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.spawnGateway != "" {
		url, pid, cleanup, err := spawnGateway(o.spawnGateway, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "modgate-load:", err)
			return 1
		}
		defer cleanup()
		o.gateway, o.gwPID = url, pid
	}
	if o.compareWindow {
		return compareWindow(ctx, o, texts, stdout, stderr)
	}
	if o.spawnEcho {
		url, pid, cleanup, err := spawnEcho(stderr)
		if err != nil {
			fmt.Fprintln(stderr, "modgate-load:", err)
			return 1
		}
		defer cleanup()
		o.echo, o.echoPID = url, pid
	}

	fmt.Fprintf(stdout, "modgate-load: %d CPUs, GOMAXPROCS %d, %d conns, %s per step, %d distinct texts\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.conns, o.duration, len(texts))
	var echoRes, maxRes, rateRes, batchRes *result
	type round struct{ echo, gw *result }
	var rounds []round
	for i := 0; i < max(o.rounds, 1); i++ {
		var rd round
		if modes["echo"] && o.echo != "" {
			rd.echo, err = maxThroughput(ctx, o, o.echo+"/v1/screen", texts, 1, o.echoPID)
			if err != nil {
				fmt.Fprintln(stderr, "modgate-load: echo:", err)
				return 1
			}
			rd.echo.print(stdout, fmt.Sprintf("[%d] echo (chi decode+encode, max)", i+1))
		}
		if modes["max"] {
			rd.gw, err = maxThroughput(ctx, o, o.gateway+"/v1/screen", texts, 1, o.gwPID)
			if err != nil {
				fmt.Fprintln(stderr, "modgate-load: gateway:", err)
				return 1
			}
			rd.gw.print(stdout, fmt.Sprintf("[%d] gateway /v1/screen (max)", i+1))
		}
		if rd.echo != nil && rd.gw != nil {
			fmt.Fprintf(stdout, "[%d] gateway/echo ratio %.2f\n", i+1, rd.gw.rps()/rd.echo.rps())
		}
		rounds = append(rounds, rd)
	}
	// Report the round with the median ratio (or median gateway rate).
	slices.SortFunc(rounds, func(a, b round) int {
		ka, kb := roundKey(a.echo, a.gw), roundKey(b.echo, b.gw)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	if len(rounds) > 0 {
		mid := rounds[len(rounds)/2]
		echoRes, maxRes = mid.echo, mid.gw
	}
	if modes["rate"] {
		r := o.rate
		if r <= 0 && maxRes != nil {
			r = maxRes.rps() * o.rateShare
		}
		if r <= 0 {
			r = 5000
		}
		rateRes, err = fixedRate(ctx, o, o.gateway+"/v1/screen", texts, r, o.gwPID)
		if err != nil {
			fmt.Fprintln(stderr, "modgate-load: fixed rate:", err)
			return 1
		}
		rateRes.print(stdout, fmt.Sprintf("gateway /v1/screen (fixed %.0f req/s)", r))
	}
	if modes["batch"] {
		batchRes, err = maxThroughput(ctx, o, o.gateway+"/v1/screen/batch", texts, o.batchSize, o.gwPID)
		if err != nil {
			fmt.Fprintln(stderr, "modgate-load: batch:", err)
			return 1
		}
		batchRes.print(stdout, fmt.Sprintf("gateway /v1/screen/batch ×%d (max)", o.batchSize))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| step | requests/s | messages/s | p50 | p99 | p99.9 | errors | server cpu-µs/req | generator cpu-µs/req | projected req/s (idle cores) |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		r    *result
	}{{"echo ceiling (max)", echoRes}, {"gateway /v1/screen (max)", maxRes}, {"gateway /v1/screen (fixed rate)", rateRes}, {"gateway /v1/screen/batch (max)", batchRes}} {
		if row.r != nil {
			srv, cli := row.r.cpuPerReq()
			fmt.Fprintf(stdout, "| %s | %.0f | %.0f | %s | %s | %s | %d | %.1f | %.1f | %.0f |\n", row.name, row.r.rps(), row.r.mps(),
				ms(row.r.pct(50)), ms(row.r.pct(99)), ms(row.r.pct(99.9)), row.r.errors, srv, cli, row.r.projected())
		}
	}
	if echoRes != nil && maxRes != nil {
		fmt.Fprintf(stdout, "\ngateway/echo throughput ratio: %.2f (median of %d rounds)\n", maxRes.rps()/echoRes.rps(), len(rounds))
		if maxRes.projected() > 0 && echoRes.projected() > 0 {
			fmt.Fprintf(stdout, "gateway/echo ratio from CPU cost (generator included): %.2f\n", maxRes.projected()/echoRes.projected())
		}
	}
	return 0
}

func roundKey(echo, gw *result) float64 {
	switch {
	case echo != nil && gw != nil:
		return gw.rps() / echo.rps()
	case gw != nil:
		return gw.rps()
	case echo != nil:
		return echo.rps()
	}
	return 0
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// ---- the message mix ----

var cleanTexts = []string{
	"今天天气不错，我们下午三点开会", "收到，谢谢大家", "明天的活动改到周六上午十点", "这个方案我觉得可以，再细化一下预算",
	"有人知道附近哪家餐厅好吃吗", "孩子的作业今晚要交，家长们记得提醒一下", "周末一起去爬山吗？", "群公告已经更新，请大家查看",
	"会议纪要我晚点发到群里", "好的，没问题", "这周的报表已经上传到共享盘", "请问下个月的培训在哪个会议室",
	"生日快乐！祝你天天开心", "路口交通管制，大家绕行", "新版本的客户端修复了登录问题", "大家辛苦了，今天早点休息",
	"图片收到了，很清楚", "我在路上，十分钟到", "谁有充电宝借我用一下", "这篇文章写得很好，推荐大家看看",
	"The meeting is moved to 3pm, please update your calendars.", "ok thanks!", "下雨了，记得带伞", "社区明天停水，提前储水",
	"我们小区的快递柜坏了，已经报修", "老师说期末考试时间定了", "基金经理今天在电视上讲了宏观经济", "去医院复查，结果一切正常",
	"这家店的咖啡不错，环境也安静", "请大家文明发言，谢谢配合",
}

var flaggedTexts = []string{
	"带你炒股，内幕消息，稳赚不赔", "保本保息，年化20%，加微信 abc12345 详聊", "兼职日结，刷单返利，私聊我",
	"祖传秘方，包治百病，根治糖尿病", "无需处方，各种药品低价出售", "集赞送红包，转发到三个群免费领",
	"加我QQ 123456789 看精彩视频", "澳门首家线上赌场，注册就送彩金", "配资炒股，十倍杠杆，秒批", "扫码进群，每天分享赚钱项目",
	"不转不是中国人", "低价出售发票，联系13800138000", "邀请好友助力砍价，免费领取礼品", "代理招募，日赚五百",
}

func loadTexts(o options) ([]string, error) {
	if o.corpus == "" {
		// Build a mix with the requested flagged share over 200 slots.
		const slots = 200
		nf := int(float64(slots)*o.flaggedShare + 0.5)
		out := make([]string, 0, slots)
		for i := 0; i < slots-nf; i++ {
			out = append(out, cleanTexts[i%len(cleanTexts)])
		}
		for i := 0; i < nf; i++ {
			out = append(out, flaggedTexts[i%len(flaggedTexts)])
		}
		// Interleave deterministically so workers see a mix, not runs.
		mixed := make([]string, 0, slots)
		step := 7
		for i := 0; i < slots; i++ {
			mixed = append(mixed, out[(i*step)%slots])
		}
		return mixed, nil
	}
	f, err := os.Open(o.corpus)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndexByte(line, '\t'); i >= 0 {
			line = line[i+1:]
		}
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
		if len(out) >= 100000 {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("corpus %s: no messages", o.corpus)
	}
	return out, sc.Err()
}

// bodies prebuilds request bodies; ids are unique per request so each
// review verdict is a new case (as in production).
type bodyGen struct {
	texts []string
	seq   atomic.Uint64
	run   string
	batch int
	// groups and senders spread the messages (--groups, --senders).
	groups, senders uint64
	pair            bool // --pair-texts
}

// text is message n's text.
func (g *bodyGen) text(n uint64) string {
	l := uint64(len(g.texts))
	t := g.texts[n%l]
	if g.pair {
		t += "，" + g.texts[(n/l*7+n*7919+13)%l]
	}
	return t
}

func (g *bodyGen) next(buf *bytes.Buffer) {
	buf.Reset()
	n := g.seq.Add(1)
	if g.batch <= 1 {
		writeMsg(buf, g, n, g.text(n))
		return
	}
	buf.WriteString(`{"messages":[`)
	for i := 0; i < g.batch; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		k := n*uint64(g.batch) + uint64(i)
		writeMsg(buf, g, k, g.text(k))
	}
	buf.WriteString(`]}`)
}

func writeMsg(buf *bytes.Buffer, g *bodyGen, n uint64, text string) {
	t, _ := json.Marshal(text)
	groups, senders := max(g.groups, 1), max(g.senders, 1)
	// Multiplicative spreads, so a sender is not pinned to one group.
	fmt.Fprintf(buf, `{"id":"%s-%d","text":%s,"tenant":"load","sender":{"id":"u-%d","account_age_days":%d},"group":{"id":"g-%d","kind":"personal"}}`,
		g.run, n, t, (n*7919)%senders, n%400, (n*104729)%groups)
}

// ---- measurement ----

type result struct {
	requests, messages, errors int64
	elapsed                    time.Duration
	lat                        []time.Duration
	firstErr                   string
	// CPU time used during the measured window by the server process
	// (when spawned, from /proc) and by this load generator.
	serverCPU, clientCPU time.Duration
}

// cpuPerReq is server and client CPU per request in µs (0 when unknown).
func (r *result) cpuPerReq() (server, client float64) {
	if r.requests == 0 {
		return 0, 0
	}
	return float64(r.serverCPU.Microseconds()) / float64(r.requests), float64(r.clientCPU.Microseconds()) / float64(r.requests)
}

// projected is the request rate the CPU cost allows on all cores of this
// machine, load generator included: what a quiet machine would reach.
func (r *result) projected() float64 {
	srv, cli := r.cpuPerReq()
	if srv == 0 {
		return 0
	}
	return float64(runtime.NumCPU()) * 1e6 / (srv + cli)
}

// procCPU reads a process's user+system CPU time from /proc (Linux).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name: state is field 3;
	// utime and stime are fields 14 and 15, in clock ticks (100/s).
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r *result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }
func (r *result) mps() float64 { return float64(r.messages) / r.elapsed.Seconds() }

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p / 100)
	return r.lat[i]
}

func (r *result) print(w io.Writer, name string) {
	fmt.Fprintf(w, "%-44s %9.0f req/s %10.0f msg/s  p50 %s  p99 %s  p99.9 %s  errors %d%s\n", name, r.rps(), r.mps(),
		ms(r.pct(50)), ms(r.pct(99)), ms(r.pct(99.9)), r.errors, errNote(r.firstErr))
	if srv, cli := r.cpuPerReq(); srv > 0 {
		fmt.Fprintf(w, "%-44s server %.1f cpu-µs/req, load generator %.1f cpu-µs/req → %.0f req/s on %d idle cores\n", "", srv, cli, r.projected(), runtime.NumCPU())
	}
}

func errNote(s string) string {
	if s == "" {
		return ""
	}
	return " (first: " + s + ")"
}

func client(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// do sends one request and reports ok and the error text.
func do(ctx context.Context, c *http.Client, url, token string, body []byte) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return false, err.Error()
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, res.Status
	}
	return true, ""
}

// maxThroughput runs closed-loop workers for warmup+duration.
func maxThroughput(ctx context.Context, o options, url string, texts []string, batch int, pid int) (*result, error) {
	c := client(o.conns)
	gen := &bodyGen{texts: texts, run: fmt.Sprintf("r%d", time.Now().UnixNano()), batch: batch, groups: uint64(o.groups), senders: uint64(o.senders), pair: o.pairTexts}
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		mu        sync.Mutex
		res       = &result{}
		wg        sync.WaitGroup
	)
	for w := 0; w < o.conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			var lat []time.Duration
			var n, errs int64
			var first string
			for !stop.Load() && ctx.Err() == nil {
				gen.next(&buf)
				t0 := time.Now()
				ok, e := do(ctx, c, url, o.token, buf.Bytes())
				d := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				if ok {
					n++
					lat = append(lat, d)
				} else {
					errs++
					if first == "" {
						first = e
					}
				}
			}
			mu.Lock()
			res.requests += n
			res.errors += errs
			res.lat = append(res.lat, lat...)
			if res.firstErr == "" {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	time.Sleep(o.warmup)
	measuring.Store(true)
	start, srv0, cli0 := time.Now(), procCPU(pid), selfCPU()
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
	}
	measuring.Store(false)
	res.elapsed = time.Since(start)
	if pid > 0 {
		res.serverCPU, res.clientCPU = procCPU(pid)-srv0, selfCPU()-cli0
	}
	stop.Store(true)
	wg.Wait()
	c.CloseIdleConnections()
	if res.requests == 0 {
		return nil, fmt.Errorf("%s: no successful requests (%s)", url, res.firstErr)
	}
	res.messages = res.requests * int64(max(batch, 1))
	slices.Sort(res.lat)
	return res, nil
}

// fixedRate sends at a fixed rate (open loop). Latency counts from the
// scheduled send time, so a stalled server shows up as latency instead of
// silently lowering the offered load (coordinated omission).
func fixedRate(ctx context.Context, o options, url string, texts []string, rate float64, pid int) (*result, error) {
	workers := max(o.conns*8, 256)
	c := client(workers)
	gen := &bodyGen{texts: texts, run: fmt.Sprintf("f%d", time.Now().UnixNano()), batch: 1, groups: uint64(o.groups), senders: uint64(o.senders), pair: o.pairTexts}
	interval := time.Duration(float64(time.Second) / rate)
	total := int64(float64(o.warmup+o.duration) / float64(interval))
	warm := int64(float64(o.warmup) / float64(interval))
	var next atomic.Int64
	start := time.Now()
	var srv0, cli0 time.Duration
	snapped := make(chan struct{})
	snap := time.AfterFunc(o.warmup, func() {
		srv0, cli0 = procCPU(pid), selfCPU()
		close(snapped)
	})
	var mu sync.Mutex
	res := &result{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			var lat []time.Duration
			var n, errs int64
			var first string
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= total {
					break
				}
				at := start.Add(time.Duration(i) * interval)
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				gen.next(&buf)
				ok, e := do(ctx, c, url, o.token, buf.Bytes())
				if i < warm {
					continue
				}
				if ok {
					n++
					lat = append(lat, time.Since(at))
				} else {
					errs++
					if first == "" {
						first = e
					}
				}
			}
			mu.Lock()
			res.requests += n
			res.errors += errs
			res.lat = append(res.lat, lat...)
			if res.firstErr == "" {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start.Add(o.warmup))
	stopped := snap.Stop()
	if !stopped {
		<-snapped // the snapshot may still be running
	}
	if stopped || pid <= 0 {
		srv0 = -1 // the run ended before the warm-up: no CPU figure
	} else {
		res.serverCPU, res.clientCPU = procCPU(pid)-srv0, selfCPU()-cli0
	}
	c.CloseIdleConnections()
	if res.requests == 0 {
		return nil, fmt.Errorf("%s: no successful requests (%s)", url, res.firstErr)
	}
	res.messages = res.requests
	slices.Sort(res.lat)
	return res, nil
}

// ---- the echo ceiling ----

// echoHandler decodes the screening request and encodes a verdict-shaped
// answer with the same encoding/json calls the gateway makes, and nothing
// else: the ceiling of chi + JSON on this machine.
func echoHandler() http.Handler {
	r := chi.NewRouter()
	r.Post("/v1/screen", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		var m modgate.Message
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		v := modgate.Verdict{ID: m.ID, DecisionID: "echo", Action: modgate.ActionAllow, Labels: []string{},
			Matches: []modgate.Match{}, Reasons: []modgate.Reason{}, MaskedText: m.Text}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(v)
	})
	return r
}

func serveEcho(addr string, stderr io.Writer) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, "modgate-load:", err)
		return 1
	}
	fmt.Fprintf(stderr, "modgate-load: echo server on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: echoHandler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "modgate-load:", err)
		return 1
	}
	return 0
}

// ---- spawning the servers as separate processes ----

func spawnGateway(bin string, stderr io.Writer, extra ...string) (string, int, func(), error) {
	dir, err := os.MkdirTemp("", "modgate-load-")
	if err != nil {
		return "", 0, nil, err
	}
	ready := filepath.Join(dir, "ready.json")
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1",
		"--data-dir", filepath.Join(dir, "data"), "--ready-file", ready, "--log-level", "error",
		"--policy-dir", "embedded", "--lexicon-dir", "embedded", "--users", filepath.Join(dir, "users.yaml"))
	cmd.Args = append(cmd.Args, extra...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", 0, nil, fmt.Errorf("spawn gateway: %w", err)
	}
	cleanup := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(ready); err == nil {
			var v struct{ HTTP string }
			if json.Unmarshal(b, &v) == nil && v.HTTP != "" {
				return "http://" + v.HTTP, cmd.Process.Pid, cleanup, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cleanup()
	return "", 0, nil, fmt.Errorf("spawn gateway: not ready after 60s")
}

func spawnEcho(stderr io.Writer) (string, int, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	// Pick a free port, then hand it to the child.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(self, "--echo-server", addr)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("spawn echo: %w", err)
	}
	cleanup := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr, cmd.Process.Pid, cleanup, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cleanup()
	return "", 0, nil, fmt.Errorf("spawn echo: not listening on %s", addr)
}

// compareWindow measures the gateway with the conversation window (the
// one --spawn-gateway started) against a second one without it, in
// alternation so both see the same load on the machine: max throughput
// per round, then the same fixed rate (half the slower max) on both.
func compareWindow(ctx context.Context, o options, texts []string, stdout, stderr io.Writer) int {
	offURL, offPID, cleanup, err := spawnGateway(o.spawnGateway, stderr, "--conversation=false")
	if err != nil {
		fmt.Fprintln(stderr, "modgate-load:", err)
		return 1
	}
	defer cleanup()
	on, off := o, o
	off.gateway, off.gwPID = offURL, offPID
	fmt.Fprintf(stdout, "modgate-load: conversation window on vs off; %d CPUs, %d conns, %s per step, %d texts, %d groups, %d senders\n",
		runtime.NumCPU(), o.conns, o.duration, len(texts), o.groups, o.senders)
	type pair struct{ on, off *result }
	var rounds []pair
	for i := 0; i < max(o.rounds, 1); i++ {
		var p pair
		for _, side := range []struct {
			name string
			o    options
			res  **result
		}{{"window on ", on, &p.on}, {"window off", off, &p.off}} {
			r, err := maxThroughput(ctx, side.o, side.o.gateway+"/v1/screen", texts, 1, side.o.gwPID)
			if err != nil {
				fmt.Fprintln(stderr, "modgate-load:", side.name, err)
				return 1
			}
			r.print(stdout, fmt.Sprintf("[%d] %s /v1/screen (max)", i+1, side.name))
			*side.res = r
		}
		fmt.Fprintf(stdout, "[%d] on/off throughput %.2f\n", i+1, p.on.rps()/p.off.rps())
		rounds = append(rounds, p)
	}
	slices.SortFunc(rounds, func(a, b pair) int {
		x, y := a.on.rps()/a.off.rps(), b.on.rps()/b.off.rps()
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	mid := rounds[len(rounds)/2]
	rate := o.rate
	if rate <= 0 {
		rate = min(mid.on.rps(), mid.off.rps()) * o.rateShare
	}
	// Fixed rate, alternating too; the round with the median p50
	// difference is reported.
	type fpair struct{ on, off *result }
	var frounds []fpair
	for i := 0; i < max(o.rounds, 1); i++ {
		var p fpair
		for _, side := range []struct {
			name string
			o    options
			res  **result
		}{{"window on ", on, &p.on}, {"window off", off, &p.off}} {
			r, err := fixedRate(ctx, side.o, side.o.gateway+"/v1/screen", texts, rate, side.o.gwPID)
			if err != nil {
				fmt.Fprintln(stderr, "modgate-load: fixed rate:", err)
				return 1
			}
			r.print(stdout, fmt.Sprintf("[%d] %s /v1/screen (fixed %.0f req/s)", i+1, side.name, rate))
			*side.res = r
		}
		frounds = append(frounds, p)
	}
	slices.SortFunc(frounds, func(a, b fpair) int {
		return cmpDur(a.on.pct(50)-a.off.pct(50), b.on.pct(50)-b.off.pct(50))
	})
	fmid := frounds[len(frounds)/2]
	fixed := [2]*result{fmid.on, fmid.off}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| step | requests/s | p50 | p99 | p99.9 | errors | server cpu-µs/req |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		r    *result
	}{{"window on (max)", mid.on}, {"window off (max)", mid.off},
		{fmt.Sprintf("window on (fixed %.0f/s)", rate), fixed[0]}, {fmt.Sprintf("window off (fixed %.0f/s)", rate), fixed[1]}} {
		srv, _ := row.r.cpuPerReq()
		fmt.Fprintf(stdout, "| %s | %.0f | %s | %s | %s | %d | %.1f |\n", row.name, row.r.rps(), ms(row.r.pct(50)), ms(row.r.pct(99)),
			ms(row.r.pct(99.9)), row.r.errors, srv)
	}
	sOn, _ := mid.on.cpuPerReq()
	sOff, _ := mid.off.cpuPerReq()
	fmt.Fprintf(stdout, "\nthroughput with the window / without: %.2f (median of %d rounds)\n", mid.on.rps()/mid.off.rps(), len(rounds))
	if sOn > 0 && sOff > 0 {
		fmt.Fprintf(stdout, "server CPU per request: %.1f µs with, %.1f µs without (+%.1f µs; ratio from CPU %.2f)\n", sOn, sOff, sOn-sOff, sOff/sOn)
	}
	fmt.Fprintf(stdout, "added p50 latency at %.0f req/s: %.0f µs (median of %d rounds)\n", rate, float64(fixed[0].pct(50)-fixed[1].pct(50))/1e3, len(frounds))
	return 0
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

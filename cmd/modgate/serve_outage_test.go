package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/escalate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/natsutil/natstest"
)

// reviewMsg is a review-verdict request with a unique id.
func reviewMsg(id string) []byte {
	return gwJSON(map[string]any{"id": id, "text": reviewText, "tenant": "t1"})
}

// TestNATSOutageEveryCaseOnce stops the NATS server mid-stream, keeps
// screening (cases go to the spool), restarts NATS and checks every case the
// gateway answered with a case_id is in the stream exactly once.
func TestNATSOutageEveryCaseOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("outage test")
	}
	srv, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	cfg := gwConfig(t)
	cfg.NATSURL = srv.ClientURL()
	cfg.EscalationTimeout = Duration(500 * time.Millisecond)
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()

	acked := map[string]string{} // case id -> escalation outcome
	var mu sync.Mutex
	send := func(phase string, n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%s-%d", phase, i)
			r := gwDo(t, "POST", base+"/v1/screen", "", "application/json", reviewMsg(id))
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", id, r.Status, r.Body)
			}
			v := r.json(t)
			cid, _ := v["case_id"].(string)
			if cid != modgate.CaseIDFor("t1", id, "") {
				t.Fatalf("%s: case_id %q", id, cid)
			}
			mu.Lock()
			acked[cid] = r.Header.Get(api.EscalationHeader)
			mu.Unlock()
		}
	}
	sendBatch := func(phase string) {
		t.Helper()
		body := fmt.Sprintf(`{"messages":[{"id":"%s-b0","text":"%s","tenant":"t1"},{"id":"%s-b1","text":"%s","tenant":"t1"}]}`, phase, reviewText, phase, reviewText)
		r := gwDo(t, "POST", base+"/v1/screen/batch", "", "application/json", []byte(body))
		var br api.BatchResponse
		if r.Status != 200 || json.Unmarshal(r.Body, &br) != nil || len(br.Results) != 2 {
			t.Fatalf("batch %s: %d %s", phase, r.Status, r.Body)
		}
		for _, it := range br.Results {
			if it.Verdict == nil || it.CaseID == "" {
				t.Fatalf("batch %s item without case: %+v", phase, it)
			}
			acked[it.CaseID] = string(it.Escalation)
		}
	}

	send("before", 30)
	sendBatch("before")
	srv.Shutdown()
	// Wait until the client noticed, so the outage phase really spools.
	deadline := time.Now().Add(10 * time.Second)
	for m.Conn.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r := gwDo(t, "GET", base+"/readyz", "", "", nil); r.Status != 503 {
		t.Fatalf("readyz with NATS down: %d %s", r.Status, r.Body)
	}
	send("during", 30)
	sendBatch("during")
	spooled := 0
	for _, o := range acked {
		if o == string(escalate.Spooled) {
			spooled++
		}
	}
	if spooled < 32 || m.Spool.Pending() < 32 {
		t.Fatalf("%d answers spooled, spool holds %d; want >= 32", spooled, m.Spool.Pending())
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	send("after", 30)
	sendBatch("after")

	// The replayer drains the spool once the client reconnects.
	deadline = time.Now().Add(30 * time.Second)
	for m.Spool.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := m.Spool.Pending(); n != 0 {
		t.Fatalf("spool still holds %d cases", n)
	}
	_, js := natstest.Connect(t, srv)
	counts, _ := streamCases(t, js)
	for cid := range acked {
		if counts[cid] != 1 {
			t.Fatalf("case %s stored %d times", cid, counts[cid])
		}
	}
	if len(counts) != len(acked) {
		t.Fatalf("stream has %d cases, gateway acknowledged %d", len(counts), len(acked))
	}
	if r := gwDo(t, "GET", base+"/readyz", "", "", nil); r.Status != 200 {
		t.Fatalf("readyz after restart: %d %s", r.Status, r.Body)
	}
	met := string(gwDo(t, "GET", base+"/metrics", "", "", nil).Body)
	for _, s := range []string{`modgate_escalations_total{lane="normal",outcome="spooled"}`, `modgate_escalations_total{lane="normal",outcome="replayed"}`, "modgate_spool_pending 0"} {
		if !strings.Contains(met, s) {
			t.Fatalf("metrics lack %s", s)
		}
	}
}

// buildGateway compiles cmd/modgate into a temp dir once per test binary.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func buildGateway(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "modgate-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "modgate")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

type gatewayProc struct {
	cmd   *exec.Cmd
	http  string
	nats  string
	ready string
}

func startGatewayProc(t *testing.T, bin, dataDir string, extra ...string) *gatewayProc {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready.json")
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1",
		"--data-dir", dataDir, "--ready-file", ready, "--policy-dir", "embedded", "--lexicon-dir", "embedded",
		"--patrol-rate", "0", "--log-level", "error", "--users", filepath.Join(dataDir, "users.yaml")}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &gatewayProc{cmd: cmd, ready: ready}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(ready)
		if err == nil {
			var v struct{ HTTP, NATS string }
			if json.Unmarshal(b, &v) == nil && v.HTTP != "" {
				p.http, p.nats = v.HTTP, v.NATS
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gateway subprocess did not become ready")
	return nil
}

// TestKillGatewayNoAckedCaseLost kills the gateway process with SIGKILL
// while clients are screening, restarts it on the same data directory and
// checks that every case the gateway acknowledged (a 200 with case_id) is in
// JetStream exactly once.
func TestKillGatewayNoAckedCaseLost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a subprocess")
	}
	bin := buildGateway(t)
	dataDir := t.TempDir()
	p := startGatewayProc(t, bin, dataDir)

	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("k%d-%d", w, i)
				req, _ := http.NewRequest("POST", "http://"+p.http+"/v1/screen", bytes.NewReader(reviewMsg(id)))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return // the process is gone
				}
				var v modgate.Verdict
				err = json.NewDecoder(res.Body).Decode(&v)
				res.Body.Close()
				if err == nil && res.StatusCode == 200 && v.CaseID != "" {
					mu.Lock()
					acked[v.CaseID] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	// Let a few hundred cases through, then kill -9 mid-stream.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	cancel()
	wg.Wait()
	if len(acked) < 300 {
		t.Fatalf("only %d cases acknowledged before the kill", len(acked))
	}

	p2 := startGatewayProc(t, bin, dataDir)
	nc, err := natsutil.Connect(p2.nats, natsutil.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := streamCases(t, js)
	lost := 0
	for cid := range acked {
		switch counts[cid] {
		case 1:
		case 0:
			lost++
		default:
			t.Fatalf("case %s stored %d times", cid, counts[cid])
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged cases lost after kill -9", lost, len(acked))
	}
	t.Logf("%d acknowledged cases before SIGKILL, all present once after restart (stream holds %d)", len(acked), len(counts))

	// The restarted gateway serves and shuts down cleanly on SIGTERM.
	r := gwDo(t, "POST", "http://"+p2.http+"/v1/screen", "", "application/json", reviewMsg("after-restart"))
	if r.Status != 200 {
		t.Fatalf("after restart: %d %s", r.Status, r.Body)
	}
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p2.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGTERM exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not stop on SIGTERM")
	}
}

// hammer screens review messages from 4 clients until stop is closed or
// the gateway is gone, recording every acknowledged case id.
func hammer(addr, prefix string, acked map[string]bool, mu *sync.Mutex, stop <-chan struct{}) *sync.WaitGroup {
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%s%d-%d", prefix, w, i)
				req, _ := http.NewRequest("POST", "http://"+addr+"/v1/screen", bytes.NewReader(reviewMsg(id)))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return
				}
				var v modgate.Verdict
				err = json.NewDecoder(res.Body).Decode(&v)
				res.Body.Close()
				if err == nil && res.StatusCode == 200 && v.CaseID != "" {
					mu.Lock()
					acked[v.CaseID] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	return &wg
}

func waitAcked(t *testing.T, mu *sync.Mutex, acked map[string]bool, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := len(acked)
		mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d cases acknowledged", n)
}

// TestKillGatewayWhileSpooling: external NATS goes down, the gateway keeps
// answering (cases spooled), then the gateway is killed with SIGKILL in the
// middle of spool writes. NATS comes back, the gateway restarts on the same
// data dir, and every acknowledged case reaches JetStream exactly once.
func TestKillGatewayWhileSpooling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a subprocess")
	}
	bin := buildGateway(t)
	srv, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	dataDir := t.TempDir()
	p := startGatewayProc(t, bin, dataDir, "--nats-url", srv.ClientURL(), "--escalation-timeout", "300ms")

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	wg := hammer(p.http, "s", acked, &mu, stop)
	waitAcked(t, &mu, acked, 50)
	srv.Shutdown() // outage: from now on cases are spooled
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	waitAcked(t, &mu, acked, before+150)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	close(stop)
	wg.Wait()
	spooled := len(acked) - before

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	startGatewayProc(t, bin, dataDir, "--nats-url", srv.ClientURL()) // replays the spool at start
	_, js := natstest.Connect(t, srv)
	deadline := time.Now().Add(60 * time.Second)
	var counts map[string]int
	for {
		counts, _ = streamCases(t, js)
		missing := 0
		for cid := range acked {
			if counts[cid] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged cases (%d answered while spooling) never reached JetStream", missing, len(acked), spooled)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for cid := range acked {
		if counts[cid] != 1 {
			t.Fatalf("case %s stored %d times", cid, counts[cid])
		}
	}
	t.Logf("%d cases acknowledged (%d while NATS was down, then SIGKILL); all in JetStream once after restart", len(acked), spooled)
}

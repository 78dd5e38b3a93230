package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/escalate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/testkit"
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
	testkit.Eventually(t, "the client to notice the outage", 10*time.Second, func() bool { return !m.Conn.IsConnected() })
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
	testkit.Eventually(t, "the spool to drain", 30*time.Second, func() bool { return m.Spool.Pending() == 0 })
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

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// startGatewayProc runs `modgate serve` as a subprocess (internal/testkit)
// on dataDir with the embedded policies and lexicons.
func startGatewayProc(t *testing.T, dataDir string, extra ...string) *testkit.Gateway {
	t.Helper()
	return testkit.Start(t, testkit.Options{DataDir: dataDir, Args: append([]string{"--policy-dir", "embedded", "--lexicon-dir", "embedded",
		"--patrol-rate", "0", "--log-level", "error", "--users", filepath.Join(dataDir, "users.yaml")}, extra...)})
}

// TestKillGatewayNoAckedCaseLost kills the gateway process with SIGKILL
// while clients are screening, restarts it on the same data directory and
// checks that every case the gateway acknowledged (a 200 with case_id) is in
// JetStream exactly once.
func TestKillGatewayNoAckedCaseLost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a subprocess")
	}
	dataDir := t.TempDir()
	p := startGatewayProc(t, dataDir)

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	wg := hammer(p.HTTP, "k", acked, &mu, stop)
	// Let a few hundred cases through, then kill -9 mid-stream.
	waitAcked(t, &mu, acked, 300)
	p.Kill()
	close(stop)
	wg.Wait()
	if len(acked) < 300 {
		t.Fatalf("only %d cases acknowledged before the kill", len(acked))
	}

	p2 := startGatewayProc(t, dataDir)
	nc, err := natsutil.Connect(p2.NATS, natsutil.ConnectOptions{})
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
	r := gwDo(t, "POST", "http://"+p2.HTTP+"/v1/screen", "", "application/json", reviewMsg("after-restart"))
	if r.Status != 200 {
		t.Fatalf("after restart: %d %s", r.Status, r.Body)
	}
	if !p2.Stop(30 * time.Second) {
		t.Fatal("gateway did not stop cleanly on SIGTERM")
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
	testkit.Eventually(t, fmt.Sprintf("%d acknowledged cases", n), 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= n
	})
}

// TestKillGatewayWhileSpooling: external NATS goes down, the gateway keeps
// answering (cases spooled), then the gateway is killed with SIGKILL in the
// middle of spool writes. NATS comes back, the gateway restarts on the same
// data dir, and every acknowledged case reaches JetStream exactly once.
func TestKillGatewayWhileSpooling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a subprocess")
	}
	srv, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	dataDir := t.TempDir()
	p := startGatewayProc(t, dataDir, "--nats-url", srv.ClientURL(), "--escalation-timeout", "300ms")

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	wg := hammer(p.HTTP, "s", acked, &mu, stop)
	waitAcked(t, &mu, acked, 50)
	srv.Shutdown() // outage: from now on cases are spooled
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	waitAcked(t, &mu, acked, before+150)
	p.Kill()
	close(stop)
	wg.Wait()
	spooled := len(acked) - before

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	startGatewayProc(t, dataDir, "--nats-url", srv.ClientURL()) // replays the spool at start
	_, js := natstest.Connect(t, srv)
	var counts map[string]int
	missing := 0
	testkit.Eventually(t, fmt.Sprintf("every one of %d acknowledged cases (%d answered while spooling) in JetStream", len(acked), spooled), 60*time.Second, func() bool {
		counts, _ = streamCases(t, js)
		missing = 0
		for cid := range acked {
			if counts[cid] == 0 {
				missing++
			}
		}
		return missing == 0
	})
	for cid := range acked {
		if counts[cid] != 1 {
			t.Fatalf("case %s stored %d times", cid, counts[cid])
		}
	}
	t.Logf("%d cases acknowledged (%d while NATS was down, then SIGKILL); all in JetStream once after restart", len(acked), spooled)
}

package main

// The fault-injection suite (`go test -run Fault ./...`): each test drives
// a real gateway over HTTP through one fault and counts the screening
// requests sent, those acknowledged with a case id (200 and case_id), and
// the cases found in the review queue afterwards. The target is exact
// equality of acknowledged and found: nothing acknowledged is ever lost,
// and nothing refused turns up as a case. Each test logs one line
//
//	FAULT <name>: sent=N acknowledged=N found=N refused=N ...
//
// whose figures docs/production.md records.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/escalate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/presence"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/spool"
	"github.com/modgate/modgate/internal/testkit"
)

// tally counts one fault test's traffic.
type tally struct {
	mu      sync.Mutex
	sent    int
	acked   map[string]string // case id -> escalation outcome (published | spooled)
	refused map[string]int    // case id -> status of a request answered without a case
	status  map[int]int
}

func newTally() *tally {
	return &tally{acked: map[string]string{}, refused: map[string]int{}, status: map[int]int{}}
}

// screen sends one review-verdict message and records the answer. It
// returns the status (0 when the connection failed).
func (tl *tally) screen(client *http.Client, base, id, text string) int {
	// Unescaped, as a client would send it: '<' stays one byte on the wire.
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"id": id, "text": text, "tenant": "t1"})
	req, _ := http.NewRequest("POST", base+"/v1/screen", &body)
	req.Header.Set("Content-Type", "application/json")
	cid := modgate.CaseIDFor("t1", id, "")
	tl.mu.Lock()
	tl.sent++
	tl.mu.Unlock()
	res, err := client.Do(req)
	if err != nil {
		return 0 // no answer: neither acknowledged nor refused
	}
	defer res.Body.Close()
	var v api.ScreenResponse
	derr := json.NewDecoder(res.Body).Decode(&v)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.status[res.StatusCode]++
	if res.StatusCode == http.StatusOK && derr == nil && v.Verdict != nil && v.CaseID != "" {
		if v.CaseID != cid {
			tl.refused["bad-case-id:"+v.CaseID] = res.StatusCode
			return res.StatusCode
		}
		tl.acked[cid] = string(v.Escalation)
		return res.StatusCode
	}
	tl.refused[cid] = res.StatusCode
	return res.StatusCode
}

func (tl *tally) ackedIDs() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	ids := make([]string, 0, len(tl.acked))
	for id := range tl.acked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// verify waits until every acknowledged case is found (exists returns
// true) and checks that no refused one is; it logs the figures and returns
// how many were found.
func (tl *tally) verify(t *testing.T, name string, exists func(id string) bool, extra string) int {
	t.Helper()
	ids := tl.ackedIDs()
	missing := ids
	deadline := time.Now().Add(60 * time.Second)
	for len(missing) > 0 && time.Now().Before(deadline) {
		var still []string
		for _, id := range missing {
			if !exists(id) {
				still = append(still, id)
			}
		}
		missing = still
		if len(missing) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	found := len(ids) - len(missing)
	tl.mu.Lock()
	wrong := 0
	for id := range tl.refused {
		if !strings.HasPrefix(id, "bad-case-id:") && exists(id) {
			wrong++
			t.Errorf("case %s was refused (status %d) but exists", id, tl.refused[id])
		}
		if strings.HasPrefix(id, "bad-case-id:") {
			t.Errorf("answer with a foreign case id: %s", id)
		}
	}
	spooled := 0
	for _, o := range tl.acked {
		if o == string(escalate.Spooled) {
			spooled++
		}
	}
	t.Logf("FAULT %s: sent=%d acknowledged=%d found=%d refused=%d (spooled=%d statuses=%v)%s",
		name, tl.sent, len(ids), found, len(tl.refused), spooled, tl.status, extra)
	tl.mu.Unlock()
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged cases not found, e.g. %v", len(missing), len(ids), missing[:min(5, len(missing))])
	}
	if wrong > 0 {
		t.Fatalf("%d refused requests became cases", wrong)
	}
	return found
}

// queueHas reports whether the gateway's review queue holds case id.
func queueHas(m *Main) func(string) bool {
	return func(id string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := m.Queue.Get(ctx, id)
		return err == nil
	}
}

// kvHas reads the cases bucket directly (for a gateway in another process).
func kvHas(t *testing.T, natsURL string) func(string) bool {
	t.Helper()
	nc, err := natsutil.Connect(natsURL, natsutil.ConnectOptions{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	var kv jetstream.KeyValue
	return func(id string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if kv == nil {
			if kv, err = js.KeyValue(ctx, review.BucketCases); err != nil {
				kv = nil
				return false
			}
		}
		_, err := kv.Get(ctx, id)
		return err == nil
	}
}

// freePort finds a TCP port to start a NATS server on "fixed" (so it can be
// stopped and started again on the same address).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// addUser writes a reviewer to the gateway's users file (cheap bcrypt).
func addUser(t *testing.T, path, name, role string) {
	t.Helper()
	review.BcryptCost = bcrypt.MinCost
	u, err := review.OpenUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.AddUser(name, role, "pw-"+name+"-123"); err != nil {
		t.Fatal(err)
	}
}

func readyz(t *testing.T, base, token string) (int, api.ReadyResponse) {
	t.Helper()
	r := gwDo(t, "GET", base+"/readyz", token, "", nil)
	var rr api.ReadyResponse
	if err := json.Unmarshal(r.Body, &rr); err != nil {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	return r.Status, rr
}

// TestFaultPoisonRecords: hostile records at every stage. A request whose
// id alone is 250,000 '<' (under the 256 KiB body cap, ~1.5 MB once
// JSON-escaped) used to be answered "spooled" and then jam the spool for
// ever; a spool left with such a record by an older version must not hold
// back the records behind it; garbage published straight onto the
// escalation subjects must not hold the consumer. Every ordinary case sent
// around them is acknowledged and found.
func TestFaultPoisonRecords(t *testing.T) {
	cfg := gwConfig(t)
	cfg.ReplicaHeartbeat = Duration(200 * time.Millisecond)
	// A spool as an older version left it: a poison record between two
	// good ones.
	sdir := filepath.Join(cfg.DataDir, "spool")
	sp, err := spool.Open(sdir)
	if err != nil {
		t.Fatal(err)
	}
	spooled := []string{}
	for i, id := range []string{"old-0", strings.Repeat("<", 250000), "old-1"} {
		esc := modgate.Escalation{CaseID: modgate.CaseIDFor("t1", id, ""), Lane: modgate.LaneNormal, Source: "screen",
			Message: modgate.Message{ID: id, Text: reviewText, Tenant: "t1"}, Verdict: modgate.Verdict{Action: "review", DecisionID: fmt.Sprint("d", i)}, At: time.Now().UTC()}
		data, _ := json.Marshal(esc)
		rec, _ := json.Marshal(map[string]any{"subject": "modgate.escalations.normal", "msg_id": esc.CaseID, "lane": "normal", "data": json.RawMessage(data)})
		if err := sp.Append(rec); err != nil {
			t.Fatal(err)
		}
		if i != 1 {
			spooled = append(spooled, esc.CaseID)
		}
	}
	sp.Close()

	cfg.APIKeys, cfg.AdminKey = "t1=tenant-key", "admin-key"
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()

	// The old spool: the good records replay, the poison one is set aside.
	testkit.Eventually(t, "spool replayed", 20*time.Second, func() bool { return m.Spool.Pending() == 0 })
	for _, id := range spooled {
		testkit.Eventually(t, "spooled case "+id, 20*time.Second, func() bool { return queueHas(m)(id) })
	}
	if m.Spool.DeadCount() != 1 {
		t.Fatalf("spool dead letters = %d, want 1", m.Spool.DeadCount())
	}

	tl := newTally()
	authed := &http.Client{Timeout: 10 * time.Second, Transport: bearerTransport("tenant-key")}
	// The poison request is refused at the edge.
	poisonID := strings.Repeat("<", 250000)
	if s := tl.screen(authed, base, poisonID, reviewText); s != http.StatusRequestEntityTooLarge {
		t.Fatalf("poison id: status %d, want 413", s)
	}
	// Garbage on the escalation subjects goes to the dead-letter stream.
	nc, err := nats.Connect(m.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for _, raw := range []string{"not json", `{"case_id":"../../etc","message":{"text":"x"}}`} {
		if _, err := js.Publish(context.Background(), "modgate.escalations.high", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	// A text inside every limit whose case is over max_payload (1 MiB
	// here): it used to be answered "published" and never become a case.
	wide := strings.Repeat("<", 65400) + reviewText
	for i := 0; i < 100; i++ {
		text := reviewText
		if i%20 == 0 {
			text = wide
		}
		tl.screen(authed, base, fmt.Sprintf("poison-run-%d", i), text)
	}
	found := tl.verify(t, "poison records", queueHas(m), fmt.Sprintf(" spool_replayed=%d spool_dead_letters=1", len(spooled)))
	if found != 100 {
		t.Fatalf("found %d of 100", found)
	}
	if c, err := m.Queue.Get(context.Background(), modgate.CaseIDFor("t1", "poison-run-20", "")); err != nil || c.Message.Text != wide {
		t.Fatalf("wide case not whole: %v", err)
	}

	// Operators see all of it.
	var dl api.DeadLettersResponse
	testkit.Eventually(t, "two dead letters in the stream", 10*time.Second, func() bool {
		r := gwDo(t, "GET", base+"/v1/admin/dead-letters", "admin-key", "", nil)
		return r.Status == 200 && json.Unmarshal(r.Body, &dl) == nil && dl.Total == 2
	})
	status, rr := readyz(t, base, "")
	if status != 200 || rr.Status != api.StatusDegraded || rr.SpoolDeadLetters != 1 || len(rr.Degraded) < 1 {
		t.Fatalf("readyz: %d %+v", status, rr)
	}
	testkit.Eventually(t, "readyz names the dead-letter stream", 10*time.Second, func() bool {
		_, rr := readyz(t, base, "")
		return strings.Contains(strings.Join(rr.Degraded, "|"), review.StreamDeadLetter)
	})
	testkit.Eventually(t, "metrics count the dead letters", 10*time.Second, func() bool {
		met := string(gwDo(t, "GET", base+"/metrics", "", "", nil).Body)
		for _, want := range []string{"modgate_spool_dead_letters 1", `outcome="dead_lettered"`, "modgate_escalation_dead_letters 2"} {
			if !strings.Contains(met, want) {
				return false
			}
		}
		return true
	})
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"spool", "list", "--data-dir", cfg.DataDir}, nil, &out, &errb); code != 0 {
		t.Fatalf("modgate spool list: %d %s", code, errb.String())
	}
	poisonCase := modgate.CaseIDFor("t1", poisonID, "")
	if !strings.Contains(out.String(), "0 pending") || !strings.Contains(out.String(), "1 dead letters") || !strings.Contains(out.String(), poisonCase) {
		t.Fatalf("modgate spool list:\n%s", out.String())
	}
	// The spool command needs the data directory the gateway holds.
	if code := run(context.Background(), []string{"spool", "requeue", "--data-dir", cfg.DataDir}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Fatalf("spool requeue while serving: %d %s", code, errb.String())
	}
}

type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// TestFaultOversizedCases: against a NATS server with max_payload 512 KiB,
// a text whose escalation cannot fit is refused with 413 (never "spooled"
// or "published"), and a text whose escalation fits but whose case would
// not (the case holds the text three times) is acknowledged and becomes a
// whole case. Before, the second kind was answered "published" and never
// became a case.
func TestFaultOversizedCases(t *testing.T) {
	srv, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir(), MaxPayload: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	cfg := gwConfig(t)
	cfg.NATSURL = srv.ClientURL()
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()
	client := &http.Client{Timeout: 10 * time.Second}

	tl := newTally()
	big := strings.Repeat("<", 30000) + reviewText  // escalation ~360 KB fits; the case (~540 KB) does not
	huge := strings.Repeat("<", 65400) + reviewText // escalation ~785 KB does not fit
	for i := 0; i < 20; i++ {
		tl.screen(client, base, fmt.Sprint("big-", i), big)
		tl.screen(client, base, fmt.Sprint("normal-", i), reviewText)
		if s := tl.screen(client, base, fmt.Sprint("huge-", i), huge); s != http.StatusRequestEntityTooLarge {
			t.Fatalf("huge text: status %d, want 413", s)
		}
	}
	// A batch: the oversized item fails alone.
	batch := fmt.Sprintf(`{"messages":[{"id":"b-ok","text":%q,"tenant":"t1"},{"id":"b-huge","text":%q,"tenant":"t1"}]}`, reviewText, huge)
	r := gwDo(t, "POST", base+"/v1/screen/batch", "", "application/json", []byte(batch))
	var br api.BatchResponse
	if r.Status != 200 || json.Unmarshal(r.Body, &br) != nil || br.Results[0].CaseID == "" || br.Results[1].Error == nil || br.Results[1].Error.Code != api.CodeTooLarge {
		t.Fatalf("batch: %d %s", r.Status, r.Body)
	}
	tl.sent += 2
	tl.acked[br.Results[0].CaseID] = string(br.Results[0].Escalation)
	tl.refused[modgate.CaseIDFor("t1", "b-huge", "")] = http.StatusRequestEntityTooLarge
	tl.verify(t, "oversized cases", queueHas(m), " (max_payload 512 KiB)")
	if met := string(gwDo(t, "GET", base+"/metrics", "", "", nil).Body); !strings.Contains(met, `modgate_escalations_total{lane="normal",outcome="rejected"} 21`) {
		t.Errorf("metrics do not count the 21 rejected escalations: %s", regexp.MustCompile(`modgate_escalations_total.*`).FindAllString(met, -1))
	}
	c, err := m.Queue.Get(context.Background(), modgate.CaseIDFor("t1", "big-3", ""))
	if err != nil || c.Message.Text != big {
		t.Fatalf("big case text not whole: %v", err)
	}
}

// TestFaultNATSRestart stops and restarts NATS under traffic, embedded in
// the gateway and as an external server on a fixed port. Every acknowledged
// case is found, and logins, reports, presence and the report rate limit
// (all needing memory-storage buckets a restart loses) work again within
// seconds without restarting the gateway; before, they answered 500 until
// it was restarted.
func TestFaultNATSRestart(t *testing.T) {
	for _, mode := range []string{"embedded", "external"} {
		t.Run(mode, func(t *testing.T) {
			cfg := gwConfig(t)
			cfg.EscalationTimeout = Duration(300 * time.Millisecond)
			cfg.ReplicaHeartbeat = Duration(200 * time.Millisecond)
			cfg.Users = filepath.Join(t.TempDir(), "users.yaml")
			addUser(t, cfg.Users, "alice", "reviewer")
			var ext *natsutil.Embedded
			if mode == "external" {
				var err error
				ext, err = natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir(), Port: freePort(t)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(ext.Shutdown)
				cfg.NATSURL = ext.ClientURL()
			} else {
				cfg.NATSListen = fmt.Sprintf("127.0.0.1:%d", freePort(t))
			}
			m := gwStart(t, cfg)
			srv := ext
			if srv == nil {
				srv = m.NATS
			}
			base := "http://" + m.Addr()
			client := &http.Client{Timeout: 10 * time.Second}
			login := func() int {
				return gwDo(t, "POST", base+"/v1/review/login", "", "application/json", gwJSON(map[string]string{"user": "alice", "password": "pw-alice-123"})).Status
			}
			report := func(i int) int {
				return gwDo(t, "POST", base+"/v1/reports", "", "application/json", gwJSON(map[string]string{
					"message_id": fmt.Sprint("rep-", i), "reporter_id": "r-1", "reason": "ads", "tenant": "t1"})).Status
			}
			if s := login(); s != 200 {
				t.Fatalf("login before: %d", s)
			}

			tl := newTally()
			send := func(phase string, n int) {
				for i := 0; i < n; i++ {
					tl.screen(client, base, fmt.Sprintf("%s-%s-%d", mode, phase, i), reviewText)
				}
			}
			send("before", 50)
			srv.Shutdown()
			testkit.Eventually(t, "client notices", 10*time.Second, func() bool { return !m.Conn.IsConnected() })
			send("during", 50)
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			restarted := time.Now()
			// Logins and reports work again without a gateway restart.
			testkit.Eventually(t, "login after restart", 20*time.Second, func() bool { return login() == 200 })
			loginAfter := time.Since(restarted)
			testkit.Eventually(t, "report after restart", 20*time.Second, func() bool { return report(1) == 201 })
			nc, err := nats.Connect(m.NATSURL())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc)
			presenceAfter := testkit.Eventually(t, "presence heartbeat after restart", 20*time.Second, func() bool {
				kv, err := js.KeyValue(context.Background(), presence.Bucket)
				if err != nil {
					return false
				}
				keys, err := kv.Keys(context.Background())
				return err == nil && len(keys) >= 1
			})
			// The report rate limit holds again (30 a minute per reporter).
			limited := 0
			for i := 2; i < 40; i++ {
				if report(i) == http.StatusTooManyRequests {
					limited++
				}
			}
			if limited == 0 {
				t.Fatal("report rate limit not enforced after the restart")
			}
			send("after", 50)
			tl.verify(t, "NATS restart ("+mode+")", queueHas(m), fmt.Sprintf(" login_ok_after=%s presence_ok_after<=%s",
				loginAfter.Round(10*time.Millisecond), (time.Since(restarted)).Round(100*time.Millisecond)))
			_ = presenceAfter
			if spooled := countOutcome(tl, string(escalate.Spooled)); spooled < 50 {
				t.Fatalf("only %d cases spooled during the outage", spooled)
			}
		})
	}
}

func countOutcome(tl *tally, o string) int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	n := 0
	for _, x := range tl.acked {
		if x == o {
			n++
		}
	}
	return n
}

// TestFaultSpoolFull: with NATS down and the spool capped (the stand-in
// for a full disk), requests are acknowledged while the spool has room and
// refused with 503 after; once NATS is back every acknowledged case is
// found and no refused one is.
func TestFaultSpoolFull(t *testing.T) {
	srv, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	cfg := gwConfig(t)
	cfg.NATSURL = srv.ClientURL()
	cfg.EscalationTimeout = Duration(300 * time.Millisecond)
	cfg.SpoolMaxBytes = 40 << 10
	m := gwStart(t, cfg)
	base := "http://" + m.Addr()
	client := &http.Client{Timeout: 10 * time.Second}
	tl := newTally()
	for i := 0; i < 20; i++ {
		tl.screen(client, base, fmt.Sprint("up-", i), reviewText)
	}
	srv.Shutdown()
	testkit.Eventually(t, "client notices", 10*time.Second, func() bool { return !m.Conn.IsConnected() })
	for i := 0; i < 100; i++ {
		tl.screen(client, base, fmt.Sprint("down-", i), reviewText)
	}
	if tl.status[http.StatusServiceUnavailable] == 0 || countOutcome(tl, string(escalate.Spooled)) == 0 {
		t.Fatalf("want both spooled and refused answers with the spool capped: %v", tl.status)
	}
	if m.Spool.PendingBytes() > cfg.SpoolMaxBytes {
		t.Fatalf("spool holds %d bytes, cap %d", m.Spool.PendingBytes(), cfg.SpoolMaxBytes)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "spool drained", 30*time.Second, func() bool { return m.Spool.Pending() == 0 })
	for i := 0; i < 20; i++ {
		tl.screen(client, base, fmt.Sprint("back-", i), reviewText)
	}
	tl.verify(t, "spool full", queueHas(m), fmt.Sprintf(" (spool cap %d KiB)", cfg.SpoolMaxBytes>>10))
}

// TestFaultBrokenFileAtStartup: a gateway restarted with a broken policy
// file in its watched folder used to refuse to start. It now serves the
// last engine that built and passed its tests, says so in /readyz
// (degraded, with the file:line error, directory paths only for admins),
// and takes the folder again once it is fixed.
func TestFaultBrokenFileAtStartup(t *testing.T) {
	cfg := gwConfig(t)
	cfg.Watch = true
	cfg.AdminKey = "admin-key"
	cfg.APIKeys = "t1=tenant-key"
	m := gwStart(t, cfg)
	good := m.Screener.Revision()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(cfg.PolicyDir, "decision.rego")
	orig, err := os.ReadFile(broken)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(orig, []byte("\n")) {
		t.Fatal("decision.rego does not end with a newline")
	}
	if err := os.WriteFile(broken, append(append([]byte{}, orig...), []byte("\nbroken := := 1\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	line := bytes.Count(orig, []byte("\n")) + 2

	m2 := gwStart(t, cfg)
	if m2.Screener.Revision() != good {
		t.Fatalf("serving %+v, want the last good %+v", m2.Screener.Revision(), good)
	}
	base := "http://" + m2.Addr()
	status, rr := readyz(t, base, "")
	all := strings.Join(rr.Degraded, " | ")
	if status != 200 || rr.Status != api.StatusDegraded || !strings.Contains(all, fmt.Sprintf("decision.rego:%d", line)) || !strings.Contains(all, "last good") {
		t.Fatalf("readyz: %d %+v", status, rr)
	}
	if strings.Contains(string(gwDo(t, "GET", base+"/readyz", "", "", nil).Body), cfg.PolicyDir) || rr.Engine.PolicyDir != "" {
		t.Fatal("readyz shows the policy directory to anyone")
	}
	if _, rr := readyz(t, base, "admin-key"); rr.Engine.PolicyDir != cfg.PolicyDir {
		t.Fatalf("readyz hides the directory from an admin: %+v", rr.Engine)
	}
	tl := newTally()
	authed := &http.Client{Timeout: 10 * time.Second, Transport: bearerTransport("tenant-key")}
	for i := 0; i < 50; i++ {
		tl.screen(authed, base, fmt.Sprint("degraded-", i), reviewText)
	}
	// Fixed: the watcher takes the folder again.
	if err := os.WriteFile(broken, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "ready again", 20*time.Second, func() bool {
		_, rr := readyz(t, base, "")
		return rr.Status == api.StatusReady
	})
	for i := 0; i < 50; i++ {
		tl.screen(authed, base, fmt.Sprint("fixed-", i), reviewText)
	}
	tl.verify(t, "broken file at startup", queueHas(m2), "")
}

// TestFaultSecondServeOnDataDir: a second gateway on a data directory in
// use exits with a message naming it, instead of starting a second
// JetStream server on the same store.
func TestFaultSecondServeOnDataDir(t *testing.T) {
	cfg := gwConfig(t)
	gwStart(t, cfg)
	cfg2 := cfg
	cfg2.NATSListen = "127.0.0.1:-1"
	m2 := NewMain(cfg2, nil)
	err := m2.Run(context.Background())
	if err == nil {
		m2.Close()
		t.Fatal("a second gateway started on the same data directory")
	}
	if !strings.Contains(err.Error(), "in use by another modgate") || !strings.Contains(err.Error(), cfg.DataDir) {
		t.Fatalf("error does not say why: %v", err)
	}
}

// TestFaultKill9MidTraffic kills the gateway process with SIGKILL under
// load from four clients, starts it again on the same data directory (the
// killed process's lock must not linger) and finds every acknowledged case
// in the review queue. A second process on the same directory is refused
// while the first runs.
func TestFaultKill9MidTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a subprocess")
	}
	bin := testkit.Binary(t)
	dataDir := t.TempDir()
	p := startGatewayProc(t, dataDir)

	// A second serve on the same directory exits with a clear message.
	out, err := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1", "--data-dir", dataDir,
		"--policy-dir", "embedded", "--lexicon-dir", "embedded", "--users", filepath.Join(dataDir, "users.yaml")).CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "in use by another modgate") {
		t.Fatalf("second serve: %v\n%s", err, out)
	}

	tl := newTally()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
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
				if tl.screen(client, p.URL(), fmt.Sprintf("k9-%d-%d", w, i), reviewText) == 0 {
					return
				}
			}
		}(w)
	}
	testkit.Eventually(t, "300 acknowledged", 60*time.Second, func() bool { tl.mu.Lock(); defer tl.mu.Unlock(); return len(tl.acked) >= 300 })
	p.Kill()
	close(stop)
	wg.Wait()
	p2 := startGatewayProc(t, dataDir)
	tl.verify(t, "kill -9 mid-traffic", kvHas(t, p2.NATS), "")
	p2.Stop(30 * time.Second)
}

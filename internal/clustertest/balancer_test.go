package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
)

// startBalancer runs nginx with the shipped deploy/nginx.conf, its upstream
// pointed at the gateways' loopback ports and its paths moved into a
// temporary folder. It returns the balancer's base URL.
func startBalancer(t *testing.T, nginx string, gws []*gateway) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := string(b)
	up := regexp.MustCompile(`(?m)^(\s*server\s+)modgate-(\d+):8080`)
	n := 0
	conf = up.ReplaceAllStringFunc(conf, func(m string) string {
		sub := up.FindStringSubmatch(m)
		i, _ := strconv.Atoi(sub[2])
		if i < 1 || i > len(gws) {
			t.Fatalf("deploy/nginx.conf names %s, the test runs %d replicas", m, len(gws))
		}
		n++
		return sub[1] + gws[i-1].proc.HTTP
	})
	if n != len(gws) {
		t.Fatalf("deploy/nginx.conf has %d upstream servers, the test runs %d replicas", n, len(gws))
	}
	port := freePorts(t, 1)[0]
	conf = strings.Replace(conf, "listen 8080;", "listen 127.0.0.1:"+strconv.Itoa(port)+";", 1)
	conf = strings.ReplaceAll(conf, "/tmp/", dir+"/")
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &testkit.Buffer{}
	cmd := exec.Command(nginx, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			el, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("---- nginx ----\n%s%s", log.String(), tail(string(el), 4<<10))
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitReady(t, newClient(), base, 15*time.Second)
	return base
}

// TestBalancerHidesAReplicaKill runs the shipped load balancer config in
// front of two replicas and kills one with SIGKILL under load: every
// screening request sent to the balancer still gets its verdict (nginx
// resends what could not reach the dead replica), and every case those
// verdicts acknowledged is in the queue. It needs nginx (Debian:
// nginx-light); without it, it skips.
func TestBalancerHidesAReplicaKill(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node NATS cluster, two gateway processes and nginx")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed (apt-get install nginx-light); deploy/nginx.conf is then only checked statically")
	}
	t.Parallel() // see TestClusterSurvivesGatewayKill
	c := startNATSCluster(t)
	env := clusterEnv(t, c, "")
	cl := newClient()
	var gws []*gateway
	for i := range 2 {
		g := newGateway(t, fmt.Sprintf("modgate-%d", i+1), env)
		g.start(t)
		waitReady(t, cl, g.baseURL(), 30*time.Second)
		gws = append(gws, g)
	}
	lb := startBalancer(t, nginx, gws)

	var mu sync.Mutex
	acked := map[string]string{}
	var failures []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				msgID := fmt.Sprintf("lb-%d-%d", w, i)
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				var v modgate.Verdict
				st, b, err := cl.do(ctx, http.MethodPost, lb+"/v1/screen", tenantKey, map[string]any{"id": msgID, "text": reviewText}, &v)
				cancel()
				mu.Lock()
				if err != nil || st != http.StatusOK || v.CaseID == "" {
					failures = append(failures, fmt.Sprintf("%s: %d %s %v", msgID, st, b, err))
				} else {
					acked[v.CaseID] = msgID
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(3 * time.Second)
	gws[1].kill()
	t.Logf("killed %s", gws[1].name)
	time.Sleep(3 * time.Second)
	gws[1].start(t)
	t.Logf("restarted %s", gws[1].name)
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	for _, f := range failures {
		t.Errorf("request through the balancer failed: %s", f)
	}
	if len(acked) < 100 {
		t.Fatalf("only %d verdicts through the balancer", len(acked))
	}
	_, js := c.connect(t)
	rg := &rig{cluster: c, gws: gws, r: &replicas{c: cl, bases: []string{gws[0].baseURL(), gws[1].baseURL()}}, js: js}
	want := map[string]bool{}
	for id := range acked {
		want[id] = true
	}
	cases := rg.fetchCasesFromBucket(t, want, 75*time.Second)
	for id, msg := range acked {
		if cases[id] == nil {
			t.Errorf("case %s (message %s) acknowledged through the balancer is not in the queue", id, msg)
		}
	}
	t.Logf("%d verdicts through the balancer, %d failed, %d cases in the queue", len(acked), len(failures), len(cases))
}

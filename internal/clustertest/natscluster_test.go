package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsCluster is three in-process nats-server instances configured from the
// shipped deploy/nats/cluster.conf (what compose.yaml runs), moved onto
// random loopback ports with each JetStream store in t.TempDir(). Nodes can
// be shut down and restarted on the same ports and stores.
type natsCluster struct {
	tb    testing.TB
	mu    sync.Mutex
	nodes []*natsNode
}

type natsNode struct {
	name        string
	clientPort  int
	clusterPort int
	storeDir    string
	opts        *server.Options // template; cloned for every start
	srv         *server.Server  // nil while down
}

// freePorts reserves n distinct loopback ports. The listeners are closed
// before the servers bind, so another process could take one in between;
// on a test machine that window is harmless.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("reserve port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startNATSCluster starts three nodes and waits for a JetStream meta leader.
// The first start lets the OS pick every port (so no other process can take
// a port between choosing and binding it): node 1 has no routes, node 2
// routes to node 1, node 3 to both, and gossip completes the mesh. Then every
// node's options are pinned to the ports it got, with routes to all three,
// so a restarted node comes back where clients and peers expect it.
func startNATSCluster(tb testing.TB) *natsCluster {
	tb.Helper()
	conf := filepath.Join(repoRoot(tb), "deploy", "nats", "cluster.conf")
	c := &natsCluster{tb: tb}
	tb.Cleanup(c.shutdownAll)
	var routes []string
	for i := range 3 {
		o, err := server.ProcessConfigFile(conf)
		if err != nil {
			tb.Fatalf("deploy/nats/cluster.conf: %v", err)
		}
		n := &natsNode{
			name:     fmt.Sprintf("nats-%d", i+1),
			storeDir: filepath.Join(tb.TempDir(), "jetstream"),
		}
		// Keep everything the file says (cluster name, JetStream, limits,
		// payload) except addresses, storage and what a test cannot afford.
		o.ServerName = n.name
		o.Host, o.Port = "127.0.0.1", server.RANDOM_PORT
		o.HTTPHost, o.HTTPPort = "", 0
		o.Cluster.Host, o.Cluster.Port = "127.0.0.1", server.RANDOM_PORT
		o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		o.StoreDir = n.storeDir
		o.JetStreamMaxStore = 1 << 30 // the shipped 20GB may exceed the test disk
		o.LameDuckDuration = 0        // Shutdown is immediate in tests anyway
		o.NoSigs, o.NoLog = true, true
		n.opts = o
		c.nodes = append(c.nodes, n)
		if err := c.start(i); err != nil {
			tb.Fatal(err)
		}
		srv := c.nodes[i].srv
		n.clientPort = srv.Addr().(*net.TCPAddr).Port
		n.clusterPort = srv.ClusterAddr().Port
		routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(n.clusterPort))
	}
	for _, n := range c.nodes {
		n.opts.Port, n.opts.Cluster.Port = n.clientPort, n.clusterPort
		n.opts.Routes = server.RoutesFromStr(strings.Join(routes, ","))
	}
	c.waitHealthy(tb, 30*time.Second)
	return c
}

func (c *natsCluster) start(i int) error {
	c.mu.Lock()
	n := c.nodes[i]
	c.mu.Unlock()
	srv, err := server.NewServer(n.opts.Clone())
	if err != nil {
		return fmt.Errorf("%s: %w", n.name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("%s: not ready for connections", n.name)
	}
	c.mu.Lock()
	n.srv = srv
	c.mu.Unlock()
	return nil
}

// URLs is the comma-separated client URL list of all three nodes.
func (c *natsCluster) URLs() string {
	var u []string
	for _, n := range c.nodes {
		u = append(u, "nats://127.0.0.1:"+strconv.Itoa(n.clientPort))
	}
	return strings.Join(u, ",")
}

// stop shuts node i down (its store stays for a restart).
func (c *natsCluster) stop(i int) {
	c.mu.Lock()
	srv := c.nodes[i].srv
	c.nodes[i].srv = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// restart starts a stopped node on its ports and store.
func (c *natsCluster) restart(tb testing.TB, i int) {
	tb.Helper()
	if err := c.start(i); err != nil {
		tb.Fatalf("restart: %v", err)
	}
}

func (c *natsCluster) shutdownAll() {
	for i := range c.nodes {
		c.stop(i)
	}
}

// metaLeader is the index of the JetStream meta leader (-1 when none).
func (c *natsCluster) metaLeader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.nodes {
		if n.srv != nil && n.srv.JetStreamIsLeader() {
			return i
		}
	}
	return -1
}

// notLeader is the index of a running node that is not the meta leader.
func (c *natsCluster) notLeader() int {
	l := c.metaLeader()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.nodes {
		if i != l && n.srv != nil {
			return i
		}
	}
	return -1
}

// clientsOn counts the client connections named name on node i.
func (c *natsCluster) clientsOn(i int, name string) int {
	c.mu.Lock()
	srv := c.nodes[i].srv
	c.mu.Unlock()
	if srv == nil {
		return 0
	}
	cz, err := srv.Connz(&server.ConnzOptions{Limit: 1024})
	if err != nil {
		return 0
	}
	n := 0
	for _, ci := range cz.Conns {
		if ci.Name == name {
			n++
		}
	}
	return n
}

// busiestFollower is the running non-leader node with the most client
// connections named name (so stopping it forces those clients to fail over).
func (c *natsCluster) busiestFollower(name string) int {
	l := c.metaLeader()
	best, bestN := -1, -1
	for i := range c.nodes {
		c.mu.Lock()
		up := c.nodes[i].srv != nil
		c.mu.Unlock()
		if i == l || !up {
			continue
		}
		if n := c.clientsOn(i, name); n > bestN {
			best, bestN = i, n
		}
	}
	return best
}

// waitHealthy waits until every running node reports healthy the way the
// compose healthcheck's stricter sibling does: /healthz without
// js-enabled-only, i.e. JetStream current with the meta leader and every
// stream and consumer replica on the node caught up.
func (c *natsCluster) waitHealthy(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var problems []string
		if c.metaLeader() < 0 {
			problems = append(problems, "no meta leader")
		}
		c.mu.Lock()
		for _, n := range c.nodes {
			if n.srv == nil {
				continue
			}
			if st := n.srv.Healthz(nil); st.Status != "ok" {
				problems = append(problems, fmt.Sprintf("%s: %s %s", n.name, st.Status, st.Error))
			}
		}
		c.mu.Unlock()
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nats cluster not healthy after %s: %s", timeout, strings.Join(problems, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// connect opens a client to the whole cluster (closed at cleanup).
func (c *natsCluster) connect(tb testing.TB) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	nc, err := nats.Connect(c.URLs(), nats.Name(tb.Name()), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		tb.Fatalf("connect %s: %v", c.URLs(), err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return nc, js
}

// TestNATSClusterFromShippedConfig proves the cluster harness (and the
// shipped cluster.conf) on its own: an R3 stream keeps every acknowledged
// message through the loss of a follower and then of the meta leader.
func TestNATSClusterFromShippedConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster")
	}
	c := startNATSCluster(t)
	_, js := c.connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "PROBE", Subjects: []string{"probe.>"}, Replicas: 3, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatalf("create R3 stream: %v", err)
	}
	acked := map[string]bool{}
	start := time.Now()
	publish := func(n int, tag string) {
		t.Helper()
		defer func() { t.Logf("%6.2fs published %s (%d acked so far)", time.Since(start).Seconds(), tag, len(acked)) }()
		for i := range n {
			id := fmt.Sprintf("%s-%d", tag, i)
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := js.Publish(pctx, "probe."+tag, []byte(id), jetstream.WithMsgID(id))
			pcancel()
			if err == nil {
				acked[id] = true
			}
		}
	}
	publish(50, "before")
	follower := c.notLeader()
	c.stop(follower)
	publish(50, "follower-down")
	c.restart(t, follower)
	c.waitHealthy(t, 30*time.Second)
	leader := c.metaLeader()
	c.stop(leader)
	publish(50, "leader-down")
	c.restart(t, leader)
	c.waitHealthy(t, 30*time.Second)
	publish(50, "after")

	if len(acked) < 150 {
		t.Errorf("only %d of 200 publishes acknowledged: a cluster with quorum should accept nearly all", len(acked))
	}
	seen := map[string]int{}
	for _, m := range readStream(t, js, "PROBE") {
		seen[string(m.Data)]++
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged message %s stored %d times", id, seen[id])
		}
	}
}

// readStream returns every message stored in a stream, by sequence. Each
// read is retried for a while: right after a node restart the stream leader
// may still be moving and a request can meet "no responders".
func readStream(tb testing.TB, js jetstream.JetStream, name string) []*jetstream.RawStreamMsg {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var s jetstream.Stream
	var info *jetstream.StreamInfo
	err := retry(ctx, func() error {
		var err error
		if s, err = js.Stream(ctx, name); err != nil {
			return err
		}
		info, err = s.Info(ctx)
		return err
	})
	if err != nil {
		tb.Fatalf("stream %s: %v", name, err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		var m *jetstream.RawStreamMsg
		err := retry(ctx, func() error {
			var err error
			m, err = s.GetMsg(ctx, seq)
			return err
		})
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted (work queue, KV purge): not a loss
		}
		if err != nil {
			tb.Fatalf("stream %s seq %d: %v", name, seq, err)
		}
		out = append(out, m)
	}
	return out
}

// retry calls f until it succeeds, returns ErrMsgNotFound, or ctx ends.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || errors.Is(err, jetstream.ErrMsgNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

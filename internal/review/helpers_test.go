package review

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
	"github.com/modgate/modgate/policies"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startNATS runs an embedded JetStream server on a random loopback port
// with its store in dir (a t.TempDir() unless a test restarts on the same
// dir).
func startNATS(tb testing.TB, dir string) *server.Server {
	tb.Helper()
	return startNATSPort(tb, dir, -1)
}

func startNATSPort(tb testing.TB, dir string, port int) *server.Server {
	tb.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true}
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(s.Shutdown)
	return s
}

func connect(tb testing.TB, s *server.Server) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// testClock is a fake clock for leases, sessions and windows.
func testClock() *clock.Fake { return clock.NewFake(time.Now().UTC().Truncate(time.Second)) }

// shippedPolicies is the policy engine of the shipped policies: the queue
// asks it what a decision triggers (the 3-2-1 rule lives in
// policies/discipline.rego, not here).
var shippedPolicies = sync.OnceValues(func() (*policies.Engine, error) {
	return policies.Load(context.Background(), policies.Default, policies.Options{SkipTests: true})
})

func testDiscipline() Discipline {
	e, err := shippedPolicies()
	if err != nil {
		panic(err)
	}
	return e
}

func testConfig() Config {
	return Config{CreateEscalationStream: true, SweepInterval: 50 * time.Millisecond, Discipline: testDiscipline()}
}

func openQueue(tb testing.TB, nc *nats.Conn, cfg Config) *Queue {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q, err := Open(ctx, nc, cfg)
	if err != nil {
		tb.Fatalf("open queue: %v", err)
	}
	tb.Cleanup(q.Close)
	return q
}

func escalation(i int, lane string) modgate.Escalation {
	mid := fmt.Sprintf("m-%d", i)
	sev := 2
	return modgate.Escalation{
		CaseID: modgate.CaseIDFor("t1", mid, ""), Lane: lane, Source: "screen",
		Message: modgate.Message{ID: mid, Text: fmt.Sprintf("加微信 13812345678 保本保息 #%d", i), Tenant: "t1",
			Sender: modgate.Sender{ID: fmt.Sprintf("u-%d", i%7)}, Group: modgate.Group{ID: "g-1"}},
		Verdict: modgate.Verdict{DecisionID: fmt.Sprintf("d-%d", i), Action: modgate.ActionReview,
			Labels: []string{modgate.LabelFinance}, MaskedText: fmt.Sprintf("加微信 138******78 保本保息 #%d", i),
			Severity: sev, Revision: modgate.Revision{Policy: "p1", Lexicon: "l1"}},
		At: time.Now().UTC(),
	}
}

// publishEscalations publishes through JetStream as the screening path does.
func publishEscalations(tb testing.TB, nc *nats.Conn, escs []modgate.Escalation) {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range escs {
		b := mustJSON(tb, e)
		if _, err := js.PublishAsync(modgate.DefaultSubjectPrefix+".escalations."+e.Lane, b, jetstream.WithMsgID(e.CaseID)); err != nil {
			tb.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		tb.Fatal("escalations not acknowledged")
	}
}

func countState(q *Queue, st modgate.CaseState) int {
	_, n := q.List(Filter{State: st})
	return n
}

// subscribe collects events on subject via core NATS.
func subscribe(tb testing.TB, nc *nats.Conn, subject string) chan *nats.Msg {
	tb.Helper()
	ch := make(chan *nats.Msg, 4096)
	sub, err := nc.ChanSubscribe(subject, ch)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		tb.Fatal(err)
	}
	return ch
}

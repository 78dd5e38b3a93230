package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// TestClusterReportsAgreeAcrossReplicas: report de-duplication, the
// distinct-reporter count and the per-reporter rate limit live in NATS, so
// they hold when consecutive reports land on different replicas.
func TestClusterReportsAgreeAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node NATS cluster and two gateway processes")
	}
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
	report := func(g *gateway, msg, reporter string) (int, modgate.ReportResult) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var res modgate.ReportResult
		st, b, err := cl.do(ctx, http.MethodPost, g.baseURL()+"/v1/reports", tenantKey,
			map[string]any{"message_id": msg, "reporter_id": reporter, "reason": modgate.LabelAds, "text": "加我微信领红包"}, &res)
		if err != nil {
			t.Fatalf("%s report: %v", g.name, err)
		}
		if st/100 != 2 && st != http.StatusTooManyRequests {
			t.Fatalf("%s report %s by %s: %d %s", g.name, msg, reporter, st, b)
		}
		return st, res
	}

	// De-duplication and the reporter count, alternating replicas.
	steps := []struct {
		name      string
		gw        int
		reporter  string
		status    int
		duplicate bool
		reporters int
	}{
		{name: "first report opens the case", gw: 0, reporter: "a", status: http.StatusCreated, reporters: 1},
		{name: "same reporter on the other replica is a duplicate", gw: 1, reporter: "a", status: http.StatusOK, duplicate: true, reporters: 1},
		{name: "a second reporter on the other replica counts", gw: 1, reporter: "b", status: http.StatusCreated, reporters: 2},
		{name: "second reporter again on the first replica", gw: 0, reporter: "b", status: http.StatusOK, duplicate: true, reporters: 2},
		{name: "a third reporter", gw: 0, reporter: "c", status: http.StatusCreated, reporters: 3},
	}
	caseID := ""
	for _, s := range steps {
		st, res := report(gws[s.gw], "m-shared", s.reporter)
		if st != s.status || res.Duplicate != s.duplicate || res.Reporters != s.reporters {
			t.Fatalf("%s: %d %+v, want %d duplicate=%v reporters=%d", s.name, st, res, s.status, s.duplicate, s.reporters)
		}
		if caseID == "" {
			caseID = res.CaseID
		} else if res.CaseID != caseID {
			t.Fatalf("%s: case %s, the first report opened %s", s.name, res.CaseID, caseID)
		}
	}

	// The rate limit (30 reports per reporter per minute, in fixed windows)
	// counts reports on both replicas together. Start well inside a window.
	if left := time.Minute - time.Duration(time.Now().UnixNano()%int64(time.Minute)); left < 15*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	const limit = 30
	allowed := 0
	for i := range limit + 4 {
		st, _ := report(gws[i%2], fmt.Sprintf("flood-%d", i), "flooder")
		if st != http.StatusTooManyRequests {
			allowed++
		}
	}
	if allowed != limit {
		t.Fatalf("flooder got %d reports through two replicas, the shared limit is %d", allowed, limit)
	}
}

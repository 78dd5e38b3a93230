package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// The cluster tests run the shape compose.yaml ships — three NATS nodes with
// JetStream R3 and two gateway replicas — on loopback, drive screening,
// reports and reviewer claims/decisions concurrently over real HTTP, break
// things mid-run and check what the product promises:
//
//   - no acknowledged case is lost (every case_id a screening answer or a
//     report answer carried is in the queue at the end);
//   - no acknowledged decision is lost (the case is decided, by that
//     reviewer, with that action);
//   - no case is held by two reviewers at once (checked on the client side
//     for every unambiguous claim, and on every case's server-side history);
//   - every decision event reaches a platform consumer (a durable JetStream
//     consumer on MODGATE_EVENTS, acking as a platform would);
//   - counts agree (both replicas' stats, the cases, the events).

// ledger is what the clients were told, and what they saw.
type ledger struct {
	mu sync.Mutex
	// screened: case id -> message id, for every review verdict answered 200.
	screened map[string]string
	messages []string // message ids screened, for reports
	// reported: case id -> reporter ids acknowledged (201/200).
	reported map[string]map[string]bool
	// decided: case id -> the decision acknowledged (200).
	decided map[string]decisionAck
	// holding: case id -> the lease, for claims not yet decided or released.
	holding map[string]modgate.Lease
	// ambiguous cases: a claim/decide/release whose answer was lost; the
	// server may or may not have applied it, so the client-side double-claim
	// check skips them (the history check still covers them).
	ambiguous map[string]bool
	// violations seen live.
	doubleClaims []string
	// counters for the log.
	screenErrs, reportErrs, claimErrs, decideErrs atomic.Int64
}

type decisionAck struct {
	Reviewer, Action string
}

func newLedger() *ledger {
	return &ledger{
		screened: map[string]string{}, reported: map[string]map[string]bool{},
		decided: map[string]decisionAck{}, holding: map[string]modgate.Lease{}, ambiguous: map[string]bool{},
	}
}

// replicas round-robins requests over the gateways and, like the compose
// load balancer, retries a request on the other replica when one cannot be
// reached or answers 502/503.
type replicas struct {
	c     *client
	bases []string
	next  atomic.Uint64
}

func (r *replicas) do(ctx context.Context, method, path, token string, body, out any) (int, []byte, error) {
	st, b, _, err := r.doTries(ctx, method, path, token, body, out)
	return st, b, err
}

// doTries is do that also says how many replicas were tried: a request
// resent after a connection error may already have been applied by the
// replica that died (a report then comes back as a duplicate).
func (r *replicas) doTries(ctx context.Context, method, path, token string, body, out any) (int, []byte, int, error) {
	start := r.next.Add(1)
	var st int
	var b []byte
	var err error
	for i := range len(r.bases) {
		base := r.bases[(int(start)+i)%len(r.bases)]
		st, b, err = r.c.do(ctx, method, base+path, token, body, out)
		if err == nil && st != http.StatusBadGateway && st != http.StatusServiceUnavailable {
			return st, b, i + 1, nil
		}
	}
	return st, b, len(r.bases), err
}

type workload struct {
	t     *testing.T
	r     *replicas
	l     *ledger
	toks  []string
	seq   atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
	start time.Time
}

func (w *workload) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

func (w *workload) pause(d time.Duration) {
	select {
	case <-w.stop:
	case <-time.After(d):
	}
}

// screener sends review-verdict messages and records the acknowledged cases.
func (w *workload) screener(ctx context.Context, id int) {
	defer w.wg.Done()
	for !w.stopped() {
		n := w.seq.Add(1)
		msgID := fmt.Sprintf("m-%d-%d", id, n)
		req := map[string]any{"id": msgID, "text": reviewText,
			"sender": map[string]any{"id": fmt.Sprintf("u-%d", n%50)}, "group": map[string]any{"id": "g-1"}}
		var v modgate.Verdict
		st, _, err := w.r.do(ctx, http.MethodPost, "/v1/screen", tenantKey, req, &v)
		if err != nil || st != http.StatusOK {
			w.l.screenErrs.Add(1)
			w.pause(50 * time.Millisecond)
			continue
		}
		if v.Action != modgate.ActionReview || v.CaseID == "" {
			w.t.Errorf("screen %s: action %q case %q, want a review verdict with a case", msgID, v.Action, v.CaseID)
			return
		}
		if want := modgate.CaseIDFor("t1", msgID, ""); v.CaseID != want {
			w.t.Errorf("screen %s: case id %s, want %s", msgID, v.CaseID, want)
		}
		w.l.mu.Lock()
		w.l.screened[v.CaseID] = msgID
		w.l.messages = append(w.l.messages, msgID)
		w.l.mu.Unlock()
		w.pause(15 * time.Millisecond)
	}
}

// reporter reports screened messages (joining their cases) and messages the
// gateway never saw (opening cases), each time as a new reporter.
func (w *workload) reporter(ctx context.Context, id int) {
	defer w.wg.Done()
	rng := rand.New(rand.NewPCG(uint64(id), 7))
	for i := 0; !w.stopped(); i++ {
		reporterID := fmt.Sprintf("r-%d-%d", id, i)
		req := map[string]any{"reporter_id": reporterID, "reason": modgate.LabelFinance}
		w.l.mu.Lock()
		if len(w.l.messages) > 0 && i%2 == 0 {
			req["message_id"] = w.l.messages[rng.IntN(len(w.l.messages))]
		} else {
			req["message_id"] = fmt.Sprintf("unseen-%d-%d", id, i)
			req["text"] = "内部消息，明天涨停"
			req["sender"] = "u-x"
		}
		w.l.mu.Unlock()
		var res modgate.ReportResult
		st, _, tries, err := w.r.doTries(ctx, http.MethodPost, "/v1/reports", tenantKey, req, &res)
		if err != nil || (st != http.StatusCreated && st != http.StatusOK) {
			w.l.reportErrs.Add(1)
			w.pause(50 * time.Millisecond)
			continue
		}
		// A new reporter is a duplicate only when the request was resent
		// after the first replica failed (it may have stored the report).
		if res.CaseID == "" || (res.Duplicate && tries == 1) {
			w.t.Errorf("report by new reporter %s (%d tries): %+v", reporterID, tries, res)
			return
		}
		w.l.mu.Lock()
		if w.l.reported[res.CaseID] == nil {
			w.l.reported[res.CaseID] = map[string]bool{}
		}
		w.l.reported[res.CaseID][reporterID] = true
		w.l.mu.Unlock()
		w.pause(40 * time.Millisecond)
	}
}

// caseResponse is the reviewer API's case envelope.
type caseResponse struct {
	Case *modgate.Case `json:"case"`
}

// reviewerLoop claims the next case and decides it, checking live that no
// other reviewer holds a case it was just given.
func (w *workload) reviewerLoop(ctx context.Context, i int) {
	defer w.wg.Done()
	me, tok := reviewerName(i), w.toks[i]
	actions := []string{modgate.DecisionApprove, modgate.DecisionRemove, modgate.DecisionWarn}
	for n := 0; !w.stopped(); n++ {
		var cr caseResponse
		st, _, err := w.r.do(ctx, http.MethodPost, "/v1/review/claim-next", tok, map[string]any{}, &cr)
		switch {
		case err != nil || st >= 500:
			// The answer was lost: a case may now be claimed by me.
			w.l.claimErrs.Add(1)
			w.pause(100 * time.Millisecond)
			continue
		case st == http.StatusNoContent:
			w.pause(30 * time.Millisecond)
			continue
		case st != http.StatusOK || cr.Case == nil || cr.Case.Lease == nil:
			w.t.Errorf("%s claim-next: %d %+v", me, st, cr.Case)
			return
		}
		id := cr.Case.ID
		if cr.Case.Lease.Holder != me || cr.Case.Lease.Token == "" {
			w.t.Errorf("%s claimed %s but the lease is %+v", me, id, cr.Case.Lease)
		}
		w.l.mu.Lock()
		// Given to me while another lease on it had not expired (a second
		// of slack for the two processes' clocks and the request time).
		if h, ok := w.l.holding[id]; ok && !w.l.ambiguous[id] && cr.Case.Lease.Claimed.Before(h.Expires.Add(-time.Second)) {
			w.l.doubleClaims = append(w.l.doubleClaims, fmt.Sprintf("%s given to %s at %s while %s held it until %s",
				id, me, cr.Case.Lease.Claimed.Format(time.RFC3339Nano), h.Holder, h.Expires.Format(time.RFC3339Nano)))
		}
		if _, ok := w.l.decided[id]; ok {
			w.l.doubleClaims = append(w.l.doubleClaims, fmt.Sprintf("%s given to %s after it was decided", id, me))
		}
		w.l.holding[id] = *cr.Case.Lease
		w.l.mu.Unlock()

		action := actions[n%len(actions)]
		body := map[string]any{"action": action, "token": cr.Case.Lease.Token, "note": "cluster test"}
		var dr caseResponse
		st, _, err = w.r.do(ctx, http.MethodPost, "/v1/review/cases/"+id+"/decide", tok, body, &dr)
		w.l.mu.Lock()
		switch {
		case err == nil && st == http.StatusOK:
			w.l.decided[id] = decisionAck{Reviewer: me, Action: action}
			delete(w.l.holding, id)
		default:
			// Lost answer or 5xx: maybe decided, maybe still mine. Try to
			// release so the case goes back; either way it is ambiguous.
			w.l.decideErrs.Add(1)
			w.l.ambiguous[id] = true
			w.l.mu.Unlock()
			rs, _, rerr := w.r.do(ctx, http.MethodPost, "/v1/review/cases/"+id+"/release", tok,
				map[string]any{"token": cr.Case.Lease.Token}, nil)
			w.l.mu.Lock()
			if rerr == nil && rs == http.StatusOK {
				delete(w.l.holding, id)
			}
		}
		w.l.mu.Unlock()
	}
}

// platform is a durable consumer on the decisions subjects, as a chat
// platform would run it; it records every decision event it receives.
type platform struct {
	mu     sync.Mutex
	events map[string][]modgate.DecisionEvent // case id -> events
	cc     jetstream.ConsumeContext
}

func startPlatform(t *testing.T, js jetstream.JetStream) *platform {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, review.StreamEvents, jetstream.ConsumerConfig{
		Durable:       "platform-test",
		FilterSubject: modgate.DefaultSubjectPrefix + ".decisions.>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       5 * time.Second,
		Replicas:      3,
	})
	if err != nil {
		t.Fatalf("platform consumer: %v", err)
	}
	p := &platform{events: map[string][]modgate.DecisionEvent{}}
	p.cc, err = cons.Consume(func(m jetstream.Msg) {
		var ev modgate.DecisionEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			t.Errorf("decision event on %s is not JSON: %v", m.Subject(), err)
			_ = m.Term()
			return
		}
		if !strings.HasSuffix(m.Subject(), "."+ev.Action) {
			t.Errorf("decision event %s published on %s", ev.Action, m.Subject())
		}
		p.mu.Lock()
		p.events[ev.CaseID] = append(p.events[ev.CaseID], ev)
		p.mu.Unlock()
		_ = m.Ack()
	})
	if err != nil {
		t.Fatalf("platform consume: %v", err)
	}
	t.Cleanup(p.cc.Stop)
	return p
}

// distinct returns the case ids the platform has seen an event for, with the
// distinct (action, reviewer) pairs per case: a redelivery of the same event
// is normal at-least-once delivery, two different decisions are not.
func (p *platform) distinct() map[string]map[decisionAck]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]map[decisionAck]bool{}
	for id, evs := range p.events {
		out[id] = map[decisionAck]bool{}
		for _, ev := range evs {
			out[id][decisionAck{Reviewer: ev.Reviewer, Action: ev.Action}] = true
		}
	}
	return out
}

// setup starts the cluster, the users file and two gateway replicas, logs
// the reviewers in and returns the pieces.
type rig struct {
	cluster *natsCluster
	gws     []*gateway
	r       *replicas
	toks    []string
	js      jetstream.JetStream
	plat    *platform
}

func newRig(t *testing.T, extraEnv map[string]string) *rig {
	t.Helper()
	t0 := time.Now()
	modgateBinary(t)
	t.Logf("%5.1fs binary built", time.Since(t0).Seconds())
	c := startNATSCluster(t)
	t.Logf("%5.1fs NATS cluster healthy", time.Since(t0).Seconds())
	users := addUsers(t)
	env := clusterEnv(t, c, users)
	for k, v := range extraEnv {
		env[k] = v
	}
	rg := &rig{cluster: c}
	cl := newClient()
	for i := range 2 {
		g := newGateway(t, fmt.Sprintf("modgate-%d", i+1), env)
		g.start(t) // one at a time: the first creates the streams
		waitReady(t, cl, g.baseURL(), 30*time.Second)
		rg.gws = append(rg.gws, g)
	}
	rg.r = &replicas{c: cl, bases: []string{rg.gws[0].baseURL(), rg.gws[1].baseURL()}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// toks[reviewers] belongs to no workload loop: a chaos scenario uses it,
	// so its claims never race a loop working as the same reviewer (a
	// reviewer's repeated claim-next may hand back the case it holds).
	for i := range reviewers + 1 {
		var lr struct {
			Token string `json:"token"`
		}
		st, b, err := rg.r.do(ctx, http.MethodPost, "/v1/review/login", "",
			map[string]string{"user": reviewerName(i), "password": password}, &lr)
		if err != nil || st != http.StatusOK || lr.Token == "" {
			t.Fatalf("login %s: %d %s %v", reviewerName(i), st, b, err)
		}
		rg.toks = append(rg.toks, lr.Token)
	}
	_, rg.js = c.connect(t)
	rg.plat = startPlatform(t, rg.js)
	t.Logf("%5.1fs gateways ready, reviewers logged in", time.Since(t0).Seconds())
	return rg
}

func (rg *rig) run(t *testing.T, chaos func(w *workload)) *ledger {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &workload{t: t, r: rg.r, l: newLedger(), toks: rg.toks, stop: make(chan struct{}), start: time.Now()}
	for i := range 3 {
		w.wg.Add(1)
		go w.screener(ctx, i)
	}
	for i := range 2 {
		w.wg.Add(1)
		go w.reporter(ctx, i)
	}
	for i := range reviewers {
		w.wg.Add(1)
		go w.reviewerLoop(ctx, i)
	}
	// Stop the workers however chaos ends (a t.Fatalf in it exits this
	// goroutine through the deferred calls).
	var once sync.Once
	halt := func() { once.Do(func() { close(w.stop); w.wg.Wait() }) }
	defer halt()
	chaos(w)
	halt()
	t.Logf("%5.1fs workload done: %d cases screened, %d cases reported, %d decisions acknowledged, %d ambiguous; errors: screen %d, report %d, claim %d, decide %d",
		time.Since(w.start).Seconds(), len(w.l.screened), len(w.l.reported), len(w.l.decided), len(w.l.ambiguous),
		w.l.screenErrs.Load(), w.l.reportErrs.Load(), w.l.claimErrs.Load(), w.l.decideErrs.Load())
	return w.l
}

func (w *workload) logf(format string, args ...any) {
	w.t.Helper()
	w.t.Logf("%5.1fs "+format, append([]any{time.Since(w.start).Seconds()}, args...)...)
}

// verify checks the promises once the cluster is whole again.
func (rg *rig) verify(t *testing.T, l *ledger) {
	t.Helper()
	rg.cluster.waitHealthy(t, 30*time.Second)
	for _, g := range rg.gws {
		waitReady(t, rg.r.c, g.baseURL(), 30*time.Second)
	}
	for _, v := range l.doubleClaims {
		t.Errorf("double claim: %s", v)
	}
	if len(l.screened) < 50 || len(l.decided) < 20 {
		t.Errorf("too little traffic to prove anything: %d cases, %d decisions", len(l.screened), len(l.decided))
	}

	// Every acknowledged case arrives (escalations go through the shared
	// durable consumer, so give it time to catch up after the chaos).
	want := map[string]bool{}
	for id := range l.screened {
		want[id] = true
	}
	for id := range l.reported {
		want[id] = true
	}
	t0 := time.Now()
	cases := rg.fetchCases(t, want, 75*time.Second)
	t.Logf("%5.1fs read %d cases back", time.Since(t0).Seconds(), len(cases))
	for id := range want {
		if cases[id] == nil {
			t.Errorf("acknowledged case %s (message %s) is not in the queue", id, l.screened[id])
		}
	}

	// Reports: every acknowledged reporter is counted on its case.
	for id, reps := range l.reported {
		if c := cases[id]; c != nil && c.ReportCount < len(reps) {
			t.Errorf("case %s counts %d reporters, %d reports were acknowledged", id, c.ReportCount, len(reps))
		}
	}

	// Decisions: every acknowledged one is on its case.
	decidedCases := 0
	for id, c := range cases {
		if c == nil {
			continue
		}
		if c.State == modgate.CaseDecided {
			decidedCases++
		}
		if ack, ok := l.decided[id]; ok {
			switch {
			case c.State != modgate.CaseDecided || c.Decision == nil:
				t.Errorf("acknowledged decision on %s lost: state %s", id, c.State)
			case c.Decision.Reviewer != ack.Reviewer || c.Decision.Action != ack.Action:
				t.Errorf("case %s decided %s by %s, %s by %s was acknowledged", id, c.Decision.Action, c.Decision.Reviewer, ack.Action, ack.Reviewer)
			}
		}
		for _, v := range historyViolations(c) {
			t.Errorf("case %s: %s (history %+v)", id, v, c.History)
		}
	}
	if decidedCases < len(l.decided) || decidedCases > len(l.decided)+len(l.ambiguous) {
		t.Errorf("%d cases decided; %d decisions acknowledged and %d ambiguous", decidedCases, len(l.decided), len(l.ambiguous))
	}

	// Every decided case's event reaches the platform, with one decision.
	deadline := time.Now().Add(30 * time.Second)
	var missing []string
	for {
		seen := rg.plat.distinct()
		missing = missing[:0]
		for id, c := range cases {
			if c != nil && c.State == modgate.CaseDecided && len(seen[id]) == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			for id, acts := range seen {
				if len(acts) > 1 {
					t.Errorf("platform got %d different decisions for case %s: %v", len(acts), id, acts)
				}
				c := cases[id]
				if c == nil || c.State != modgate.CaseDecided || c.Decision == nil {
					t.Errorf("platform got a decision event for %s, which is not decided", id)
					continue
				}
				for a := range acts {
					if a.Action != c.Decision.Action || a.Reviewer != c.Decision.Reviewer {
						t.Errorf("case %s: event says %+v, case says %s by %s", id, a, c.Decision.Action, c.Decision.Reviewer)
					}
				}
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d decided cases never reached the platform consumer, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}

	// Both replicas report the same queue, equal to what the cases say.
	stats := make([]review.Stats, len(rg.gws))
	deadline = time.Now().Add(15 * time.Second)
	for {
		ok := true
		for i, g := range rg.gws {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			st, b, err := rg.r.c.do(ctx, http.MethodGet, g.baseURL()+"/v1/review/stats", rg.toks[0], nil, &stats[i])
			cancel()
			if err != nil || st != http.StatusOK {
				t.Fatalf("%s stats: %d %s %v", g.name, st, b, err)
			}
			if stats[i].Decided != decidedCases {
				ok = false
			}
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i, s := range stats {
		if s.Decided != decidedCases {
			t.Errorf("%s stats: %d decided, the cases say %d", rg.gws[i].name, s.Decided, decidedCases)
		}
		if s.Open+s.Claimed+s.Decided != stats[0].Open+stats[0].Claimed+stats[0].Decided {
			t.Errorf("replicas disagree on the case count: %+v vs %+v", s, stats[0])
		}
		if s.Open+s.Claimed+s.Decided != len(cases) {
			t.Errorf("%s stats count %d cases, the bucket holds %d (%d acknowledged to clients)", rg.gws[i].name, s.Open+s.Claimed+s.Decided, len(cases), len(want))
		}
	}
	// How the escalations got there, per replica (since its last start); a
	// "failed" one would be a case neither in JetStream nor in the spool.
	for _, g := range rg.gws {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, b, err := rg.r.c.do(ctx, http.MethodGet, g.baseURL()+"/metrics", "", nil, nil)
		cancel()
		if err != nil || st != http.StatusOK {
			t.Errorf("%s /metrics: %d %v", g.name, st, err)
			continue
		}
		var lines []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "modgate_escalations_total{") || strings.HasPrefix(line, "modgate_spool_pending ") || strings.HasPrefix(line, "process_resident_memory_bytes ") {
				lines = append(lines, line)
				if strings.Contains(line, `outcome="failed"`) && !strings.HasSuffix(line, " 0") {
					t.Errorf("%s: %s", g.name, line)
				}
			}
		}
		t.Logf("%s: %s", g.name, strings.Join(lines, "; "))
	}
	// Stream sizes, for the sizing advice in docs/production.md.
	var sizes []string
	for _, name := range []string{"MODGATE_ESCALATIONS", "KV_MODGATE_CASES", "MODGATE_EVENTS", "MODGATE_AUDIT"} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if st, err := rg.js.Stream(ctx, name); err == nil {
			if info, err := st.Info(ctx); err == nil && info.State.Msgs > 0 {
				sizes = append(sizes, fmt.Sprintf("%s %d msgs %d B/msg", name, info.State.Msgs, info.State.Bytes/info.State.Msgs))
			}
		}
		cancel()
	}
	t.Logf("stream sizes: %s", strings.Join(sizes, "; "))
	t.Logf("%5.1fs verified: %d cases (%d decided), %d decision events at the platform, stats %d open / %d claimed / %d decided",
		time.Since(t0).Seconds(), len(cases), decidedCases, len(rg.plat.distinct()), stats[0].Open, stats[0].Claimed, stats[0].Decided)
}

// historyViolations reads a case's server-side history: a claim while
// someone holds the lease (no release, expiry or decision in between) is a
// double claim; a claim after the decision, or a second decision, is wrong
// too.
func historyViolations(c *modgate.Case) []string {
	var out []string
	holder, decisions := "", 0
	for _, ev := range c.History {
		switch ev.Kind {
		case modgate.AuditClaim:
			if holder != "" {
				out = append(out, fmt.Sprintf("claimed by %s while %s held it", ev.Actor, holder))
			}
			if decisions > 0 {
				out = append(out, fmt.Sprintf("claimed by %s after its decision", ev.Actor))
			}
			holder = ev.Actor
		case modgate.AuditRelease, modgate.AuditExpiry:
			holder = ""
		case modgate.AuditDecision:
			holder = ""
			decisions++
		}
	}
	if decisions > 1 {
		out = append(out, fmt.Sprintf("decided %d times", decisions))
	}
	return out
}

// fetchCases reads every wanted case from the cases bucket (the queue's
// store, shared by every replica), retrying missing ones until timeout: the
// escalation consumer may still be catching up after the chaos. A sample is
// also read through each replica's reviewer API, which must agree.
func (rg *rig) fetchCases(t *testing.T, want map[string]bool, timeout time.Duration) map[string]*modgate.Case {
	t.Helper()
	got := rg.fetchCasesFromBucket(t, want, timeout)
	n := 0
	for id, c := range got {
		if n++; n > 25 {
			break
		}
		for _, g := range rg.gws {
			var cr caseResponse
			rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
			st, b, err := rg.r.c.do(rctx, http.MethodGet, g.baseURL()+"/v1/review/cases/"+id, rg.toks[0], nil, &cr)
			rcancel()
			switch {
			case err != nil || st != http.StatusOK || cr.Case == nil:
				t.Errorf("%s GET case %s: %d %s %v", g.name, id, st, b, err)
			case cr.Case.State != c.State || len(cr.Case.History) != len(c.History):
				t.Errorf("%s serves case %s as %s with %d events, the bucket has %s with %d", g.name, id,
					cr.Case.State, len(cr.Case.History), c.State, len(c.History))
			}
		}
	}
	return got
}

// fetchCasesFromBucket reads every case in the cases bucket, first waiting
// (up to timeout) for every wanted one to be there.
func (rg *rig) fetchCasesFromBucket(t *testing.T, want map[string]bool, timeout time.Duration) map[string]*modgate.Case {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var kv jetstream.KeyValue
	if err := retry(ctx, func() error {
		var err error
		kv, err = rg.js.KeyValue(ctx, review.BucketCases)
		return err
	}); err != nil {
		t.Fatalf("bucket %s: %v", review.BucketCases, err)
	}
	got := map[string]*modgate.Case{}
	start := time.Now()
	for pass := 0; ; pass++ {
		for id := range want {
			if got[id] != nil {
				continue
			}
			e, err := kv.Get(ctx, id)
			if err != nil {
				continue
			}
			var c modgate.Case
			if err := json.Unmarshal(e.Value(), &c); err != nil {
				t.Fatalf("case %s in the bucket is not JSON: %v", id, err)
			}
			got[id] = &c
		}
		if pass == 0 && len(got) < len(want) {
			t.Logf("%d of %d acknowledged cases not in the bucket yet; waiting for the escalation consumer", len(want)-len(got), len(want))
		}
		if len(got) == len(want) || ctx.Err() != nil {
			if pass > 0 {
				t.Logf("all present after %.1fs", time.Since(start).Seconds())
			}
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The rest of the bucket too (cases whose acknowledgement the client
	// never saw still count in the totals).
	lctx, lcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer lcancel()
	keys, err := kv.ListKeys(lctx)
	if err != nil {
		t.Fatalf("list cases: %v", err)
	}
	for id := range keys.Keys() {
		if got[id] != nil {
			continue
		}
		e, err := kv.Get(lctx, id)
		if err != nil {
			t.Fatalf("case %s: %v", id, err)
		}
		var c modgate.Case
		if err := json.Unmarshal(e.Value(), &c); err != nil {
			t.Fatalf("case %s in the bucket is not JSON: %v", id, err)
		}
		got[id] = &c
	}
	return got
}

// TestClusterSurvivesNATSNodeAndMetaLeaderLoss: a follower NATS node goes
// down and comes back, then the JetStream meta leader does, while both
// gateway replicas screen, take reports and serve reviewers.
func TestClusterSurvivesNATSNodeAndMetaLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node NATS cluster and two gateway processes")
	}
	rg := newRig(t, nil)
	l := rg.run(t, func(w *workload) {
		w.pause(3 * time.Second)
		// The follower the gateways use most, so their connections fail over.
		f := rg.cluster.busiestFollower("modgate-gateway")
		w.logf("stopping NATS follower %s (%d gateway connections on it)", rg.cluster.nodes[f].name, rg.cluster.clientsOn(f, "modgate-gateway"))
		rg.cluster.stop(f)
		w.pause(4 * time.Second)
		w.logf("restarting %s", rg.cluster.nodes[f].name)
		rg.cluster.restart(t, f)
		rg.cluster.waitHealthy(t, 30*time.Second)
		leader := rg.cluster.metaLeader()
		w.logf("stopping the JetStream meta leader %s (%d gateway connections on it)", rg.cluster.nodes[leader].name, rg.cluster.clientsOn(leader, "modgate-gateway"))
		rg.cluster.stop(leader)
		w.pause(4 * time.Second)
		w.logf("restarting %s", rg.cluster.nodes[leader].name)
		rg.cluster.restart(t, leader)
		rg.cluster.waitHealthy(t, 30*time.Second)
		w.logf("cluster healthy; new meta leader %s", rg.cluster.nodes[max(0, rg.cluster.metaLeader())].name)
		w.pause(3 * time.Second)
	})
	rg.verify(t, l)
}

// TestClusterSurvivesGatewayKill: one gateway replica is killed with SIGKILL
// mid-run (no drain, no flush) and started again on its data directory.
func TestClusterSurvivesGatewayKill(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node NATS cluster and two gateway processes")
	}
	// Parallel with the balancer test: both spend most of their time waiting
	// out the escalation consumer's ack wait.
	t.Parallel()
	// A short lease, so a case claimed through the killed replica comes
	// back within the test.
	const lease = 8 * time.Second
	rg := newRig(t, map[string]string{"MODGATE_REVIEW_LEASE": lease.String()})
	// What the gateways created is what the docs say, at R3.
	checkAssetsMatchDocs(t, rg.js, 3)
	var stranded *modgate.Case
	l := rg.run(t, func(w *workload) {
		w.pause(3 * time.Second)
		// A reviewer working on the replica about to die holds a case.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var cr caseResponse
		st, b, err := rg.r.c.do(ctx, http.MethodPost, rg.gws[1].baseURL()+"/v1/review/claim-next", rg.toks[chaosReviewer], map[string]any{}, &cr)
		cancel()
		if err != nil || st != http.StatusOK || cr.Case == nil || cr.Case.Lease == nil {
			t.Errorf("claim on %s before the kill: %d %s %v", rg.gws[1].name, st, b, err)
		} else {
			stranded = cr.Case
			w.l.mu.Lock()
			w.l.holding[cr.Case.ID] = *cr.Case.Lease
			w.l.mu.Unlock()
			w.logf("%s holds %s through %s until %s", reviewerName(chaosReviewer), stranded.ID, rg.gws[1].name, cr.Case.Lease.Expires.Format(time.RFC3339))
		}
		w.pause(time.Second)
		w.logf("kill -9 %s", rg.gws[1].name)
		rg.gws[1].kill()
		w.pause(4 * time.Second)
		w.logf("restarting %s", rg.gws[1].name)
		rg.gws[1].start(t)
		w.pause(4 * time.Second)
	})
	rg.verify(t, l)
	if stranded == nil {
		return
	}
	// The stranded case: once its lease has expired it is claimed again
	// (during the run through claim-next, or now by id by another reviewer
	// on the surviving replica), and its history says the lease expired.
	time.Sleep(time.Until(stranded.Lease.Expires.Add(500 * time.Millisecond)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cr caseResponse
	st, b, err := rg.r.c.do(ctx, http.MethodGet, rg.gws[0].baseURL()+"/v1/review/cases/"+stranded.ID, rg.toks[1], nil, &cr)
	if err != nil || st != http.StatusOK || cr.Case == nil {
		t.Fatalf("get %s: %d %s %v", stranded.ID, st, b, err)
	}
	if cr.Case.State != modgate.CaseDecided {
		st, b, err = rg.r.c.do(ctx, http.MethodPost, rg.gws[0].baseURL()+"/v1/review/cases/"+stranded.ID+"/claim", rg.toks[1], map[string]any{}, &cr)
		if err != nil || st != http.StatusOK || cr.Case == nil || cr.Case.Lease == nil || cr.Case.Lease.Holder != reviewerName(1) {
			t.Fatalf("%s could not take over %s after the lease expired: %d %s %v", reviewerName(1), stranded.ID, st, b, err)
		}
	}
	expired, retaken := false, false
	for _, ev := range cr.Case.History {
		switch {
		case ev.Kind == modgate.AuditExpiry && ev.Actor == reviewerName(chaosReviewer):
			expired = true
		case ev.Kind == modgate.AuditClaim && expired:
			retaken = true // by anyone, the workload's reviewers included
		}
	}
	if !expired || !retaken {
		t.Errorf("stranded case %s: history %+v, want %s's lease to expire and the case to be claimed again", stranded.ID, cr.Case.History, reviewerName(chaosReviewer))
	}
	for _, v := range historyViolations(cr.Case) {
		t.Errorf("stranded case %s: %s", stranded.ID, v)
	}
}

func TestHistoryViolations(t *testing.T) {
	ev := func(kind, actor string) modgate.CaseEvent { return modgate.CaseEvent{Kind: kind, Actor: actor} }
	tests := []struct {
		name    string
		history []modgate.CaseEvent
		want    int
	}{
		{name: "claim decide", history: []modgate.CaseEvent{ev("escalated", "screen"), ev(modgate.AuditClaim, "a"), ev(modgate.AuditDecision, "a")}},
		{name: "release then other claims", history: []modgate.CaseEvent{ev(modgate.AuditClaim, "a"), ev(modgate.AuditRelease, "a"), ev(modgate.AuditClaim, "b"), ev(modgate.AuditDecision, "b")}},
		{name: "expiry then other claims", history: []modgate.CaseEvent{ev(modgate.AuditClaim, "a"), ev(modgate.AuditExpiry, "a"), ev(modgate.AuditClaim, "b")}},
		{name: "double claim", history: []modgate.CaseEvent{ev(modgate.AuditClaim, "a"), ev(modgate.AuditClaim, "b")}, want: 1},
		{name: "claim after decision", history: []modgate.CaseEvent{ev(modgate.AuditClaim, "a"), ev(modgate.AuditDecision, "a"), ev(modgate.AuditClaim, "b")}, want: 1},
		{name: "two decisions", history: []modgate.CaseEvent{ev(modgate.AuditClaim, "a"), ev(modgate.AuditDecision, "a"), ev(modgate.AuditDecision, "b")}, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := historyViolations(&modgate.Case{History: tc.history}); len(got) != tc.want {
				t.Fatalf("violations %q, want %d", got, tc.want)
			}
		})
	}
}

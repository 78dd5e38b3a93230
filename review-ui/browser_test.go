package reviewui

// Browser tests: real headless Chromium against a real `modgate serve`
// subprocess (embedded NATS, random ports, a users file), as a reviewer would
// use it. They skip when no Chromium is installed (CI installs Debian's).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/nats-io/nats.go"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/testkit"
)

// chromiumPath finds a Chromium binary: $MODGATE_CHROMIUM, then PATH.
func chromiumPath() string {
	if p := os.Getenv("MODGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

func needChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	p := chromiumPath()
	if p == "" {
		t.Skip("no Chromium found (install Debian's chromium, or set MODGATE_CHROMIUM); browser tests skipped")
	}
	return p
}

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// gateway is a `modgate serve` subprocess (internal/testkit) with helpers
// for the API calls the browser tests make.
type gateway struct {
	URL  string // http://127.0.0.1:PORT
	NATS string
	proc *testkit.Gateway
}

// Test accounts, all with testPassword.
var testUsers = [][2]string{{"alice", "reviewer"}, {"bob", "reviewer"}, {"lena", "lead"}, {"ada", "admin"}}

// startGateway runs `modgate serve` with embedded NATS on random ports in a
// temp dir (so the embedded default policies and lexicons are used).
func startGateway(t *testing.T, extra ...string) *gateway {
	t.Helper()
	dir := t.TempDir()
	usersPath := filepath.Join(dir, "users.json")
	users, err := review.OpenUsers(usersPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range testUsers {
		if err := users.AddUser(u[0], u[1], testPassword); err != nil {
			t.Fatal(err)
		}
	}
	p := testkit.Start(t, testkit.Options{DataDir: filepath.Join(dir, "data"),
		Args: append([]string{"--users", usersPath, "--patrol-rate", "0", "--log-level", "warn"}, extra...)})
	return &gateway{URL: p.URL(), NATS: p.NATS, proc: p}
}

func (g *gateway) postJSON(t *testing.T, path, bearer string, in, out any) int {
	t.Helper()
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, g.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("POST %s: decode %q: %v", path, body, err)
		}
	}
	return res.StatusCode
}

func (g *gateway) getJSON(t *testing.T, path, bearer string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode == 200 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return res.StatusCode
}

// apiToken logs in through the reviewer API (bearer token for checks).
func (g *gateway) apiToken(t *testing.T, user string) string {
	t.Helper()
	var lr struct{ Token string }
	if st := g.postJSON(t, "/v1/review/login", "", map[string]string{"user": user, "password": testPassword}, &lr); st != 200 {
		t.Fatalf("api login %s: %d", user, st)
	}
	return lr.Token
}

type caseView struct {
	Case modgate.Case `json:"case"`
}

// waitCase waits until the queue has opened the case.
func (g *gateway) waitCase(t *testing.T, tok, id string) modgate.Case {
	t.Helper()
	var cv caseView
	testkit.Eventually(t, "case "+id, 60*time.Second, func() bool {
		return g.getJSON(t, "/v1/review/cases/"+id, tok, &cv) == 200
	})
	return cv.Case
}

// screenForReview screens the candidates in order and returns the first
// review verdict that carries matches (the shipped policies decide which).
func (g *gateway) screenForReview(t *testing.T, id string, candidates []string) (modgate.Message, modgate.Verdict) {
	t.Helper()
	for i, text := range candidates {
		m := modgate.Message{ID: fmt.Sprintf("%s-%d", id, i), Text: text, Tenant: "t1",
			Sender: modgate.Sender{ID: "u-" + id}, Group: modgate.Group{ID: "g-1", Kind: "personal"}}
		var v modgate.Verdict
		if st := g.postJSON(t, "/v1/screen", "", m, &v); st != 200 {
			t.Fatalf("screen: status %d", st)
		}
		if v.Action == modgate.ActionReview && len(v.Matches) > 0 && v.CaseID != "" {
			return m, v
		}
	}
	t.Fatalf("none of %d candidate texts got a review verdict with matches", len(candidates))
	return modgate.Message{}, modgate.Verdict{}
}

// report creates a case through the reports intake (level 3), for texts
// the filter would allow.
func (g *gateway) report(t *testing.T, msgID, text string) string {
	t.Helper()
	var res modgate.ReportResult
	st := g.postJSON(t, "/v1/reports", "", map[string]string{"message_id": msgID, "reporter_id": "r-" + msgID,
		"reason": "abuse", "text": text, "tenant": "t1", "sender": "u-x", "group": "g-1"}, &res)
	if st != 200 && st != 201 {
		t.Fatalf("report %s: status %d", msgID, st)
	}
	return res.CaseID
}

// actionTimeout bounds one browser step; generous because CI runs these
// next to race-enabled tests of other packages on two cores.
const actionTimeout = 60 * time.Second

// browser is one headless Chromium with its own profile; dialogs counts
// JavaScript dialogs (alert/confirm/prompt) the page opened.
type browser struct {
	ctx     context.Context
	dialogs *atomic.Int32
	user    string // who logged in
}

func newBrowser(t *testing.T, exe string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	b := &browser{ctx: ctx, dialogs: &atomic.Int32{}}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev.(type) {
		case *page.EventJavascriptDialogOpening, page.EventJavascriptDialogOpening:
			b.dialogs.Add(1)
			go func() { // never leave the page blocked on a dialog
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs steps with a timeout.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitJS polls a page expression until it is truthy.
func (b *browser) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		sctx, scancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer scancel()
		state, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`window.__mgState ? JSON.stringify(window.__mgState()) : location.hash`))
		t.Fatalf("waiting for %s (%s): %v\npage: %s", what, expr, err, state)
	}
}

func (b *browser) login(t *testing.T, g *gateway, user string) {
	t.Helper()
	b.user = user
	b.do(t, "login as "+user,
		chromedp.Navigate(g.URL+"/review/login"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("next-case")),
	)
}

// click clicks the element sel as soon as it exists. It clicks from inside
// the page in one step: live updates re-render lists, so a node found in one
// protocol call may be gone by the next.
func (b *browser) click(t *testing.T, sel string) {
	t.Helper()
	b.waitJS(t, "click "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel))
}

// key sends one key press to the page (the app's shortcuts).
func (b *browser) key(t *testing.T, k string) {
	t.Helper()
	b.do(t, "key "+k, chromedp.KeyEvent(k))
}

// caseInView is the id of the case the page shows.
func caseInView(t *testing.T, b *browser) string {
	t.Helper()
	b.waitJS(t, "a case view", `location.hash.startsWith('#/case/') && document.getElementById('msg-text') !== null && document.querySelector('.lease:not(.none)') !== null`)
	return strings.TrimPrefix(eval[string](t, b, `location.hash`), "#/case/")
}

func screenshot(t *testing.T, b *browser, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
	// MODGATE_UPDATE_DOCS=1 refreshes the committed screenshots in docs/.
	if os.Getenv("MODGATE_UPDATE_DOCS") == "1" {
		_, file, _, _ := runtime.Caller(0)
		docs := filepath.Join(filepath.Dir(filepath.Dir(file)), "docs")
		if err := os.MkdirAll(docs, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(docs, name), png, 0o644)
		}
	}
}

// A reviewer logs in, takes the next case, sees the spans highlighted at the
// right characters, decides with the keyboard, the decision event arrives on
// NATS, and the next case opens by itself.
func TestBrowserReviewFlow(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	tok := g.apiToken(t, "lena")

	// An astral character (two UTF-16 units) before the matches: offsets
	// are code points, so a UTF-16 slip would shift every highlight.
	candidates := []string{
		"😀𠮷 加微信领取福利，电话 13800138000", // a masked phone number
		"😀𠮷 免费领取 加群 内部消息 涨停 股票推荐",   // overlapping matches
		"😀 私聊我 vx: abc12345 领取福利",
		"😀 转发集赞送红包",
	}
	_, verdict := g.screenForReview(t, "flow", candidates)
	first := g.waitCase(t, tok, verdict.CaseID)
	_, v2 := g.screenForReview(t, "flow2", candidates[1:])
	g.waitCase(t, tok, v2.CaseID)

	nc, err := nats.Connect(g.NATS)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	events := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe(modgate.DefaultSubjectPrefix+".decisions.>", events)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, exe)
	b.login(t, g, "alice")
	// Both cases are in the high or normal lane; "n" claims by priority,
	// so claim until we hold the first one we screened.
	b.key(t, "n")
	id := caseInView(t, b)
	if id != first.ID && id != v2.CaseID {
		t.Fatalf("n opened %s, want one of the screened cases", id)
	}
	want := verdict
	if id == v2.CaseID {
		var cv caseView
		g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
		want = *cv.Case.Verdict
	}
	b.waitJS(t, "highlights", `document.querySelectorAll('#msg-text mark.hl').length > 0`)

	// Every match is covered by marks whose text is exactly the code points
	// [start, end) of what the page shows — and of the masked text in Go.
	type mark struct {
		Start, End int
		Text       string
	}
	marks := eval[[]mark](t, b, `Array.from(document.querySelectorAll('#msg-text mark.hl')).map(m => ({Start: +m.dataset.start, End: +m.dataset.end, Text: m.textContent}))`)
	var cv caseView
	g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
	shown := []rune(cv.Case.MaskedText)
	for _, m := range want.Matches {
		var got strings.Builder
		for _, mk := range marks {
			if mk.Start >= m.Start && mk.End <= m.End {
				got.WriteString(mk.Text)
			}
		}
		if wantText := string(shown[m.Start:m.End]); got.String() != wantText {
			t.Errorf("match %q [%d,%d): highlighted %q, want %q", m.Term, m.Start, m.End, got.String(), wantText)
		}
	}
	for _, mk := range marks {
		if string(shown[mk.Start:mk.End]) != mk.Text {
			t.Errorf("mark [%d,%d) shows %q, text has %q", mk.Start, mk.End, mk.Text, string(shown[mk.Start:mk.End]))
		}
	}
	if got := eval[string](t, b, `document.getElementById('msg-text').textContent`); got != string(shown) {
		t.Errorf("page shows %q, case text is %q", got, string(shown))
	}
	// Label colours come from Go's taxonomy through /v1/review/meta.
	for _, l := range modgate.Taxonomy {
		if l.Name != modgate.LabelContact && l.Name != modgate.LabelFraud {
			continue
		}
		got := eval[string](t, b, `(() => { const s = document.createElement('span'); s.className = 'chip lbl-`+l.Name+`'; document.body.appendChild(s); const c = getComputedStyle(s).backgroundColor; s.remove(); return c; })()`)
		var r, g2, bl int
		fmt.Sscanf(l.Colour, "#%02x%02x%02x", &r, &g2, &bl)
		if want := fmt.Sprintf("rgb(%d, %d, %d)", r, g2, bl); got != want {
			t.Errorf("label %s chip colour %s, want %s (modgate.Taxonomy)", l.Name, got, want)
		}
	}
	if n := eval[int](t, b, `document.querySelectorAll('#labelfix input').length`); n < len(modgate.Labels) {
		t.Errorf("label correction offers %d labels, want every one of the %d in modgate.Taxonomy", n, len(modgate.Labels))
	}
	screenshot(t, b, "review-case.png")

	// Help overlay; the wellbeing blur; "m" asks to confirm and Esc cancels.
	b.key(t, "?")
	b.waitJS(t, "help overlay", `document.getElementById('help') !== null`)
	b.key(t, kb.Escape)
	b.waitJS(t, "help closed", `document.getElementById('help') === null`)
	b.key(t, "b")
	b.waitJS(t, "blurred", `document.body.classList.contains('wellbeing') && getComputedStyle(document.querySelector('ol.matches .term')).filter.startsWith('blur')`)
	b.key(t, "b")
	b.key(t, "m")
	b.waitJS(t, "confirm dialog", `document.getElementById('confirm-yes') !== null && document.activeElement === document.getElementById('confirm-yes')`)
	b.key(t, kb.Escape)
	b.waitJS(t, "confirm closed", `document.getElementById('confirm-yes') === null && document.getElementById('undo') === null`)
	// This sender has no strikes: with an ads label a removal would remove
	// the member (the 1 of 3-2-1), and the key says so. Without it, r just
	// removes the message.
	if eval[bool](t, b, `document.getElementById('lf-ads').checked`) {
		b.waitJS(t, "removal consequence shown", `document.getElementById('cq-remove').textContent.includes('移出成员')`)
		b.click(t, "#lf-ads")
	}
	if !eval[bool](t, b, `document.querySelector('#labelfix input:checked') !== null`) {
		b.click(t, "#lf-contact")
	}
	b.waitJS(t, "plain removal", `document.getElementById('cq-remove').textContent.includes('记违规') && !document.getElementById('act-remove').classList.contains('removes')`)
	// Decide "remove" with the keyboard; undo once first.
	b.key(t, "r")
	b.waitJS(t, "undo toast", `document.getElementById('undo') !== null`)
	b.key(t, "u")
	b.waitJS(t, "undone", `document.getElementById('undo') === null && !document.getElementById('act-remove').disabled`)
	select {
	case m := <-events:
		t.Fatalf("a decision was published despite undo: %s", m.Data)
	case <-time.After(5 * time.Second):
	}
	// "e" extends the lease.
	var before, after caseView
	g.getJSON(t, "/v1/review/cases/"+id, tok, &before)
	b.key(t, "e")
	b.waitJS(t, "extended toast", `document.getElementById('toast').classList.contains('ok')`)
	g.getJSON(t, "/v1/review/cases/"+id, tok, &after)
	if before.Case.Lease == nil || after.Case.Lease == nil || !after.Case.Lease.Expires.After(before.Case.Lease.Expires) {
		t.Errorf("lease not extended: %+v -> %+v", before.Case.Lease, after.Case.Lease)
	}

	// Correct the labels (add "gambling") and write a note, by keyboard.
	b.click(t, "#lf-gambling")
	b.key(t, "o")
	b.do(t, "note", chromedp.SendKeys(chromedp.ID("note"), "测试备注"))
	b.key(t, kb.Escape) // leaves the note field
	b.waitJS(t, "consequences for the corrected labels", `document.getElementById('cq-remove').textContent.includes('记违规')`)
	wantLabels := eval[[]string](t, b, `Array.from(document.querySelectorAll('#labelfix input:checked')).map(i => i.value)`)
	// The deployment's undo window is 4 s; s sends at once, and the wait
	// is not counted as handling time.
	pressed := time.Now()
	b.key(t, "r")
	b.waitJS(t, "undo toast", `document.getElementById('send-now') !== null`)
	b.key(t, "s")
	var ev modgate.DecisionEvent
	select {
	case m := <-events:
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if m.Subject != modgate.DefaultSubjectPrefix+".decisions.remove" {
			t.Errorf("subject %s", m.Subject)
		}
	case <-time.After(actionTimeout):
		t.Fatalf("no decision event on NATS within %v", actionTimeout)
	}
	if ev.CaseID != id || ev.Action != modgate.DecisionRemove || ev.Reviewer != "alice" {
		t.Fatalf("decision event %+v, want case %s remove by alice", ev, id)
	}
	if fmt.Sprint(ev.Labels) != fmt.Sprint(wantLabels) || !strings.Contains(fmt.Sprint(ev.Labels), "gambling") {
		t.Errorf("event labels %v, want the corrected %v", ev.Labels, wantLabels)
	}
	if sent := time.Since(pressed); sent > 3500*time.Millisecond {
		t.Errorf("s did not send at once: the event came %v after the key", sent)
	}
	var decided caseView
	g.getJSON(t, "/v1/review/cases/"+id, tok, &decided)
	if decided.Case.Decision == nil || decided.Case.Decision.Note != "测试备注" {
		t.Errorf("stored decision %+v, want the note", decided.Case.Decision)
	}
	// The next case opens by itself.
	b.waitJS(t, "next case opened", fmt.Sprintf(`location.hash.startsWith('#/case/') && location.hash !== '#/case/%s' && document.getElementById('msg-text') !== null`, id))
	next := caseInView(t, b)

	// Defect 4: live updates reach a decision waiting in the undo window.
	// A lead gives the case to bob meanwhile: the decision is not sent,
	// and the page says so where it stays.
	b.key(t, ACTIONKEY(modgate.DecisionApprove))
	b.waitJS(t, "approve pending", `document.getElementById('undo') !== null`)
	var held caseView
	g.getJSON(t, "/v1/review/cases/"+next, tok, &held)
	if st := g.postJSON(t, "/v1/review/cases/"+next+"/release", tok, map[string]any{"force": true}, nil); st != 200 {
		t.Fatalf("force release: %d", st)
	}
	if st := g.postJSON(t, "/v1/review/cases/"+next+"/claim", g.apiToken(t, "bob"), map[string]any{}, nil); st != 200 {
		t.Fatalf("bob's claim: %d", st)
	}
	b.waitJS(t, "decision not sent", `document.getElementById('case-banner') !== null && !document.getElementById('case-banner').hidden && document.getElementById('case-banner').textContent.includes('bob') && document.getElementById('undo') === null`)
	select {
	case m := <-events:
		t.Fatalf("a decision was published for a case bob took: %s", m.Data)
	case <-time.After(5 * time.Second):
	}

	// Defect 7: the undo wait is not handling time. A decision that waits
	// the whole window (4 s) is stored with handling time net of it.
	_, v3 := g.screenForReview(t, "flow3", []string{"😀 私聊我 vx: abc12345 领取福利", "😀 转发集赞送红包"})
	g.waitCase(t, tok, v3.CaseID)
	b.key(t, kb.Escape)
	b.waitJS(t, "queue", `document.getElementById('next-case') !== null`)
	b.key(t, "n")
	if got := caseInView(t, b); got != v3.CaseID {
		t.Fatalf("n opened %s, want %s", got, v3.CaseID)
	}
	b.key(t, ACTIONKEY(modgate.DecisionApprove))
	select {
	case <-events:
	case <-time.After(actionTimeout):
		t.Fatal("the approval was not sent after the undo window")
	}
	var appr caseView
	g.getJSON(t, "/v1/review/cases/"+v3.CaseID, tok, &appr)
	d := appr.Case.Decision
	if d == nil {
		t.Fatal("no decision stored")
	}
	var claimed time.Time
	for _, ev := range appr.Case.History {
		if ev.Kind == modgate.AuditClaim {
			claimed = ev.At
		}
	}
	if wall := d.At.Sub(claimed); time.Duration(d.HandlingMS)*time.Millisecond > wall-3*time.Second {
		t.Errorf("handling %d ms of %v between claim and decision: the 4 s undo wait was counted", d.HandlingMS, wall)
	}
	if d := b.dialogs.Load(); d != 0 {
		t.Fatalf("%d JavaScript dialogs opened", d)
	}
}

// ACTIONKEY is the key of a decision action (modgate.DecisionKeys).
func ACTIONKEY(action string) string {
	for _, k := range modgate.DecisionKeys {
		if k.Action == action {
			return k.Key
		}
	}
	panic("no key for " + action)
}

// Two reviewers in two browsers never hold the same case.
func TestBrowserTwoReviewers(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	tok := g.apiToken(t, "lena")
	ids := map[string]bool{}
	for i := 0; i < 2; i++ {
		ids[g.report(t, fmt.Sprintf("two-%d", i), fmt.Sprintf("举报的消息 %d 加微信 abc", i))] = true
	}
	for id := range ids {
		g.waitCase(t, tok, id)
	}
	a, b := newBrowser(t, exe), newBrowser(t, exe)
	a.login(t, g, "alice")
	b.login(t, g, "bob")
	b.waitJS(t, "bob sees both cases", `document.querySelectorAll('#case-list tr[data-id]').length === 2`)
	a.key(t, "n")
	idA := caseInView(t, a)
	// Live update: bob's open queue drops alice's case without a reload.
	b.waitJS(t, "bob's queue updated live", fmt.Sprintf(`document.querySelectorAll('#case-list tr[data-id]').length === 1 && document.querySelector('tr[data-id="%s"]') === null`, idA))
	b.key(t, "n")
	idB := caseInView(t, b)
	if idA == idB {
		t.Fatalf("both reviewers hold case %s", idA)
	}
	if !ids[idA] || !ids[idB] {
		t.Fatalf("claimed %s and %s, want the two reported cases", idA, idB)
	}
	// Bob's queue no longer offers Alice's case, and opening it directly
	// shows it read-only.
	b.key(t, kb.Escape)
	b.waitJS(t, "queue", `document.getElementById('case-list') !== null && document.querySelector('#case-list table, #case-list .empty') !== null`)
	if eval[bool](t, b, fmt.Sprintf(`document.querySelector('tr[data-id="%s"]') !== null`, idA)) {
		t.Errorf("bob's queue lists alice's claimed case")
	}
	eval[string](t, b, fmt.Sprintf(`location.hash = '#/case/%s'`, idA))
	b.waitJS(t, "read-only case", `document.getElementById('act-approve') !== null && document.getElementById('act-approve').disabled`)
	var cv caseView
	g.getJSON(t, "/v1/review/cases/"+idA, tok, &cv)
	if cv.Case.Lease == nil || cv.Case.Lease.Holder != "alice" {
		t.Fatalf("alice's lease changed: %+v", cv.Case.Lease)
	}
	// The interface switches to English and back.
	b.do(t, "english", chromedp.Click(chromedp.ID("lang-toggle")))
	b.waitJS(t, "english ui", `document.documentElement.lang === 'en' && document.querySelector('#nav a').textContent === 'Queue'`)
	b.do(t, "chinese", chromedp.Click(chromedp.ID("lang-toggle")))
	b.waitJS(t, "chinese ui", `document.documentElement.lang === 'zh-CN' && document.querySelector('#nav a').textContent === '队列'`)
}

// Hostile message texts render as inert text: no dialog, no script, no
// element from the text, the layout intact.
func TestBrowserHostileText(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	tok := g.apiToken(t, "lena")
	long := strings.Repeat("長文本测试ABCDEFGHIJ", 2400) // 60,000 bytes without a space
	tests := []struct {
		name, text string
	}{
		{"img onerror", `<img src=x onerror="window.__pwned=1;alert(1)">`},
		{"script tag", `<script>window.__pwned=1;alert(1)</script>`},
		{"javascript link", `<a href="javascript:window.__pwned=1;alert(1)">点我领奖</a> javascript:alert(1)`},
		{"svg onload", `<svg onload="window.__pwned=1;alert(1)"></svg>`},
		{"bidi override", "正常文本\u202e>tpircs/<)1(trela>tpircs<\u202c 结束 \u2066隔离\u2069"},
		{"60 KB message", long},
	}
	b := newBrowser(t, exe)
	b.login(t, g, "lena")
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := g.report(t, fmt.Sprintf("xss-%d", i), tc.text)
			c := g.waitCase(t, tok, id)
			eval[string](t, b, `location.hash = '#/queue'`)
			b.waitJS(t, "queue", `document.getElementById('case-list') !== null`)
			// Claim it through the page, as a reviewer clicking the row.
			clicked := time.Now()
			b.click(t, fmt.Sprintf(`tr[data-id="%s"] button`, id))
			if got := caseInView(t, b); got != id {
				t.Fatalf("opened %s, want %s", got, id)
			}
			t.Logf("%d-byte message: claimed and rendered %v after the click", len(tc.text), time.Since(clicked).Round(time.Millisecond))
			checks := map[string]string{
				"no script ran":                `typeof window.__pwned === 'undefined'`,
				"no element from the text":     `document.querySelectorAll('#msg-text *:not(mark):not(span.ctl)').length === 0`,
				"no image/script/link in page": `document.querySelectorAll('main img, main script, main svg, main a[href^="javascript"]').length === 0`,
				"no horizontal overflow":       `document.documentElement.scrollWidth <= window.innerWidth`,
				"decision panel on screen":     `(() => { const r = document.getElementById('act-approve').getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth && r.top < window.innerHeight; })()`,
				"title intact":                 fmt.Sprintf(`document.querySelector('.case-head h1').textContent.endsWith('%s')`, id),
			}
			for name, expr := range checks {
				if !eval[bool](t, b, expr) {
					t.Errorf("%s: %s is false", name, expr)
				}
			}
			// The text is all there, as text (controls shown as U+XXXX tokens).
			shown := eval[string](t, b, `Array.from(document.getElementById('msg-text').childNodes).map(n => n.nodeType === 3 ? n.textContent : (n.classList.contains('ctl') ? '' : n.textContent)).join('')`)
			var visible strings.Builder
			for _, r := range c.MaskedText {
				if r != '\u202e' && r != '\u202c' && r != '\u2066' && r != '\u2069' {
					visible.WriteRune(r)
				}
			}
			if shown != visible.String() {
				t.Errorf("rendered text differs from the case text (%d vs %d bytes)", len(shown), visible.Len())
			}
			if strings.ContainsRune(tc.text, '\u202e') && !eval[bool](t, b, `Array.from(document.querySelectorAll('#msg-text span.ctl')).some(s => s.textContent === 'U+202E')`) {
				t.Errorf("bidi override not shown as a visible token")
			}
			if d := b.dialogs.Load(); d != 0 {
				t.Fatalf("%d JavaScript dialogs opened", d)
			}
			b.key(t, "x") // release
			b.waitJS(t, "queue after release", `location.hash === '#/queue'`)
		})
	}
}

// A cross-site form post cannot act with the reviewer's session: not a
// decision, not a logout.
func TestBrowserCSRF(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	tok := g.apiToken(t, "lena")
	id := g.report(t, "csrf-1", "CSRF 测试消息 加微信")
	g.waitCase(t, tok, id)
	b := newBrowser(t, exe)
	b.login(t, g, "alice")
	b.key(t, "n")
	if got := caseInView(t, b); got != id {
		t.Fatalf("opened %s, want %s", got, id)
	}
	var cv caseView
	// The attacker's page lives on another site: "localhost" vs 127.0.0.1.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	evilPort := ln.Addr().(*net.TCPAddr).Port
	target := g.URL
	evil := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		action := target + "/v1/review/cases/" + id + "/decide"
		if r.URL.Path == "/logout" {
			action = target + "/review/logout"
		}
		// text/plain smuggles a JSON body; the form submits itself.
		fmt.Fprintf(w, `<!doctype html><form id=f method=POST enctype="text/plain" action="%s"><input name='{"action":"remove","labels":[],"note":"x","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`, action)
	})}
	go evil.Serve(ln)
	defer evil.Close()
	evilURL := fmt.Sprintf("http://localhost:%d", evilPort)

	for _, path := range []string{"/decide", "/logout"} {
		b.do(t, "visit evil page "+path, chromedp.Navigate(evilURL+path))
		b.waitJS(t, "form posted", `location.host.startsWith('127.0.0.1')`)
	}
	g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
	if cv.Case.State == modgate.CaseDecided || cv.Case.Decision != nil {
		t.Fatalf("a cross-site post decided the case: %+v", cv.Case.Decision)
	}
	if cv.Case.Lease == nil || cv.Case.Lease.Holder != "alice" {
		t.Fatalf("alice lost her lease: %+v", cv.Case.Lease)
	}
	// The session survived the cross-site logout post.
	b.do(t, "back to the app", chromedp.Navigate(g.URL+"/review/"), chromedp.WaitVisible(chromedp.ID("main")))
	if loc := eval[string](t, b, `location.pathname`); loc != "/review/" {
		t.Fatalf("after the cross-site logout post the app sent us to %s", loc)
	}
	if d := b.dialogs.Load(); d != 0 {
		t.Fatalf("%d dialogs", d)
	}
}

// The lead's views: the dashboard renders its charts from real decisions
// (screenshot for docs/), and unmasking personal data is an explicit click
// that lands in the audit trail. A reviewer gets neither.
func TestBrowserLeadViews(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	toks := map[string]string{}
	for _, u := range []string{"alice", "bob", "lena"} {
		toks[u] = g.apiToken(t, u)
	}
	// Real decisions by three reviewers so the charts have data.
	plan := []struct{ who, action, label string }{
		{"alice", "approve", "ads"}, {"alice", "remove", "ads"}, {"alice", "remove", "contact"}, {"bob", "warn", "abuse"},
		{"bob", "remove", "finance"}, {"bob", "approve", "ads"}, {"lena", "remove_member", "ads"}, {"alice", "remove", "induced_sharing"},
	}
	for i, p := range plan {
		id := g.report(t, fmt.Sprintf("dash-%d", i), fmt.Sprintf("看板测试 %d 加微信领红包", i))
		g.waitCase(t, toks[p.who], id)
		var cv caseView
		if st := g.postJSON(t, "/v1/review/cases/"+id+"/claim", toks[p.who], map[string]any{}, &cv); st != 200 {
			t.Fatalf("claim: %d", st)
		}
		if st := g.postJSON(t, "/v1/review/cases/"+id+"/decide", toks[p.who], map[string]any{"action": p.action, "token": cv.Case.Lease.Token, "labels": []string{p.label}}, nil); st != 200 {
			t.Fatalf("decide: %d", st)
		}
	}
	for i := 0; i < 3; i++ {
		g.report(t, fmt.Sprintf("dash-open-%d", i), "还在排队的举报")
	}
	_, pv := g.screenForReview(t, "pii", []string{"加微信领取福利，电话 13800138000"})
	g.waitCase(t, toks["lena"], pv.CaseID)

	b := newBrowser(t, exe)
	b.login(t, g, "lena")
	b.waitJS(t, "queue rows", fmt.Sprintf(`document.querySelectorAll('#case-list tr[data-id]').length >= 4 && document.querySelectorAll('.lane').length === %d`, len(modgate.Lanes)))
	screenshot(t, b, "review-queue.png")
	b.key(t, "2")
	b.waitJS(t, "charts", `document.querySelectorAll('canvas').length >= 4 && window.Chart && Object.keys(window.Chart.instances).length >= 4`)
	if got := eval[string](t, b, `document.getElementById('tile-total').textContent`); got != fmt.Sprint(len(plan)) {
		t.Errorf("decisions tile %q, want %d", got, len(plan))
	}
	for _, link := range []string{"csv-decisions", "csv-audit", "csv-daily"} {
		if !eval[bool](t, b, fmt.Sprintf(`!!document.getElementById('%s').getAttribute('href')`, link)) {
			t.Errorf("no %s link", link)
		}
	}
	b.do(t, "settle", chromedp.Sleep(300*time.Millisecond))
	screenshot(t, b, "review-dashboard.png")

	// Unmask: the lead opens the case with a phone number, sees it masked,
	// clicks, sees it whole; the audit trail has the view.
	eval[string](t, b, fmt.Sprintf(`location.hash = '#/case/%s'`, pv.CaseID))
	b.waitJS(t, "masked text", `document.getElementById('msg-text') !== null && document.getElementById('msg-text').textContent.includes('138****8000')`)
	b.click(t, "#unmask")
	b.waitJS(t, "reason asked", `document.getElementById('unmask-dialog-text') !== null`)
	b.do(t, "reason", chromedp.SendKeys(chromedp.ID("unmask-dialog-text"), "核实举报内容"), chromedp.Click(chromedp.ID("unmask-dialog-ok")))
	b.waitJS(t, "unmasked text", `document.getElementById('msg-text').textContent.includes('13800138000')`)
	var page struct {
		Events []modgate.AuditEvent `json:"events"`
	}
	g.getJSON(t, "/v1/review/audit?kind=unmask_view", toks["lena"], &page)
	found := false
	for _, ev := range page.Events {
		found = found || (ev.Kind == modgate.AuditUnmaskView && ev.Actor == "lena" && ev.CaseID == pv.CaseID && ev.Text == "核实举报内容")
	}
	if !found {
		t.Errorf("no unmask_view audit event for lena on %s: %+v", pv.CaseID, page.Events)
	}

	// A reviewer has no dashboard and no unmask button.
	r := newBrowser(t, exe)
	r.login(t, g, "alice")
	if eval[bool](t, r, `Array.from(document.querySelectorAll('#nav a')).some(a => a.getAttribute('href') === '#/dashboard')`) {
		t.Errorf("reviewer sees the dashboard link")
	}
	eval[string](t, r, fmt.Sprintf(`location.hash = '#/case/%s'`, pv.CaseID))
	r.waitJS(t, "case for reviewer", `document.getElementById('msg-text') !== null`)
	if eval[bool](t, r, `document.getElementById('unmask') !== null || document.getElementById('msg-text').textContent.includes('13800138000')`) {
		t.Errorf("reviewer can see or unmask personal data")
	}
}

// An admin uploads policy and lexicon files in the policy view and sees the
// server's compile/test verdict; a broken file leaves the revision as it was.
func TestBrowserPolicyView(t *testing.T) {
	exe := needChromium(t)
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	dir := t.TempDir()
	for _, sub := range []struct{ name, glob string }{{"policies", "*.rego"}, {"policies", "*.json"}, {"lexicons", "*.txt"}} {
		if err := os.MkdirAll(filepath.Join(dir, sub.name), 0o755); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(root, sub.name, sub.glob))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub.name, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	g := startGateway(t, "--policy-dir", filepath.Join(dir, "policies"), "--lexicon-dir", filepath.Join(dir, "lexicons"), "--watch=false")
	b := newBrowser(t, exe)
	b.login(t, g, "ada")
	b.key(t, "3")
	b.waitJS(t, "revision", `document.getElementById('rev-policy') !== null && document.getElementById('rev-policy').textContent.length > 8`)
	before := eval[string](t, b, `document.getElementById('rev-policy').textContent`)

	broken := filepath.Join(dir, "broken.rego")
	if err := os.WriteFile(broken, []byte("package modgate.broken\n\nallow if {\n  input.x ==\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(t, "choose broken policy", chromedp.SetUploadFiles(chromedp.ID("pol-file"), []string{broken}))
	b.waitJS(t, "new file shown", `document.getElementById('pol-diff').textContent.includes('broken.rego') && !document.getElementById('pol-apply').disabled`)
	b.click(t, "#pol-apply")
	b.waitJS(t, "failure shown", `document.getElementById('pol-verdict') !== null && document.getElementById('pol-verdict').classList.contains('error')`)
	if !eval[bool](t, b, `document.querySelectorAll('#pol-problems li').length > 0 && document.getElementById('pol-problems').textContent.includes('broken.rego')`) {
		t.Errorf("the problems do not name broken.rego: %s", eval[string](t, b, `document.getElementById('pol-result').textContent`))
	}
	screenshot(t, b, "review-policy.png")
	if got := eval[string](t, b, `document.getElementById('rev-policy').textContent`); got != before {
		t.Errorf("policy revision changed after a rejected upload: %s -> %s", before, got)
	}

	lex := filepath.Join(dir, "extra.txt")
	if err := os.WriteFile(lex, []byte("@category ads.promo\n@severity 1\n测试专用促销词\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(t, "choose lexicon", chromedp.SetUploadFiles(chromedp.ID("pol-file"), []string{lex}))
	b.waitJS(t, "diff shown", `document.getElementById('diff') !== null || document.getElementById('pol-diff').textContent.includes('extra.txt')`)
	b.click(t, "#pol-apply")
	b.waitJS(t, "success shown", `document.getElementById('pol-verdict') !== null && document.getElementById('pol-verdict').classList.contains('ok')`)
	if _, err := os.Stat(filepath.Join(dir, "lexicons", "extra.txt")); err != nil {
		t.Errorf("the accepted lexicon was not installed: %v", err)
	}
	// Editing a serving file shows what changes before it goes live: the
	// 3-2-1 numbers in data.json.
	data, err := os.ReadFile(filepath.Join(dir, "policies", "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(edited, []byte(strings.Replace(string(data), `"remove_after_ads": 1`, `"remove_after_ads": 2`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(t, "choose data.json", chromedp.SetUploadFiles(chromedp.ID("pol-file"), []string{edited}))
	b.waitJS(t, "diff against the serving file", `document.querySelector('#diff .diff-del') !== null && document.querySelector('#diff .diff-del').textContent.includes('"remove_after_ads": 1') && document.querySelector('#diff .diff-add').textContent.includes('"remove_after_ads": 2')`)
	screenshot(t, b, "review-policy-diff.png")
	b.click(t, "#pol-apply")
	b.waitJS(t, "data.json live", `document.getElementById('pol-verdict') !== null && document.getElementById('pol-verdict').classList.contains('ok') && document.getElementById('pol-result').textContent.includes('data.json')`)
	b.click(t, `#pol-file-list button[data-file="data.json"]`)
	b.waitJS(t, "serving file shown", `document.getElementById('pol-file-text') !== null && document.getElementById('pol-file-text').textContent.includes('"remove_after_ads": 2')`)
	// Reviewers and leads have no policy view.
	r := newBrowser(t, exe)
	r.login(t, g, "lena")
	if eval[bool](t, r, `Array.from(document.querySelectorAll('#nav a')).some(a => a.getAttribute('href') === '#/policy')`) {
		t.Errorf("lead sees the policy link")
	}
}

// Defect 3: a lease that runs out says so: the case stays on screen with
// its text, the state reads "lease expired", decision keys do nothing, and c
// claims it again (when nobody else took it); another reviewer gets a case
// that went back to the queue.
func TestBrowserLeaseExpiry(t *testing.T) {
	// Mostly waiting for leases to run out: it runs beside the workflow.
	t.Parallel()
	exe := needChromium(t)
	g := startGateway(t, "--review-lease", "8s")
	tok := g.apiToken(t, "lena")
	id := g.report(t, "lease-1", "租约过期测试 加微信")
	id2 := g.report(t, "lease-2", "第二条租约过期测试 加微信")
	g.waitCase(t, tok, id)
	g.waitCase(t, tok, id2)
	a, b := newBrowser(t, exe), newBrowser(t, exe)
	a.login(t, g, "alice")
	b.login(t, g, "bob")
	eval[string](t, a, fmt.Sprintf(`location.hash = '#/case/%s'`, id))
	a.waitJS(t, "case", `document.getElementById('reclaim') !== null`)
	a.key(t, "c")
	if got := caseInView(t, a); got != id {
		t.Fatalf("alice opened %s, want %s", got, id)
	}
	// Before the sweeper writes the expiry back the page says the lease ran
	// out; after, the case is open again and the banner says it is no
	// longer hers. Which one the reviewer sees first is the sweeper's timing.
	a.waitJS(t, "lease expired", `document.getElementById('act-remove').disabled && document.getElementById('msg-text').textContent.includes('租约过期测试') && document.getElementById('reclaim') !== null &&
		((document.getElementById('lease-expired') !== null && document.getElementById('case-state').textContent === '占用已过期') ||
		 (document.getElementById('case-state').textContent === '待审' && !document.getElementById('case-banner').hidden && document.getElementById('case-banner').textContent.includes('不再占用')))`)
	screenshot(t, a, "review-lease-expired.png")
	a.key(t, "r") // a decision key on an expired lease does nothing
	// The sweeper writes the expiry back: the case is open in bob's queue.
	b.waitJS(t, "case back in bob's queue", fmt.Sprintf(`document.querySelector('tr[data-id="%s"]') !== null`, id))
	a.waitJS(t, "open again", `document.getElementById('reclaim') !== null`)
	a.key(t, "c")
	a.waitJS(t, "claimed again", `document.getElementById('case-state').textContent === '处理中' && !document.getElementById('act-approve').disabled && document.getElementById('reclaim') === null`)
	var cv caseView
	g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
	if cv.Case.Lease == nil || cv.Case.Lease.Holder != "alice" {
		t.Fatalf("after c: lease %+v, want alice's", cv.Case.Lease)
	}
	a.key(t, ACTIONKEY(modgate.DecisionApprove))
	testkit.Eventually(t, "alice's decision after claiming again", 30*time.Second, func() bool {
		g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
		return cv.Case.Decision != nil && cv.Case.Decision.Reviewer == "alice"
	})
	a.settle(t, id) // her app draws the next case (id2) by itself: give it back
	// The other case expires in bob's hands and alice may take it.
	b.key(t, "n")
	if got := caseInView(t, b); got != id2 {
		t.Fatalf("bob opened %s, want %s", got, id2)
	}
	b.waitJS(t, "bob's lease expired", `document.getElementById('lease-expired') !== null`)
	// The sweeper writes the expiry back: the case is in alice's queue and n
	// draws it.
	eval[string](t, a, `location.hash = '#/queue'`)
	a.waitJS(t, "bob's case back in the queue", fmt.Sprintf(`document.getElementById('next-case') !== null && document.querySelector('tr[data-id="%s"]') !== null`, id2))
	a.key(t, "n")
	if got := caseInView(t, a); got != id2 {
		t.Fatalf("alice opened %s, want the expired case %s", got, id2)
	}
	b.waitJS(t, "bob sees alice took it", `document.getElementById('case-banner') !== null && !document.getElementById('case-banner').hidden`)
}

// TestBrowserNormalizedText: the normalised text a verdict was decided on
// reaches reviewers (the "t" toggle showed nothing while it was dropped
// before the case was stored), with personal data masked for a reviewer,
// and stays out of the platform's /v1/screen answer.
func TestBrowserNormalizedText(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	tok := g.apiToken(t, "alice")
	// Full-width digits, traditional characters and spacing noise: the
	// normalised text differs visibly from the original.
	text := "加 微 信 領 取 福 利 ，電話 １３８００１３８０００"
	var raw map[string]any
	m := modgate.Message{ID: "norm-1", Text: text, Tenant: "t1", Sender: modgate.Sender{ID: "u-norm"}}
	if st := g.postJSON(t, "/v1/screen", "", m, &raw); st != 200 {
		t.Fatalf("screen: %d", st)
	}
	if raw["action"] != modgate.ActionReview {
		t.Fatalf("verdict %v, want review", raw)
	}
	if _, ok := raw["normalized"]; ok {
		t.Fatalf("/v1/screen answer carries the normalised text: %v", raw)
	}
	c := g.waitCase(t, tok, raw["case_id"].(string))
	if c.Normalized == "" || !strings.Contains(c.Normalized, "领取福利") || strings.Contains(c.Normalized, "13800138000") ||
		!strings.Contains(c.Normalized, "138") {
		t.Fatalf("case normalised text for a reviewer: %q", c.Normalized)
	}

	b := newBrowser(t, exe)
	b.login(t, g, "alice")
	b.key(t, "n")
	if id := caseInView(t, b); id != c.ID {
		t.Fatalf("n opened %s, want %s", id, c.ID)
	}
	b.key(t, "t")
	b.waitJS(t, "normalised text shown", `document.querySelector('#msg-norm .msg-text') !== null`)
	if got := eval[string](t, b, `document.querySelector('#msg-norm .msg-text').textContent`); got != c.Normalized {
		t.Fatalf("toggle shows %q, want the case's %q", got, c.Normalized)
	}
	b.key(t, "t")
	b.waitJS(t, "normalised text hidden", `document.getElementById('msg-norm') === null`)
}

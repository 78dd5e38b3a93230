package reviewui

// The reviewer workflow in real Chromium, as moderators work a day: one
// gateway (undo window 0, the deployment setting most teams pick once they
// trust the consequence line) and one browser per person, shared by the
// subtests to keep the suite short. Each subtest makes its own cases and
// leaves none open. The defects of issue 14 each have a subtest here (or,
// where the undo window or a short lease matters, in browser_test.go).

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/nats-io/nats.go"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/testkit"
)

// events collects every platform event the gateway publishes.
type events struct{ ch chan *nats.Msg }

func subscribeEvents(t *testing.T, g *gateway) *events {
	t.Helper()
	nc, err := nats.Connect(g.NATS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e := &events{ch: make(chan *nats.Msg, 8192)}
	for _, s := range []string{"decisions.>", "enforcement.>", "reports.>", "appeals.>"} {
		if _, err := nc.ChanSubscribe(modgate.DefaultSubjectPrefix+"."+s, e.ch); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return e
}

// wait returns the first event on subject for which ok holds, skipping
// others.
func (e *events) wait(t *testing.T, subject string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(actionTimeout)
	for {
		select {
		case m := <-e.ch:
			var v map[string]any
			if m.Subject == subject && json.Unmarshal(m.Data, &v) == nil && (ok == nil || ok(v)) {
				return v
			}
		case <-deadline:
			t.Fatalf("no %s event within %v", subject, actionTimeout)
			return nil
		}
	}
}

// none checks that no event on subject about case id arrives for d.
func (e *events) none(t *testing.T, subject, id string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m := <-e.ch:
			if m.Subject == subject && strings.Contains(string(m.Data), id) {
				t.Fatalf("unexpected %s: %s", subject, m.Data)
			}
		case <-deadline:
			return
		}
	}
}

// reportAs files a report for sender (reason, text may be empty).
func (g *gateway) reportAs(t *testing.T, msgID, sender, reason, text string) string {
	t.Helper()
	var res modgate.ReportResult
	st := g.postJSON(t, "/v1/reports", "", map[string]any{"message_id": msgID, "reporter_id": "r-" + msgID, "reason": reason,
		"text": text, "tenant": "t1", "sender": map[string]string{"id": sender}, "group": map[string]string{"id": "g-wf"}}, &res)
	if st != 200 && st != 201 {
		t.Fatalf("report %s: status %d", msgID, st)
	}
	return res.CaseID
}

// drain decides every case still waiting (as a lead), so a subtest that
// presses n gets only its own cases.
func (g *gateway) drain(t *testing.T) {
	t.Helper()
	tok := g.apiToken(t, "lena")
	for i := 0; i < 500; i++ {
		var cv caseView
		st := g.postJSON(t, "/v1/review/claim-next", tok, map[string]any{}, &cv)
		if st == 204 {
			return
		}
		if st != 200 {
			t.Fatalf("drain: claim-next %d", st)
		}
		action := modgate.DecisionApprove
		if cv.Case.Appeal != nil && cv.Case.Appeal.Outcome == "" {
			action = modgate.AppealUphold
		}
		if st := g.postJSON(t, "/v1/review/cases/"+cv.Case.ID+"/decide", tok, map[string]any{"action": action, "token": cv.Case.Lease.Token}, nil); st != 200 {
			t.Fatalf("drain: decide %s: %d", cv.Case.ID, st)
		}
	}
}

// open shows case id in b and claims it with c.
func (b *browser) open(t *testing.T, id string) {
	t.Helper()
	eval[string](t, b, fmt.Sprintf(`location.hash = '#/case/%s'`, id))
	b.waitJS(t, "case "+id, fmt.Sprintf(`document.querySelector('.case-head h1') !== null && document.querySelector('.case-head h1').textContent.endsWith('%s') && (document.getElementById('reclaim') !== null || document.querySelector('.lease:not(.none)') !== null)`, id))
	if eval[bool](t, b, `document.getElementById('reclaim') !== null`) {
		b.key(t, "c")
	}
	b.waitJS(t, "claimed "+id, `document.querySelector('.lease:not(.none)') !== null && document.getElementById('reclaim') === null`)
}

// settle waits until b's app has moved on from case id after a decision
// (it draws the next case by itself, or the queue when none waits) and
// gives back a case it drew, so the next subtest's cases stay free.
func (b *browser) settle(t *testing.T, id string) {
	t.Helper()
	b.waitJS(t, "moved on from "+id, fmt.Sprintf(`(() => {
		const h = location.hash, st = window.__mgState();
		if (h === '#/case/%s' || st.pending) return false;
		if (h === '#/queue') return document.getElementById('next-case') !== null;
		return h.startsWith('#/case/') && st.current !== null && h === '#/case/' + st.current.id && st.current.holder === %q &&
			document.querySelector('.lease:not(.none)') !== null;
	})()`, id, b.user))
	if eval[bool](t, b, `location.hash.startsWith('#/case/')`) {
		b.key(t, "x")
		b.waitJS(t, "released", `location.hash === '#/queue'`)
	}
}

// remove presses r on the case in view once its consequence is drawn, and
// confirms when that consequence removes the member (3-2-1 asks first).
func (b *browser) remove(t *testing.T) {
	t.Helper()
	b.waitJS(t, "consequence drawn", `!window.__mgState().consPending && document.getElementById('cq-remove') !== null && document.getElementById('cq-remove').textContent !== ''`)
	removes := eval[bool](t, b, `document.getElementById('act-remove').classList.contains('removes')`)
	b.key(t, "r")
	if removes {
		b.waitJS(t, "confirmation", `document.getElementById('confirm-yes') !== null`)
		b.key(t, "y")
	}
}

// goto navigates b to hash and waits for cond.
func (b *browser) goTo(t *testing.T, hash, cond string) {
	t.Helper()
	eval[string](t, b, fmt.Sprintf(`location.hash = %q`, hash))
	b.waitJS(t, hash, cond)
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	b.waitJS(t, sel, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
	return eval[string](t, b, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
}

func TestBrowserWorkflow(t *testing.T) {
	t.Parallel()
	exe := needChromium(t)
	g := startGateway(t, "--review-undo", "0")
	ev := subscribeEvents(t, g)
	tok := g.apiToken(t, "lena")
	alice := newBrowser(t, exe)
	bob := newBrowser(t, exe)
	lena := newBrowser(t, exe)
	alice.login(t, g, "alice")

	// Defect 12: a reviewer's first load is small, compressed, and has no
	// chart library in it.
	t.Run("first load", func(t *testing.T) {
		alice.waitJS(t, "queue", `document.getElementById('case-list') !== null && document.querySelector('#case-list table, #case-list .empty') !== null`)
		type entry struct {
			Name                      string
			Transfer, Encoded, Decode float64
		}
		es := eval[[]entry](t, alice, `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map(e => ({Name: e.name, Transfer: e.transferSize, Encoded: e.encodedBodySize, Decode: e.decodedBodySize}))`)
		total := 0.0
		for _, e := range es {
			total += math.Max(e.Transfer, e.Encoded)
			if strings.Contains(e.Name, "chart") {
				t.Errorf("a reviewer's page loaded %s", e.Name)
			}
			if strings.HasSuffix(e.Name, "/static/app.js") && !(e.Encoded > 0 && e.Encoded < e.Decode/2) {
				t.Errorf("app.js not sent compressed: %+v", e)
			}
		}
		t.Logf("first load: %d requests, %.1f KB on the wire", len(es), total/1024)
		if total > 120*1024 {
			t.Errorf("first load %.1f KB, want at most 120 KB compressed", total/1024)
		}
	})
	bob.login(t, g, "bob")
	lena.login(t, g, "lena")

	// Defect 1: the key says what it does to the member before it is
	// pressed, and a removal under 3-2-1 asks like m does.
	t.Run("consequence before the decision", func(t *testing.T) {
		id := g.reportAs(t, "wf-321", "u-321", "ads", "加微信 vx: abc12345 领取福利，稳赚不赔")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		if !eval[bool](t, alice, `document.getElementById('lf-ads').checked`) {
			alice.click(t, "#lf-ads")
		}
		alice.waitJS(t, "removal consequence", `document.getElementById('cq-remove').textContent.includes('移出成员') && document.getElementById('cq-remove').textContent.includes('3-2-1') && document.getElementById('act-remove').classList.contains('removes')`)
		if got := alice.text(t, "#cq-approve"); !strings.Contains(got, "不记违规") {
			t.Errorf("approve says %q", got)
		}
		screenshot(t, alice, "review-consequences.png")
		alice.key(t, "r")
		alice.waitJS(t, "confirmation", `document.getElementById('confirm-yes') !== null && document.getElementById('confirm-cq').textContent.includes('移出成员')`)
		alice.key(t, kb.Escape)
		alice.waitJS(t, "cancelled", `document.getElementById('confirm-yes') === null`)
		ev.none(t, "modgate.decisions.remove", id, 1500)
		alice.key(t, "r")
		alice.waitJS(t, "confirmation again", `document.getElementById('confirm-yes') !== null`)
		alice.key(t, "y")
		e := ev.wait(t, "modgate.enforcement.remove_member", func(v map[string]any) bool { return v["case_id"] == id })
		if !strings.Contains(fmt.Sprint(e["reason"]), "3-2-1") {
			t.Errorf("enforcement reason %v", e["reason"])
		}
		alice.settle(t, id)
	})

	// Defect 2: a report opens a screened case; without text the case
	// says so and offers to ask the platform or close it.
	t.Run("reports screened on intake", func(t *testing.T) {
		id := g.reportAs(t, "wf-screen", "u-scr", "abuse", "加微信 vx: abc12345 领取福利，稳赚不赔")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		alice.waitJS(t, "highlights and rules", `document.querySelectorAll('#msg-text mark.hl').length > 0 && document.querySelectorAll('#rules li').length > 0`)
		labels := eval[[]string](t, alice, `Array.from(document.querySelectorAll('#labelfix input:checked')).map(i => i.value)`)
		if len(labels) < 2 {
			t.Errorf("labels %v: want the reporter's reason and what screening found", labels)
		}
		alice.key(t, ACTIONKEY(modgate.DecisionApprove))
		ev.wait(t, "modgate.decisions.approve", func(v map[string]any) bool { return v["case_id"] == id })
		alice.settle(t, id)

		nt := g.reportAs(t, "wf-notext", "u-scr", "abuse", "")
		g.waitCase(t, tok, nt)
		alice.open(t, nt)
		alice.waitJS(t, "no text notice", `document.getElementById('no-text') !== null && document.getElementById('no-text').textContent.includes('原文不可用') && !document.getElementById('request-text').disabled`)
		if got := alice.text(t, "#no-rules"); got == "" {
			t.Error("empty rules panel says nothing")
		}
		alice.key(t, "g")
		e := ev.wait(t, "modgate.reports.text_requested", func(v map[string]any) bool { return v["case_id"] == nt })
		alice.settle(t, nt)
		if e["message_id"] != "wf-notext" || e["reviewer"] != "alice" {
			t.Errorf("text request %v", e)
		}
		// The platform answers with the text: the case is screened.
		g.reportAs(t, "wf-notext", "u-scr", "abuse", "转发集赞送红包，加我微信")
		testkit.Eventually(t, "text filled in", 30*time.Second, func() bool {
			var cv caseView
			g.getJSON(t, "/v1/review/cases/"+nt, tok, &cv)
			return !cv.Case.TextMissing && cv.Case.Verdict != nil && len(cv.Case.Verdict.Matches) > 0
		})
		alice.open(t, nt)
		alice.waitJS(t, "text now", `document.querySelectorAll('#msg-text mark.hl').length > 0`)
		alice.key(t, ACTIONKEY(modgate.DecisionCannotJudge))
		ev.wait(t, "modgate.decisions.cannot_judge", func(v map[string]any) bool { return v["case_id"] == nt })
		alice.settle(t, nt)
	})

	// Defect 4: a decision the server refuses says so, and stays said. The
	// member got a strike elsewhere meanwhile: r would now remove them.
	t.Run("refused decision is reported", func(t *testing.T) {
		id := g.reportAs(t, "wf-409a", "u-409", "abuse", "你这个骗子，大家别信他")
		other := g.reportAs(t, "wf-409b", "u-409", "abuse", "骗子又来了，别信")
		g.waitCase(t, tok, id)
		g.waitCase(t, tok, other)
		alice.open(t, id)
		alice.waitJS(t, "first violation", `document.getElementById('cq-remove').textContent.includes('记违规')`)
		var cv caseView
		bt := g.apiToken(t, "bob")
		g.postJSON(t, "/v1/review/cases/"+other+"/claim", bt, map[string]any{}, &cv)
		if st := g.postJSON(t, "/v1/review/cases/"+other+"/decide", bt, map[string]any{"action": "remove", "labels": []string{"abuse"}, "token": cv.Case.Lease.Token}, nil); st != 200 {
			t.Fatalf("bob's decision: %d", st)
		}
		alice.key(t, "r")
		alice.waitJS(t, "refusal shown", `!document.getElementById('case-banner').hidden && document.getElementById('case-banner').textContent.includes('未保存')`)
		time.Sleep(3 * time.Second) // the message must not be replaced
		if got := alice.text(t, "#case-banner"); !strings.Contains(got, "未保存") || !strings.Contains(got, "移出成员") {
			t.Errorf("banner after 3 s: %q", got)
		}
		alice.waitJS(t, "new consequence on the key", `document.getElementById('cq-remove').textContent.includes('移出成员')`)
		g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
		if cv.Case.Decision != nil || cv.Case.Lease == nil || cv.Case.Lease.Holder != "alice" {
			t.Fatalf("after the refusal: decision %+v lease %+v", cv.Case.Decision, cv.Case.Lease)
		}
		screenshot(t, alice, "review-refused.png")
		alice.key(t, "r")
		alice.waitJS(t, "confirmation", `document.getElementById('confirm-yes') !== null`)
		alice.key(t, "y")
		ev.wait(t, "modgate.enforcement.remove_member", func(v map[string]any) bool { return v["case_id"] == id })
		alice.settle(t, id)
	})

	// Defect 5: the blur holds while the text has focus, is called what it
	// is, and p shows the text.
	t.Run("wellbeing blur", func(t *testing.T) {
		id := g.reportAs(t, "wf-blur", "u-blur", "porn", "这是一条令人不适的测试消息")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		label := alice.text(t, "#blur-toggle")
		if strings.Contains(label, "护眼") || !strings.Contains(label, "模糊") {
			t.Errorf("blur button says %q", label)
		}
		alice.key(t, "b")
		eval[any](t, alice, `document.getElementById('msg-text').focus()`)
		alice.waitJS(t, "blurred while focused", `document.body.classList.contains('wellbeing') && document.activeElement && document.activeElement.id === 'msg-text' && getComputedStyle(document.getElementById('msg-text')).filter.startsWith('blur')`)
		alice.key(t, "p")
		alice.waitJS(t, "revealed", `getComputedStyle(document.getElementById('msg-text')).filter === 'none'`)
		alice.key(t, "p")
		alice.waitJS(t, "blurred again", `getComputedStyle(document.getElementById('msg-text')).filter.startsWith('blur')`)
		alice.key(t, "b")
		alice.key(t, ACTIONKEY(modgate.DecisionApprove))
		ev.wait(t, "modgate.decisions.approve", func(v map[string]any) bool { return v["case_id"] == id })
		alice.settle(t, id)
	})

	// Defect 6: cards in any grouping, landlines, names and addresses are
	// masked for reviewers; a lead unmasks only with a reason, and then the
	// span list shows what the text shows.
	t.Run("masking and the audited unmask", func(t *testing.T) {
		text := "卡号 6222 0212 3456 7890 123，座机 021-63501234，手机 13800138000，联系人：张伟，收货地址：上海市黄浦区南京东路100号"
		id := g.reportAs(t, "wf-pii", "u-pii", "fraud", text)
		g.waitCase(t, tok, id)
		alice.open(t, id)
		shown := alice.text(t, "#msg-text")
		for _, pii := range []string{"0212 3456", "63501234", "0013800", "张伟", "南京东路"} {
			if strings.Contains(shown, pii) {
				t.Errorf("the reviewer sees %q: %q", pii, shown)
			}
		}
		if eval[bool](t, alice, `document.getElementById('unmask') !== null`) {
			t.Error("a reviewer may unmask")
		}
		alice.key(t, "x")
		alice.waitJS(t, "released", `location.hash === '#/queue'`)
		lena.open(t, id)
		lena.click(t, "#unmask")
		lena.waitJS(t, "reason asked", `document.getElementById('unmask-dialog-text') !== null`)
		lena.click(t, "#unmask-dialog-ok")
		lena.waitJS(t, "reason required", `!document.getElementById('unmask-dialog-error').hidden`)
		lena.do(t, "reason", chromedp.SendKeys(chromedp.ID("unmask-dialog-text"), "核实诈骗举报，电话 13800138000"), chromedp.Click(chromedp.ID("unmask-dialog-ok")))
		lena.waitJS(t, "unmasked", `document.getElementById('msg-text').textContent.includes('13800138000')`)
		type span struct {
			Text       string
			Start, End int
		}
		spans := eval[[]span](t, lena, `Array.from(document.querySelectorAll('#match-list li')).map(li => ({Text: li.querySelector('.term').textContent, Start: 0, End: 0}))`)
		full := []rune(lena.text(t, "#msg-text"))
		var cv caseView
		g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
		for i, m := range cv.Case.Verdict.Matches {
			if i < len(spans) && m.End <= len(full) && spans[i].Text != string(full[m.Start:m.End]) {
				t.Errorf("span %d lists %q, the text shows %q", i, spans[i].Text, string(full[m.Start:m.End]))
			}
		}
		if !slices.ContainsFunc(spans, func(s span) bool { return strings.Contains(s.Text, "13800138000") }) {
			t.Errorf("after unmasking the span list still shows masked values: %+v", spans)
		}
		var page struct {
			Events []modgate.AuditEvent `json:"events"`
		}
		g.getJSON(t, "/v1/review/audit?kind=unmask_view", tok, &page)
		if !slices.ContainsFunc(page.Events, func(e modgate.AuditEvent) bool {
			return e.CaseID == id && e.Actor == "lena" && strings.HasPrefix(e.Text, "核实诈骗举报") && !strings.Contains(e.Text, "13800138000")
		}) {
			t.Errorf("no unmask_view with the (masked) reason: %+v", page.Events)
		}
		screenshot(t, lena, "review-unmasked.png")
		lena.key(t, ACTIONKEY(modgate.DecisionApprove))
		ev.wait(t, "modgate.decisions.approve", func(v map[string]any) bool { return v["case_id"] == id })
		lena.settle(t, id)
	})

	// Defect 7 (the deployment's undo window 0): the decision goes at once.
	// Defect 8: a removal without a label is refused before it is sent.
	t.Run("no undo wait, and a label for every violation", func(t *testing.T) {
		id := g.reportAs(t, "wf-label", "u-label", "abuse", "你们都是一群废物")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		for _, cb := range eval[[]string](t, alice, `Array.from(document.querySelectorAll('#labelfix input:checked')).map(i => '#' + i.id)`) {
			alice.click(t, cb)
		}
		alice.key(t, "r")
		alice.waitJS(t, "label required", `!document.getElementById('case-banner').hidden && document.getElementById('case-banner').textContent.includes('标签') && document.getElementById('undo') === null`)
		ev.none(t, "modgate.decisions.remove", id, 1500)
		alice.click(t, "#lf-abuse")
		alice.waitJS(t, "consequence for abuse", `document.getElementById('cq-remove').textContent.includes('记违规')`)
		alice.key(t, "r")
		e := ev.wait(t, "modgate.decisions.remove", func(v map[string]any) bool { return v["case_id"] == id })
		if fmt.Sprint(e["labels"]) != "[abuse]" {
			t.Errorf("labels %v", e["labels"])
		}
		if eval[bool](t, alice, `document.getElementById('undo') !== null`) {
			t.Error("an undo toast with undo 0")
		}
		alice.settle(t, id)
	})

	// Defect 9: at 1366×768 the reports and the sender's record are on
	// the first screen; revisions are short; ages move.
	t.Run("1366x768", func(t *testing.T) {
		alice.do(t, "viewport", chromedp.EmulateViewport(1366, 768))
		defer alice.do(t, "viewport back", chromedp.EmulateReset())
		id := g.reportAs(t, "wf-fold", "u-fold", "ads", "招聘兼职，日结工资，加微信 abc12345 详聊，名额有限")
		for i := 2; i <= 4; i++ {
			g.postJSON(t, "/v1/reports", "", map[string]any{"message_id": "wf-fold", "reporter_id": fmt.Sprintf("r-fold-%d", i), "reason": "ads",
				"tenant": "t1", "sender": map[string]string{"id": "u-fold"}}, nil)
		}
		g.reportAs(t, "wf-fold-2", "u-fold", "ads", "之前的一条广告")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		for _, panel := range []string{"#reports-panel", "#sender-panel", "#act-remove"} {
			if !eval[bool](t, alice, fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().top < window.innerHeight - 40`, panel)) {
				t.Errorf("%s is below the fold at 1366x768", panel)
			}
		}
		if n := eval[int](t, alice, `Math.max(...Array.from(document.querySelectorAll('.rev code')).map(c => c.textContent.length))`); n > 8 {
			t.Errorf("revisions shown with %d characters", n)
		}
		if !eval[bool](t, alice, `document.documentElement.scrollWidth <= window.innerWidth`) {
			t.Error("horizontal overflow at 1366")
		}
		before := alice.text(t, ".case-age")
		time.Sleep(2100 * time.Millisecond)
		if after := alice.text(t, ".case-age"); after == before {
			t.Errorf("the age stays %q", after)
		}
		screenshot(t, alice, "review-case-1366.png")
		alice.click(t, "#release")
		alice.waitJS(t, "released", `location.hash === '#/queue'`)
		g.drain(t)
	})

	// Defect 10: search (fields, masked text), paging with totals, the
	// sender's page, my decisions and taking one back.
	t.Run("search, sender page, my decisions", func(t *testing.T) {
		var ids []string
		for i := 0; i < 55; i++ {
			ids = append(ids, g.reportAs(t, fmt.Sprintf("wf-s-%02d", i), "u-search", "ads", fmt.Sprintf("第%d条 代开发票 电话13912345678", i)))
		}
		g.waitCase(t, tok, ids[54])
		testkit.Eventually(t, "indexed", 30*time.Second, func() bool {
			var r review.SearchResult
			g.getJSON(t, "/v1/review/search?sender=u-search", tok, &r)
			return r.Total == 55
		})
		alice.goTo(t, "#/search", `document.getElementById('s-q') !== null`)
		alice.do(t, "search by sender", chromedp.SendKeys(chromedp.ID("s-sender"), "u-search"), chromedp.SendKeys(chromedp.ID("s-q"), "代开发票\n"))
		alice.waitJS(t, "results", `document.getElementById('search-total') !== null && document.getElementById('search-total').textContent.includes('55')`)
		if n := eval[int](t, alice, `document.querySelectorAll('#search-table tbody tr').length`); n != 50 {
			t.Errorf("%d rows on page 1", n)
		}
		screenshot(t, alice, "review-search.png")
		alice.key(t, "]")
		alice.waitJS(t, "page 2", `document.querySelectorAll('#search-table tbody tr').length === 5 && document.getElementById('search-pager').textContent.includes('51')`)
		// Masked text only: the phone number is not searchable.
		alice.goTo(t, "#/search?q=13912345678", `document.getElementById('search-total') !== null`)
		if got := alice.text(t, "#search-total"); !strings.Contains(got, "0") {
			t.Errorf("searching a masked phone number: %q", got)
		}
		// The sender's page.
		alice.goTo(t, "#/sender/t1/u-search", `document.getElementById('sender-total') !== null`)
		if got := alice.text(t, "#sender-total"); !strings.Contains(got, "55") {
			t.Errorf("sender page total %q", got)
		}
		// Decide one, find it in my decisions, take it back.
		alice.open(t, ids[0])
		alice.key(t, ACTIONKEY(modgate.DecisionApprove))
		ev.wait(t, "modgate.decisions.approve", func(v map[string]any) bool { return v["case_id"] == ids[0] })
		alice.settle(t, ids[0])
		at := g.apiToken(t, "alice")
		testkit.Eventually(t, "in my decisions", 30*time.Second, func() bool {
			var r review.SearchResult
			g.getJSON(t, "/v1/review/my-decisions", at, &r)
			return slices.ContainsFunc(r.Cases, func(c modgate.CaseSummary) bool { return c.ID == ids[0] })
		})
		alice.goTo(t, "#/mine", fmt.Sprintf(`document.querySelector('#mine-table tr[data-id="%s"] .reverse-btn') !== null`, ids[0]))
		screenshot(t, alice, "review-mine.png")
		alice.click(t, fmt.Sprintf(`#mine-table tr[data-id="%s"] .reverse-btn`, ids[0]))
		alice.waitJS(t, "reason asked", `document.getElementById('reverse-dialog-text') !== null`)
		alice.do(t, "reason", chromedp.SendKeys(chromedp.ID("reverse-dialog-text"), "看错了，是广告"), chromedp.Click(chromedp.ID("reverse-dialog-ok")))
		e := ev.wait(t, "modgate.decisions.reversed", func(v map[string]any) bool { return v["case_id"] == ids[0] })
		if e["kind"] != modgate.ReversalReviewer || e["action"] != modgate.DecisionApprove {
			t.Errorf("reversal %v", e)
		}
		alice.waitJS(t, "the case is hers again", fmt.Sprintf(`location.hash === '#/case/%s' && document.getElementById('case-state').textContent === '处理中' && !document.getElementById('act-remove').disabled`, ids[0]))
		alice.key(t, "x")
		alice.waitJS(t, "released", `location.hash === '#/queue'`)
		g.drain(t)
	})

	// Defect 11: the gateway serves its built-in rules: the policy view
	// offers no upload it cannot accept, says why in Chinese, and shows
	// the serving files.
	t.Run("policy view with built-in rules", func(t *testing.T) {
		ada := newBrowser(t, exe)
		ada.login(t, g, "ada")
		ada.key(t, "3")
		ada.waitJS(t, "embedded notice", `document.getElementById('pol-embedded') !== null && document.getElementById('pol-file') === null`)
		if got := ada.text(t, "#pol-embedded"); !strings.Contains(got, "内置") || !strings.Contains(got, "--policy-dir") {
			t.Errorf("notice %q", got)
		}
		ada.click(t, `#pol-file-list button[data-file="discipline.rego"]`)
		ada.waitJS(t, "file shown", `document.getElementById('pol-file-text') !== null && document.getElementById('pol-file-text').textContent.includes('consequence')`)
	})

	// Appeals: the decider cannot review them; another reviewer overturns,
	// the platform hears it and the strike goes.
	t.Run("appeals", func(t *testing.T) {
		g.drain(t)
		id := g.reportAs(t, "wf-appeal", "u-appeal", "abuse", "他说的都是骗人的，大家小心")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		alice.key(t, "r")
		ev.wait(t, "modgate.decisions.remove", func(v map[string]any) bool { return v["case_id"] == id })
		alice.settle(t, id)
		var sr StrikesLike
		g.getJSON(t, "/v1/review/members/strikes?tenant=t1&sender=u-appeal", tok, &sr)
		if sr.Violations.Count != 1 {
			t.Fatalf("strikes before the appeal: %+v", sr)
		}
		var ar struct{ Lane string }
		if st := g.postJSON(t, "/v1/appeals", "", map[string]string{"case_id": id, "reason": "我是在提醒大家注意诈骗，不是辱骂", "appellant_id": "u-appeal"}, &ar); st != 201 || ar.Lane != modgate.LaneAppeals {
			t.Fatalf("appeal: %d %+v", st, ar)
		}
		alice.goTo(t, "#/queue", `document.getElementById('next-case') !== null`)
		alice.key(t, "n")
		alice.waitJS(t, "nothing for alice", `document.getElementById('toast').textContent.includes('队列为空')`)
		bob.goTo(t, "#/queue", `document.getElementById('next-case') !== null`)
		bob.key(t, "n")
		if got := caseInView(t, bob); got != id {
			t.Fatalf("bob opened %s, want the appeal %s", got, id)
		}
		bob.waitJS(t, "appeal panel", `document.getElementById('appeal-panel') !== null && document.getElementById('appeal-reason').textContent.includes('提醒') && document.getElementById('act-overturn') !== null && document.getElementById('act-remove') === null`)
		screenshot(t, bob, "review-appeal.png")
		bob.key(t, ACTIONKEY(modgate.AppealOverturn))
		bob.waitJS(t, "confirm", `document.getElementById('confirm-yes') !== null`)
		bob.key(t, "y")
		e := ev.wait(t, "modgate.decisions.reversed", func(v map[string]any) bool { return v["case_id"] == id })
		if e["kind"] != modgate.ReversalAppeal || e["strike_removed"] != true {
			t.Errorf("reversal %v", e)
		}
		ev.wait(t, "modgate.appeals.overturned", func(v map[string]any) bool { return v["case_id"] == id })
		bob.settle(t, id)
		g.getJSON(t, "/v1/review/members/strikes?tenant=t1&sender=u-appeal", tok, &sr)
		if sr.Violations.Count != 0 {
			t.Errorf("strikes after the overturn: %+v", sr)
		}
	})

	// Escalation: l sends the case to the leads with a note; reviewers do
	// not get it, a lead does.
	t.Run("escalation", func(t *testing.T) {
		g.drain(t)
		id := g.reportAs(t, "wf-esc", "u-esc", "fraud", "内部渠道，原始股认购，月息三分，加微信详谈")
		g.waitCase(t, tok, id)
		alice.goTo(t, "#/queue", `document.getElementById('next-case') !== null`)
		alice.key(t, "?")
		alice.waitJS(t, "help lists l", `Array.from(document.querySelectorAll('#help kbd')).some(k => k.textContent === 'l')`)
		alice.key(t, kb.Escape)
		alice.open(t, id)
		alice.key(t, "l")
		alice.waitJS(t, "note asked", `document.getElementById('escalate-dialog-text') !== null`)
		alice.do(t, "note", chromedp.SendKeys(chromedp.ID("escalate-dialog-text"), "疑似非法集资，需组长判断"), chromedp.Click(chromedp.ID("escalate-dialog-ok")))
		testkit.Eventually(t, "escalated", 30*time.Second, func() bool {
			var cv caseView
			g.getJSON(t, "/v1/review/cases/"+id, tok, &cv)
			return cv.Case.Lane == modgate.LaneEscalated && cv.Case.State == modgate.CaseOpen
		})
		// A reviewer's n never gives it; a direct claim is refused.
		bob.goTo(t, "#/queue", `document.getElementById('next-case') !== null`)
		bob.key(t, "n")
		bob.waitJS(t, "bob's n", `document.getElementById('toast').textContent.includes('队列为空') || location.hash.startsWith('#/case/')`)
		if h := eval[string](t, bob, `location.hash`); h == "#/case/"+id {
			t.Fatalf("bob got the escalated case")
		} else if strings.HasPrefix(h, "#/case/") {
			bob.key(t, "x")
		}
		if st := g.postJSON(t, "/v1/review/cases/"+id+"/claim", g.apiToken(t, "bob"), map[string]any{}, nil); st != 403 {
			t.Errorf("bob's direct claim of an escalated case: %d", st)
		}
		lena.goTo(t, "#/queue", fmt.Sprintf(`document.querySelector('.lane[data-lane="escalated"] .lane-depth') !== null && document.querySelector('.lane[data-lane="escalated"] .lane-depth').textContent === '1'`))
		lena.key(t, "n")
		if got := caseInView(t, lena); got != id {
			t.Fatalf("lena opened %s", got)
		}
		lena.waitJS(t, "escalation note", `document.getElementById('escalation-panel') !== null && document.getElementById('escalation-panel').textContent.includes('非法集资')`)
		lena.remove(t)
		ev.wait(t, "modgate.decisions.remove", func(v map[string]any) bool { return v["case_id"] == id && v["reviewer"] == "lena" })
		lena.settle(t, id)
	})

	// Bulk: a lead picks search results, sees what the decision would do
	// (a dry run), confirms; each decision is audited.
	t.Run("bulk decision", func(t *testing.T) {
		g.drain(t)
		var ids []string
		for i := 0; i < 3; i++ {
			ids = append(ids, g.reportAs(t, fmt.Sprintf("wf-bulk-%d", i), fmt.Sprintf("u-bulk-%d", i), "ads", fmt.Sprintf("刷单返利 %d 加微信 bulk%d", i, i)))
		}
		testkit.Eventually(t, "indexed", 30*time.Second, func() bool {
			var r review.SearchResult
			g.getJSON(t, "/v1/review/search?q="+url.QueryEscape("刷单返利"), tok, &r)
			return r.Total == 3
		})
		lena.goTo(t, "#/search?q="+url.QueryEscape("刷单返利"), `document.getElementById('pick-all') !== null`)
		lena.click(t, "#pick-all")
		lena.waitJS(t, "3 picked", `document.getElementById('bulk-count').textContent.includes('3') && !document.getElementById('bulk-go').disabled`)
		lena.click(t, "#bl-ads")
		lena.click(t, "#bulk-go")
		lena.waitJS(t, "dry run", `document.getElementById('bulk-summary') !== null && document.getElementById('bulk-summary').textContent.includes('3 个会移出成员')`)
		screenshot(t, lena, "review-bulk.png")
		lena.key(t, "y")
		seen := map[string]bool{}
		ev.wait(t, "modgate.decisions.remove", func(v map[string]any) bool {
			if id, _ := v["case_id"].(string); v["reviewer"] == "lena" && slices.Contains(ids, id) {
				seen[id] = true
			}
			return len(seen) == len(ids)
		})
		lena.waitJS(t, "done", `document.getElementById('toast').textContent.includes('3 / 3')`)
		testkit.Eventually(t, "each audited", 30*time.Second, func() bool {
			var page struct {
				Events []modgate.AuditEvent `json:"events"`
			}
			g.getJSON(t, "/v1/review/audit?kind=decision,bulk_decision", tok, &page)
			n, bulk := 0, 0
			for _, e := range page.Events {
				if e.Kind == modgate.AuditDecision && e.Detail["bulk"] == "true" && slices.Contains(ids, e.CaseID) {
					n++
				}
				if e.Kind == modgate.AuditBulkDecision && e.Actor == "lena" {
					bulk++
				}
			}
			return n == 3 && bulk >= 1
		})
	})

	// Team notes and tags: written by one reviewer, seen by another (and in
	// the history), never sent to the platform.
	t.Run("team notes and tags", func(t *testing.T) {
		g.drain(t)
		id := g.reportAs(t, "wf-notes", "u-notes", "ads", "高价回收微信号，加我 vx: abc12345")
		g.waitCase(t, tok, id)
		alice.open(t, id)
		alice.key(t, "N")
		alice.do(t, "note", chromedp.SendKeys(chromedp.ID("team-note"), "与昨天的回收号团伙同一话术"))
		alice.click(t, "#team-note-add")
		alice.waitJS(t, "note listed", `document.getElementById('team-notes') !== null && document.getElementById('team-notes').textContent.includes('回收号团伙')`)
		alice.do(t, "tags", chromedp.SetValue(chromedp.ID("tags-input"), "回收号团伙, 待复核"))
		alice.click(t, "#tags-save")
		alice.waitJS(t, "tags saved", `document.getElementById('history').textContent.includes('标签')`)
		alice.key(t, "x")
		alice.waitJS(t, "released", `location.hash === '#/queue'`)
		testkit.Eventually(t, "tag indexed", 30*time.Second, func() bool {
			var r review.SearchResult
			g.getJSON(t, "/v1/review/search?tag="+url.QueryEscape("回收号团伙"), tok, &r)
			return r.Total == 1
		})
		bob.goTo(t, "#/search?tag="+url.QueryEscape("回收号团伙"), fmt.Sprintf(`document.querySelector('#search-table tr[data-id="%s"]') !== null`, id))
		bob.click(t, fmt.Sprintf(`#search-table tr[data-id="%s"] a.open-case`, id))
		bob.waitJS(t, "note seen", `document.getElementById('team-notes') !== null && document.getElementById('team-notes').textContent.includes('alice') && document.getElementById('history').textContent.includes('团队备注')`)
		bob.key(t, "c")
		bob.waitJS(t, "claimed", `document.querySelector('.lease:not(.none)') !== null`)
		bob.remove(t)
		e := ev.wait(t, "modgate.decisions.remove", func(v map[string]any) bool { return v["case_id"] == id })
		if b, _ := json.Marshal(e); strings.Contains(string(b), "回收号团伙") {
			t.Errorf("a team note or tag reached the platform: %s", b)
		}
		bob.settle(t, id)
	})

	// Defect 12: every decision button's text has at least 4.5:1 contrast.
	// And the speed: decide key → next case drawn, undo window 0.
	t.Run("contrast and decide-to-next", func(t *testing.T) {
		g.drain(t)
		const n = 16
		for i := 0; i < n; i++ {
			g.reportAs(t, fmt.Sprintf("wf-speed-%02d", i), fmt.Sprintf("u-speed-%d", i), "abuse", fmt.Sprintf("速度测试消息 %d：你真是个笨蛋", i))
		}
		testkit.Eventually(t, "cases", 30*time.Second, func() bool {
			var l struct{ Total int }
			g.getJSON(t, "/v1/review/cases?state=open", tok, &l)
			return l.Total >= n
		})
		alice.goTo(t, "#/queue", `document.getElementById('next-case') !== null`)
		eval[any](t, alice, `performance.clearMeasures('mg-decide-to-next')`)
		alice.key(t, "n")
		first := caseInView(t, alice)
		type contrast struct {
			ID    string
			Ratio float64
		}
		cs := eval[[]contrast](t, alice, `(() => {
			const lum = c => { const m = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; };
			const bg = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; if (!/rgba\(.*, 0\)$/.test(c) && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
			return Array.from(document.querySelectorAll('.actions button .act-name')).map(el => { const a = lum(getComputedStyle(el).color), b = lum(bg(el)); return {ID: el.parentElement.id, Ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)}; });
		})()`)
		for _, c := range cs {
			if c.Ratio < 4.5 {
				t.Errorf("%s: contrast %.2f:1, want at least 4.5:1", c.ID, c.Ratio)
			}
		}
		seen := map[string]bool{first: true}
		cur := first
		for i := 0; i < n-1; i++ {
			alice.key(t, ACTIONKEY(modgate.DecisionApprove))
			alice.waitJS(t, "next case", fmt.Sprintf(`location.hash.startsWith('#/case/') && location.hash !== '#/case/%s' && document.querySelector('.lease:not(.none)') !== null`, cur))
			cur = caseInView(t, alice)
			if seen[cur] {
				t.Fatalf("case %s came twice", cur)
			}
			seen[cur] = true
		}
		ms := eval[[]float64](t, alice, `performance.getEntriesByName('mg-decide-to-next').map(e => e.duration)`)
		if len(ms) < n-2 {
			t.Fatalf("%d measures for %d decisions", len(ms), n-1)
		}
		sort.Float64s(ms)
		t.Logf("decide key → next case drawn, undo 0, %d decisions: median %.0f ms, min %.0f, max %.0f", len(ms), ms[len(ms)/2], ms[0], ms[len(ms)-1])
		alice.key(t, ACTIONKEY(modgate.DecisionApprove))
		alice.settle(t, cur)
	})
}

// StrikesLike is GET /v1/review/members/strikes.
type StrikesLike struct {
	Violations modgate.Violations `json:"violations"`
}

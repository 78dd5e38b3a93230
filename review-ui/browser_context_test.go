package reviewui

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/modgate/modgate"
)

// A contact split across three messages becomes a case whose view shows
// the group's messages around it: the two earlier parts marked with their
// matched spans, the case's own message in bold, hostile text as text, and
// the earlier parts' spans never drawn onto the case's own text.
func TestBrowserConversationContext(t *testing.T) {
	exe := needChromium(t)
	g := startGateway(t)
	tok := g.apiToken(t, "lena")
	send := func(id, sender, text string) modgate.Verdict {
		t.Helper()
		m := modgate.Message{ID: id, Text: text, Tenant: "t1", Sender: modgate.Sender{ID: sender}, Group: modgate.Group{ID: "g-ctx", Kind: "personal"}}
		var v modgate.Verdict
		if st := g.postJSON(t, "/v1/screen", "", m, &v); st != 200 {
			t.Fatalf("screen %s: status %d", id, st)
		}
		return v
	}
	send("x-0", "u-other", `<img src=x onerror="document.title='pwned'">大家好`)
	send("x-1", "u-split", "加")
	send("x-2", "u-split", "V")
	v := send("x-3", "u-split", "kk99001 领福利")
	if v.Action != modgate.ActionReview || v.CaseID == "" {
		t.Fatalf("the joined contact: %s %v", v.Action, v.Reasons)
	}
	g.waitCase(t, tok, v.CaseID)

	b := newBrowser(t, exe)
	b.login(t, g, "alice")
	b.do(t, "open the case", chromedp.Navigate(g.URL+"/review/#/case/"+v.CaseID))
	b.waitJS(t, "the context panel", `document.querySelectorAll('#context tr').length === 4`)
	rows := eval[[]string](t, b, `Array.from(document.querySelectorAll('#context tr')).map(r => r.dataset.id + ':' + r.className)`)
	want := []string{"x-0:", "x-1:ctx-assembling", "x-2:ctx-assembling", "x-3:ctx-current"}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("context rows %v, want %v", rows, want)
	}
	if got := eval[[]string](t, b, `Array.from(document.querySelectorAll('#context tr.ctx-assembling mark')).map(m => m.textContent)`); fmt.Sprint(got) != "[加 V]" {
		t.Fatalf("marked spans of the earlier messages %v, want [加 V]", got)
	}
	if !eval[bool](t, b, `document.querySelector('#context tr.ctx-current strong') !== null && document.querySelector('#context .notice') !== null`) {
		t.Fatal("the case's own message is not bold, or the panel does not say messages were joined")
	}
	// Hostile text is text.
	if eval[bool](t, b, `document.querySelector('#context img') !== null || document.title === 'pwned'`) {
		t.Fatal("a message in the context was rendered as HTML")
	}
	if !eval[bool](t, b, `document.querySelector('#context tr[data-id="x-0"]').textContent.includes('<img src=x')`) {
		t.Fatal("the hostile message is not shown as text")
	}
	// The earlier messages' spans (offsets into their own text) are not
	// listed or drawn as spans of this message.
	own, earlier := 0, 0
	for _, m := range v.Matches {
		if m.MessageID == "" {
			own++
		} else {
			earlier++
		}
	}
	if got := eval[int](t, b, `document.querySelectorAll('#match-list li').length`); earlier == 0 || got != own {
		t.Fatalf("match list has %d entries; the verdict has %d of its own and %d of earlier messages", got, own, earlier)
	}
	screenshot(t, b, "review-context.png")
}

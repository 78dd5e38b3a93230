package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/testkit"
)

// convVerdict is the part of a /v1/screen answer the conversation tests
// read.
type convVerdict struct {
	Action       string           `json:"action"`
	Labels       []string         `json:"labels"`
	Reasons      []modgate.Reason `json:"reasons"`
	Matches      []modgate.Match  `json:"matches"`
	CaseID       string           `json:"case_id"`
	Conversation string           `json:"conversation"`
}

func (v convVerdict) rules() []string {
	out := make([]string, 0, len(v.Reasons))
	for _, r := range v.Reasons {
		out = append(out, r.Rule)
	}
	return out
}

func (v convVerdict) reason(rule string) string {
	for _, r := range v.Reasons {
		if r.Rule == rule {
			return r.Message
		}
	}
	return ""
}

// earlierIDs lists the message ids the verdict's matches name.
func (v convVerdict) earlierIDs() []string {
	var ids []string
	for _, m := range v.Matches {
		if m.MessageID != "" && !slices.Contains(ids, m.MessageID) {
			ids = append(ids, m.MessageID)
		}
	}
	slices.Sort(ids)
	return ids
}

// convMsg is one chat message of a test conversation.
type convMsg struct{ id, sender, group, text string }

func screenConv(t *testing.T, m *Main, msg convMsg, extra map[string]any) convVerdict {
	t.Helper()
	body := map[string]any{"id": msg.id, "text": msg.text, "tenant": "t1",
		"sender": map[string]any{"id": msg.sender, "account_age_days": 400}, "group": map[string]any{"id": msg.group, "kind": "personal"}}
	for k, v := range extra {
		body[k] = v
	}
	r := gwDo(t, "POST", "http://"+m.Addr()+"/v1/screen", "", "application/json", gwJSON(body))
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", msg.id, r.Status, r.Body)
	}
	var v convVerdict
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestConversationOverHTTP drives one gateway the way a chat platform
// does: a contact split across three messages, benign sequences and
// replies, the same ad posted in six groups, a member flooding a group.
func TestConversationOverHTTP(t *testing.T) {
	m := gwStart(t, gwConfig(t))

	t.Run("split contact", func(t *testing.T) {
		parts := []convMsg{{"s-1", "u-spam", "g-1", "加"}, {"s-2", "u-spam", "g-1", "V"}, {"s-3", "u-spam", "g-1", "kk99001 领福利"}}
		var v convVerdict
		for i, p := range parts {
			v = screenConv(t, m, p, nil)
			if i < 2 && v.Action != modgate.ActionAllow {
				t.Fatalf("%s alone: %s %v (earlier verdicts must not change)", p.text, v.Action, v.rules())
			}
		}
		if v.Action != modgate.ActionReview || !slices.Contains(v.Labels, modgate.LabelContact) {
			t.Fatalf("third part: %s %v %v, want review with contact", v.Action, v.Labels, v.rules())
		}
		if got := v.earlierIDs(); !slices.Equal(got, []string{"s-1", "s-2"}) {
			t.Fatalf("matches name earlier messages %v, want [s-1 s-2]: %+v", got, v.Matches)
		}
		if msg := v.reason("conversation.split"); !strings.Contains(msg, "s-1") || !strings.Contains(msg, "s-2") {
			t.Fatalf("split reason %q, reasons %v", msg, v.rules())
		}
		for _, mt := range v.Matches {
			if mt.MessageID == "s-2" && mt.Text != "V" {
				t.Fatalf("match in s-2 has text %q, want V (its span in that message)", mt.Text)
			}
		}
		// The case shows the whole sequence, the assembling messages marked.
		var c *modgate.Case
		testkit.Eventually(t, "the case", 10*time.Second, func() bool {
			var err error
			c, err = m.Queue.Get(context.Background(), v.CaseID)
			return err == nil
		})
		var ids []string
		for _, x := range c.Context {
			ids = append(ids, x.ID)
			if (x.ID == "s-1" || x.ID == "s-2") != x.Assembling {
				t.Fatalf("context message %s assembling=%v", x.ID, x.Assembling)
			}
		}
		if len(c.Context) < 3 || !c.Context[len(c.Context)-1].Current || c.Context[len(c.Context)-1].ID != "s-3" {
			t.Fatalf("case context %+v", c.Context)
		}
		if !slices.Contains(ids, "s-1") || !slices.Contains(ids, "s-2") {
			t.Fatalf("case context ids %v", ids)
		}
	})

	t.Run("phone number split across messages stays masked", func(t *testing.T) {
		parts := []convMsg{{"p-1", "u-phone", "g-2", "加我"}, {"p-2", "u-phone", "g-2", "1380013"}, {"p-3", "u-phone", "g-2", "8000"}}
		var v convVerdict
		for _, p := range parts {
			v = screenConv(t, m, p, nil)
		}
		if v.Action == modgate.ActionAllow || !slices.Contains(v.earlierIDs(), "p-2") {
			t.Fatalf("assembled phone: %s %v %+v", v.Action, v.rules(), v.Matches)
		}
		for _, mt := range v.Matches {
			if mt.Subcategory == "phone" && strings.ContainsAny(mt.Text, "0123456789") {
				t.Fatalf("a piece of the phone number is not masked: %+v", mt)
			}
		}
		var c *modgate.Case
		testkit.Eventually(t, "the case", 10*time.Second, func() bool {
			var err error
			c, err = m.Queue.Get(context.Background(), v.CaseID)
			return err == nil
		})
		for _, x := range c.Context {
			if x.ID == "p-2" && (x.Text != "*******" || !x.Assembling) {
				t.Fatalf("the case shows the phone fragment as %+v", x)
			}
		}
	})

	t.Run("benign sequences and replies stay allowed", func(t *testing.T) {
		seqs := [][]string{
			{"好", "的", "明天见"},
			{"哈哈", "笑死", "太好玩了"},
			{"微信", "群", "里说"},
			{"加", "油", "明天比赛加油"},
			{"可以", "加我", "一下吗"},
			{"我", "在", "加班到八点"},
		}
		for i, seq := range seqs {
			for j, text := range seq {
				msg := convMsg{fmt.Sprintf("b-%d-%d", i, j), fmt.Sprintf("u-b%d", i), "g-benign", text}
				var extra map[string]any
				if j > 0 {
					extra = map[string]any{"context": map[string]any{"reply_to": fmt.Sprintf("other-%d", j)}}
				}
				if v := screenConv(t, m, msg, extra); v.Action != modgate.ActionAllow || len(v.earlierIDs()) > 0 {
					t.Fatalf("%v, message %q: %s %v %+v", seq, text, v.Action, v.rules(), v.Matches)
				}
			}
		}
	})

	t.Run("same ad in six groups", func(t *testing.T) {
		const ad = "我们的新品到货了，喜欢的朋友可以看看，微信下单"
		for g := 1; g <= 6; g++ {
			v := screenConv(t, m, convMsg{fmt.Sprint("ad-", g), fmt.Sprint("u-ad", g), fmt.Sprint("ad-group-", g), ad}, nil)
			has := slices.Contains(v.rules(), "flood.cross_group")
			switch {
			case g < 5 && has:
				t.Fatalf("group %d: flood already: %v", g, v.rules())
			case g >= 5 && !has:
				t.Fatalf("group %d: no flood reason: %s %v", g, v.Action, v.rules())
			case g == 5 && !strings.Contains(v.reason("flood.cross_group"), "5 个群"):
				t.Fatalf("flood reason %q does not name the count", v.reason("flood.cross_group"))
			case g >= 5 && v.Action != modgate.ActionReview:
				t.Fatalf("group %d: %s", g, v.Action)
			}
		}
		// A near duplicate (another number, one word changed) counts too.
		v := screenConv(t, m, convMsg{"ad-7", "u-ad7", "ad-group-7", "我们的新品到货啦，喜欢的朋友可以看看，微信下单"}, nil)
		if reason := v.reason("flood.cross_group"); !strings.Contains(reason, "7 个群") {
			t.Fatalf("near duplicate: %v %q", v.rules(), reason)
		}
	})

	t.Run("member floods a group", func(t *testing.T) {
		var v convVerdict
		for i := 1; i <= 20; i++ {
			v = screenConv(t, m, convMsg{fmt.Sprint("fl-", i), "u-flood", "g-flood", fmt.Sprintf("第%d条：大家快来看看这个", i)}, nil)
			if i < 20 && slices.Contains(v.rules(), "velocity.group_flood") {
				t.Fatalf("message %d already flagged", i)
			}
		}
		if v.Action != modgate.ActionReview || !strings.Contains(v.reason("velocity.group_flood"), "20 条") {
			t.Fatalf("20th message in a minute: %s %v", v.Action, v.rules())
		}
	})
}

// TestConversationTwoReplicas: one group's messages alternate between two
// gateways on one NATS server and still assemble; a subject-data deletion
// on one replica empties the other's view too.
func TestConversationTwoReplicas(t *testing.T) {
	cfg1 := gwConfig(t)
	a := gwStart(t, cfg1)
	cfg2 := gwConfig(t)
	cfg2.NATSURL = a.NATSURL()
	b := gwStart(t, cfg2)

	parts := []convMsg{{"r-1", "u-x", "g-x", "加"}, {"r-2", "u-x", "g-x", "微"}, {"r-3", "u-x", "g-x", "信 kk99001 了解详情"}}
	gws := []*Main{a, b, a}
	var v convVerdict
	for i, p := range parts {
		v = screenConv(t, gws[i], p, nil)
		if i < 2 {
			// The other replica sees it within milliseconds.
			next := gws[i+1]
			testkit.Eventually(t, "the other replica to see "+p.id, 5*time.Second, func() bool { return next.Convo.Has("t1", "g-x", p.id) })
		}
	}
	if v.Action != modgate.ActionReview || !slices.Equal(v.earlierIDs(), []string{"r-1", "r-2"}) {
		t.Fatalf("assembled across replicas: %s %v %+v", v.Action, v.rules(), v.Matches)
	}

	// PIPL: deleting the sender's data purges the window on both replicas.
	n, err := b.Queue.DeleteSubject(context.Background(), "admin", "u-x")
	if err != nil {
		t.Fatal(err)
	}
	if n["window_records"] != 3 {
		t.Fatalf("deleted %v, want 3 window records", n)
	}
	testkit.Eventually(t, "both replicas to forget u-x", 5*time.Second, func() bool {
		return !a.Convo.Has("t1", "g-x", "r-1") && !b.Convo.Has("t1", "g-x", "r-1") && !a.Convo.Has("t1", "g-x", "r-3")
	})
	for _, m := range []*Main{a, b} {
		for _, c := range m.Convo.Window(&modgate.Message{Tenant: "t1", Group: modgate.Group{ID: "g-x"}}) {
			if c.SenderID == "u-x" {
				t.Fatalf("window still holds %+v", c)
			}
		}
	}
}

// TestConversationNATSOutage: without NATS the gateway screens message by
// message, says so in the verdict and in /readyz, and uses the window
// again once NATS is back.
func TestConversationNATSOutage(t *testing.T) {
	srv, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	cfg := gwConfig(t)
	cfg.NATSURL = srv.ClientURL()
	cfg.EscalationTimeout = Duration(300 * time.Millisecond)
	m := gwStart(t, cfg)

	if v := screenConv(t, m, convMsg{"o-0", "u-o", "g-o", "今天天气不错"}, nil); v.Conversation != "" {
		t.Fatalf("conversation = %q with NATS up", v.Conversation)
	}
	srv.Shutdown()
	testkit.Eventually(t, "the gateway to notice", 10*time.Second, func() bool { return !m.Convo.Available() })
	parts := []convMsg{{"o-1", "u-o", "g-o", "加"}, {"o-2", "u-o", "g-o", "V"}, {"o-3", "u-o", "g-o", "kk99001 领福利"}}
	for _, p := range parts {
		v := screenConv(t, m, p, nil)
		if v.Conversation != modgate.ConversationUnavailable || v.Action != modgate.ActionAllow {
			t.Fatalf("%s during the outage: %s conversation=%q %v", p.id, v.Action, v.Conversation, v.rules())
		}
	}
	r := gwDo(t, "GET", "http://"+m.Addr()+"/readyz", "", "", nil)
	if !strings.Contains(string(r.Body), "conversation window is unavailable") {
		t.Fatalf("readyz during the outage: %s", r.Body)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the window to come back", 20*time.Second, func() bool { return m.Convo.Available() })
	if v := screenConv(t, m, convMsg{"o-4", "u-o", "g-o", "好的"}, nil); v.Conversation != "" {
		t.Fatalf("conversation = %q after NATS came back", v.Conversation)
	}
}

package api

import (
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// TestReviewMeta: the UI's labels, lanes (with the configured SLA) and
// decision keys come from Go, not from a copy in the app.
func TestReviewMeta(t *testing.T) {
	e := newReviewEnv(t, review.Config{SLA: map[string]time.Duration{modgate.LaneHigh: 7 * time.Minute}})
	if r := e.do(t, "GET", "/v1/review/meta", "", nil); r.status != 401 {
		t.Fatalf("meta without a session: %d, want 401", r.status)
	}
	tok := e.login(t, "alice").Token
	r := e.do(t, "GET", "/v1/review/meta", tok, nil)
	if r.status != 200 {
		t.Fatalf("meta: %d %s", r.status, r.body)
	}
	var m ReviewMeta
	r.decode(t, &m)
	if len(m.Labels) != len(modgate.Labels) {
		t.Fatalf("labels %v, want %v", m.Labels, modgate.Labels)
	}
	for i, l := range m.Labels {
		if l.Name != modgate.Labels[i] || l.Colour == "" || l.Zh == "" || l.En == "" {
			t.Errorf("label %d = %+v", i, l)
		}
	}
	if len(m.Lanes) != len(modgate.Lanes) {
		t.Fatalf("lanes %v, want %v", m.Lanes, modgate.Lanes)
	}
	for i, l := range m.Lanes {
		want := int64(modgate.LaneSpecs[i].SLA / time.Second)
		if l.Name == modgate.LaneHigh {
			want = 7 * 60
		}
		if l.Name != modgate.Lanes[i] || l.SLASeconds != want {
			t.Errorf("lane %d = %+v, want %s with SLA %ds", i, l, modgate.Lanes[i], want)
		}
	}
	keys := map[string]bool{}
	for _, a := range m.Actions {
		if !(modgate.IsDecisionAction(a.Action) && !a.Appeal || modgate.IsAppealAction(a.Action) && a.Appeal) || a.Key == "" || keys[a.Key] {
			t.Errorf("action %+v: unknown action, empty or repeated key", a)
		}
		keys[a.Key] = true
	}
	if len(m.Actions) != len(modgate.DecisionActions)+len(modgate.AppealActions) {
		t.Errorf("actions %v, want one per decision action %v and appeal outcome %v", m.Actions, modgate.DecisionActions, modgate.AppealActions)
	}
}

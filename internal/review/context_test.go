package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// TestCaseKeepsConversationContext: the window the gateway sends with an
// escalation is stored with the case, bounded and cleaned, also when the
// case is too large for one KV value.
func TestCaseKeepsConversationContext(t *testing.T) {
	nc := connect(t, startNATS(t, t.TempDir()))
	cfg := testConfig()
	cfg.MaxCaseBytes = 6 << 10
	q := openQueue(t, nc, cfg)
	ctx := context.Background()
	now := time.Now().UTC()
	var win []modgate.ContextMessage
	for i := 0; i < 60; i++ {
		win = append(win, modgate.ContextMessage{ID: fmt.Sprintf("w-%d", i), SenderID: "u-9", At: now.Add(time.Duration(i-60) * time.Second),
			Text: "好", Action: modgate.ActionAllow})
	}
	win[58].Text, win[58].Assembling = "加", true
	win[57].Text = strings.Repeat("长", 3000) + "\xff"
	win = append(win, modgate.ContextMessage{ID: "m-ctx", SenderID: "u-9", At: now, Text: "V kk99001", Action: modgate.ActionReview, Current: true})

	tests := []struct {
		name string
		text string // the message text (long: the case is split)
	}{
		{"small case", "V kk99001"},
		{"split case", strings.Repeat("很长的文字", 800)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			esc := escalation(100+i, modgate.LaneNormal)
			esc.Message.Text = tc.text
			esc.Context = win
			if _, err := q.Enqueue(ctx, esc); err != nil {
				t.Fatal(err)
			}
			c, err := q.Get(ctx, esc.CaseID)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Context) != maxContextMessages {
				t.Fatalf("context has %d messages, want the newest %d", len(c.Context), maxContextMessages)
			}
			last := c.Context[len(c.Context)-1]
			if last.ID != "m-ctx" || !last.Current || c.Context[0].ID != "w-11" {
				t.Fatalf("context kept %s … %+v", c.Context[0].ID, last)
			}
			for _, m := range c.Context {
				if !utf8.ValidString(m.Text) || len(m.Text) > maxContextText {
					t.Fatalf("context text not cleaned: %d bytes", len(m.Text))
				}
				switch m.ID {
				case "w-57":
					if !m.Truncated {
						t.Fatalf("long text not marked truncated")
					}
				case "w-58":
					if !m.Assembling || m.Text != "加" {
						t.Fatalf("assembling message %+v", m)
					}
				}
			}
		})
	}
}

// TestDeleteSubjectPurgesWindow: a subject-data deletion asks the
// conversation window to forget the sender and reports the count; when
// that fails, the deletion fails (and can be retried) instead of
// reporting success.
func TestDeleteSubjectPurgesWindow(t *testing.T) {
	nc := connect(t, startNATS(t, t.TempDir()))
	cfg := testConfig()
	var asked []string
	fail := false
	cfg.ForgetSender = func(_ context.Context, sender string) (int, error) {
		asked = append(asked, sender)
		if fail {
			return 0, errors.New("stream unavailable")
		}
		return 4, nil
	}
	q := openQueue(t, nc, cfg)
	ctx := context.Background()
	n, err := q.DeleteSubject(ctx, "admin", "u-3")
	if err != nil {
		t.Fatal(err)
	}
	if n["window_records"] != 4 || len(asked) != 1 || asked[0] != "u-3" {
		t.Fatalf("deleted %v, window asked for %v", n, asked)
	}
	var detail map[string]string
	err = q.AuditRange(ctx, time.Now().Add(-time.Minute), time.Now().Add(time.Minute), []string{modgate.AuditSubjectDelete}, 10,
		func(ev modgate.AuditEvent) error { detail = ev.Detail; return nil })
	if err != nil || detail["window_records"] != "4" {
		t.Fatalf("audit detail %v (%v)", detail, err)
	}
	fail = true
	if _, err := q.DeleteSubject(ctx, "admin", "u-3"); err == nil || !strings.Contains(err.Error(), "window") {
		t.Fatalf("a failing window purge: %v", err)
	}
}

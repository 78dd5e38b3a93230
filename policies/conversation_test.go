package policies

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/modgate/modgate"
)

func TestBucket(t *testing.T) {
	tests := []struct{ in, want int }{
		{-3, 0}, {0, 0}, {1, 1}, {7, 7}, {10, 10}, {11, 10}, {12, 12}, {14, 12}, {15, 15}, {19, 15}, {20, 20},
		{37, 30}, {99, 80}, {100, 100}, {999, 500}, {1000, 1000}, {5000, 1000},
	}
	for _, tc := range tests {
		if got := Bucket(tc.in); got != tc.want {
			t.Errorf("Bucket(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestFloorStep(t *testing.T) {
	steps := []int{10, 20, 60}
	tests := []struct{ in, want int }{{0, 0}, {1, 0}, {9, 0}, {10, 10}, {19, 10}, {20, 20}, {59, 20}, {60, 60}, {500, 60}}
	for _, tc := range tests {
		if got := floorStep(tc.in, steps); got != tc.want {
			t.Errorf("floorStep(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if got := floorStep(5, nil); got != 0 {
		t.Errorf("no steps: %d", got)
	}
}

// shippedWith is the shipped policy set with data.json changed by edit.
func shippedWith(t *testing.T, edit func(tun map[string]any)) fs.FS {
	t.Helper()
	src, err := fs.ReadFile(Default, DataFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc["tunables"].(map[string]any))
	b, _ := json.MarshalIndent(doc, "", "  ")
	fsys := fstest.MapFS{DataFile: {Data: b}}
	names, _ := fs.Glob(Default, "*.rego")
	for _, n := range names {
		b, _ := fs.ReadFile(Default, n)
		fsys[n] = &fstest.MapFile{Data: b}
	}
	return fsys
}

func TestConversationSettings(t *testing.T) {
	e := loadShipped(t, Options{SkipTests: true})
	got := e.Conversation()
	want := modgate.ConversationSettings{SplitMaxChars: 8, SplitMaxGap: 30 * time.Second, SplitMaxMessages: 5,
		FloodMinChars: 10, FloodWindow: 10 * time.Minute, FloodSimilarity: 0.6}
	if got != want {
		t.Fatalf("settings %+v, want %+v", got, want)
	}
	if !slices.Equal(e.velSteps, []int{10, 20, 30, 60, 100}) {
		t.Fatalf("velocity steps %v", e.velSteps)
	}
	// A data.json written before the conversation section loads with the
	// shipped values.
	old, err := Load(context.Background(), shippedWith(t, func(tun map[string]any) { delete(tun, "conversation") }), Options{})
	if err != nil {
		t.Fatalf("data.json without conversation: %v", err)
	}
	if old.Conversation() != want {
		t.Fatalf("defaulted settings %+v", old.Conversation())
	}
	// A threshold that is not a step is one anyway.
	custom, err := Load(context.Background(), shippedWith(t, func(tun map[string]any) {
		v := tun["conversation"].(map[string]any)["velocity"].(map[string]any)
		v["steps"], v["sender_group_review"] = []any{50}, 25
	}), Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(custom.velSteps, []int{25, 50, 60}) {
		t.Fatalf("steps with the thresholds: %v", custom.velSteps)
	}
}

func TestConversationTunablesRejected(t *testing.T) {
	tests := []struct {
		name string
		edit func(conv map[string]any)
		msg  string
	}{
		{"flood threshold between buckets", func(c map[string]any) { c["flood"].(map[string]any)["review_groups"] = 17 },
			"17 is not a count the policies can see"},
		{"steps not ascending", func(c map[string]any) { c["velocity"].(map[string]any)["steps"] = []any{20, 10} },
			"steps[1] must be an integer above the one before it"},
		{"similarity over 1", func(c map[string]any) { c["flood"].(map[string]any)["similarity"] = 1.5 },
			"similarity must be a number between 0 and 1"},
		{"misspelt key", func(c map[string]any) { c["split"].(map[string]any)["max_char"] = 3 },
			`unknown key "tunables.conversation.split.max_char"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), shippedWith(t, func(tun map[string]any) {
				tc.edit(tun["conversation"].(map[string]any))
			}), Options{SkipTests: true})
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
			if le.Problems[0].Line < 2 {
				t.Fatalf("problem without a line: %+v", le.Problems[0])
			}
		})
	}
}

// TestConversationDecide: the counts reach the policies bucketed, decide
// the flood and velocity rules, and enter the memo key.
func TestConversationDecide(t *testing.T) {
	e := loadShipped(t, Options{})
	ctx := context.Background()
	promo := &modgate.Findings{Matches: []modgate.Match{lex("特价", "ads", "promo", 1, 0)}}
	decide := func(c *Conversation) Decision {
		t.Helper()
		d, err := e.Decide(ctx, Input{Message: &modgate.Message{Sender: modgate.Sender{AccountAgeDays: age(400)}}, Findings: promo, Conversation: c})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	rules := func(d Decision) []string {
		var out []string
		for _, r := range d.Reasons {
			out = append(out, r.Rule)
		}
		return out
	}
	tests := []struct {
		name   string
		conv   *Conversation
		action string
		rule   string
		msg    string
	}{
		{"no window", nil, "allow", "", ""},
		{"four groups", &Conversation{Parts: 1, Facts: modgate.ConversationFacts{FloodGroups: 4, FloodSenders: 4, FloodSenderGroups: 1}}, "allow", "", ""},
		{"five groups", &Conversation{Parts: 1, Facts: modgate.ConversationFacts{FloodGroups: 5, FloodSenders: 5, FloodSenderGroups: 1}},
			"review", "flood.cross_group", "5 个群"},
		{"27 groups is 25 to the policies, past block", &Conversation{Parts: 1, Facts: modgate.ConversationFacts{FloodGroups: 27, FloodSenders: 3, FloodSenderGroups: 9}},
			"block", "flood.cross_group", "25 个群"},
		{"19 messages a minute here", &Conversation{Parts: 1, Facts: modgate.ConversationFacts{SenderGroupPerMinute: 19, SenderPerMinute: 19}}, "allow", "", ""},
		{"23 messages a minute here", &Conversation{Parts: 1, Facts: modgate.ConversationFacts{SenderGroupPerMinute: 23, SenderPerMinute: 23}},
			"review", "velocity.group_flood", "至少 20 条"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(tc.conv)
			if d.Action != tc.action || (tc.rule != "" && !slices.Contains(rules(d), tc.rule)) {
				t.Fatalf("%s %v, want %s with %q", d.Action, rules(d), tc.action, tc.rule)
			}
			if tc.rule != "" {
				for _, r := range d.Reasons {
					if r.Rule == tc.rule && !strings.Contains(r.Message, tc.msg) {
						t.Fatalf("reason %q lacks %q", r.Message, tc.msg)
					}
				}
			}
		})
	}
	// The memo: the same bucketed counts hit, other counts miss.
	h0, m0 := e.MemoStats()
	decide(&Conversation{Parts: 1, Facts: modgate.ConversationFacts{SenderGroupPerMinute: 24, SenderPerMinute: 24}}) // 20 too
	decide(&Conversation{Parts: 1, Facts: modgate.ConversationFacts{FloodGroups: 6, FloodSenders: 6, FloodSenderGroups: 1}})
	h1, m1 := e.MemoStats()
	if h1-h0 != 1 || m1-m0 != 1 {
		t.Fatalf("memo hits +%d misses +%d, want +1 +1", h1-h0, m1-m0)
	}
	if ok, why := e.Memoised(); !ok {
		t.Fatalf("the shipped policies are not memoised: %s", why)
	}
}

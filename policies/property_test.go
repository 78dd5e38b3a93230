package policies

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/modgate/modgate"
)

// randomInput builds hostile but well-typed inputs: any label or
// subcategory string, severities out of range, overlapping and inverted
// offsets, repeated terms, odd tenants.
func randomInput(r *rand.Rand) Input {
	cats := []string{"ads", "contact", "finance", "medical", "induced_sharing", "gambling", "porn", "abuse", "illegal", "pii", "x-custom", ""}
	subs := []string{"promo", "offer", "realty", "spam", "cue", "evasive", "business", "topic", "solicit", "promise", "crypto", "credit",
		"claim", "rx_offer", "surrogacy", "action", "reward", "threat", "game", "explicit", "suggestive", "insult", "severe", "mild",
		"phone", "url", "qq", "wechat", "email", "id_card", "bank_card", "", "a.b", "\x00"}
	terms := []string{"甲", "乙", "丙", "丁", "t"}
	var ms []modgate.Match
	for range r.IntN(8) {
		s := r.IntN(30) - 2
		m := modgate.Match{Term: terms[r.IntN(len(terms))], Category: cats[r.IntN(len(cats))], Subcategory: subs[r.IntN(len(subs))],
			Severity: r.IntN(7) - 2, Start: s, End: s + r.IntN(6) - 1}
		if r.IntN(3) == 0 {
			m.Source = modgate.SourceDetector
		}
		ms = append(ms, m)
	}
	msg := &modgate.Message{Tenant: []string{"", "t1", "t\"2"}[r.IntN(3)],
		Group: modgate.Group{Kind: []string{"", "personal", "enterprise", "forum"}[r.IntN(4)]}}
	if r.IntN(2) == 0 {
		d := r.IntN(40) - 5
		msg.Sender.AccountAgeDays = &d
	}
	msg.Sender.VerifiedOrg = r.IntN(4) == 0
	return Input{Message: msg, Findings: &modgate.Findings{Matches: ms},
		Violations: modgate.Violations{Count: r.IntN(4), Ads: r.IntN(2)}}
}

// Memoised and unmemoised engines must agree on every input, and every
// decision must be well formed.
func TestMemoAgreesWithEval(t *testing.T) {
	memo := loadShipped(t, Options{SkipTests: true})
	eval := loadShipped(t, Options{SkipTests: true, NoMemo: true})
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for i := range 1000 {
		in := randomInput(r)
		a, err := memo.Decide(ctx, in)
		if err != nil {
			t.Fatalf("case %d: memo Decide: %v", i, err)
		}
		b, err := eval.Decide(ctx, in)
		if err != nil {
			t.Fatalf("case %d: eval Decide: %v", i, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("case %d: memo %+v != eval %+v for %+v", i, a, b, in.Findings.Matches)
		}
		switch a.Action {
		case modgate.ActionAllow, modgate.ActionReview, modgate.ActionBlock:
		default:
			t.Fatalf("case %d: action %q", i, a.Action)
		}
		if a.Action != modgate.ActionAllow && len(a.Reasons) == 0 {
			t.Fatalf("case %d: %s without a reason", i, a.Action)
		}
		for _, l := range a.Labels {
			if l == "" {
				t.Fatalf("case %d: empty label in %v", i, a.Labels)
			}
		}
	}
}

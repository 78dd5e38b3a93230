package policies

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/modgate/modgate"
)

func TestBand(t *testing.T) {
	for _, c := range []struct {
		p    float64
		want int
	}{{0, 0}, {-1, 0}, {0.009, 0}, {0.01, 1}, {0.949999, 94}, {0.95, 95}, {0.9999, 99}, {1, 100}, {7, 100}} {
		if got := Band(c.p); got != c.want {
			t.Errorf("Band(%v) = %d, want %d", c.p, got, c.want)
		}
	}
}

// Scores reach Rego banded, the memo keys on the band: scores in one band
// share a memoised decision, and a threshold at a band edge decides the
// same with and without the memo.
func TestScoresThroughMemo(t *testing.T) {
	ctx := context.Background()
	labels := []string{"abuse", "spam"}
	cases := []struct {
		abuse, spam float64
		action      string
		rule        string
	}{
		{0.02, 0.01, "allow", ""},
		{0.7999, 0.01, "allow", ""}, // band 0.79: below 0.80
		{0.80, 0.01, "review", "model.abuse.review"},
		{0.8071, 0.01, "review", "model.abuse.review"}, // same band: from the memo
		{0.01, 0.995, "review", "model.spam.review"},
		{0.01, 0.93, "allow", ""}, // no signal
	}
	for _, memo := range []bool{true, false} {
		e := loadShipped(t, Options{SkipTests: true, NoMemo: !memo})
		for round := 0; round < 2; round++ {
			for _, c := range cases {
				d, err := e.Decide(ctx, Input{ScoreLabels: labels, Scores: []float64{c.abuse, c.spam}})
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if len(d.Reasons) > 0 {
					got = d.Reasons[0].Rule
				}
				if d.Action != c.action || got != c.rule {
					t.Errorf("memo=%v abuse=%v spam=%v: %s %q, want %s %q", memo, c.abuse, c.spam, d.Action, got, c.action, c.rule)
				}
			}
		}
	}
	// With an ads term the lower spam threshold applies.
	e := loadShipped(t, Options{SkipTests: true})
	d, err := e.Decide(ctx, Input{Findings: &modgate.Findings{Matches: []modgate.Match{lex("优惠", "ads", "promo", 1, 0)}},
		ScoreLabels: labels, Scores: []float64{0.01, 0.93}})
	if err != nil || d.Action != "review" {
		t.Fatalf("spam 0.93 with an ads term: %+v %v", d, err)
	}
}

func TestMemoKeySeparatesBands(t *testing.T) {
	e := loadShipped(t, Options{SkipTests: true})
	key := func(scores ...float64) string {
		var f features
		e.features(&Input{ScoreLabels: []string{"abuse", "spam"}[:len(scores)], Scores: scores}, &f)
		return string(f.appendKey(nil))
	}
	if key(0.951, 0.1) != key(0.959, 0.1) {
		t.Error("scores in one band give different keys")
	}
	if key(0.949, 0.1) == key(0.95, 0.1) {
		t.Error("scores in different bands share a key")
	}
	if key(0.5) == key(0.5, 0) {
		t.Error("a missing score and a zero score share a key")
	}
}

func TestModelTunablesValidated(t *testing.T) {
	base := string(mustRead(t, "data.json"))
	cases := []struct {
		name, model, want string
	}{
		{"threshold above 1", `{"abuse": {"label": "abuse", "review": 1.5}}`, "tunables.model.abuse.review must be a number between 0 and 1"},
		{"three decimals", `{"abuse": {"label": "abuse", "review": 0.955}}`, "more than two decimals"},
		{"missing label", `{"abuse": {"review": 0.9}}`, `missing key "label"`},
		{"typo", `{"abuse": {"label": "abuse", "reviwe": 0.9}}`, `unknown key "tunables.model.abuse.reviwe"`},
		{"bad model name", `{"Abuse!": {"label": "abuse"}}`, "must be lower-case"},
		{"signals not a list", `{"spam": {"label": "ads", "signals": "phone"}}`, "must be a list of strings"},
		{"signals_unless not a list", `{"abuse": {"label": "abuse", "signals_unless": "context.counter"}}`, "tunables.model.abuse.signals_unless must be a list of strings"},
		{"kind of nothing", `{"fraud": {"label": "fraud", "kind_of": "spam", "kind": 0.5}}`, `tunables.model.fraud.kind_of is "spam": want another entry`},
		{"kind of itself", `{"fraud": {"label": "fraud", "kind_of": "fraud", "kind": 0.5}}`, `want another entry`},
		{"kind_of without kind", `{"spam": {"label": "ads"}, "fraud": {"label": "fraud", "kind_of": "spam"}}`, "kind_of needs tunables.model.fraud.kind"},
		{"kind without kind_of", `{"fraud": {"label": "fraud", "kind": 0.5}}`, "kind needs tunables.model.fraud.kind_of"},
		{"kind cues not lists", `{"spam": {"label": "ads", "kind_cues": {"porn": "porn.escort_person"}}}`, "tunables.model.spam.kind_cues.porn must be a list of strings"},
		{"kind cue label not a name", `{"spam": {"label": "ads", "kind_cues": {"Porn": ["porn.escort_person"]}}}`, `key "Porn" must be lower-case`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := strings.Index(base, `"model": {`)
			if i < 0 {
				t.Fatal("shipped data.json has no model section")
			}
			j := strings.Index(base[i:], "\n    }\n") + i + len("\n    }")
			data := base[:i] + `"model": ` + c.model + base[j:]
			fsys := shippedRego(t)
			fsys[DataFile] = &fstest.MapFile{Data: []byte(data)}
			_, err := Load(context.Background(), fsys, Options{SkipTests: true})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// Without a model section (a data.json of an older release) the shipped
	// thresholds apply; an empty section switches the model rules off.
	i := strings.Index(base, `,
    "model": {`)
	j := strings.Index(base[i:], "\n    }\n") + i + len("\n    }")
	fsys := shippedRego(t)
	fsys[DataFile] = &fstest.MapFile{Data: []byte(base[:i] + base[j:])}
	e, err := Load(context.Background(), fsys, Options{SkipTests: true})
	if err != nil {
		t.Fatalf("data.json without model section: %v", err)
	}
	d, err := e.Decide(context.Background(), Input{ScoreLabels: []string{"abuse"}, Scores: []float64{0.99}})
	if err != nil || d.Action != "review" {
		t.Fatalf("no model section: shipped thresholds should apply: %+v %v", d, err)
	}
	fsys[DataFile] = &fstest.MapFile{Data: []byte(base[:i] + `,
    "model": {}` + base[j:])}
	e, err = Load(context.Background(), fsys, Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err = e.Decide(context.Background(), Input{ScoreLabels: []string{"abuse"}, Scores: []float64{0.99}})
	if err != nil || d.Action != "allow" {
		t.Fatalf("empty model section: scores must not act: %+v %v", d, err)
	}
}

// shippedRego is the shipped policy files without their tests and data.json.
func shippedRego(t *testing.T) fstest.MapFS {
	t.Helper()
	ents, err := Default.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".rego") && !strings.HasSuffix(n, "_test.rego") {
			fsys[n] = &fstest.MapFile{Data: mustRead(t, n)}
		}
	}
	return fsys
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := Default.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKindScoreIsCoarse: a kind model's score reaches the policies as its
// threshold or 0, so scores on one side of it share a memo key, and the
// rule still fires exactly at the threshold.
func TestKindScoreIsCoarse(t *testing.T) {
	ctx := context.Background()
	e := loadShipped(t, Options{SkipTests: true})
	kind := e.ModelTunables()["fraud"].Kind
	if kind <= 0 || e.ModelTunables()["fraud"].KindOf != "spam" {
		t.Fatalf("shipped data.json: fraud is not a kind model of spam: %+v", e.ModelTunables()["fraud"])
	}
	labels := []string{"abuse", "fraud", "spam"}
	decide := func(fraud float64) Decision {
		t.Helper()
		d, err := e.Decide(ctx, Input{ScoreLabels: labels, Scores: []float64{0.01, fraud, 0.995}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := decide(kind - 0.01); slices.Contains(d.Labels, "fraud") {
		t.Errorf("fraud %.2f (below %v) labelled fraud: %+v", kind-0.01, kind, d)
	}
	for _, p := range []float64{kind, kind + 0.01, 0.99, 1} {
		if d := decide(p); !slices.Contains(d.Labels, "fraud") || d.Action != "review" {
			t.Errorf("fraud %v (≥ %v) with spam flagged: %+v, want review with fraud", p, kind, d)
		}
	}
	h0, m0 := e.MemoStats()
	for _, p := range []float64{0.02, 0.11, kind - 0.01, kind, 0.77, 0.98} {
		decide(p)
	}
	if h, m := e.MemoStats(); m-m0 != 0 || h-h0 != 6 {
		t.Errorf("kind scores on the same side of %v: %d new memo misses, want 0 (all six keys seen above)", kind, m-m0)
	}
}

// TestScoresBelowEveryThresholdShareAKey: below the lowest threshold data.json
// sets for a model, scores reach the policies as 0, so ordinary messages
// share one memo key; the flood rule's model_score counts as a threshold, and
// an explicit floor replaces the computed one.
func TestScoresBelowEveryThresholdShareAKey(t *testing.T) {
	ctx := context.Background()
	e := loadShipped(t, Options{SkipTests: true})
	tun := e.ModelTunables()
	// spam's lowest: min(its thresholds, conversation.flood.model_score).
	if got, want := e.bands["spam"].floor, int(math.Round(100*min(tun["spam"].ReviewWithWeakSignal, 0.5))); got != want || got == 0 {
		t.Fatalf("spam floor band = %d, want %d", got, want)
	}
	// abuse's lowest: the with-signal tier, below the score alone.
	if got, want := e.bands["abuse"].floor, int(math.Round(100*min(tun["abuse"].Review, tun["abuse"].ReviewWithSignal))); got != want || got == 0 {
		t.Fatalf("abuse floor band = %d, want %d", got, want)
	}
	labels := []string{"abuse", "spam"}
	h0, m0 := e.MemoStats()
	for _, s := range [][]float64{{0.01, 0.01}, {0.35, 0.2}, {0.59, 0.49}, {0.0, 0.3}} {
		d, err := e.Decide(ctx, Input{ScoreLabels: labels, Scores: s})
		if err != nil || d.Action != "allow" {
			t.Fatalf("scores %v: %+v %v, want allow", s, d, err)
		}
	}
	if h, m := e.MemoStats(); m-m0 != 1 || h-h0 != 3 {
		t.Errorf("four messages under every threshold: %d misses %d hits, want 1 and 3", m-m0, h-h0)
	}
	// The flood rule still sees a spam score at its own threshold.
	in := Input{ScoreLabels: labels, Scores: []float64{0.01, 0.5},
		Conversation: &Conversation{Parts: 1, Facts: modgate.ConversationFacts{FloodGroups: 12}}}
	if d, err := e.Decide(ctx, in); err != nil || d.Action == "allow" {
		t.Errorf("flood with spam 0.5 (the flood model_score): %+v %v, want flagged", d, err)
	}
	// An explicit floor of 0 lets every band through (for custom rules).
	base := string(mustRead(t, "data.json"))
	data := strings.Replace(base, `"label": "abuse",`, `"label": "abuse", "floor": 0,`, 1)
	if data == base {
		t.Fatal("shipped data.json: abuse entry not found")
	}
	fsys := shippedRego(t)
	fsys[DataFile] = &fstest.MapFile{Data: []byte(data)}
	e2, err := Load(ctx, fsys, Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := e2.bands["abuse"].floor; f != 0 {
		t.Errorf("floor 0: abuse still floored at band %d", f)
	}
}

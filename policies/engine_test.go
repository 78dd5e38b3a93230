package policies

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modgate/modgate"
)

func loadShipped(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Default, opts)
	if err != nil {
		t.Fatalf("load shipped policies: %v", err)
	}
	return e
}

// Helpers that build matches the way package filters reports them.
func lex(term, cat, sub string, sev, start int) modgate.Match {
	n := len([]rune(term))
	return modgate.Match{Term: term, Category: cat, Subcategory: sub, Severity: sev,
		Start: start, End: start + n, Text: term, Source: modgate.SourceLexicon}
}

func det(kind string, start, end int) modgate.Match {
	cat := modgate.LabelContact
	if kind == "id_card" || kind == "bank_card" || kind == "phone" {
		cat = modgate.LabelPII
	}
	return modgate.Match{Term: kind, Category: cat, Subcategory: kind, Severity: 1,
		Start: start, End: end, Source: modgate.SourceDetector}
}

func age(d int) *int { return &d }

type decideCase struct {
	name        string
	msg         modgate.Message
	matches     []modgate.Match
	violations  modgate.Violations
	action      string
	labels      []string
	rules       []string // rules that must be among the reasons
	enforcement string
	severity    int
}

var decideCases = []decideCase{
	{name: "clean", action: "allow", labels: []string{}},
	{name: "stock topic alone (今天股票跌了)",
		matches: []modgate.Match{lex("股票", "finance", "topic", 1, 2)},
		action:  "allow", labels: []string{}, severity: 1},
	{name: "prescription topic (医生说这个药要按处方吃)",
		matches: []modgate.Match{lex("医生", "medical", "topic", 1, 0), lex("处方", "medical", "topic", 1, 8)},
		action:  "allow", labels: []string{}, severity: 1},
	{name: "guaranteed return blocks (保本保息)",
		matches: []modgate.Match{lex("保本保息", "finance", "promise", 3, 0), lex("理财", "finance", "topic", 1, 4)},
		action:  "block", labels: []string{"finance"}, rules: []string{"finance.guaranteed_return"}, severity: 3},
	{name: "stock tips with wechat id block",
		matches: []modgate.Match{lex("荐股", "finance", "solicit", 2, 0), det("wechat", 5, 14)},
		action:  "block", labels: []string{"finance"}, rules: []string{"finance.solicit", "finance.solicit_contact"}, severity: 3},
	{name: "verified broker soliciting is exempt",
		msg:     modgate.Message{Sender: modgate.Sender{VerifiedOrg: true, AccountAgeDays: age(400)}},
		matches: []modgate.Match{lex("代客理财", "finance", "solicit", 2, 0)},
		action:  "allow", labels: []string{}, severity: 2},
	{name: "share for red packet (转发到3个群领红包)",
		matches: []modgate.Match{lex("转发到", "induced_sharing", "action", 1, 0), lex("领红包", "induced_sharing", "reward", 1, 6)},
		action:  "review", labels: []string{"induced_sharing"}, rules: []string{"induced_sharing.reward"}, severity: 2},
	{name: "sharing without reward",
		matches: []modgate.Match{lex("转发", "induced_sharing", "action", 1, 2)},
		action:  "allow", labels: []string{}, severity: 1},
	{name: "threat to forward",
		matches: []modgate.Match{lex("不转不是中国人", "induced_sharing", "threat", 2, 0), lex("转", "induced_sharing", "action", 1, 1)},
		action:  "review", labels: []string{"induced_sharing"}, rules: []string{"induced_sharing.threat"}, severity: 2},
	{name: "contained term counts once (一手货源 holds 货源)",
		// Without containment, 一手货源 + 货源 + 包邮 would be three promo
		// signals; with it, one spam term and one promo word.
		matches: []modgate.Match{lex("一手货源", "ads", "spam", 2, 0), lex("货源", "ads", "promo", 1, 2), lex("包邮", "ads", "promo", 1, 5)},
		action:  "review", labels: []string{"ads"}, rules: []string{"ads.spam"}, severity: 2},
	{name: "repeated promo word counts once",
		matches: []modgate.Match{lex("特价", "ads", "promo", 1, 0), lex("特价", "ads", "promo", 1, 4), lex("特价", "ads", "promo", 1, 8)},
		action:  "allow", labels: []string{}, severity: 1},
	{name: "three distinct promo words",
		matches: []modgate.Match{lex("特价", "ads", "promo", 1, 0), lex("全场", "ads", "promo", 1, 4), lex("光临", "ads", "promo", 1, 8)},
		action:  "review", labels: []string{"ads"}, rules: []string{"ads.promo"}, severity: 2},
	{name: "new account posting a link",
		msg:     modgate.Message{Sender: modgate.Sender{AccountAgeDays: age(1)}},
		matches: []modgate.Match{det("url", 0, 20)},
		action:  "review", labels: []string{"contact"}, rules: []string{"contact.new_account"}, severity: 2},
	{name: "established account posting a link",
		msg:     modgate.Message{Sender: modgate.Sender{AccountAgeDays: age(30)}},
		matches: []modgate.Match{det("url", 0, 20)},
		action:  "allow", labels: []string{}, severity: 1},
	{name: "account age exactly at threshold is established",
		msg:     modgate.Message{Sender: modgate.Sender{AccountAgeDays: age(7)}},
		matches: []modgate.Match{det("url", 0, 20)},
		action:  "allow", labels: []string{}, severity: 1},
	{name: "id card in a personal group",
		msg:     modgate.Message{Group: modgate.Group{Kind: "personal"}},
		matches: []modgate.Match{det("id_card", 3, 21)},
		action:  "review", labels: []string{"pii"}, rules: []string{"pii.sensitive", "pii.masked"}, severity: 2},
	{name: "id card in an enterprise service group",
		msg:     modgate.Message{Group: modgate.Group{Kind: "enterprise"}},
		matches: []modgate.Match{det("id_card", 3, 21)},
		action:  "allow", labels: []string{"pii"}, rules: []string{"pii.masked"}, severity: 1},
	{name: "detector without source is recognised by kind",
		matches: []modgate.Match{{Term: "bank_card", Category: "pii", Subcategory: "bank_card", Severity: 1, Start: 0, End: 19}},
		action:  "review", labels: []string{"pii"}, rules: []string{"pii.sensitive"}, severity: 2},
	{name: "severe abuse blocks",
		matches: []modgate.Match{lex("操你妈", "abuse", "severe", 3, 0)},
		action:  "block", labels: []string{"abuse"}, rules: []string{"abuse.severe"}, severity: 3},
	{name: "gambling solicitation blocks",
		matches: []modgate.Match{lex("真人荷官", "gambling", "solicit", 3, 0)},
		action:  "block", labels: []string{"gambling"}, rules: []string{"gambling.solicit"}, severity: 3},
	{name: "surrogacy blocks",
		matches: []modgate.Match{lex("代孕", "medical", "surrogacy", 3, 0)},
		action:  "block", labels: []string{"medical"}, rules: []string{"medical.surrogacy"}, severity: 3},
	{name: "operator label by severity",
		matches: []modgate.Match{lex("某诈骗话术", "fraud_x", "", 2, 0)},
		action:  "review", labels: []string{"fraud_x"}, rules: []string{"fraud_x.severity"}, severity: 2},
	{name: "second violation on a flagged message removes member",
		matches:    []modgate.Match{lex("傻逼", "abuse", "insult", 2, 0)},
		violations: modgate.Violations{Count: 2},
		action:     "review", labels: []string{"abuse"}, enforcement: "remove_member", severity: 2},
	{name: "one confirmed ad removes member",
		violations: modgate.Violations{Count: 1, Ads: 1},
		action:     "allow", labels: []string{}, enforcement: "remove_member"},
	{name: "one violation and a flagged message warns",
		matches:    []modgate.Match{lex("傻逼", "abuse", "insult", 2, 0)},
		violations: modgate.Violations{Count: 1},
		action:     "review", labels: []string{"abuse"}, enforcement: "warn", severity: 2},
}

func runDecideCases(t *testing.T, e *Engine) {
	t.Helper()
	for _, tc := range decideCases {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.msg
			msg.Text = "x"
			d, err := e.Decide(context.Background(), Input{Message: &msg,
				Findings: &modgate.Findings{Matches: tc.matches}, Violations: tc.violations})
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if d.Action != tc.action {
				t.Errorf("action = %q, want %q (reasons %v)", d.Action, tc.action, d.Reasons)
			}
			if !slices.Equal(d.Labels, tc.labels) {
				t.Errorf("labels = %q, want %q", d.Labels, tc.labels)
			}
			for _, r := range tc.rules {
				if !slices.ContainsFunc(d.Reasons, func(x modgate.Reason) bool { return x.Rule == r }) {
					t.Errorf("reasons %v lack rule %q", d.Reasons, r)
				}
			}
			for _, r := range d.Reasons {
				if r.Rule == "" || r.Label == "" || r.Message == "" {
					t.Errorf("incomplete reason %+v", r)
				}
			}
			if d.Enforcement != tc.enforcement {
				t.Errorf("enforcement = %q, want %q", d.Enforcement, tc.enforcement)
			}
			if d.Severity != tc.severity {
				t.Errorf("severity = %d, want %d", d.Severity, tc.severity)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	e := loadShipped(t, Options{})
	if ok, why := e.Memoised(); !ok {
		t.Fatalf("shipped policies should be memo-safe: %s", why)
	}
	t.Run("memo", func(t *testing.T) {
		runDecideCases(t, e)
		runDecideCases(t, e) // second round answers from the memo
	})
	t.Run("no memo", func(t *testing.T) { runDecideCases(t, loadShipped(t, Options{NoMemo: true, SkipTests: true})) })
}

func TestDecideNilParts(t *testing.T) {
	e := loadShipped(t, Options{SkipTests: true})
	d, err := e.Decide(context.Background(), Input{})
	if err != nil || d.Action != modgate.ActionAllow || len(d.Labels) != 0 || len(d.Reasons) != 0 {
		t.Fatalf("Decide(empty) = %+v, %v; want allow with no labels or reasons", d, err)
	}
}

func TestMemoResultsAreCopies(t *testing.T) {
	e := loadShipped(t, Options{SkipTests: true})
	in := Input{Findings: &modgate.Findings{Matches: []modgate.Match{lex("操你妈", "abuse", "severe", 3, 0)}}}
	d1, err := e.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	d1.Labels[0] = "mutated"
	d1.Reasons[0].Rule = "mutated"
	d2, err := e.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Labels[0] != "abuse" || d2.Reasons[0].Rule != "abuse.severe" {
		t.Fatalf("memoised decision was changed by a caller: %+v", d2)
	}
}

func TestDecideConcurrent(t *testing.T) {
	e := loadShipped(t, Options{SkipTests: true})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				tc := decideCases[(g+i)%len(decideCases)]
				msg := tc.msg
				d, err := e.Decide(context.Background(), Input{Message: &msg, Findings: &modgate.Findings{Matches: tc.matches}, Violations: tc.violations})
				if err != nil {
					errs <- err
					return
				}
				if d.Action != tc.action {
					errs <- errors.New(tc.name + ": got " + d.Action)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRegoTests runs every *_test.rego through OPA's tester, so `go test`
// (and CI) fails when a policy test fails.
func TestRegoTests(t *testing.T) {
	results, err := RunTests(context.Background(), Default)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if len(results) < 50 {
		t.Fatalf("only %d Rego tests ran; the test files were not picked up", len(results))
	}
	files := map[string]bool{}
	for _, r := range results {
		files[r.File] = true
		if !r.Pass {
			t.Errorf("FAIL %s %s: %s", r.Location(), r.Name, r.Message)
		}
	}
	for _, f := range []string{"ads_test.rego", "content_test.rego", "decision_test.rego", "discipline_test.rego",
		"finance_test.rego", "induced_sharing_test.rego", "medical_test.rego", "pii_test.rego"} {
		if !files[f] {
			t.Errorf("no tests ran from %s", f)
		}
	}
}

func TestLoadDirMatchesEmbedded(t *testing.T) {
	e1 := loadShipped(t, Options{SkipTests: true})
	e2, err := LoadDir(context.Background(), ".", Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if e1.Revision() != e2.Revision() || len(e1.Revision()) != 64 {
		t.Fatalf("revisions differ or are malformed: %q vs %q", e1.Revision(), e2.Revision())
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		dir  string
		file string // file the first problem must name
		line int    // and its line (0: any)
		msg  string // substring of the problem
	}{
		{"parse_error", "parse_error/modgate.rego", 0, "rego_parse_error"},
		{"compile_error", "compile_error/modgate.rego", 6, "no_such_function"},
		{"failing_test", "failing_test/modgate_test.rego", 9, "test_expects_block failed"},
		{"bad_data_type", "bad_data_type/data.json", 18, "tunables.ads.promo_review_count must be an integer"},
		{"bad_data_key", "bad_data_key/data.json", 3, `unknown key "tunables.new_acount_days"`},
		{"bad_json", "bad_json/data.json", 16, "invalid JSON"},
		{"missing_data", "missing_data/data.json", 0, "missing"},
		{"no_decision", "no_decision", 0, "data.modgate.decision"},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			_, err := LoadDir(context.Background(), filepath.Join("testdata", tc.dir), Options{})
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("LoadDir error = %v, want *LoadError", err)
			}
			var found bool
			for _, p := range le.Problems {
				if strings.HasSuffix(p.File, tc.file) && (tc.line == 0 || p.Line == tc.line) && strings.Contains(p.Message, tc.msg) {
					found = true
				}
			}
			if !found {
				t.Fatalf("problems %v lack %s:%d %q", le.Problems, tc.file, tc.line, tc.msg)
			}
			if !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error text %q does not name %s", err.Error(), tc.file)
			}
		})
	}
}

func TestLoadDirMissing(t *testing.T) {
	if _, err := LoadDir(context.Background(), filepath.Join("testdata", "nope"), Options{}); err == nil {
		t.Fatal("LoadDir on a missing folder succeeded")
	}
	if _, err := LoadDir(context.Background(), "engine.go", Options{}); err == nil {
		t.Fatal("LoadDir on a file succeeded")
	}
}

// A rule that errors at evaluation fails that message only; the engine keeps
// answering other messages.
func TestEvalConflictAffectsOneMessage(t *testing.T) {
	e, err := LoadDir(context.Background(), filepath.Join("testdata", "conflict"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	both := Input{Findings: &modgate.Findings{Matches: []modgate.Match{lex("约炮", "porn", "suggestive", 2, 0), lex("荐股", "finance", "solicit", 2, 3)}}}
	_, err = e.Decide(context.Background(), both)
	if err == nil || !strings.Contains(err.Error(), "conflict") || !strings.Contains(err.Error(), "modgate.rego:") {
		t.Fatalf("Decide(conflicting) error = %v, want a located conflict error", err)
	}
	d, err := e.Decide(context.Background(), Input{Findings: &modgate.Findings{Matches: []modgate.Match{lex("荐股", "finance", "solicit", 2, 0)}}})
	if err != nil || d.Action != "review" {
		t.Fatalf("Decide after a failing message = %+v, %v; want review", d, err)
	}
}

func TestMemoSafety(t *testing.T) {
	cases := []struct {
		dir    string
		reason string
	}{
		{"reads_matches", "input.matches"},
		{"time_builtin", "time.now_ns"},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			e, err := LoadDir(context.Background(), filepath.Join("testdata", tc.dir), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ok, why := e.Memoised()
			if ok || !strings.Contains(why, tc.reason) {
				t.Fatalf("Memoised() = %v, %q; want false naming %s", ok, why, tc.reason)
			}
		})
	}
	// A policy that reads the matches list gets them.
	e, err := LoadDir(context.Background(), filepath.Join("testdata", "reads_matches"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range []string{"保本保息", "稳赚"} {
		d, err := e.Decide(context.Background(), Input{Findings: &modgate.Findings{Matches: []modgate.Match{lex(term, "finance", "promise", 3, 0)}}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"保本保息": "review", "稳赚": "allow"}[term]
		if d.Action != want {
			t.Errorf("%s: action %q, want %q", term, d.Action, want)
		}
	}
}

func TestRunTestsReportsFailures(t *testing.T) {
	results, err := RunTestsDir(context.Background(), filepath.Join("testdata", "failing_test"))
	if err != nil {
		t.Fatal(err)
	}
	var pass, fail int
	for _, r := range results {
		if r.Pass {
			pass++
			continue
		}
		fail++
		if r.Name != "test_expects_block" || r.Line != 9 || !strings.Contains(r.Message, "modgate_test.rego:10") {
			t.Errorf("unexpected failure %+v", r)
		}
	}
	if pass != 1 || fail != 1 {
		t.Fatalf("pass=%d fail=%d, want 1 and 1", pass, fail)
	}
}

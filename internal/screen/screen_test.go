package screen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/testkit"
	"github.com/modgate/modgate/policies"
)

// policyV1 reviews anything of severity ≥ 2; policyV2 blocks it. The
// verdicts differ, so a test can tell which revision answered.
const policyTmpl = `package modgate

decision := {
	"action": action,
	"labels": labels,
	"reasons": reasons,
	"enforcement": enforcement,
	"severity": input.max_severity,
}

default action := "allow"

action := %q if input.max_severity >= 2

labels := sort([l | some l, _ in input.labels])

reasons := [{"rule": "test.severity", "label": l, "message": "severity"} | some l in labels; action != "allow"]

default enforcement := ""

enforcement := "remove_member" if input.violations.count >= data.tunables.discipline.remove_after_violations
`

const policyTest = `package modgate_test

import data.modgate

test_clean_allowed if {
	modgate.decision.action == "allow" with input as {"max_severity": 0, "labels": {}, "violations": {"count": 0, "ads": 0}}
}
`

// shippedData is the shipped tunables file: its shape is checked at load.
func shippedData() string {
	b, err := fs.ReadFile(policies.Default, policies.DataFile)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const lexicon = `# test lexicon
@category finance.promise
@severity 2
保本保息
稳赚不赔
@category abuse.strong
傻瓜蛋 | abuse.strong | 3
`

func policyFiles(action string) map[string]string {
	return map[string]string{
		"decision.rego":      fmt.Sprintf(policyTmpl, action),
		"decision_test.rego": policyTest,
		policies.DataFile:    shippedData(),
	}
}

type fixture struct {
	root, pol, lex string
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	root := t.TempDir()
	f := fixture{root: root, pol: filepath.Join(root, "policies"), lex: filepath.Join(root, "lexicons")}
	writeFiles(t, f.pol, policyFiles("review"))
	writeFiles(t, f.lex, map[string]string{"test.txt": lexicon})
	return f
}

func newScreener(t *testing.T, f fixture, mod ...func(*Config)) *Screener {
	t.Helper()
	cfg := Config{PolicyDir: f.pol, LexiconDir: f.lex, Debounce: 50 * time.Millisecond}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func screenText(t *testing.T, s *Screener, text string) modgate.Verdict {
	t.Helper()
	v, err := s.Screen(context.Background(), modgate.Message{ID: "m1", Text: text})
	if err != nil {
		t.Fatalf("Screen(%q): %v", text, err)
	}
	return v
}

func TestScreenInputValidation(t *testing.T) {
	s := newScreener(t, newFixture(t), func(c *Config) { c.MaxTextBytes = 32 })
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrEmptyText},
		{"only whitespace", " \t\n　", ErrEmptyText},
		{"invalid utf-8", "ok\xff\xfe", ErrInvalidUTF8},
		{"too large", strings.Repeat("啊", 11), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Screen(context.Background(), modgate.Message{Text: tc.text})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			_, err = s.ScreenWith(context.Background(), modgate.Message{Text: tc.text}, modgate.Violations{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("ScreenWith err = %v, want %v", err, tc.want)
			}
		})
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestScreenVerdict(t *testing.T) {
	s := newScreener(t, newFixture(t))
	tests := []struct {
		name       string
		text       string
		action     string
		labels     string
		matchTerms string
		matchSpan  [2]int
	}{
		{name: "clean", text: "今天股票跌了", action: "allow"},
		{name: "promise", text: "理财产品保本保息哦", action: "review", labels: "finance", matchTerms: "保本保息", matchSpan: [2]int{4, 8}},
		{name: "block-severity term still reviewed by this policy", text: "你这个傻瓜蛋", action: "review", labels: "abuse", matchTerms: "傻瓜蛋", matchSpan: [2]int{3, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := screenText(t, s, tc.text)
			if v.Action != tc.action {
				t.Errorf("action = %q, want %q (verdict %+v)", v.Action, tc.action, v)
			}
			if got := strings.Join(v.Labels, ","); got != tc.labels {
				t.Errorf("labels = %q, want %q", got, tc.labels)
			}
			var terms []string
			for _, m := range v.Matches {
				terms = append(terms, m.Term)
			}
			if got := strings.Join(terms, ","); got != tc.matchTerms {
				t.Errorf("match terms = %q, want %q", got, tc.matchTerms)
			}
			if len(v.Matches) > 0 {
				m := v.Matches[0]
				if [2]int{m.Start, m.End} != tc.matchSpan || m.Text != tc.matchTerms {
					t.Errorf("match = %+v, want span %v text %q", m, tc.matchSpan, tc.matchTerms)
				}
			}
			if v.ID != "m1" || !hexID.MatchString(v.DecisionID) {
				t.Errorf("id %q decision id %q", v.ID, v.DecisionID)
			}
			if v.Labels == nil || v.Matches == nil || v.Reasons == nil {
				t.Errorf("nil slices in verdict: %+v", v)
			}
			if v.Revision != s.Revision() || v.Revision.Policy == "" || v.Revision.Lexicon == "" {
				t.Errorf("revision = %+v, screener %+v", v.Revision, s.Revision())
			}
			if v.MaskedText != tc.text {
				t.Errorf("masked text = %q", v.MaskedText)
			}
		})
	}
}

func TestDecisionIDsUniqueAndOrdered(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 10000; i++ {
		id := NewDecisionID()
		if !hexID.MatchString(id) || seen[id] {
			t.Fatalf("bad or duplicate id %q", id)
		}
		if id[:12] < prev {
			t.Fatalf("time prefix went backwards: %s < %s", id[:12], prev)
		}
		prev = id[:12]
		seen[id] = true
	}
	// The random part comes from pooled buffers: goroutines drawing at
	// once must still never get the same bytes.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 5000; i++ {
				id := NewDecisionID()
				mu.Lock()
				dup := seen[id]
				seen[id] = true
				mu.Unlock()
				if dup {
					t.Errorf("duplicate id %q", id)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestViolations(t *testing.T) {
	var calls atomic.Int32
	lookup := func(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
		calls.Add(1)
		switch sender {
		case "repeat":
			return modgate.Violations{Count: 2}, nil
		case "broken":
			return modgate.Violations{}, errors.New("store down")
		}
		return modgate.Violations{}, nil
	}
	s := newScreener(t, newFixture(t), func(c *Config) { c.Violations = lookup })
	tests := []struct {
		name, sender, enforcement string
	}{
		{"two confirmed violations", "repeat", "remove_member"},
		{"clean record", "fresh", ""},
		{"lookup error screens without record", "broken", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Screen(context.Background(), modgate.Message{Text: "保本保息", Tenant: "t1", Sender: modgate.Sender{ID: tc.sender}})
			if err != nil {
				t.Fatal(err)
			}
			if v.Enforcement != tc.enforcement || v.Action != modgate.ActionReview {
				t.Errorf("enforcement %q action %q, want %q review", v.Enforcement, v.Action, tc.enforcement)
			}
		})
	}
	if calls.Load() != 3 {
		t.Errorf("lookup called %d times, want 3", calls.Load())
	}
	// ScreenWith uses the caller's record and skips the lookup.
	v, err := s.ScreenWith(context.Background(), modgate.Message{Text: "保本保息", Sender: modgate.Sender{ID: "fresh"}}, modgate.Violations{Count: 5})
	if err != nil || v.Enforcement != "remove_member" || calls.Load() != 3 {
		t.Errorf("ScreenWith: %+v %v calls %d", v, err, calls.Load())
	}
}

func TestReloadEditChangesVerdict(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	before := s.Revision()
	if v := screenText(t, s, "保本保息"); v.Action != "review" {
		t.Fatalf("v1 action %q", v.Action)
	}
	writeFiles(t, f.pol, policyFiles("block"))
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := s.Revision()
	if after.Policy == before.Policy || after.Lexicon != before.Lexicon {
		t.Fatalf("revision %+v -> %+v: want only the policy part to change", before, after)
	}
	if v := screenText(t, s, "保本保息"); v.Action != "block" || v.Revision != after {
		t.Fatalf("after edit: %+v", v)
	}
	// A lexicon edit changes the lexicon revision and what matches.
	writeFiles(t, f.lex, map[string]string{"extra.txt": "@category gambling.site\n@severity 2\n百家乐\n"})
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Revision().Lexicon == after.Lexicon {
		t.Fatal("lexicon revision unchanged after adding a file")
	}
	if v := screenText(t, s, "来玩百家乐"); v.Action != "block" || strings.Join(v.Labels, ",") != "gambling" {
		t.Fatalf("new term: %+v", v)
	}
	// Reloading unchanged files keeps the very same engine.
	e := s.Engine()
	if err := s.Reload(context.Background()); err != nil || s.Engine() != e {
		t.Fatalf("no-op reload rebuilt the engine (err %v)", err)
	}
}

func TestReloadFailureKeepsOldEngine(t *testing.T) {
	tests := []struct {
		name    string
		dir     string // "pol" or "lex"
		file    string
		content string
		wantErr []string // substrings: file:line and what
	}{
		{
			name: "rego syntax error", dir: "pol", file: "decision.rego",
			content: "package modgate\n\ndecision := {\n\t\"action\": \"allow\",\n\tbroken here\n",
			wantErr: []string{"decision.rego:"},
		},
		{
			name: "failing policy test", dir: "pol", file: "extra_test.rego",
			content: "package modgate_test\n\nimport data.modgate\n\ntest_blocks_everything if {\n\tmodgate.decision.action == \"block\" with input as {\"max_severity\": 0, \"labels\": {}, \"violations\": {\"count\": 0}}\n}\n",
			wantErr: []string{"extra_test.rego:5", "test_blocks_everything"},
		},
		{
			name: "bad lexicon line", dir: "lex", file: "bad.txt",
			content: "# ok\n@severity 2\n没有分类的词\n",
			wantErr: []string{"bad.txt:3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			type reload struct {
				rev modgate.Revision
				err error
			}
			var reloads []reload // OnReload reports every attempt
			s := newScreener(t, f, func(c *Config) {
				c.OnReload = func(rev modgate.Revision, err error) { reloads = append(reloads, reload{rev, err}) }
			})
			rev := s.Revision()
			if len(reloads) != 1 || reloads[0].err != nil || reloads[0].rev != rev {
				t.Fatalf("first build reported %+v", reloads)
			}
			dir := f.pol
			if tc.dir == "lex" {
				dir = f.lex
			}
			writeFiles(t, dir, map[string]string{tc.file: tc.content})
			err := s.Reload(context.Background())
			if err == nil {
				t.Fatal("Reload succeeded, want an error")
			}
			if len(reloads) != 2 || reloads[1].err != err || reloads[1].rev != rev {
				t.Fatalf("failed reload reported %+v, want the error with the old revision", reloads)
			}
			if s.LastError() == nil || s.LastError().Error() != err.Error() {
				t.Fatalf("LastError = %v, want %v", s.LastError(), err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the folder %s", err, dir)
			}
			if s.Revision() != rev {
				t.Fatalf("revision changed to %+v after failed reload", s.Revision())
			}
			if v := screenText(t, s, "保本保息"); v.Action != "review" || v.Revision != rev {
				t.Fatalf("old engine not serving: %+v", v)
			}
			if st := s.Status(); st.LastError == "" || st.Revision != rev {
				t.Errorf("status = %+v", st)
			}
			// Fixing the file clears the error.
			if err := os.Remove(filepath.Join(dir, tc.file)); err != nil {
				t.Fatal(err)
			}
			writeFiles(t, f.pol, policyFiles("review"))
			if err := s.Reload(context.Background()); err != nil || s.LastError() != nil {
				t.Fatalf("reload after fix: %v / %v", err, s.LastError())
			}
		})
	}
}

// A rule that conflicts only for some inputs compiles and passes the tests;
// the messages that hit the conflict get an error naming file:line, every
// other message is screened normally.
func TestEvalErrorAffectsOnlyThatMessage(t *testing.T) {
	f := newFixture(t)
	writeFiles(t, f.pol, map[string]string{"conflict.rego": "package modgate\n\naction := \"block\" if input.max_severity >= 2\n"})
	s := newScreener(t, f)
	_, err := s.Screen(context.Background(), modgate.Message{Text: "保本保息"})
	if err == nil || !strings.Contains(err.Error(), "conflict.rego:3") {
		t.Fatalf("conflicting message: err = %v, want an eval error naming the rule's file:line", err)
	}
	if v := screenText(t, s, "今天天气不错"); v.Action != "allow" {
		t.Fatalf("clean message after eval error: %+v", v)
	}
}

func TestNewFailsOnBrokenFiles(t *testing.T) {
	f := newFixture(t)
	writeFiles(t, f.pol, map[string]string{"decision.rego": "package modgate\n\nx := \n"})
	_, err := New(Config{PolicyDir: f.pol, LexiconDir: f.lex})
	var le *policies.LoadError
	if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), "decision.rego:") {
		t.Fatalf("New err = %v, want a *policies.LoadError naming decision.rego:LINE", err)
	}
	_, err = New(Config{PolicyDir: filepath.Join(f.root, "missing"), LexiconDir: f.lex})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing dir: %v", err)
	}
}

func TestTryFile(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	rev := s.Revision()
	tests := []struct {
		name, kind, file, content string
		wantErr                   string
	}{
		{name: "valid policy edit", kind: KindPolicy, file: "decision.rego", content: fmt.Sprintf(policyTmpl, "block")},
		{name: "valid new lexicon", kind: KindLexicon, file: "more.txt", content: "@category porn.explicit\n@severity 3\n裸聊\n"},
		{name: "broken policy", kind: KindPolicy, file: "decision.rego", content: "package modgate\n\nx := {\n", wantErr: "decision.rego:"},
		{name: "failing test", kind: KindPolicy, file: "decision.rego", content: fmt.Sprintf(policyTmpl, "block") + "\ndefault action := \"block\"\n", wantErr: "decision.rego:"},
		{name: "broken lexicon", kind: KindLexicon, file: "test.txt", content: "词 | nolabel.x | 2\n", wantErr: "test.txt:1"},
		{name: "path traversal", kind: KindPolicy, file: "../x.rego", content: "package x\n", wantErr: "invalid file name"},
		{name: "hidden name", kind: KindLexicon, file: ".x.txt", content: "", wantErr: "invalid file name"},
		{name: "wrong extension", kind: KindLexicon, file: "x.rego", content: "", wantErr: "want *.txt"},
		{name: "unknown kind", kind: "binary", file: "x.txt", content: "", wantErr: "unknown file kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.TryFile(context.Background(), tc.kind, tc.file, []byte(tc.content))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("TryFile: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("TryFile err = %v, want containing %q", err, tc.wantErr)
			}
			if s.Revision() != rev || s.LastError() != nil {
				t.Fatalf("TryFile changed the serving engine: %+v, %v", s.Revision(), s.LastError())
			}
		})
	}
	// Nothing was written.
	if b, _ := os.ReadFile(filepath.Join(f.pol, "decision.rego")); string(b) != fmt.Sprintf(policyTmpl, "review") {
		t.Fatal("TryFile modified the policy file on disk")
	}
}

// startWatch runs Watch until the test ends.
func startWatch(t *testing.T, s *Screener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	// Let the watcher register before the test starts changing files.
	time.Sleep(100 * time.Millisecond)
}

func TestWatchInPlaceWrite(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	startWatch(t, s)
	rev := s.Revision()
	writeFiles(t, f.pol, policyFiles("block"))
	testkit.Eventually(t, "policy revision to change", 10*time.Second, func() bool { return s.Revision().Policy != rev.Policy })
	if v := screenText(t, s, "保本保息"); v.Action != "block" {
		t.Fatalf("verdict after watch reload: %+v", v)
	}
}

// An editor (vim, VS Code, sed -i) writes a temporary file and renames it
// over the original.
func TestWatchRenameWrite(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	startWatch(t, s)
	rev := s.Revision()
	tmp := filepath.Join(f.pol, ".decision.rego.swp")
	writeFiles(t, f.pol, map[string]string{".decision.rego.swp": fmt.Sprintf(policyTmpl, "block")})
	if err := os.Rename(tmp, filepath.Join(f.pol, "decision.rego")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "policy revision to change", 10*time.Second, func() bool { return s.Revision().Policy != rev.Policy })
	if v := screenText(t, s, "保本保息"); v.Action != "block" {
		t.Fatalf("verdict after rename-write: %+v", v)
	}
	// And a lexicon rename-write.
	lrev := s.Revision().Lexicon
	writeFiles(t, f.lex, map[string]string{"test.txt~": lexicon + "百家乐 | gambling.site | 2\n"})
	if err := os.Rename(filepath.Join(f.lex, "test.txt~"), filepath.Join(f.lex, "test.txt")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "lexicon revision to change", 10*time.Second, func() bool { return s.Revision().Lexicon != lrev })
}

// configMapDir lays out a folder the way the kubelet projects a ConfigMap:
// the data lives in a timestamped hidden folder, ..data points at it, and the
// visible files are symlinks through ..data.
func configMapDir(t *testing.T, dir, stamp string, files map[string]string) {
	t.Helper()
	writeFiles(t, filepath.Join(dir, stamp), files)
	if err := os.Symlink(stamp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// configMapSwap updates it like the kubelet: new folder, new ..data_tmp
// symlink renamed over ..data, old folder removed.
func configMapSwap(t *testing.T, dir, old, stamp string, files map[string]string) {
	t.Helper()
	writeFiles(t, filepath.Join(dir, stamp), files)
	if err := os.Symlink(stamp, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
		t.Fatal(err)
	}
}

func TestWatchConfigMapSymlinkSwap(t *testing.T) {
	root := t.TempDir()
	f := fixture{root: root, pol: filepath.Join(root, "policies"), lex: filepath.Join(root, "lexicons")}
	configMapDir(t, f.pol, "..2026_11_25_10_00_00.1", policyFiles("review"))
	configMapDir(t, f.lex, "..2026_11_25_10_00_00.2", map[string]string{"test.txt": lexicon})
	s := newScreener(t, f)
	if v := screenText(t, s, "保本保息"); v.Action != "review" {
		t.Fatalf("initial verdict: %+v", v)
	}
	startWatch(t, s)
	rev := s.Revision()
	configMapSwap(t, f.pol, "..2026_11_25_10_00_00.1", "..2026_11_25_10_05_00.3", policyFiles("block"))
	testkit.Eventually(t, "policy revision to change after ..data swap", 10*time.Second, func() bool { return s.Revision().Policy != rev.Policy })
	if v := screenText(t, s, "保本保息"); v.Action != "block" {
		t.Fatalf("verdict after swap: %+v", v)
	}
	if err := s.LastError(); err != nil {
		t.Fatalf("LastError after swap: %v", err)
	}
}

// The configured folder is itself a symlink that gets re-pointed (a ConfigMap
// mounted one level up, or a deploy tool switching releases).
func TestWatchFolderSymlinkRepointed(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "rel1"), policyFiles("review"))
	writeFiles(t, filepath.Join(root, "rel2"), policyFiles("block"))
	writeFiles(t, filepath.Join(root, "lexicons"), map[string]string{"test.txt": lexicon})
	link := filepath.Join(root, "policies")
	if err := os.Symlink("rel1", link); err != nil {
		t.Fatal(err)
	}
	s := newScreener(t, fixture{root: root, pol: link, lex: filepath.Join(root, "lexicons")})
	startWatch(t, s)
	rev := s.Revision()
	if err := os.Symlink("rel2", filepath.Join(root, "policies.new")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(root, "policies.new"), link); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "policy revision to change after re-pointing the folder", 10*time.Second, func() bool { return s.Revision().Policy != rev.Policy })
	// The watch now follows the new target.
	rev = s.Revision()
	writeFiles(t, filepath.Join(root, "rel2"), map[string]string{"decision.rego": fmt.Sprintf(policyTmpl, "review") + "\n# edited\n"})
	testkit.Eventually(t, "policy revision to change after editing the new target", 10*time.Second, func() bool { return s.Revision().Policy != rev.Policy })
}

func TestWatchBrokenEditKeepsServing(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	startWatch(t, s)
	rev := s.Revision()
	writeFiles(t, f.pol, map[string]string{"decision.rego": "package modgate\n\ndecision := {\n"})
	testkit.Eventually(t, "reload error", 10*time.Second, func() bool { return s.LastError() != nil })
	if !strings.Contains(s.LastError().Error(), "decision.rego:") || s.Revision() != rev {
		t.Fatalf("LastError %v, revision %+v (was %+v)", s.LastError(), s.Revision(), rev)
	}
	if v := screenText(t, s, "保本保息"); v.Action != "review" {
		t.Fatalf("old engine not serving: %+v", v)
	}
	writeFiles(t, f.pol, policyFiles("block"))
	testkit.Eventually(t, "recovery", 10*time.Second, func() bool { return s.LastError() == nil && s.Revision().Policy != rev.Policy })
}

// Verdicts stay consistent while engines are swapped underneath: each one
// must carry the action its own revision decides (v1 review, v2 block), so
// filter and policy of one call always come from one engine. Run with -race.
func TestConcurrentScreenDuringReloads(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	revAction := map[string]string{s.Revision().Policy: "review"}
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var screened atomic.Int64
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				v, err := s.Screen(ctx, modgate.Message{Text: "稳赚不赔的保本保息"})
				if err != nil {
					errs <- err
					return
				}
				screened.Add(1)
				mu.Lock()
				want, ok := revAction[v.Revision.Policy]
				mu.Unlock()
				if !ok || v.Action != want {
					errs <- fmt.Errorf("revision %s gave %q, want %q (known %v)", v.Revision.Policy, v.Action, want, ok)
					return
				}
			}
		}()
	}
	for i := 0; i < 10; i++ {
		action := []string{"block", "review"}[i%2]
		// Register the expected action before the swap becomes visible.
		files := policyFiles(action)
		files["decision.rego"] += fmt.Sprintf("\n# generation %d\n", i)
		rev := revisionAfter(t, s, f, files)
		mu.Lock()
		revAction[rev] = action
		mu.Unlock()
		writeFiles(t, f.pol, files)
		if err := s.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if s.Revision().Policy != rev {
			t.Fatalf("revision %s, predicted %s", s.Revision().Policy, rev)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}
	if screened.Load() == 0 {
		t.Fatal("nothing screened")
	}
}

// revisionAfter predicts the policy revision of files by building them aside.
func revisionAfter(t *testing.T, s *Screener, f fixture, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	e, err := policies.LoadDir(context.Background(), dir, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e.Revision()
}

// Policies and lexicons may share one folder (a single ConfigMap); each
// loader reads only its own files.
func TestWatchSharedFolder(t *testing.T) {
	dir := t.TempDir()
	files := policyFiles("review")
	files["test.txt"] = lexicon
	writeFiles(t, dir, files)
	s := newScreener(t, fixture{root: dir, pol: dir, lex: dir})
	startWatch(t, s)
	rev := s.Revision()
	writeFiles(t, dir, map[string]string{"test.txt": lexicon + "百家乐 | gambling.site | 2\n"})
	testkit.Eventually(t, "lexicon revision to change", 10*time.Second, func() bool { return s.Revision().Lexicon != rev.Lexicon })
	if s.Revision().Policy != rev.Policy {
		t.Fatalf("policy revision changed on a lexicon edit: %+v -> %+v", rev, s.Revision())
	}
	writeFiles(t, dir, policyFiles("block"))
	testkit.Eventually(t, "policy revision to change", 10*time.Second, func() bool { return s.Revision().Policy != rev.Policy })
}

// A change made after the engine was built but before Watch registered its
// watches is still picked up (Watch checks once after registering).
func TestWatchPicksUpChangesBeforeStart(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f)
	rev := s.Revision()
	writeFiles(t, f.lex, map[string]string{"early.txt": "百家乐 | gambling.site | 2\n"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	testkit.Eventually(t, "lexicon revision to change", 10*time.Second, func() bool { return s.Revision().Lexicon != rev.Lexicon })
}

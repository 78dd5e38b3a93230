package screen

import (
	"bytes"
	"context"
	"github.com/modgate/modgate/internal/testkit"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/models"
)

// bigramModel is a model file whose only weights sit on the given
// character bigrams (no boundary markers, order 2 only), so a test knows
// exactly which text scores high and which n-gram explains it.
func bigramModel(t testing.TB, label string, bias float64, grams map[string]float32, extras ...string) []byte {
	t.Helper()
	f := models.Features{Orders: []int{2}, BucketsLog2: 12, FoldDigits: true, Extras: extras, Hash: models.HashFNV1aFib}
	w := make([]float32, f.Dim())
	for g, x := range grams {
		sp := f.Vector(g, make([]float32, len(extras)))
		if len(sp.Idx) != 1 {
			t.Fatalf("%q is not one bigram", g)
		}
		w[sp.Idx[0]] = x
	}
	var buf bytes.Buffer
	h := models.Header{Label: label, Features: f, Encoding: models.EncF32, Bias: bias, Calibration: models.Calibration{Method: "none"}}
	if err := models.Encode(&buf, h, w); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// modelFixture runs the shipped policies (model.rego reads the abuse
// threshold from the shipped data.json) with a planted abuse model.
func modelFixture(t *testing.T) (fixture, string) {
	t.Helper()
	f := newFixture(t)
	// The shipped decision needs the shipped rule files; the model rules
	// read data.tunables.model (abuse review 0.95).
	pol := filepath.Join(f.root, "shipped-policies")
	if err := os.CopyFS(pol, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	f.pol = pol
	dir := filepath.Join(f.root, "models")
	writeFiles(t, dir, map[string]string{
		"abuse.mgm": string(bigramModel(t, "abuse", -4, map[string]float32{"骗子": 40})),
	})
	return f, dir
}

func TestModelScoresReachVerdictAndPolicy(t *testing.T) {
	f, dir := modelFixture(t)
	s := newScreener(t, f, func(c *Config) { c.ModelDir = dir })
	rev := s.Revision()
	if rev.Model == "" || rev.Model != s.Engine().Models().Revision() {
		t.Fatalf("revision.model = %q, want the model set's hash", rev.Model)
	}
	clean := screenText(t, s, "今天天气不错，我们去公园散步吧")
	if clean.Action != "allow" || clean.Scores["abuse"] > 0.05 || len(clean.Scores) != 1 {
		t.Fatalf("clean message: %+v", clean)
	}
	// Traditional characters and full-width punctuation: the model scores
	// the normalised text, the explanation points at the ORIGINAL span.
	text := "你們這幫騙子！！還錢"
	v := screenText(t, s, text)
	if v.Action != "review" || v.Scores["abuse"] < 0.8 || v.Revision != rev {
		t.Fatalf("abusive message: %+v", v)
	}
	var reason *modgate.Reason
	for i := range v.Reasons {
		if v.Reasons[i].Rule == "model.abuse.review" {
			reason = &v.Reasons[i]
		}
	}
	if reason == nil || reason.Label != "abuse" || !strings.Contains(reason.Message, "abuse") || !strings.Contains(reason.Message, "≥ 阈值 0.8") {
		t.Fatalf("reasons %+v lack model.abuse.review naming the model and threshold", v.Reasons)
	}
	var got []modgate.Match
	for _, m := range v.Matches {
		if m.Source == modgate.SourceModel {
			got = append(got, m)
		}
	}
	if len(got) != 1 {
		t.Fatalf("model matches %+v, want exactly the planted bigram", got)
	}
	m := got[0]
	rs := []rune(text)
	if m.Term != "骗子" || m.Text != "騙子" || string(rs[m.Start:m.End]) != "騙子" || m.Category != "abuse" || m.Subcategory != "abuse" {
		t.Fatalf("model match %+v: want term 骗子 on the original 騙子 at [4,6)", m)
	}
}

func TestModelExplanationNeverUnmasks(t *testing.T) {
	f := newFixture(t)
	pol := filepath.Join(f.root, "shipped-policies")
	if err := os.CopyFS(pol, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	f.pol = pol
	dir := filepath.Join(f.root, "models")
	// Digits fold to 0: "00" is any two digits, here inside a phone number.
	writeFiles(t, dir, map[string]string{"abuse.mgm": string(bigramModel(t, "abuse", -4, map[string]float32{"00": 40, "骗子": 10}))})
	s := newScreener(t, f, func(c *Config) { c.ModelDir = dir })
	v := screenText(t, s, "骗子电话13812345678")
	if v.Action == "allow" {
		t.Fatalf("not flagged: %+v", v)
	}
	for _, m := range v.Matches {
		if m.Source == modgate.SourceModel && strings.ContainsAny(m.Text, "0123456789") {
			t.Fatalf("model match %+v shows digits of a masked phone number", m)
		}
	}
	if strings.Contains(v.MaskedText, "12345678") {
		t.Fatalf("masked text %q", v.MaskedText)
	}
}

func TestModelReloadRefusesBadFiles(t *testing.T) {
	good := bigramModel(t, "abuse", -4, map[string]float32{"骗子": 40})
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	cases := []struct {
		name, file string
		data       []byte
		want       []string
	}{
		{"corrupt", "abuse.mgm", corrupt, []string{"abuse.mgm", "checksum mismatch"}},
		{"truncated", "abuse.mgm", good[:len(good)/3], []string{"abuse.mgm", "checksum mismatch"}},
		{"not a model", "abuse.mgm", []byte("this is a text file, not a model, but it is long enough"), []string{"abuse.mgm", "bad magic"}},
		{"misnamed", "spam.mgm", good, []string{"spam.mgm", `holds label "abuse"`}},
		{"unknown extra", "fraud.mgm", bigramModel(t, "fraud", 0, nil, "sender.age"), []string{`extra feature "sender.age"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, dir := modelFixture(t)
			s := newScreener(t, f, func(cfg *Config) { cfg.ModelDir = dir })
			rev := s.Revision()
			if c.file != "abuse.mgm" {
				writeFiles(t, dir, map[string]string{c.file: string(c.data)})
			} else {
				writeFiles(t, dir, map[string]string{c.file: string(c.data)})
			}
			err := s.Reload(context.Background())
			if err == nil {
				t.Fatal("reload accepted a bad model file")
			}
			for _, w := range append(c.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if s.Revision() != rev {
				t.Fatalf("revision changed after a refused reload: %+v", s.Revision())
			}
			if v := screenText(t, s, "你们这帮骗子"); v.Action != "review" || v.Revision != rev {
				t.Fatalf("old engine not serving: %+v", v)
			}
			// Repair: the next reload succeeds and the error clears.
			if c.file == "abuse.mgm" {
				writeFiles(t, dir, map[string]string{c.file: string(good)})
			} else if err := os.Remove(filepath.Join(dir, c.file)); err != nil {
				t.Fatal(err)
			}
			if err := s.Reload(context.Background()); err != nil || s.LastError() != nil {
				t.Fatalf("after repair: %v", err)
			}
		})
	}
}

func TestModelOversizeRefusedUnread(t *testing.T) {
	f, dir := modelFixture(t)
	s := newScreener(t, f, func(cfg *Config) { cfg.ModelDir = dir })
	big := filepath.Join(dir, "huge.mgm")
	fh, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(models.MaxFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	err = s.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "huge.mgm") || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversize model: %v", err)
	}
}

func TestWatchModelFolder(t *testing.T) {
	f, dir := modelFixture(t)
	s := newScreener(t, f, func(cfg *Config) { cfg.ModelDir = dir })
	startWatch(t, s)
	rev := s.Revision()
	if v := screenText(t, s, "你们这帮坏蛋"); v.Action != "allow" {
		t.Fatalf("before: %+v", v)
	}
	// A retrained model, written the way `modgate train` writes it
	// (temporary file renamed over the old one).
	tmp := filepath.Join(dir, ".abuse.mgm.tmp")
	if err := os.WriteFile(tmp, bigramModel(t, "abuse", -4, map[string]float32{"骗子": 40, "坏蛋": 40}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "abuse.mgm")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "model revision to change", 10*time.Second, func() bool { return s.Revision().Model != rev.Model })
	if s.Revision().Policy != rev.Policy || s.Revision().Lexicon != rev.Lexicon {
		t.Fatalf("only the model changed, revision %+v", s.Revision())
	}
	if v := screenText(t, s, "你们这帮坏蛋"); v.Action != "review" {
		t.Fatalf("after the new model: %+v", v)
	}
	// A broken write keeps the new model serving.
	if err := os.WriteFile(filepath.Join(dir, "abuse.mgm"), []byte("garbage garbage garbage garbage garbage garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the reload error", 10*time.Second, func() bool { return s.LastError() != nil })
	if v := screenText(t, s, "你们这帮坏蛋"); v.Action != "review" {
		t.Fatalf("after a broken write: %+v", v)
	}
}

func TestTryFileModel(t *testing.T) {
	f, dir := modelFixture(t)
	s := newScreener(t, f, func(cfg *Config) { cfg.ModelDir = dir })
	if err := s.TryFile(context.Background(), KindModel, "spam.mgm", bigramModel(t, "spam", 0, nil)); err != nil {
		t.Fatalf("good model: %v", err)
	}
	if err := s.TryFile(context.Background(), KindModel, "spam.mgm", []byte("junk")); err == nil || !strings.Contains(err.Error(), "spam.mgm") {
		t.Fatalf("bad model: %v", err)
	}
	if err := s.TryFile(context.Background(), KindModel, "spam.bin", nil); err == nil {
		t.Fatal("wrong extension accepted")
	}
}

func TestNoModels(t *testing.T) {
	f := newFixture(t)
	s := newScreener(t, f, func(cfg *Config) { cfg.NoModels = true })
	v := screenText(t, s, "你好")
	if v.Revision.Model != "" || len(v.Scores) != 0 || v.Scores == nil {
		t.Fatalf("without models: revision %+v scores %v (want empty, non-nil)", v.Revision, v.Scores)
	}
}

func TestShippedModelsLoad(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	labels := s.Engine().Models().Labels()
	if strings.Join(labels, ",") != "abuse,fraud,illegal,porn,spam" {
		t.Fatalf("shipped models %v, want abuse, fraud, illegal, porn and spam", labels)
	}
	v := screenText(t, s, "明天下午三点开会，记得带电脑")
	if v.Action != "allow" || len(v.Scores) != 5 || v.Revision.Model == "" {
		t.Fatalf("ordinary message with shipped models: %+v", v)
	}
}

// The shipped kind models name the family of a message the spam model
// flags when no family rule does (an escort ad with one person word and no
// service word), and name nothing in a shop's ad or in ordinary chat.
func TestShippedKindModelsNameTheFamily(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		want, not  []string
	}{
		{"escort ad without a service word", "今晚有新人 私密安排 安全放心 全程无套路 加v:mm77889", []string{"porn"}, []string{"illegal", "fraud"}},
		{"a clothes shop's ad", "本店新到一批秋装 全场八折 欢迎选购 加微信 shop8899", []string{"ads"}, []string{"porn", "illegal", "fraud"}},
		{"ordinary chat", "新到的同事人很好，今晚一起吃饭吧", nil, []string{"porn", "illegal", "fraud", "ads"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := screenText(t, s, tc.text)
			for _, l := range tc.want {
				if !slices.Contains(v.Labels, l) {
					t.Errorf("labels %v (rules %v, scores %v): want %s", v.Labels, v.Reasons, v.Scores, l)
				}
			}
			for _, l := range tc.not {
				if slices.Contains(v.Labels, l) {
					t.Errorf("labels %v (rules %v, scores %v): %s is not this message's family", v.Labels, v.Reasons, v.Scores, l)
				}
			}
		})
	}
}

// A restart with a corrupt model in the watched model folder starts from
// the last good engine (its model included) instead of not starting.
func TestModelRestartWithCorruptFileServesLastGood(t *testing.T) {
	f, dir := modelFixture(t)
	good := filepath.Join(f.root, "data", "engine")
	s := newScreener(t, f, func(c *Config) { c.ModelDir, c.LastGoodDir = dir, good })
	rev := s.Revision()
	writeFiles(t, dir, map[string]string{"abuse.mgm": "corrupt, not a model file at all, long enough to be read"})
	s2, err := New(Config{PolicyDir: f.pol, LexiconDir: f.lex, ModelDir: dir, LastGoodDir: good})
	if err != nil {
		t.Fatalf("restart with a last good engine: %v", err)
	}
	if s2.Revision() != rev || s2.Fallback() == "" || !strings.Contains(s2.LastError().Error(), "abuse.mgm") {
		t.Fatalf("revision %+v (want %+v), fallback %q, err %v", s2.Revision(), rev, s2.Fallback(), s2.LastError())
	}
	if v := screenText(t, s2, "你们这帮骗子"); v.Action != "review" || v.Scores["abuse"] < 0.88 {
		t.Fatalf("the saved model does not score: %+v", v)
	}
}

func TestStaleModelsReported(t *testing.T) {
	f, dir := modelFixture(t)
	// A model whose metadata names another normaliser, and one with this
	// build's: only the first is stale.
	mk := func(label, fp string) []byte {
		m := bigramModel(t, label, -4, map[string]float32{"骗子": 40})
		dm, err := models.Decode(label+".mgm", m)
		if err != nil {
			t.Fatal(err)
		}
		h := dm.Header
		h.Training = []byte(`{"normalizer":"` + fp + `"}`)
		var buf bytes.Buffer
		if err := models.Encode(&buf, h, dm.W); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	writeFiles(t, dir, map[string]string{"abuse.mgm": string(mk("abuse", "0000000000000000")), "spam.mgm": string(mk("spam", NormalizerFingerprint()))})
	s := newScreener(t, f, func(c *Config) { c.ModelDir = dir })
	if got := s.Status().StaleModels; len(got) != 1 || got[0] != "abuse" {
		t.Fatalf("stale models %v, want [abuse]", got)
	}
	if v := screenText(t, s, "你们这帮骗子"); v.Action != "review" {
		t.Fatalf("a stale model must still score: %+v", v)
	}
}

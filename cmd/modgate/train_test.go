package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modgate/modgate/models"
)

// tinyCorpus writes a small label<TAB>text corpus: spam-like positives and
// chat negatives built from word lists, so the test needs no shared data.
func tinyCorpus(t *testing.T, dir string) string {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 3))
	lead := []string{"加我微信", "私聊领取", "扫码进群", "点击链接", "免费领取"}
	bait := []string{"红包福利", "日赚三百", "内部消息", "高额返利", "兼职刷单"}
	chat := []string{"今天晚上吃什么", "明天几点开会", "作业写完了吗", "周末去爬山吧", "记得带伞", "妈妈说早点回家", "这本书挺好看"}
	var b strings.Builder
	b.WriteString("# tiny test corpus\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "ads\t%s%s，名额%d个\n", lead[r.IntN(len(lead))], bait[r.IntN(len(bait))], 10+r.IntN(90))
		fmt.Fprintf(&b, "ok\t%s，%s\n", chat[r.IntN(len(chat))], chat[r.IntN(len(chat))])
	}
	p := filepath.Join(dir, "tiny.tsv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func tinyRecipe(t *testing.T, dir string) string {
	t.Helper()
	tinyCorpus(t, dir)
	rc := `label spam
seed 7
orders 1 2
buckets_log2 10
extras detector.wechat
l2 1e-3 1e-2
encoding i8
dev_share 0.3
note "test model"
input tiny.tsv weight=2 name=tiny source="generated in the test" licence="test"
`
	p := filepath.Join(dir, "spam.recipe")
	if err := os.WriteFile(p, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrainDeterministicAndLoadable(t *testing.T) {
	dir := t.TempDir()
	recipe := tinyRecipe(t, dir)
	outA, outB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	stdout, stderr, code := runCmd(t, "", "train", "--out", outA, "--date", "2026-01-02", recipe)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"model spam:", "threshold", "calibration", "dev figures per input", "wrote"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stderr, "\r") {
		t.Error("progress bar written although stderr is not a terminal")
	}
	if _, _, code := runCmd(t, "", "train", "--out", outB, "--date", "2026-01-02", recipe); code != 0 {
		t.Fatal("second run failed")
	}
	a, _ := os.ReadFile(filepath.Join(outA, "spam.mgm"))
	b, _ := os.ReadFile(filepath.Join(outB, "spam.mgm"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("two runs of the same recipe and seed wrote different model files")
	}
	ca, _ := os.ReadFile(filepath.Join(outA, "spam.md"))
	cb, _ := os.ReadFile(filepath.Join(outB, "spam.md"))
	if !bytes.Equal(ca, cb) {
		t.Fatal("model cards differ")
	}
	for _, want := range []string{"# Model card: `spam`", "generated in the test", "| test |", "2026-01-02", "test model", "ROC-AUC"} {
		if !bytes.Contains(ca, []byte(want)) {
			t.Errorf("card lacks %q", want)
		}
	}
	set, err := models.LoadFS(os.DirFS(outA))
	if err != nil || set.Len() != 1 {
		t.Fatalf("written model does not load: %v", err)
	}
	out := []float64{0}
	set.Score("加我微信领取红包福利", []float32{0}, out)
	spam := out[0]
	set.Score("明天几点开会，记得带伞", []float32{0}, out)
	if !(spam > 0.5 && out[0] < 0.5) {
		t.Fatalf("trained model scores spam %.3f, chat %.3f", spam, out[0])
	}
	// Another seed splits differently, so the file differs.
	outC := filepath.Join(dir, "c")
	if _, _, code := runCmd(t, "", "train", "--out", outC, "--seed", "8", recipe); code != 0 {
		t.Fatal("seed 8 failed")
	}
	c, _ := os.ReadFile(filepath.Join(outC, "spam.mgm"))
	if bytes.Equal(a, c) {
		t.Error("the seed does not change the split")
	}
}

func TestTrainRecipeErrors(t *testing.T) {
	dir := t.TempDir()
	tinyCorpus(t, dir)
	cases := []struct {
		name, body, want string
	}{
		{"unknown key", "label spam\nbuckets 20\n", "r.recipe:2: unknown key \"buckets\""},
		{"bad label", "label Spam!\n", "r.recipe:1: label"},
		{"bad weight", "label spam\ninput tiny.tsv weight=-1\n", "r.recipe:2: input: weight"},
		{"unknown option", "label spam\ninput tiny.tsv colour=red\n", "r.recipe:2: input: unknown option \"colour\""},
		{"unterminated quote", "label spam\ninput tiny.tsv source=\"open\n", "r.recipe:2: unterminated quote"},
		{"no inputs", "label spam\n", "no input lines"},
		{"bad orders", "label spam\norders 3 2\ninput tiny.tsv\n", "features: n-gram orders"},
		{"unknown extra", "label spam\nextras sender.age\ninput tiny.tsv\n", "extra feature \"sender.age\""},
		{"missing input file", "label spam\ninput nope.tsv\n", "r.recipe:2: input:"},
		{"one class", "label spam\ninput tiny.tsv all=negative\n", "positive and negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "r.recipe")
			if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := runCmd(t, "", "train", "--dry-run", p)
			if code == 0 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q: want an error containing %q", code, stderr, c.want)
			}
		})
	}
}

func TestRestoreDigits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	cases := []struct{ in, re string }{
		{"原价xxx元", `^原价[1-9]\d\d元$`},
		{"手机:xxxxxxxxxxx", `^手机:1[3-9]\d{9}$`},
		{"QQxxxxxxxxx", `^QQ[1-9]\d{8}$`},
		{"x月x日", `^\d月\d日$`},
		{"winxx和Windowsxx", `^winxx和Windowsxx$`},
		{"xxM宽带", `^[1-9]\dM宽带$`},
		{"no digits here", `^no digits here$`},
	}
	for _, c := range cases {
		got := restoreDigits(c.in, r)
		if !regexp.MustCompile(c.re).MatchString(got) {
			t.Errorf("restoreDigits(%q) = %q, want %s", c.in, got, c.re)
		}
	}
}

func TestEvalScoreFiguresAndRecipe(t *testing.T) {
	dir := t.TempDir()
	recipe := tinyRecipe(t, dir)
	if _, _, code := runCmd(t, "", "train", "--out", dir, recipe); code != 0 {
		t.Fatal("train failed")
	}
	// The trained spam model beside the shipped abuse model: eval reports
	// score figures for each.
	stdout, stderr, code := runCmd(t, "", "eval", "--corpus", filepath.Join(dir, "tiny.tsv"), "--models", dir, "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, `"model": "spam"`) || !strings.Contains(stdout, `"roc_auc"`) || !strings.Contains(stdout, `"at_threshold"`) {
		t.Fatalf("json lacks score figures:\n%s", stdout)
	}
	stdout, stderr, code = runCmd(t, "", "eval", "--recipe", recipe, "--models", dir)
	if code != 0 || !strings.Contains(stdout, "dev split of") || !strings.Contains(stdout, "tiny") {
		t.Fatalf("eval --recipe: %d\n%s\n%s", code, stdout, stderr)
	}
	// COLD format with --split: only dev rows count.
	cold := filepath.Join(dir, "cold.tsv")
	os.WriteFile(cold, []byte("label\ttext\tsplit\ttopic\n1\t你就是个垃圾\ttrain\tx\n0\t今天天气好\tdev\tx\n1\t滚出去吧你\tdev\tx\n"), 0o644)
	stdout, _, code = runCmd(t, "", "eval", "--corpus", cold, "--split", "dev", "--top", "0")
	if code != 0 || !strings.Contains(stdout, "2 samples") || !strings.Contains(stdout, "model abuse, score alone (2 rows, 1 positive)") {
		t.Fatalf("eval --split dev:\n%s", stdout)
	}
}

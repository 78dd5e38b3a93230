package reviewui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/models"
)

// writeBigramModel writes an abuse model whose only weight sits on one
// character bigram, so the test knows which span the model will explain.
func writeBigramModel(t *testing.T, dir, gram string) {
	t.Helper()
	f := models.Features{Orders: []int{2}, BucketsLog2: 10, Hash: models.HashFNV1aFib}
	w := make([]float32, f.Dim())
	sp := f.Vector(gram, nil)
	w[sp.Idx[0]] = 40
	var buf bytes.Buffer
	if err := models.Encode(&buf, models.Header{Label: "abuse", Features: f, Encoding: models.EncF32, Bias: -4,
		Calibration: models.Calibration{Method: "none"}}, w); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "abuse.mgm"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A message flagged only by the abuse model: the reviewer sees the n-gram
// that drove the score highlighted on the ORIGINAL characters (traditional
// here, the model read simplified), drawn differently from lexicon hits,
// and listed as a model match.
func TestBrowserModelHighlight(t *testing.T) {
	exe := needChromium(t)
	modelDir := filepath.Join(t.TempDir(), "models")
	writeBigramModel(t, modelDir, "蓝莓") // a bigram no lexicon term covers
	g := startGateway(t, "--model-dir", modelDir)
	tok := g.apiToken(t, "lena")

	text := "😀你們這幫藍莓還錢"
	m := modgate.Message{ID: "model-1", Text: text, Tenant: "t1", Sender: modgate.Sender{ID: "u-m"}, Group: modgate.Group{ID: "g-1", Kind: "personal"}}
	var v modgate.Verdict
	if st := g.postJSON(t, "/v1/screen", "", m, &v); st != 200 {
		t.Fatalf("screen: status %d", st)
	}
	var mm *modgate.Match
	for i := range v.Matches {
		if v.Matches[i].Source == modgate.SourceModel {
			mm = &v.Matches[i]
		}
	}
	if v.Action != modgate.ActionReview || v.CaseID == "" || mm == nil || v.Scores["abuse"] < 0.8 || v.Revision.Model == "" {
		t.Fatalf("verdict %+v: want a review by the abuse model with a model match", v)
	}
	if got := string([]rune(text)[mm.Start:mm.End]); got != "藍莓" {
		t.Fatalf("model match [%d,%d) = %q, want 藍莓", mm.Start, mm.End, got)
	}
	g.waitCase(t, tok, v.CaseID)

	b := newBrowser(t, exe)
	b.login(t, g, "alice")
	eval[string](t, b, fmt.Sprintf(`location.hash = '#/case/%s'`, v.CaseID))
	b.waitJS(t, "model highlight", `document.querySelector('#msg-text mark.hl.src-model') !== null`)
	type mark struct {
		Start, End int
		Text       string
		Border     string
		Fill       string
	}
	marks := eval[[]mark](t, b, `Array.from(document.querySelectorAll('#msg-text mark.hl.src-model')).map(m => ({Start: +m.dataset.start, End: +m.dataset.end, Text: m.textContent, Border: getComputedStyle(m).borderTopStyle, Fill: getComputedStyle(m).backgroundColor}))`)
	if len(marks) != 1 || marks[0].Start != mm.Start || marks[0].End != mm.End || marks[0].Text != "藍莓" {
		t.Fatalf("model marks %+v, want one on 藍莓 at [%d,%d)", marks, mm.Start, mm.End)
	}
	if marks[0].Border != "dashed" || marks[0].Fill != "rgba(0, 0, 0, 0)" {
		t.Errorf("model mark drawn with border %q fill %q: want a dashed outline and no fill, unlike lexicon hits", marks[0].Border, marks[0].Fill)
	}
	if !eval[bool](t, b, `Array.from(document.querySelectorAll('#match-list li[data-source="model"] .src-badge')).some(e => e.textContent.includes('abuse'))`) {
		t.Error("the match list does not mark the model match as coming from the abuse model")
	}
	if !eval[bool](t, b, fmt.Sprintf(`Array.from(document.querySelectorAll('.rev code')).some(c => c.title === %q && %q.startsWith(c.textContent))`, v.Revision.Model, v.Revision.Model)) {
		t.Error("the case view does not show the model revision")
	}
	screenshot(t, b, "review-model-match.png")
}

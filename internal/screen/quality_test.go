package screen

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modgate/modgate/internal/testkit"
)

// The quality gate: the team-written labelled sets in testdata/quality must
// keep at least this recall and at most this false-positive rate with the
// shipped policies and lexicons. Tighten the bounds when quality improves;
// never loosen them to make a lexicon or policy change pass.
const (
	gateMinRecall = 0.82
	gateMaxFPRate = 0.025
	// Every label with positives must be caught (flagged at all) this often.
	gateMinLabelFlagged = 0.60
)

// shippedScreener loads the policies and lexicons exactly as they sit in
// the repository, the files operators edit.
func shippedScreener(t testing.TB) *Screener {
	t.Helper()
	s, err := New(Config{PolicyDir: "../../policies", LexiconDir: "../../lexicons", ModelDir: "../../models"})
	if err != nil {
		t.Fatalf("shipped policies/lexicons do not load: %v", err)
	}
	return s
}

// gatedSets are the sets in testdata/quality the gate runs. The family,
// near-miss and identity sets beside them (teamsets_test.go) are not gated
// here: each has its own bounds once the rules for it exist.
var gatedSets = []string{"chat.tsv", "holdout.tsv"}

func TestQualityGate(t *testing.T) {
	s := shippedScreener(t)
	for _, name := range gatedSets {
		file := filepath.Join(qualityDir, name)
		t.Run(filepath.Base(file), func(t *testing.T) {
			samples := readCorpusFile(t, file, FormatLabel)
			res, err := Evaluate(context.Background(), s.Screen, samples, 2)
			if err != nil {
				t.Fatal(err)
			}
			c := res.Overall
			t.Logf("%s: %d samples, recall %.1f%% (%d/%d), FP rate %.1f%% (%d/%d), precision %.1f%%",
				file, len(samples), 100*c.Recall(), c.TP, c.Positives(), 100*c.FPRate(), c.FP, c.Negatives(), 100*c.Precision())
			if res.Errors > 0 {
				t.Errorf("%d samples failed to screen", res.Errors)
			}
			if c.Positives() < 50 || c.Negatives() < 50 {
				t.Fatalf("set too small to gate on: %d positives, %d negatives", c.Positives(), c.Negatives())
			}
			fail := false
			if c.Recall() < gateMinRecall {
				t.Errorf("recall %.1f%% < bound %.0f%%", 100*c.Recall(), 100*gateMinRecall)
				fail = true
			}
			if c.FPRate() > gateMaxFPRate {
				t.Errorf("false-positive rate %.1f%% > bound %.0f%%", 100*c.FPRate(), 100*gateMaxFPRate)
				fail = true
			}
			for _, l := range res.Labels {
				n := l.Exact.Positives()
				if n == 0 {
					continue
				}
				if got := float64(l.Flagged) / float64(n); got < gateMinLabelFlagged {
					t.Errorf("label %s: only %.0f%% of %d flagged, bound %.0f%%", l.Label, 100*got, n, 100*gateMinLabelFlagged)
					fail = true
				}
			}
			if fail || testing.Verbose() {
				for _, o := range res.FalsePositives() {
					t.Logf("false positive line %d %s %v: %s", o.Line, o.Verdict.Action, o.Verdict.Labels, o.Preview(60))
				}
				for _, o := range res.Misses() {
					t.Logf("miss line %d want %s: %s", o.Line, strings.Join(o.Labels, ","), o.Preview(60))
				}
			}
		})
	}
}

func readCorpusFile(t testing.TB, file, format string) []Sample {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	samples, err := ReadCorpus(f, file, format)
	if err != nil {
		t.Fatal(err)
	}
	return samples
}

// sharedData is ../shared/data relative to the repository root; the public
// corpora are never copied into the repository.
const sharedData = "../../../shared/data"

// TestSharedCorpora checks the quality targets of QUALITY.md on the public
// corpora when they are present (skipped otherwise, and with -short). Bounds
// are the targets where met, otherwise the recorded measurement
// plus a small margin so a regression still fails.
func TestSharedCorpora(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the public-corpus measurement")
	}
	testkit.SharedData(t)
	s := shippedScreener(t)
	tests := []struct {
		file, format string
		maxFPRate    float64 // on negatives
		minRecall    float64 // on positives (0: none in the corpus)
	}{
		{"benign_nus_sms_zh.tsv", FormatNUS, sharedNUSMaxFP, 0},
		{"benign_thucnews_titles.tsv", FormatTHUC, sharedTHUCMaxFP, 0},
		{"sms_spam_80w_sample.tsv", FormatSMS80w, sharedSMSMaxFP, sharedSMSMinRecall},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			samples := readCorpusFile(t, filepath.Join(sharedData, tc.file), tc.format)
			res, err := Evaluate(context.Background(), s.Screen, samples, 2)
			if err != nil {
				t.Fatal(err)
			}
			c := res.Overall
			t.Logf("%s: FP rate %.2f%% (%d/%d), recall %.2f%% (%d/%d), errors %d",
				tc.file, 100*c.FPRate(), c.FP, c.Negatives(), 100*c.Recall(), c.TP, c.Positives(), res.Errors)
			if c.FPRate() > tc.maxFPRate {
				t.Errorf("FP rate %.2f%% > bound %.2f%%", 100*c.FPRate(), 100*tc.maxFPRate)
			}
			if tc.minRecall > 0 && c.Recall() < tc.minRecall {
				t.Errorf("recall %.2f%% < bound %.2f%%", 100*c.Recall(), 100*tc.minRecall)
			}
		})
	}
}

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/models"
)

// scoreFigure is what `modgate eval` reports per model label: how the score
// alone separates the corpus, at the shipped review threshold and across
// thresholds (gold = the corpus's positive rows).
type scoreFigure struct {
	Model        string          `json:"model"`
	N            int             `json:"n"`
	Positives    int             `json:"positives"`
	AUC          *float64        `json:"roc_auc"`
	Threshold    float64         `json:"threshold"` // shipped review threshold (0: none)
	AtThreshold  thresholdJSON   `json:"at_threshold"`
	AtHalf       thresholdJSON   `json:"at_0_5"`
	BestAccuracy thresholdJSON   `json:"best_accuracy"`
	Table        []thresholdJSON `json:"table"`
	scored       []models.Scored
}

type thresholdJSON struct {
	Threshold float64  `json:"threshold"`
	Flagged   int      `json:"flagged"`
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	FPRate    *float64 `json:"fp_rate"`
	Accuracy  *float64 `json:"accuracy"`
}

func num(f float64) *float64 {
	if math.IsNaN(f) {
		return nil
	}
	f = math.Round(f*1e6) / 1e6
	return &f
}

func toThresholdJSON(c models.AtThreshold) thresholdJSON {
	return thresholdJSON{Threshold: c.Threshold, Flagged: c.TP + c.FP, Precision: num(c.Precision()),
		Recall: num(c.Recall()), FPRate: num(c.FPRate()), Accuracy: num(c.Accuracy())}
}

// scoreFigures computes the figures of every model label from the verdicts'
// scores. With positive labels given, positive rows count only when they
// carry one of them (others are left out); negatives always count.
func scoreFigures(out []screen.Outcome, e *screen.Engine, positive []string) []scoreFigure {
	if e == nil || e.Models().Len() == 0 {
		return nil
	}
	tun := e.Policy().ModelTunables()
	var figs []scoreFigure
	for _, label := range e.Models().Labels() {
		f := scoreFigure{Model: label, Threshold: tun[label].Review}
		for i := range out {
			o := &out[i]
			if o.Err != nil {
				continue
			}
			if o.Positive && len(positive) > 0 && len(o.Labels) > 0 && !anyIn(o.Labels, positive) {
				continue
			}
			sc, ok := o.Verdict.Scores[label]
			if !ok {
				continue
			}
			f.scored = append(f.scored, models.Scored{Score: sc, Positive: o.Positive})
			if o.Positive {
				f.Positives++
			}
		}
		f.N = len(f.scored)
		if f.N == 0 {
			continue
		}
		f.AUC = num(models.ROCAUC(f.scored))
		if f.Threshold > 0 {
			f.AtThreshold = toThresholdJSON(models.Confusion(f.scored, f.Threshold))
		}
		f.AtHalf = toThresholdJSON(models.Confusion(f.scored, 0.5))
		f.BestAccuracy = toThresholdJSON(models.BestAccuracy(f.scored))
		for _, c := range models.ThresholdTable(f.scored, models.DefaultThresholds) {
			f.Table = append(f.Table, toThresholdJSON(c))
		}
		figs = append(figs, f)
	}
	return figs
}

func anyIn(xs, set []string) bool {
	for _, x := range xs {
		if slices.Contains(set, x) {
			return true
		}
	}
	return false
}

func writeScoreFiguresText(w io.Writer, figs []scoreFigure) {
	for _, f := range figs {
		fmt.Fprintf(w, "\nmodel %s, score alone (%d rows, %d positive):\n", f.Model, f.N, f.Positives)
		if f.Threshold > 0 {
			c := models.Confusion(f.scored, f.Threshold)
			fmt.Fprintf(w, "  at the shipped review threshold %.2f: flagged %d, precision %s, recall %s, FP rate %s, accuracy %s\n",
				f.Threshold, c.TP+c.FP, pctNaN(c.Precision()), pctNaN(c.Recall()), pctNaN(c.FPRate()), pctNaN(c.Accuracy()))
		}
		mark := f.Threshold
		if mark == 0 {
			mark = 0.5
		}
		var b strings.Builder
		writeScoreTables(&b, f.scored, mark)
		fmt.Fprint(w, "  "+strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n  ")+"\n")
	}
}

package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/modgate/modgate/models"
)

// modelCard renders the markdown card written next to a model: what it
// scores, the data it learned from with their licences, how it was
// trained, and its dev figures, so an operator can judge it without the
// training data at hand.
func modelCard(rc *recipe, p *prepared, best *trainResult, loaded []models.Scored, date string, size int, sum string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Model card: `%s`\n\n", rc.Label)
	w("Written by `modgate train %s` on %s. Do not edit by hand: retrain instead.\n\n", filepath.Base(rc.File), date)
	w("| | |\n|---|---|\n")
	w("| file | `%s%s` (%d bytes, SHA-256 `%s`) |\n", rc.Label, models.Ext, size, sum[:16])
	w("| model | logistic regression over hashed character n-grams of the normalised text |\n")
	w("| features | orders %v, 2^%d buckets, boundary markers %v, digits folded %v, extras %v |\n",
		rc.Features.Orders, rc.Features.BucketsLog2, rc.Features.Boundary, rc.Features.FoldDigits, rc.Features.Extras)
	w("| training | L-BFGS (gonum), L2 λ=%g (chosen on dev log-loss among %v), %d iterations, seed %d |\n",
		best.L2, rc.L2, best.Fit.Iterations, rc.Seed)
	w("| calibration | Platt on the dev split: p = σ(%.4f·z %+.4f) |\n", best.A, best.B)
	w("| weights | %s |\n", rc.Encoding)
	w("| examples | %d training, %d dev (%d training rows dropped because the same text is in dev) |\n\n", len(p.train), len(p.dev), p.dropped)
	if len(rc.Notes) > 0 {
		w("## Intended use and limits\n\n")
		for _, n := range rc.Notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	w("## Data\n\nThe texts are not in the repository and not in the model file (it holds only hashed weights).\n\n")
	w("| input | source | licence | weight | train +/− | dev +/− |\n|---|---|---|---:|---:|---:|\n")
	for _, s := range p.sources {
		restored := ""
		if s.Restored {
			restored = " (masked digits restored)"
		}
		weight := fmt.Sprintf("%g", s.Weight)
		if s.PosScale != 1 && s.PosScale != 0 {
			weight += fmt.Sprintf(" (positives ×%g)", s.PosScale)
		}
		w("| `%s`%s | %s | %s | %s | %d / %d | %d / %d |\n", s.Name, restored, dash(s.Source), dash(s.Licence), weight,
			s.TrainPos, s.TrainNeg, s.DevPos, s.DevNeg)
	}
	w("\n## Dev figures (calibrated scores, weights as loaded)\n\n")
	w("ROC-AUC %.4f, log-loss %.4f (float weights: AUC %.4f).\n\n", models.ROCAUC(loaded), models.LogLoss(loaded), best.AUC)
	w("```\n")
	var tb strings.Builder
	writeScoreTables(&tb, loaded, 0.5)
	w("%s", tb.String())
	w("```\n\nPer input (dev rows only):\n\n```\n")
	tb.Reset()
	bySrc := map[string][]models.Scored{}
	for i, d := range p.dev {
		bySrc[d.Source] = append(bySrc[d.Source], loaded[i])
	}
	writeSourceTable(&tb, p.sources, bySrc)
	w("%s```\n", tb.String())
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

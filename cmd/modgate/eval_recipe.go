package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/models"
)

// evalRecipe screens the dev split of every input of a training recipe
// through the whole pipeline: the rows the model never trained on, split
// exactly as `modgate train` split them. It prints, per input, what the
// pipeline flagged and what the recipe's model score alone does.
func evalRecipe(ctx context.Context, path string, cfg screen.Config, workers int, asJSON bool, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	rc, err := parseRecipe(f, path)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	p, err := prepare(rc)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	s, err := screen.NewContext(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	samples := make([]screen.Sample, len(p.dev))
	for i, d := range p.dev {
		samples[i] = screen.Sample{Line: i + 1, Positive: d.Positive, Group: d.Source, Text: d.Orig}
	}
	res, err := screen.Evaluate(ctx, s.Screen, samples, workers)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	tun := s.Engine().Policy().ModelTunables()[rc.Label]
	th := tun.Review
	if th == 0 {
		th = tun.Kind // a kind model has no threshold of its own but its kind
	}
	if th == 0 {
		th = 0.5
	}
	type row struct {
		Input     string   `json:"input"`
		N         int      `json:"n"`
		Positives int      `json:"positives"`
		Flagged   int      `json:"flagged"`
		Recall    *float64 `json:"recall"`
		FPRate    *float64 `json:"fp_rate"`
		ScoreAUC  *float64 `json:"score_auc"`
		ScoreRec  *float64 `json:"score_recall_at_threshold"`
		ScoreFP   *float64 `json:"score_fp_rate_at_threshold"`
	}
	var rows []row
	for _, src := range p.sources {
		var xs []models.Scored
		r := row{Input: src.Name}
		for _, o := range res.Outcomes {
			if o.Group != src.Name || o.Err != nil {
				continue
			}
			r.N++
			if o.Positive {
				r.Positives++
			}
			if o.Flagged() {
				r.Flagged++
			}
			xs = append(xs, models.Scored{Score: o.Verdict.Scores[rc.Label], Positive: o.Positive})
		}
		gc := res.Groups[src.Name]
		r.Recall, r.FPRate = num(nanDiv(gc.TP, gc.TP+gc.FN)), num(nanDiv(gc.FP, gc.FP+gc.TN))
		c := models.Confusion(xs, th)
		r.ScoreAUC, r.ScoreRec, r.ScoreFP = num(models.ROCAUC(xs)), num(c.Recall()), num(c.FPRate())
		rows = append(rows, r)
	}
	rev := s.Revision()
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"recipe": path, "model": rc.Label, "threshold": th, "revision": rev, "inputs": rows}); err != nil {
			fmt.Fprintf(stderr, "modgate eval: %v\n", err)
			return 2
		}
		return 0
	}
	fmt.Fprintf(stdout, "dev split of %s (%d rows never trained on), whole pipeline\n", path, len(p.dev))
	fmt.Fprintf(stdout, "revision: policy %s, lexicon %s, model %s\n\n", short(rev.Policy), short(rev.Lexicon), short(rev.Model))
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "input\tn\tpositive\tflagged\trecall\tFP rate\t%s AUC\t%s recall@%.2f\t%s FP@%.2f\t\n", rc.Label, rc.Label, th, rc.Label, th)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.Input, r.N, r.Positives, r.Flagged,
			pctPtr(r.Recall), pctPtr(r.FPRate), fmtPtr(r.ScoreAUC), pctPtr(r.ScoreRec), pctPtr(r.ScoreFP))
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nactions: allow %d, review %d, block %d\n", res.Actions[modgate.ActionAllow], res.Actions[modgate.ActionReview], res.Actions[modgate.ActionBlock])
	return 0
}

func nanDiv(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func pctPtr(f *float64) string {
	if f == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100**f)
}

func fmtPtr(f *float64) string {
	if f == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *f)
}

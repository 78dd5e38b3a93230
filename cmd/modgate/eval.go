package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/internal/screen"
)

func init() {
	register(command{
		Name:    "eval",
		Summary: "measure precision, recall and false positives on a labelled corpus",
		Run:     runEval,
	})
}

func runEval(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("eval", flag.ContinueOnError)
	fset.SetOutput(stderr)
	corpus := fset.String("corpus", "", "labelled corpus `FILE` (- for stdin)")
	format := fset.String("format", screen.FormatAuto, "corpus format: "+strings.Join(screen.Formats, ", "))
	policyDir := fset.String("policies", "", "policy `DIR` (default: the embedded policies)")
	lexiconDir := fset.String("lexicons", "", "lexicon `DIR` (default: the embedded lexicons)")
	modelDir := fset.String("models", "", "model `DIR` (default: the embedded models; \"none\" screens without models)")
	split := fset.String("split", "", "keep only rows of this corpus split (cold: train or dev)")
	positive := fset.String("positive", "", "score figures: the taxonomy `LABELS` (comma-separated) whose rows count as positive; other positive rows are left out (default: every positive row)")
	recipe := fset.String("recipe", "", "evaluate the dev split of every input of a training `RECIPE` instead of --corpus")
	engine := new(string)
	matcherFlag(fset, engine, filters.EngineCompact)
	workers := fset.Int("workers", min(2, runtime.GOMAXPROCS(0)), "parallel screening goroutines")
	top := fset.Int("top", 10, "how many worst false positives and misses to show")
	skipTests := fset.Bool("skip-policy-tests", false, "load the policies without running their *_test.rego (for what-if experiments)")
	asJSON := fset.Bool("json", false, "print the summary as JSON")
	minRecall := fset.Float64("min-recall", -1, "exit 1 when overall recall is below this fraction (0..1)")
	maxFP := fset.Float64("max-fp-rate", -1, "exit 1 when the overall false-positive rate is above this fraction (0..1)")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: modgate eval --corpus FILE [flags]")
		fmt.Fprintln(stderr, "\nScreens every line of a labelled corpus and prints precision, recall and")
		fmt.Fprintln(stderr, "false-positive rate overall and per label, the worst false positives and the")
		fmt.Fprintln(stderr, "misses (personal data masked). Corpus lines are label<TAB>text with label 0/ok")
		fmt.Fprintln(stderr, "(must be allowed), 1 or taxonomy labels such as ads,contact (must be flagged);")
		fmt.Fprintln(stderr, "--format also reads the nus, thuc and sms80w TSV files of ../shared/data.")
		fmt.Fprintln(stderr, "\nFlags:")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	if (*corpus == "") == (*recipe == "") || fset.NArg() > 0 {
		fmt.Fprintln(stderr, "modgate eval: --corpus FILE is required (or --recipe FILE; no arguments)")
		fset.Usage()
		return 2
	}
	cfg := screen.Config{PolicyDir: *policyDir, LexiconDir: *lexiconDir, ModelDir: *modelDir, Engine: *engine, SkipPolicyTests: *skipTests}
	if *modelDir == "none" {
		cfg.ModelDir, cfg.NoModels = "", true
	}
	var posLabels []string
	if *positive != "" {
		posLabels = strings.Split(*positive, ",")
	}
	if *recipe != "" {
		return evalRecipe(ctx, *recipe, cfg, *workers, *asJSON, stdout, stderr)
	}
	var r io.Reader = stdin
	name := "stdin"
	if *corpus != "-" {
		f, err := os.Open(*corpus)
		if err != nil {
			fmt.Fprintf(stderr, "modgate eval: %v\n", err)
			return 2
		}
		defer f.Close()
		r, name = f, *corpus
	}
	samples, err := screen.ReadCorpus(r, name, *format)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	if *split != "" {
		kept := samples[:0]
		for _, s := range samples {
			if s.Split == *split {
				kept = append(kept, s)
			}
		}
		samples = kept
	}
	if len(samples) == 0 {
		fmt.Fprintf(stderr, "modgate eval: %s: no samples\n", name)
		return 2
	}
	s, err := screen.NewContext(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	res, err := screen.Evaluate(ctx, s.Screen, samples, *workers)
	if err != nil {
		fmt.Fprintf(stderr, "modgate eval: %v\n", err)
		return 2
	}
	figs := scoreFigures(res.Outcomes, s.Engine(), posLabels)
	if *asJSON {
		if err := writeEvalJSON(stdout, name, s.Revision(), res, figs); err != nil {
			fmt.Fprintf(stderr, "modgate eval: %v\n", err)
			return 2
		}
	} else {
		if st := s.Engine().StaleModels(); len(st) > 0 {
			fmt.Fprintf(stdout, "warning: models %s were trained under another text normaliser: retrain them (modgate train)\n", strings.Join(st, ", "))
		}
		writeEvalText(stdout, name, s.Revision(), res, *top)
		writeScoreFiguresText(stdout, figs)
		if hits, misses := s.Engine().Policy().MemoStats(); hits+misses > 0 {
			fmt.Fprintf(stdout, "\ndecision memo: %d of %d decisions (%.1f%%) answered from the memo, %d evaluated by OPA\n",
				hits, hits+misses, 100*float64(hits)/float64(hits+misses), misses)
		}
	}
	code := 0
	if *minRecall >= 0 && res.Overall.Positives() > 0 && res.Overall.Recall() < *minRecall {
		fmt.Fprintf(stderr, "modgate eval: recall %.2f%% below --min-recall %.2f%%\n", 100*res.Overall.Recall(), 100**minRecall)
		code = 1
	}
	if *maxFP >= 0 && res.Overall.Negatives() > 0 && res.Overall.FPRate() > *maxFP {
		fmt.Fprintf(stderr, "modgate eval: false-positive rate %.2f%% above --max-fp-rate %.2f%%\n", 100*res.Overall.FPRate(), 100**maxFP)
		code = 1
	}
	return code
}

func pct(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

// pctOf prints a rate, or "-" when there is nothing to divide by.
func pctOf(n, d int) string {
	if d == 0 {
		return "-"
	}
	return pct(float64(n) / float64(d))
}

func writeEvalText(w io.Writer, name string, rev modgate.Revision, r *screen.Result, top int) {
	c := r.Overall
	fmt.Fprintf(w, "corpus %s: %d samples (%d positive, %d negative), %d input errors\n",
		name, len(r.Outcomes), c.Positives(), c.Negatives(), r.Errors)
	fmt.Fprintf(w, "revision: policy %s, lexicon %s, model %s\n", short(rev.Policy), short(rev.Lexicon), short(rev.Model))
	fmt.Fprintf(w, "actions: allow %d, review %d, block %d\n\n",
		r.Actions[modgate.ActionAllow], r.Actions[modgate.ActionReview], r.Actions[modgate.ActionBlock])

	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "overall\tTP\tFP\tFN\tTN\tprecision\trecall\tFP rate\t")
	fmt.Fprintf(tw, "\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", c.TP, c.FP, c.FN, c.TN,
		pctOf(c.TP, c.TP+c.FP), pctOf(c.TP, c.Positives()), pctOf(c.FP, c.Negatives()))
	tw.Flush()

	labelled := 0
	for _, l := range r.Labels {
		labelled += l.Exact.Positives()
	}
	if len(r.Labels) > 0 && labelled == 0 {
		// Only benign or bare "1" rows: the labels say why negatives were flagged.
		fmt.Fprintln(w, "\nlabels on false positives:")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "label	FP on ok	FP rate	")
		for _, l := range r.Labels {
			fmt.Fprintf(tw, "%s\t%d\t%s\t\n", l.Label, l.FPOnNegatives, pctOf(l.FPOnNegatives, c.Negatives()))
		}
		tw.Flush()
	} else if len(r.Labels) > 0 {
		fmt.Fprintln(w, "\nper label (recall = flagged with that label; flagged = any non-allow; FP on ok = negatives given the label):")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "label\tn\tprecision\trecall\tflagged\tFP on ok\tFP rate\t")
		neg := c.Negatives()
		for _, l := range r.Labels {
			n := l.Exact.Positives()
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t\n", l.Label, n,
				pctOf(l.Exact.TP, l.Exact.TP+l.Exact.FP), pctOf(l.Exact.TP, n), pctOf(l.Flagged, n),
				l.FPOnNegatives, pctOf(l.FPOnNegatives, neg))
		}
		tw.Flush()
	}
	if len(r.Groups) > 1 {
		fmt.Fprintln(w, "\nper group:")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "group\tn\tflagged\trecall\tFP rate\t")
		for _, g := range slices.Sorted(maps.Keys(r.Groups)) {
			gc := r.Groups[g]
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t\n", g, gc.Positives()+gc.Negatives(), gc.TP+gc.FP,
				pctOf(gc.TP, gc.Positives()), pctOf(gc.FP, gc.Negatives()))
		}
		tw.Flush()
	}
	if top <= 0 {
		return
	}
	if fps := r.FalsePositives(); len(fps) > 0 {
		fmt.Fprintf(w, "\nworst false positives (%d of %d):\n", min(top, len(fps)), len(fps))
		for _, o := range fps[:min(top, len(fps))] {
			fmt.Fprintf(w, "  line %d  %s %v  %s\n    %s\n", o.Line, o.Verdict.Action, o.Verdict.Labels, whyOf(o.Verdict), o.Preview(80))
		}
		fmt.Fprintln(w, "\nfalse-positive triggers (rule or matched term: count):")
		for _, t := range r.TopTriggers(top) {
			fmt.Fprintf(w, "  %-40s %d\n", t.Key, t.Count)
		}
	}
	if ms := r.Misses(); len(ms) > 0 {
		fmt.Fprintf(w, "\nmisses (%d of %d):\n", min(top, len(ms)), len(ms))
		for _, o := range ms[:min(top, len(ms))] {
			want := "1"
			if len(o.Labels) > 0 {
				want = strings.Join(o.Labels, ",")
			}
			fmt.Fprintf(w, "  line %d  want %s  %s\n", o.Line, want, o.Preview(80))
		}
	}
}

// whyOf names the rules and terms behind a verdict, compactly.
func whyOf(v modgate.Verdict) string {
	var parts []string
	for _, r := range v.Reasons {
		parts = append(parts, r.Rule)
	}
	for _, m := range v.Matches {
		parts = append(parts, m.Category+":"+m.Term)
	}
	return strings.Join(parts, " ")
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

type evalJSON struct {
	Corpus   string                `json:"corpus"`
	Revision modgate.Revision      `json:"revision"`
	Samples  int                   `json:"samples"`
	Errors   int                   `json:"errors"`
	Actions  map[string]int        `json:"actions"`
	Overall  countsJSON            `json:"overall"`
	Labels   []labelJSON           `json:"labels"`
	Groups   map[string]countsJSON `json:"groups,omitempty"`
	Scores   []scoreFigure         `json:"scores,omitempty"`
}

type countsJSON struct {
	TP, FP, FN, TN int
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	FPRate         float64 `json:"fp_rate"`
}

type labelJSON struct {
	Label         string     `json:"label"`
	Exact         countsJSON `json:"exact"`
	Flagged       int        `json:"flagged"`
	FPOnNegatives int        `json:"fp_on_negatives"`
}

func toCountsJSON(c screen.Counts) countsJSON {
	return countsJSON{TP: c.TP, FP: c.FP, FN: c.FN, TN: c.TN, Precision: c.Precision(), Recall: c.Recall(), FPRate: c.FPRate()}
}

func writeEvalJSON(w io.Writer, name string, rev modgate.Revision, r *screen.Result, figs []scoreFigure) error {
	out := evalJSON{Corpus: name, Revision: rev, Samples: len(r.Outcomes), Errors: r.Errors,
		Actions: r.Actions, Overall: toCountsJSON(r.Overall), Labels: []labelJSON{}, Scores: figs}
	for _, l := range r.Labels {
		out.Labels = append(out.Labels, labelJSON{Label: l.Label, Exact: toCountsJSON(l.Exact), Flagged: l.Flagged, FPOnNegatives: l.FPOnNegatives})
	}
	if len(r.Groups) > 1 {
		out.Groups = map[string]countsJSON{}
		for g, c := range r.Groups {
			out.Groups[g] = toCountsJSON(c)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/models"
	"github.com/modgate/modgate/models/train"
)

func init() {
	register(command{
		Name:    "train",
		Summary: "train a model (models/<label>.mgm) from a recipe of labelled corpora",
		Run:     runTrain,
	})
}

func runTrain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("train", flag.ContinueOnError)
	fset.SetOutput(stderr)
	out := fset.String("out", "", "write LABEL.mgm and LABEL.md into `DIR` (default: the recipe's folder)")
	seed := fset.Int64("seed", -1, "override the recipe's seed")
	date := fset.String("date", "", "date written in the model card (default today, UTC)")
	noWrite := fset.Bool("dry-run", false, "train and print the figures, write nothing")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: modgate train [flags] RECIPE...")
		fmt.Fprintln(stderr, "\nTrains one model per recipe (see models/*.recipe): reads the labelled corpora it")
		fmt.Fprintln(stderr, "lists (label<TAB>text files and the cold, swsr, nus, thuc, sms80w formats of")
		fmt.Fprintln(stderr, "../shared/data), holds out a dev split, fits L2-regularised logistic regression")
		fmt.Fprintln(stderr, "over hashed character n-grams of the normalised text (L-BFGS), calibrates it with")
		fmt.Fprintln(stderr, "Platt scaling on the dev split, prints threshold and calibration tables, and")
		fmt.Fprintln(stderr, "writes LABEL.mgm and the model card LABEL.md. Same recipe, same seed: same file.")
		fmt.Fprintln(stderr, "\nFlags:")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	if fset.NArg() == 0 {
		fmt.Fprintln(stderr, "modgate train: want at least one RECIPE file")
		fset.Usage()
		return 2
	}
	if *date == "" {
		*date = time.Now().UTC().Format("2006-01-02")
	}
	for _, path := range fset.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "modgate train: %v\n", err)
			return 2
		}
		rc, err := parseRecipe(f, path)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "modgate train: %v\n", err)
			return 2
		}
		if *seed >= 0 {
			rc.Seed = uint64(*seed)
		}
		dir := *out
		if dir == "" {
			dir = filepath.Dir(path)
		}
		if err := trainRecipe(ctx, rc, dir, *date, !*noWrite, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "modgate train: %v\n", err)
			return 1
		}
	}
	return 0
}

// sourceStats counts what one input contributed.
type sourceStats struct {
	Name, Path, Source, Licence string
	Weight, PosScale            float64
	TrainPos, TrainNeg          int
	DevPos, DevNeg              int
	Restored                    bool
}

type devExample struct {
	train.Example
	sp   models.Sparse
	Orig string // the text as the corpus has it (digits restored), for screening
}

// prepared is a recipe's data, normalised and split.
type prepared struct {
	train   []train.Example
	dev     []devExample
	sources []sourceStats
	dropped int // training rows dropped because their text is in dev
}

// prepare reads, normalises and splits every input of rc.
func prepare(rc *recipe) (*prepared, error) {
	f, err := filters.New(modgate.Lexicon{}, filters.Options{})
	if err != nil {
		return nil, err
	}
	p := &prepared{}
	devText := map[string]bool{}
	type row struct {
		ex   train.Example
		dev  bool
		orig string
	}
	var rows []row
	for _, in := range rc.Inputs {
		fh, err := os.Open(in.Path)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: input: %w", rc.File, in.Line, err)
		}
		samples, err := screen.ReadCorpus(fh, in.Path, in.Format)
		fh.Close()
		if err != nil {
			return nil, err
		}
		if in.Max > 0 && len(samples) > in.Max {
			// A seeded shuffle, so the cap takes a fair sample.
			r := rand.New(rand.NewPCG(rc.Seed, hashString(in.Name)))
			r.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
			samples = samples[:in.Max]
			slices.SortFunc(samples, func(a, b screen.Sample) int { return a.Line - b.Line })
		}
		st := sourceStats{Name: in.Name, Path: in.Path, Source: in.Source, Licence: in.Licence, Weight: in.Weight, PosScale: in.PosScale, Restored: in.Restore}
		for _, s := range samples {
			pos, keep := isPositive(rc.Label, in, s)
			if !keep {
				continue
			}
			text := s.Text
			if in.Restore {
				text = restoreDigits(text, rand.New(rand.NewPCG(rc.Seed, hashString(in.Name)^uint64(s.Line))))
			}
			if len(text) > modgate.DefaultMaxTextBytes || strings.TrimSpace(text) == "" {
				continue
			}
			fd, err := f.Scan(text)
			if err != nil {
				continue // not screenable, so never scored either
			}
			wt := in.Weight
			if pos {
				wt *= in.PosScale
			}
			ex := train.Example{Text: fd.Normalized, Positive: pos, Weight: wt, Source: in.Name,
				Extras: make([]float32, len(rc.Features.Extras))}
			screen.ModelExtras(rc.Features.Extras, &fd, ex.Extras)
			dev := false
			switch in.Dev {
			case devAll:
				dev = true
			case devSplit:
				dev = s.Split == "dev"
			case devShare:
				h := fnv.New64a()
				_ = binary.Write(h, binary.LittleEndian, rc.Seed)
				h.Write([]byte(in.Name)) // the name, not the path: the split must not depend on where the data lives
				_ = binary.Write(h, binary.LittleEndian, int64(s.Line))
				dev = float64(h.Sum64()%1_000_000)/1e6 < rc.DevShare
			}
			if dev {
				devText[ex.Text] = true
			}
			rows = append(rows, row{ex, dev, text})
			switch {
			case dev && pos:
				st.DevPos++
			case dev:
				st.DevNeg++
			case pos:
				st.TrainPos++
			default:
				st.TrainNeg++
			}
		}
		p.sources = append(p.sources, st)
	}
	for _, r := range rows {
		if r.dev {
			p.dev = append(p.dev, devExample{Example: r.ex, sp: rc.Features.Vector(r.ex.Text, r.ex.Extras), Orig: r.orig})
			continue
		}
		if devText[r.ex.Text] {
			// The same text in train and dev would flatter the dev figures.
			p.dropped++
			continue
		}
		p.train = append(p.train, r.ex)
	}
	if len(p.dev) == 0 {
		return nil, fmt.Errorf("%s: the dev split is empty (every input has dev=none?)", rc.File)
	}
	return p, nil
}

// isPositive decides a sample's class for label; keep=false drops it.
func isPositive(label string, in trainInput, s screen.Sample) (pos, keep bool) {
	switch in.All {
	case "negative":
		return false, true
	case "positive":
		return true, true
	}
	for _, l := range s.Labels {
		if slices.Contains(in.Skip, l) {
			return false, false
		}
	}
	if !s.Positive {
		return false, true
	}
	if len(in.Positive) == 0 || len(s.Labels) == 0 {
		// A bare 1 (or 0/1 corpora) means this input's positive class.
		return true, true
	}
	for _, l := range s.Labels {
		if l == label || slices.Contains(in.Positive, l) {
			return true, true
		}
	}
	return false, true
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// restoreDigits undoes a corpus's digit masking: a run of x that does not
// touch a lower-case Latin letter (xxx元, QQxxxxxxxxx, x月x日, but not
// winxx or Windowsxx) becomes random digits; an 11-x run becomes a
// plausible mobile number (1[3-9]…), so the phone detector sees what it
// would see in live traffic.
func restoreDigits(s string, r *rand.Rand) string {
	if !strings.Contains(s, "x") {
		return s
	}
	b := []byte(s)
	lower := func(i int) bool { return i >= 0 && i < len(b) && b[i] >= 'a' && b[i] <= 'z' && b[i] != 'x' }
	for i := 0; i < len(b); {
		if b[i] != 'x' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] == 'x' {
			j++
		}
		if !lower(i-1) && !lower(j) {
			n := j - i
			for k := i; k < j; k++ {
				b[k] = byte('0' + r.IntN(10))
			}
			if n > 1 && b[i] == '0' {
				b[i] = byte('1' + r.IntN(9))
			}
			if n == 11 {
				b[i], b[i+1] = '1', byte('3'+r.IntN(7))
			}
		}
		i = j
	}
	return string(b)
}

// trainResult is one fitted, calibrated model and its dev figures.
type trainResult struct {
	L2       float64
	Fit      *train.Fit
	A, B     float64
	Dev      []models.Scored // calibrated
	DevBySrc map[string][]models.Scored
	AUC      float64
	LogLoss  float64
	Seconds  float64
}

func trainRecipe(ctx context.Context, rc *recipe, dir, date string, write bool, stdout, stderr io.Writer) error {
	start := time.Now()
	p, err := prepare(rc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model %s: %d training and %d dev examples from %d inputs (%d training rows dropped: same text in dev)\n",
		rc.Label, len(p.train), len(p.dev), len(p.sources), p.dropped)
	tty := isTerminal(stderr)
	var best *trainResult
	for _, l2 := range rc.L2 {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		cfg := train.Config{Features: rc.Features, L2: l2, MaxIter: rc.MaxIter}
		if tty {
			cfg.Progress = func(iter int, loss float64) {
				fmt.Fprintf(stderr, "\r%s  λ=%g  %s  iteration %d/%d  loss %.5f ", rc.Label, l2, bar(iter, rc.MaxIter, 24), iter, rc.MaxIter, loss)
			}
		}
		fit, err := train.Train(cfg, p.train)
		if tty {
			fmt.Fprint(stderr, "\r\033[K")
		}
		if err != nil {
			return err
		}
		res := &trainResult{L2: l2, Fit: fit, DevBySrc: map[string][]models.Scored{}}
		z := make([]float64, len(p.dev))
		y := make([]bool, len(p.dev))
		for i, d := range p.dev {
			z[i], y[i] = fit.Logit(d.sp), d.Positive
		}
		if res.A, res.B, err = train.Platt(z, y); err != nil {
			return fmt.Errorf("%s: λ=%g: %w", rc.Label, l2, err)
		}
		cal := models.Calibration{Method: "platt", A: res.A, B: res.B}
		for i, d := range p.dev {
			s := models.Scored{Score: cal.Prob(z[i]), Positive: d.Positive}
			res.Dev = append(res.Dev, s)
			res.DevBySrc[d.Source] = append(res.DevBySrc[d.Source], s)
		}
		res.AUC, res.LogLoss = models.ROCAUC(res.Dev), models.LogLoss(res.Dev)
		res.Seconds = time.Since(t0).Seconds()
		fmt.Fprintf(stdout, "  λ=%-8g %3d iterations (%s) %5.1fs  dev AUC %.4f  log-loss %.4f\n", l2, fit.Iterations, fit.Status, res.Seconds, res.AUC, res.LogLoss)
		if best == nil || res.LogLoss < best.LogLoss {
			best = res
		}
	}
	fmt.Fprintf(stdout, "chosen λ=%g (lowest dev log-loss); Platt a=%.4f b=%.4f\n\n", best.L2, best.A, best.B)
	writeScoreTables(stdout, best.Dev, 0.5)
	fmt.Fprintln(stdout, "\ndev figures per input:")
	writeSourceTable(stdout, p.sources, best.DevBySrc)
	fmt.Fprintf(stdout, "\ntrained in %.1fs\n", time.Since(start).Seconds())
	if !write {
		return nil
	}
	meta := trainingMeta{Recipe: filepath.Base(rc.File), Seed: rc.Seed, L2: best.L2, Iterations: best.Fit.Iterations,
		TrainExamples: len(p.train), DevExamples: len(p.dev), DevAUC: round4(best.AUC), DevLogLoss: round4(best.LogLoss),
		Normalizer: screen.NormalizerFingerprint()}
	for _, s := range p.sources {
		meta.Sources = append(meta.Sources, trainingSource{Name: s.Name, Source: s.Source, Licence: s.Licence, Weight: s.Weight,
			Train: s.TrainPos + s.TrainNeg, Dev: s.DevPos + s.DevNeg})
	}
	raw, _ := json.Marshal(meta)
	h := models.Header{Label: rc.Label, Features: rc.Features, Encoding: rc.Encoding, Bias: best.Fit.Bias,
		Calibration: models.Calibration{Method: "platt", A: best.A, B: best.B}, Training: raw}
	var buf bytes.Buffer
	if err := models.Encode(&buf, h, best.Fit.W); err != nil {
		return err
	}
	// Check the file as the gateway will read it (and measure what
	// quantisation cost on dev).
	m, err := models.Decode(rc.Label+models.Ext, buf.Bytes())
	if err != nil {
		return fmt.Errorf("the file just written does not load: %w", err)
	}
	set, _ := models.NewSet([]*models.Model{m})
	q := make([]models.Scored, len(p.dev))
	out1 := make([]float64, 1)
	ex := make([]float32, len(set.Extras()))
	for i, d := range p.dev {
		for j, name := range set.Extras() {
			ex[j] = d.Extras[slices.Index(rc.Features.Extras, name)]
		}
		set.Score(d.Text, ex, out1)
		q[i] = models.Scored{Score: out1[0], Positive: d.Positive}
	}
	qAUC := models.ROCAUC(q)
	fmt.Fprintf(stdout, "file %s: %d bytes, encoding %s, dev AUC as loaded %.4f (%+.4f from quantisation)\n",
		rc.Label+models.Ext, buf.Len(), rc.Encoding, qAUC, qAUC-best.AUC)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, rc.Label+models.Ext)
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return err
	}
	card := modelCard(rc, p, best, q, date, buf.Len(), m.Sum)
	if err := writeAtomic(filepath.Join(dir, rc.Label+".md"), []byte(card)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n\n", path, filepath.Join(dir, rc.Label+".md"))
	return nil
}

type trainingMeta struct {
	Recipe        string           `json:"recipe"`
	Seed          uint64           `json:"seed"`
	L2            float64          `json:"l2"`
	Iterations    int              `json:"iterations"`
	TrainExamples int              `json:"train_examples"`
	DevExamples   int              `json:"dev_examples"`
	DevAUC        float64          `json:"dev_auc"`
	DevLogLoss    float64          `json:"dev_log_loss"`
	Sources       []trainingSource `json:"sources"`
	// Normalizer fingerprints the text normalisation the model learned on
	// (screen.NormalizerFingerprint): a gateway with another reports the
	// model as stale.
	Normalizer string `json:"normalizer"`
}

type trainingSource struct {
	Name    string  `json:"name"`
	Source  string  `json:"source,omitempty"`
	Licence string  `json:"licence,omitempty"`
	Weight  float64 `json:"weight"`
	Train   int     `json:"train"`
	Dev     int     `json:"dev"`
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// writeAtomic replaces path in one rename, so a watching gateway never
// reads a half-written model.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func bar(i, n, width int) string {
	if n <= 0 {
		n = 1
	}
	k := min(width, i*width/n)
	return "[" + strings.Repeat("#", k) + strings.Repeat(".", width-k) + "]"
}

// writeScoreTables prints the threshold table and the calibration table of
// scored examples, marking the row of threshold mark.
func writeScoreTables(w io.Writer, xs []models.Scored, mark float64) {
	var pos int
	for _, x := range xs {
		if x.Positive {
			pos++
		}
	}
	fmt.Fprintf(w, "%d examples (%d positive), ROC-AUC %.4f\n", len(xs), pos, models.ROCAUC(xs))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "threshold\tflagged\tprecision\trecall\tFP rate\taccuracy\tF1\t")
	ths := slices.Clone(models.DefaultThresholds)
	if !slices.Contains(ths, mark) {
		ths = append(ths, mark)
		slices.Sort(ths)
	}
	for _, c := range models.ThresholdTable(xs, ths) {
		star := ""
		if c.Threshold == mark {
			star = " *"
		}
		fmt.Fprintf(tw, "%.2f%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", c.Threshold, star, c.TP+c.FP, pctNaN(c.Precision()), pctNaN(c.Recall()),
			pctNaN(c.FPRate()), pctNaN(c.Accuracy()), pctNaN(c.F1()))
	}
	tw.Flush()
	b := models.BestAccuracy(xs)
	fmt.Fprintf(w, "best accuracy %.2f%% at threshold %.3f\n", 100*b.Accuracy(), b.Threshold)
	fmt.Fprintln(w, "\ncalibration (a calibrated score matches the observed positive rate):")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "score bin\tn\tmean score\tobserved\t")
	for _, c := range models.CalibrationTable(xs, 10) {
		if c.N == 0 {
			continue
		}
		fmt.Fprintf(tw, "%.1f–%.1f\t%d\t%.3f\t%.3f\t\n", c.Lo, c.Hi, c.N, c.MeanScore, c.Observed)
	}
	tw.Flush()
}

func pctNaN(f float64) string {
	if math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*f)
}

func writeSourceTable(w io.Writer, srcs []sourceStats, dev map[string][]models.Scored) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "input\tweight\ttrain +/−\tdev +/−\tAUC\trecall@0.5\tFP@0.5\tFP@0.9\t")
	for _, s := range srcs {
		xs := dev[s.Name]
		c5, c9 := models.Confusion(xs, 0.5), models.Confusion(xs, 0.9)
		fmt.Fprintf(tw, "%s\t%g\t%d/%d\t%d/%d\t%s\t%s\t%s\t%s\t\n", s.Name, s.Weight, s.TrainPos, s.TrainNeg, s.DevPos, s.DevNeg,
			fmtNaN(models.ROCAUC(xs)), pctNaN(c5.Recall()), pctNaN(c5.FPRate()), pctNaN(c9.FPRate()))
	}
	tw.Flush()
}

func fmtNaN(f float64) string {
	if math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%.4f", f)
}

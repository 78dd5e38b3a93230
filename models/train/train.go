// Package train fits the logistic-regression models of package models:
// L2-regularised, example-weighted logistic regression over hashed
// character n-grams, minimised with gonum's L-BFGS (full batch, so the
// result depends only on the data and the settings), then Platt-calibrated
// on a held-out dev split. Everything is deterministic: same examples, same
// settings, same file.
package train

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/optimize"

	"github.com/modgate/modgate/models"
)

// Example is one training or dev example: the NORMALISED text (what the
// filter hands the model at screening time), the extra-feature values in
// Features.Extras order, the gold label and a weight.
type Example struct {
	Text     string
	Extras   []float32
	Positive bool
	Weight   float64
	// Source names the corpus it came from (for per-source figures).
	Source string
}

// Config says what to fit.
type Config struct {
	Features models.Features
	// L2 is the regularisation strength λ: the loss is the weighted mean
	// log-loss plus λ/2·‖w‖² (the bias is not regularised).
	L2 float64
	// MaxIter caps L-BFGS iterations (default 300).
	MaxIter int
	// Workers computes the gradient in this many goroutines (default 2,
	// fixed rather than GOMAXPROCS so the same command gives the same file
	// on any machine: partial sums are reduced in a fixed order, but a
	// different split rounds differently).
	Workers int
	// Progress, when set, is called after every L-BFGS iteration.
	Progress func(iter int, loss float64)
}

// Fit is a fitted (uncalibrated) model.
type Fit struct {
	W          []float32 // Features.Dim() weights
	Bias       float64
	Iterations int
	Loss       float64 // final objective
	Status     string  // why L-BFGS stopped
}

// matrix is the training set as compressed sparse rows.
type matrix struct {
	rowStart []int
	idx      []uint32
	val      []float32
	y        []float64 // 1 or 0
	w        []float64 // normalised so they sum to 1
}

func build(f *models.Features, xs []Example) (*matrix, error) {
	m := &matrix{rowStart: make([]int, 1, len(xs)+1)}
	var total float64
	for i, x := range xs {
		if len(x.Extras) != len(f.Extras) {
			return nil, fmt.Errorf("train: example %d has %d extras, features want %d", i, len(x.Extras), len(f.Extras))
		}
		if !(x.Weight > 0) || math.IsInf(x.Weight, 0) {
			return nil, fmt.Errorf("train: example %d has weight %v (want > 0)", i, x.Weight)
		}
		sp := f.Vector(x.Text, x.Extras)
		m.idx = append(m.idx, sp.Idx...)
		m.val = append(m.val, sp.Val...)
		m.rowStart = append(m.rowStart, len(m.idx))
		y := 0.0
		if x.Positive {
			y = 1
		}
		m.y = append(m.y, y)
		m.w = append(m.w, x.Weight)
		total += x.Weight
	}
	for i := range m.w {
		m.w[i] /= total
	}
	return m, nil
}

// logit of row r under parameters p (weights then bias).
func (m *matrix) logit(r int, p []float64) float64 {
	z := p[len(p)-1]
	for k := m.rowStart[r]; k < m.rowStart[r+1]; k++ {
		z += p[m.idx[k]] * float64(m.val[k])
	}
	return z
}

// logLoss1p is log(1+e^x) without overflow.
func log1pExp(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// objective holds the problem and caches the last evaluation: gonum asks
// for the value and the gradient at the same point one after the other.
type objective struct {
	m       *matrix
	l2      float64
	workers int
	lastX   []float64
	lastF   float64
	lastG   []float64
	parts   [][]float64
	evals   int
}

func (o *objective) eval(x []float64) {
	if o.lastX != nil && slices.Equal(o.lastX, x) {
		return
	}
	o.evals++
	n := len(o.m.y)
	dim := len(x)
	if o.parts == nil {
		o.parts = make([][]float64, o.workers)
		for i := range o.parts {
			o.parts[i] = make([]float64, dim)
		}
	}
	losses := make([]float64, o.workers)
	var wg sync.WaitGroup
	for wi := 0; wi < o.workers; wi++ {
		lo, hi := n*wi/o.workers, n*(wi+1)/o.workers
		g := o.parts[wi]
		clear(g)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var loss float64
			for r := lo; r < hi; r++ {
				z := o.m.logit(r, x)
				y, w := o.m.y[r], o.m.w[r]
				// ℓ = log(1+e^z) − y·z ; dℓ/dz = σ(z) − y
				loss += w * (log1pExp(z) - y*z)
				d := w * (models.Sigmoid(z) - y)
				for k := o.m.rowStart[r]; k < o.m.rowStart[r+1]; k++ {
					g[o.m.idx[k]] += d * float64(o.m.val[k])
				}
				g[dim-1] += d
			}
			losses[wi] = loss
		}()
	}
	wg.Wait()
	if o.lastG == nil {
		o.lastG = make([]float64, dim)
	}
	g := o.lastG
	copy(g, o.parts[0])
	for _, p := range o.parts[1:] {
		for j, v := range p {
			g[j] += v
		}
	}
	var f float64
	for _, l := range losses {
		f += l
	}
	var reg float64
	for j := 0; j < dim-1; j++ {
		reg += x[j] * x[j]
		g[j] += o.l2 * x[j]
	}
	f += o.l2 / 2 * reg
	o.lastF = f
	o.lastX = append(o.lastX[:0], x...)
}

// Train fits the model on xs.
func Train(cfg Config, xs []Example) (*Fit, error) {
	if err := cfg.Features.Validate(); err != nil {
		return nil, fmt.Errorf("train: features: %w", err)
	}
	if len(xs) == 0 {
		return nil, errors.New("train: no examples")
	}
	var pos, neg bool
	for _, x := range xs {
		pos = pos || x.Positive
		neg = neg || !x.Positive
	}
	if !pos || !neg {
		return nil, errors.New("train: need both positive and negative examples")
	}
	if cfg.L2 < 0 || math.IsNaN(cfg.L2) {
		return nil, fmt.Errorf("train: l2 %v: want ≥ 0", cfg.L2)
	}
	m, err := build(&cfg.Features, xs)
	if err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = 2
	}
	maxIter := cfg.MaxIter
	if maxIter <= 0 {
		maxIter = 300
	}
	o := &objective{m: m, l2: cfg.L2, workers: workers}
	iter := 0
	prob := optimize.Problem{
		Func: func(x []float64) float64 { o.eval(x); return o.lastF },
		Grad: func(g, x []float64) { o.eval(x); copy(g, o.lastG) },
	}
	settings := &optimize.Settings{
		MajorIterations:   maxIter,
		GradientThreshold: 1e-7,
		Converger:         &optimize.FunctionConverge{Relative: 1e-7, Iterations: 15},
		Recorder: recorderFunc(func(loc *optimize.Location, op optimize.Operation) {
			if op == optimize.MajorIteration {
				iter++
				if cfg.Progress != nil {
					cfg.Progress(iter, loc.F)
				}
			}
		}),
	}
	x0 := make([]float64, cfg.Features.Dim()+1)
	res, err := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{Store: 10})
	if err != nil && res == nil {
		return nil, fmt.Errorf("train: l-bfgs: %w", err)
	}
	fit := &Fit{W: make([]float32, cfg.Features.Dim()), Bias: res.X[len(res.X)-1], Iterations: res.Stats.MajorIterations,
		Loss: res.F, Status: res.Status.String()}
	for i := range fit.W {
		fit.W[i] = float32(res.X[i])
	}
	return fit, nil
}

type recorderFunc func(*optimize.Location, optimize.Operation)

func (recorderFunc) Init() error { return nil }
func (r recorderFunc) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	r(loc, op)
	return nil
}

// Logit is the raw score of a sparse vector under a fit.
func (f *Fit) Logit(sp models.Sparse) float64 {
	z := f.Bias
	for i, k := range sp.Idx {
		z += float64(f.W[k]) * float64(sp.Val[i])
	}
	return z
}

// Platt fits p = σ(a·z + b) to the logits z and labels y by maximum
// likelihood with Platt's smoothed targets ((N₊+1)/(N₊+2) and 1/(N₋+2)),
// which keeps a perfectly separated dev set from driving a to infinity.
func Platt(z []float64, y []bool) (a, b float64, err error) {
	if len(z) != len(y) || len(z) == 0 {
		return 0, 0, errors.New("train: platt: need as many labels as scores, at least one")
	}
	var np, nn float64
	for _, p := range y {
		if p {
			np++
		} else {
			nn++
		}
	}
	if np == 0 || nn == 0 {
		return 0, 0, errors.New("train: platt: the dev split needs positives and negatives")
	}
	hi, lo := (np+1)/(np+2), 1/(nn+2)
	t := make([]float64, len(y))
	for i, p := range y {
		if p {
			t[i] = hi
		} else {
			t[i] = lo
		}
	}
	f := func(x []float64) float64 {
		var s float64
		for i, zi := range z {
			u := x[0]*zi + x[1]
			s += log1pExp(u) - t[i]*u
		}
		return s
	}
	g := func(grad, x []float64) {
		grad[0], grad[1] = 0, 0
		for i, zi := range z {
			d := models.Sigmoid(x[0]*zi+x[1]) - t[i]
			grad[0] += d * zi
			grad[1] += d
		}
	}
	res, err := optimize.Minimize(optimize.Problem{Func: f, Grad: g}, []float64{1, 0},
		&optimize.Settings{GradientThreshold: 1e-9}, &optimize.BFGS{})
	if err != nil && res == nil {
		return 0, 0, fmt.Errorf("train: platt: %w", err)
	}
	a, b = res.X[0], res.X[1]
	if !(a > 0) {
		return 0, 0, fmt.Errorf("train: platt: slope %v ≤ 0: the model ranks the dev split backwards", a)
	}
	return a, b, nil
}

package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/modgate/modgate/models"
)

func tinyFeatures() models.Features {
	return models.Features{Orders: []int{1, 2}, BucketsLog2: 8, Boundary: true, FoldDigits: true,
		Extras: []string{"detector.phone"}, Hash: models.HashFNV1aFib}
}

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	f := tinyFeatures()
	xs := []Example{
		{Text: "加微信领红包", Extras: []float32{1}, Positive: true, Weight: 2},
		{Text: "今天吃什么", Extras: []float32{0}, Weight: 1},
		{Text: "明天见", Extras: []float32{0}, Weight: 0.5},
		{Text: "稳赚不赔加我", Extras: []float32{1}, Positive: true, Weight: 1},
	}
	m, err := build(&f, xs)
	if err != nil {
		t.Fatal(err)
	}
	o := &objective{m: m, l2: 0.01, workers: 2}
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, f.Dim()+1)
	for i := range x {
		x[i] = r.NormFloat64() * 0.5
	}
	o.eval(x)
	got := slices.Clone(o.lastG)
	fn := func(p []float64) float64 {
		oo := &objective{m: m, l2: 0.01, workers: 1}
		oo.eval(p)
		return oo.lastF
	}
	want := fd.Gradient(nil, fn, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Fatalf("∂f/∂x[%d] = %v analytic, %v numeric", i, got[i], want[i])
		}
	}
}

// One indicator feature per text and a bias: the maximum-likelihood
// solution has a closed form, the empirical positive rate of each text.
// With a negligible L2 the fitted probabilities must reproduce it, and an
// example's weight must count like duplicates.
func TestTrainMatchesClosedForm(t *testing.T) {
	f := models.Features{Orders: []int{1}, BucketsLog2: 10, Hash: models.HashFNV1aFib}
	if a, b := f.Vector("甲", nil), f.Vector("乙", nil); a.Idx[0] == b.Idx[0] {
		t.Fatal("test texts collide; pick others")
	}
	var xs []Example
	add := func(text string, pos bool, w float64) {
		xs = append(xs, Example{Text: text, Positive: pos, Weight: w})
	}
	add("甲", true, 1)
	add("甲", true, 2) // weight 2 = two copies
	add("甲", false, 1)
	add("乙", true, 1)
	add("乙", false, 1)
	add("乙", false, 1)
	add("乙", false, 1)
	add("乙", false, 1)
	fit, err := Train(Config{Features: f, L2: 1e-9, MaxIter: 500}, xs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want float64
	}{{"甲", 0.75}, {"乙", 0.2}} {
		p := models.Sigmoid(fit.Logit(f.Vector(c.text, nil)))
		if math.Abs(p-c.want) > 1e-3 {
			t.Errorf("P(positive | %s) = %.5f, closed form %.2f (%s after %d iterations)", c.text, p, c.want, fit.Status, fit.Iterations)
		}
	}
}

func TestTrainSeparatesAndIsDeterministic(t *testing.T) {
	f := tinyFeatures()
	f.Extras = nil
	var xs []Example
	pos := []string{"加微信领红包", "稳赚不赔", "加我领取福利", "红包福利加微信", "日赚千元加我"}
	neg := []string{"今天吃什么", "明天开会", "好的收到", "周末去爬山吗", "作业写完了"}
	for _, p := range pos {
		xs = append(xs, Example{Text: p, Positive: true, Weight: 1})
	}
	for _, n := range neg {
		xs = append(xs, Example{Text: n, Weight: 1})
	}
	cfg := Config{Features: f, L2: 1e-3}
	a, err := Train(cfg, xs)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		z := a.Logit(f.Vector(x.Text, nil))
		if (z > 0) != x.Positive {
			t.Errorf("%q scored %v, want %v side", x.Text, z, x.Positive)
		}
	}
	b, _ := Train(cfg, xs)
	if !slices.Equal(a.W, b.W) || a.Bias != b.Bias {
		t.Fatal("two runs on the same data differ")
	}
	if _, err := Train(cfg, xs[:5]); err == nil || !strings.Contains(err.Error(), "positive and negative") {
		t.Fatalf("one class only: %v", err)
	}
}

func TestPlattRecoversKnownParameters(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	const n = 40000
	z := make([]float64, n)
	y := make([]bool, n)
	for i := range z {
		z[i] = r.Float64()*8 - 4
		y[i] = r.Float64() < models.Sigmoid(2*z[i]-1)
	}
	a, b, err := Platt(z, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a-2) > 0.1 || math.Abs(b+1) > 0.1 {
		t.Fatalf("a=%.3f b=%.3f, want 2 and -1", a, b)
	}
	// Reversed labels: refused rather than calibrated upside down.
	for i := range y {
		y[i] = !y[i]
	}
	if _, _, err := Platt(z, y); err == nil {
		t.Fatal("backwards ranking accepted")
	}
}

func TestMetrics(t *testing.T) {
	xs := []models.Scored{{Score: 0.9, Positive: true}, {Score: 0.8, Positive: false}, {Score: 0.7, Positive: true}, {Score: 0.3, Positive: false}, {Score: 0.3, Positive: true}, {Score: 0.1, Positive: false}}
	// Pairs (pos, neg) ordered correctly: 0.9>all 3 (3), 0.7>0.3,0.1 (2),
	// 0.3 vs 0.3 tie (0.5) and >0.1 (1): 6.5 of 9.
	if got := models.ROCAUC(xs); math.Abs(got-6.5/9) > 1e-12 {
		t.Fatalf("AUC %v want %v", got, 6.5/9)
	}
	c := models.Confusion(xs, 0.5)
	if c.TP != 2 || c.FP != 1 || c.FN != 1 || c.TN != 2 {
		t.Fatalf("confusion %+v", c)
	}
	best := models.BestAccuracy(xs)
	if best.Accuracy() < c.Accuracy() {
		t.Fatalf("best accuracy %v below the 0.5 threshold's %v", best.Accuracy(), c.Accuracy())
	}
	cal := models.CalibrationTable(xs, 5)
	if cal[4].N != 2 || cal[4].Observed != 0.5 || cal[1].N != 2 || cal[0].N != 1 {
		t.Fatalf("calibration bins %+v", cal)
	}
}

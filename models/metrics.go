package models

import (
	"math"
	"sort"
)

// Scored is one example's score and gold label, for the figures below.
type Scored struct {
	Score    float64
	Positive bool
}

// ROCAUC is the area under the ROC curve: the probability that a random
// positive scores above a random negative, ties counting one half. NaN when
// either class is empty.
func ROCAUC(xs []Scored) float64 {
	s := make([]Scored, len(xs))
	copy(s, xs)
	sort.Slice(s, func(i, j int) bool { return s[i].Score < s[j].Score })
	var pos, neg float64
	for _, x := range s {
		if x.Positive {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Mann-Whitney U with mid-ranks for ties.
	var rankSum float64
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j].Score == s[i].Score {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if s[k].Positive {
				rankSum += mid
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// AtThreshold is the confusion matrix of "score >= Threshold means
// positive".
type AtThreshold struct {
	Threshold      float64
	TP, FP, FN, TN int
}

// Precision is TP/(TP+FP), NaN when nothing was flagged.
func (a AtThreshold) Precision() float64 { return div(a.TP, a.TP+a.FP) }

// Recall is TP/(TP+FN).
func (a AtThreshold) Recall() float64 { return div(a.TP, a.TP+a.FN) }

// FPRate is FP/(FP+TN).
func (a AtThreshold) FPRate() float64 { return div(a.FP, a.FP+a.TN) }

// Accuracy is (TP+TN)/all.
func (a AtThreshold) Accuracy() float64 { return div(a.TP+a.TN, a.TP+a.FP+a.FN+a.TN) }

// F1 is the harmonic mean of precision and recall.
func (a AtThreshold) F1() float64 { return div(2*a.TP, 2*a.TP+a.FP+a.FN) }

func div(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Confusion counts xs at one threshold.
func Confusion(xs []Scored, th float64) AtThreshold {
	c := AtThreshold{Threshold: th}
	for _, x := range xs {
		switch {
		case x.Positive && x.Score >= th:
			c.TP++
		case x.Positive:
			c.FN++
		case x.Score >= th:
			c.FP++
		default:
			c.TN++
		}
	}
	return c
}

// ThresholdTable counts xs at each threshold.
func ThresholdTable(xs []Scored, ths []float64) []AtThreshold {
	out := make([]AtThreshold, len(ths))
	for i, th := range ths {
		out[i] = Confusion(xs, th)
	}
	return out
}

// DefaultThresholds are the rows of the printed threshold tables.
var DefaultThresholds = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99}

// CalBin is one row of a calibration (reliability) table: the examples
// whose score fell in [Lo,Hi), their mean score and the share that was
// positive. A calibrated model has MeanScore ≈ Observed in every bin.
type CalBin struct {
	Lo, Hi    float64
	N         int
	MeanScore float64
	Observed  float64
}

// CalibrationTable bins xs into n equal-width score bins.
func CalibrationTable(xs []Scored, n int) []CalBin {
	bins := make([]CalBin, n)
	sums := make([]float64, n)
	pos := make([]int, n)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/float64(n), float64(i+1)/float64(n)
	}
	for _, x := range xs {
		k := int(x.Score * float64(n))
		k = min(max(k, 0), n-1)
		bins[k].N++
		sums[k] += x.Score
		if x.Positive {
			pos[k]++
		}
	}
	for i := range bins {
		if bins[i].N > 0 {
			bins[i].MeanScore = sums[i] / float64(bins[i].N)
			bins[i].Observed = float64(pos[i]) / float64(bins[i].N)
		}
	}
	return bins
}

// BestAccuracy returns the threshold (among the scores, plus 0.5) with the
// highest accuracy on xs; model selection on the dev split uses it.
func BestAccuracy(xs []Scored) AtThreshold {
	best := Confusion(xs, 0.5)
	s := make([]Scored, len(xs))
	copy(s, xs)
	sort.Slice(s, func(i, j int) bool { return s[i].Score > s[j].Score })
	var pos int
	for _, x := range s {
		if x.Positive {
			pos++
		}
	}
	// Sweep: flagging the top i examples.
	tp, fp := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i].Positive {
			tp++
		} else {
			fp++
		}
		if i+1 < len(s) && s[i+1].Score == s[i].Score {
			continue
		}
		c := AtThreshold{Threshold: s[i].Score, TP: tp, FP: fp, FN: pos - tp, TN: len(s) - pos - fp}
		if c.Accuracy() > best.Accuracy() {
			best = c
		}
	}
	return best
}

// LogLoss is the mean negative log-likelihood of xs (scores clamped away
// from 0 and 1).
func LogLoss(xs []Scored) float64 {
	var s float64
	for _, x := range xs {
		p := math.Min(math.Max(x.Score, 1e-12), 1-1e-12)
		if x.Positive {
			s -= math.Log(p)
		} else {
			s -= math.Log(1 - p)
		}
	}
	return s / float64(len(xs))
}

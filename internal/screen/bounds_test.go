package screen

// Public-corpus bounds (see QUALITY.md for the measurements behind them).
// The targets are FP ≤ 1% (NUS), ≤ 2% (THUCNews), ≤ 1% ham and
// recall ≥ 85% (80w spam). Spam recall is not met by the lexicons alone:
// its bound is the current measurement less a small margin, raised as it
// improves. It dropped from 75% to 69.7% when ordinary shopping words stopped
// adding up to an ad (issue 11: customers' reviews were flagged); the learned
// spam score (issue 12) is meant to carry marketing SMS; reading numbers
// masked as x (the corpus masks every digit) took it from 80.1% to 85.7%.
const (
	sharedNUSMaxFP     = 0.01
	sharedTHUCMaxFP    = 0.02
	sharedSMSMaxFP     = 0.01
	sharedSMSMinRecall = 0.84
)

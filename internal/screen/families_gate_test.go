package screen

import (
	"context"
	"path/filepath"
	"testing"
)

// familyBound is a quality bound for one team-written family set: the share
// of its messages that must be flagged WITH the set's fitting label (recall),
// or, for a benign set, the highest share that may be flagged at all.
type familyBound struct {
	file   string
	recall float64 // positives: least recall with the fitting label
	maxFP  float64 // negatives: most flagged
}

// familyBounds are the measurements of QUALITY.md less a small margin, so a
// regression fails while ordinary tuning does not. Tuning sets
// (families/, families2/) were used to write the rules; hold-out sets were
// never read while tuning and are gated at their (lower) measured level to
// catch regressions, not to be tuned on.
var familyBounds = []familyBound{
	{"families/drainage.tsv", 0.90, 0},
	{"families/escort.tsv", 0.95, 0},
	{"families/fraud_phishing.tsv", 0.95, 0},
	{"families/gambling.tsv", 0.94, 0},
	{"families/group_attack.tsv", 0.93, 0},
	{"families/invoices.tsv", 0.95, 0},
	{"families/job_scam.tsv", 0.92, 0},
	{"families/other_scams.tsv", 0.95, 0},
	{"families/politics.tsv", 0.93, 0},
	{"families2/drainage.tsv", 0.90, 0},
	{"families2/escort.tsv", 0.90, 0},
	{"families2/fraud_phishing.tsv", 0.90, 0},
	{"families2/gambling.tsv", 0.95, 0},
	{"families2/invoices.tsv", 0.95, 0},
	{"families2/job_scam.tsv", 0.95, 0},
	{"families2/loans.tsv", 0.95, 0},
	{"families2/marketing.tsv", 0.90, 0},
	{"families2/other_scams.tsv", 0.89, 0},
	{"families2/politics.tsv", 0.93, 0},
	// The third tuning set (issue 11, rules3 pass): measured 93.8–100 %
	// with the fitting label (QUALITY.md), gated rounded down.
	{"families3/drainage.tsv", 0.93, 0},
	{"families3/escort.tsv", 0.95, 0},
	{"families3/fraud_phishing.tsv", 0.95, 0},
	{"families3/gambling.tsv", 0.95, 0},
	{"families3/invoices.tsv", 0.95, 0},
	{"families3/job_scam.tsv", 0.95, 0},
	{"families3/other_scams.tsv", 0.95, 0},
	{"families3/politics.tsv", 0.95, 0},
	// The fourth set (written in wording the others under-use: formal
	// broadcasts, fragments, openers, pitches without keywords) was
	// measured fresh at 42–94 % (QUALITY.md), then trained on by the spam
	// and fraud models and tuned on in session 5 (kind cues name the
	// family of what the spam model flags): 92–98 %, gated rounded down.
	{"families4/drainage.tsv", 0.95, 0},
	{"families4/escort.tsv", 0.92, 0},
	{"families4/fraud_phishing.tsv", 0.98, 0},
	{"families4/gambling.tsv", 0.92, 0},
	{"families4/invoices.tsv", 0.92, 0},
	{"families4/job_scam.tsv", 0.96, 0},
	{"families4/other_scams.tsv", 0.92, 0},
	{"families4/politics.tsv", 0.96, 0},
	// The fifth set (replies under posts, pitches inside reviews and
	// chats, outcomes without the classic keywords) was measured fresh at
	// 46–90 % and tuned on in session 5 (QUALITY.md, "Fifth set: the
	// families5 pass"): drainage and escort keep the bare fragments (已私你,
	// 看简介, 约吗) and emoji equations they cannot tell from chat; the
	// rules7 pass read 🍠搜, session 6 an id split at its letter prefix
	// (zx 770815), a session's price (四个钟) and a reward for replying to
	// an account (91.7 % both).
	{"families5/drainage.tsv", 0.91, 0},
	{"families5/escort.tsv", 0.91, 0},
	{"families5/fraud_phishing.tsv", 0.95, 0},
	{"families5/gambling.tsv", 0.95, 0},
	{"families5/invoices.tsv", 0.95, 0},
	{"families5/job_scam.tsv", 0.95, 0},
	{"families5/other_scams.tsv", 0.95, 0},
	{"families5/politics.tsv", 0.95, 0},
	// The sixth set (real-SMS broadcasts, half evasive) was measured fresh
	// at 86–100 % and tuned on in session 5 (QUALITY.md, "Sixth set: the
	// families6 pass"); the rules7 pass fixed its three wrong labels
	// (100 % drainage and escort with the fitting label).
	{"families6/drainage.tsv", 0.97, 0},
	{"families6/escort.tsv", 0.97, 0},
	{"families6/fraud_phishing.tsv", 0.95, 0},
	{"families6/gambling.tsv", 0.95, 0},
	{"families6/invoices.tsv", 0.95, 0},
	{"families6/job_scam.tsv", 0.95, 0},
	{"families6/other_scams.tsv", 0.95, 0},
	{"families6/politics.tsv", 0.95, 0},
	// The seventh set (chat forms, half evasive) was measured fresh at
	// 66–98 % and tuned on in session 6 (QUALITY.md, "rules8b pass"):
	// 96.8–100 %, gated rounded down; drainage keeps two ids reassembled
	// from an instruction alone (去掉空格就是, 自己拼一下), politics one
	// spaced radio headline (报道) it cannot tell from news.
	{"families7/drainage.tsv", 0.96, 0},
	{"families7/escort.tsv", 0.97, 0},
	{"families7/fraud_phishing.tsv", 0.97, 0},
	{"families7/gambling.tsv", 0.97, 0},
	{"families7/invoices.tsv", 0.97, 0},
	{"families7/job_scam.tsv", 0.97, 0},
	{"families7/other_scams.tsv", 0.97, 0},
	{"families7/politics.tsv", 0.98, 0},
	{"holdout_families/drainage.tsv", 0.50, 0},
	{"holdout_families/escort.tsv", 0.58, 0},
	{"holdout_families/fraud_phishing.tsv", 0.75, 0},
	{"holdout_families/gambling.tsv", 0.75, 0},
	{"holdout_families/invoices.tsv", 0.75, 0},
	{"holdout_families/job_scam.tsv", 0.41, 0},
	{"holdout_families/other_scams.tsv", 0.40, 0},
	{"holdout_families/politics.tsv", 0.66, 0},
	// The second hold-out (written in session 6, never read or tuned on):
	// a floor a few points under its end-of-session-6 figures (QUALITY.md),
	// to catch a regression on wording nobody tuned for, not to tune.
	{"holdout2/drainage.tsv", 0.83, 0},
	{"holdout2/escort.tsv", 0.88, 0},
	{"holdout2/fraud_phishing.tsv", 0.88, 0},
	{"holdout2/gambling.tsv", 0.84, 0},
	{"holdout2/invoices.tsv", 0.78, 0},
	{"holdout2/job_scam.tsv", 0.92, 0},
	{"holdout2/other_scams.tsv", 0.76, 0},
	{"holdout2/politics.tsv", 0.88, 0},
	{"holdout2/benign_nearmiss.tsv", 0, 0.12},
	{"benign_nearmiss.tsv", 0, 0.02},
	{"benign_nearmiss2.tsv", 0, 0.02},
	{"benign_nearmiss3.tsv", 0, 0.02},
	// 2 of 241 (0.83 %) since session 5 (12 before): a new number given to
	// mum and a review quoting a shop's card (QUALITY.md).
	{"benign_nearmiss4.tsv", 0, 0.02},
	{"benign_reviews5.tsv", 0, 0.02},
	// Genuine SMS notices and anti-fraud broadcasts: 4 of 261 (1.53 %)
	// since the families6 pass (80 before), all four shops' sale or coupon
	// pushes with 回T退订.
	{"benign_notices6.tsv", 0, 0.02},
	// Near-misses of the seventh set: 4 of 156 (2.56 %) since the rules8a
	// pass (28 before), all four a shop's or a tutor's own offer with a
	// price (QUALITY.md, "rules8a pass"); a fifth fails.
	{"benign_nearmiss7.tsv", 0, 0.03},
	// Seventh review set: 0 of 501 since the rules8a pass (3 before).
	{"benign_reviews7.tsv", 0, 0.002},
	{"holdout_families/benign_nearmiss.tsv", 0, 0.02},
	{"identity_benign.tsv", 0, 0.02},
	// Counter-speech and identity talk written for abuse.group_attack: the
	// rule flags none of it; the 9 of 92 flagged (9.8 %) are the abuse
	// model's score alone on sentences that quote a stereotype to reject
	// it. Gated at that level to catch regressions until the model learns
	// counter-speech (QUALITY.md, "Group attacks without slurs").
	{"benign_identity_talk.tsv", 0, 0.11},
}

// TestFamilyGate screens the team-written family sets through the shipped
// pipeline (lexicons, models, policies) and holds them to familyBounds.
func TestFamilyGate(t *testing.T) {
	s := shippedScreener(t)
	for _, b := range familyBounds {
		t.Run(b.file, func(t *testing.T) {
			samples := readCorpusFile(t, filepath.Join(qualityDir, b.file), FormatLabel)
			res, err := Evaluate(context.Background(), s.Screen, samples, 2)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors > 0 {
				t.Fatalf("%d samples failed to screen", res.Errors)
			}
			c := res.Overall
			if b.maxFP > 0 {
				t.Logf("%s: %d/%d flagged (%.1f%%)", b.file, c.FP, c.Negatives(), 100*c.FPRate())
				if c.FPRate() > b.maxFP {
					for _, o := range res.FalsePositives() {
						t.Logf("false positive line %d %s %v: %s", o.Line, o.Verdict.Action, o.Verdict.Labels, o.Preview(60))
					}
					t.Errorf("flagged %.1f%% of benign messages, bound %.1f%%", 100*c.FPRate(), 100*b.maxFP)
				}
				return
			}
			for _, l := range res.Labels {
				n := l.Exact.Positives()
				if n == 0 {
					continue
				}
				got := float64(l.Exact.TP) / float64(n)
				t.Logf("%s: %s recall %.1f%% (%d/%d), flagged %d", b.file, l.Label, 100*got, l.Exact.TP, n, l.Flagged)
				if got < b.recall {
					for _, o := range res.Misses() {
						t.Logf("miss line %d: %s", o.Line, o.Preview(60))
					}
					t.Errorf("%s recall %.1f%% < bound %.0f%%", l.Label, 100*got, 100*b.recall)
				}
			}
		})
	}
}

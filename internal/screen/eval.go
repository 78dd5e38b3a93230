package screen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/modgate/modgate"
)

// Corpus formats ReadCorpus understands.
const (
	FormatAuto    = "auto"   // pick by the header line
	FormatLabel   = "label"  // label<TAB>text; # comments
	FormatNUS     = "nus"    // id, language, text: all benign chat SMS
	FormatTHUC    = "thuc"   // split, category, title: all benign news titles
	FormatSMS80w  = "sms80w" // label(0/1), text, subset, line_no
	FormatCOLD    = "cold"   // label(0/1), text, split, topic: COLD offensive-comment set
	FormatSWSR    = "swsr"   // label(0/1), text, category, target: SWSR sexism set
	labelOK       = "ok"     // negative
	labelPositive = "1"      // positive without a taxonomy label
)

// Formats lists the corpus formats for help texts.
var Formats = []string{FormatAuto, FormatLabel, FormatNUS, FormatTHUC, FormatSMS80w, FormatCOLD, FormatSWSR}

// Sample is one labelled message of an evaluation corpus.
type Sample struct {
	Line int
	// Labels are the expected taxonomy labels; empty for a positive given
	// only as "1", and for negatives.
	Labels   []string
	Positive bool
	// Group is a corpus-specific slice (THUCNews category, 80w subset, COLD
	// topic, SWSR category) for per-group false-positive rates.
	Group string
	// Split is the corpus's own split column (COLD: train or dev), empty
	// when it has none.
	Split string
	Text  string
}

var labelRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// parseLabel turns a label cell into (positive, labels).
func parseLabel(cell string) (bool, []string, error) {
	switch cell {
	case "0", labelOK:
		return false, nil, nil
	case labelPositive:
		return true, nil, nil
	}
	var labels []string
	for _, l := range strings.Split(cell, ",") {
		l = strings.TrimSpace(l)
		if !labelRe.MatchString(l) {
			return false, nil, fmt.Errorf("bad label %q (want 0, 1, ok or taxonomy labels like ads,contact)", l)
		}
		labels = append(labels, l)
	}
	return true, labels, nil
}

// ReadCorpus reads an evaluation corpus. name is used in error messages,
// which name the line. Rows with empty text are skipped.
func ReadCorpus(r io.Reader, name, format string) ([]Sample, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var out []Sample
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if strings.HasPrefix(raw, "\ufeff") {
				raw = strings.TrimPrefix(raw, "\ufeff")
			}
			hdr := strings.Split(raw, "\t")
			if format == "" || format == FormatAuto {
				format = detectFormat(hdr)
			}
			if isHeader(format, hdr) {
				continue
			}
		}
		if format == FormatLabel && (strings.TrimSpace(raw) == "" || strings.HasPrefix(raw, "#")) {
			continue
		}
		cols := strings.Split(raw, "\t")
		s := Sample{Line: line}
		var err error
		switch format {
		case FormatLabel:
			if len(cols) < 2 {
				return nil, fmt.Errorf("%s:%d: want label<TAB>text", name, line)
			}
			s.Positive, s.Labels, err = parseLabel(strings.TrimSpace(cols[0]))
			s.Text = strings.Join(cols[1:], "\t")
		case FormatNUS:
			if len(cols) < 3 {
				return nil, fmt.Errorf("%s:%d: want id<TAB>language<TAB>text", name, line)
			}
			s.Group, s.Text = cols[1], strings.Join(cols[2:], "\t")
		case FormatTHUC:
			if len(cols) < 3 {
				return nil, fmt.Errorf("%s:%d: want split<TAB>category<TAB>title", name, line)
			}
			s.Group, s.Text = cols[1], strings.Join(cols[2:], "\t")
		case FormatSMS80w:
			if len(cols) < 2 {
				return nil, fmt.Errorf("%s:%d: want label<TAB>text<TAB>subset<TAB>line_no", name, line)
			}
			s.Positive, err = binaryLabel(cols[0])
			s.Text = cols[1]
			if len(cols) > 2 {
				s.Group = cols[2]
			}
		case FormatCOLD, FormatSWSR:
			if len(cols) < 4 {
				return nil, fmt.Errorf("%s:%d: want label<TAB>text<TAB>%s", name, line, map[string]string{
					FormatCOLD: "split<TAB>topic", FormatSWSR: "category<TAB>target"}[format])
			}
			s.Positive, err = binaryLabel(cols[0])
			s.Text = cols[1]
			if format == FormatCOLD {
				s.Split, s.Group = cols[2], cols[3]
			} else {
				s.Group = cols[2]
			}
		default:
			return nil, fmt.Errorf("screen: unknown corpus format %q (want one of %s)", format, strings.Join(Formats, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if strings.TrimSpace(s.Text) == "" {
			continue
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return out, nil
}

func detectFormat(hdr []string) string {
	switch {
	case len(hdr) >= 3 && hdr[0] == "id" && hdr[1] == "language" && hdr[2] == "text":
		return FormatNUS
	case len(hdr) >= 3 && hdr[0] == "split" && hdr[1] == "category" && hdr[2] == "title":
		return FormatTHUC
	case len(hdr) >= 3 && hdr[0] == "label" && hdr[1] == "text" && hdr[2] == "subset":
		return FormatSMS80w
	case len(hdr) >= 4 && hdr[0] == "label" && hdr[1] == "text" && hdr[2] == "split" && hdr[3] == "topic":
		return FormatCOLD
	case len(hdr) >= 4 && hdr[0] == "label" && hdr[1] == "text" && hdr[2] == "category" && hdr[3] == "target":
		return FormatSWSR
	}
	return FormatLabel
}

func isHeader(format string, hdr []string) bool {
	if len(hdr) < 2 {
		return false
	}
	switch format {
	case FormatNUS:
		return hdr[0] == "id"
	case FormatTHUC:
		return hdr[0] == "split"
	case FormatSMS80w, FormatLabel, FormatCOLD, FormatSWSR:
		return hdr[0] == "label" && hdr[1] == "text"
	}
	return false
}

// Outcome is one sample with the verdict it got.
type Outcome struct {
	Sample
	Verdict modgate.Verdict
	Err     error
}

// Flagged reports whether the verdict is anything but allow.
func (o *Outcome) Flagged() bool { return o.Err == nil && o.Verdict.Action != modgate.ActionAllow }

func (o *Outcome) hasLabel(l string) bool {
	if !o.Flagged() {
		return false
	}
	for _, x := range o.Verdict.Labels {
		if x == l {
			return true
		}
	}
	return false
}

// Counts is a confusion matrix.
type Counts struct{ TP, FP, FN, TN int }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Precision is TP/(TP+FP).
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN).
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// FPRate is FP/(FP+TN).
func (c Counts) FPRate() float64 { return ratio(c.FP, c.FP+c.TN) }

// Positives and Negatives are the gold totals.
func (c Counts) Positives() int { return c.TP + c.FN }
func (c Counts) Negatives() int { return c.FP + c.TN }

// LabelStats scores one taxonomy label.
//
// For samples labelled L: Exact.TP counts those flagged with L among the
// verdict labels, Exact.FN the rest; Flagged counts those flagged at all
// (whatever label). Exact.FP counts labelled samples flagged with L that are
// not labelled L (negatives and other labels; bare "1" positives are not
// counted since their labels are unknown); FPOnNegatives counts the
// negatives among them, and Exact.TN the labelled samples neither.
type LabelStats struct {
	Label         string
	Exact         Counts
	Flagged       int
	FPOnNegatives int
}

// Result is an evaluation's outcome.
type Result struct {
	Outcomes []Outcome
	Overall  Counts
	Labels   []LabelStats // taxonomy order, then others sorted
	Groups   map[string]Counts
	Errors   int
	// Actions counts verdict actions.
	Actions map[string]int
	// Triggers counts, over false positives, each rule and each matched
	// term (`rule:NAME`, `term:TEXT`), to show what to tune.
	Triggers map[string]int
}

// ScreenFunc screens one message (a Screener's Screen, usually).
type ScreenFunc func(ctx context.Context, m modgate.Message) (modgate.Verdict, error)

// Evaluate screens every sample with workers goroutines and scores the
// verdicts. Input errors (too large, empty) count in Errors and neither as
// flagged nor as allowed; context cancellation stops it.
func Evaluate(ctx context.Context, screen ScreenFunc, samples []Sample, workers int) (*Result, error) {
	if workers < 1 {
		workers = 1
	}
	out := make([]Outcome, len(samples))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := samples[i]
				v, err := screen(ctx, modgate.Message{ID: fmt.Sprintf("line-%d", s.Line), Text: s.Text})
				out[i] = Outcome{Sample: s, Verdict: v, Err: err}
			}
		}()
	}
feed:
	for i := range samples {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Score(out), nil
}

// Score computes the metrics of screened samples.
func Score(out []Outcome) *Result {
	r := &Result{Outcomes: out, Groups: map[string]Counts{}, Actions: map[string]int{}, Triggers: map[string]int{}}
	gold := map[string]bool{}
	for i := range out {
		for _, l := range out[i].Labels {
			gold[l] = true
		}
		if out[i].Flagged() {
			for _, l := range out[i].Verdict.Labels {
				gold[l] = true
			}
		}
	}
	var names []string
	for _, l := range modgate.Labels {
		if gold[l] {
			names = append(names, l)
			delete(gold, l)
		}
	}
	var extra []string
	for l := range gold {
		extra = append(extra, l)
	}
	sort.Strings(extra)
	names = append(names, extra...)
	stats := make([]LabelStats, len(names))
	for i, n := range names {
		stats[i].Label = n
	}

	for i := range out {
		o := &out[i]
		if o.Err != nil {
			r.Errors++
			continue
		}
		r.Actions[o.Verdict.Action]++
		flagged := o.Flagged()
		g := r.Groups[o.Group]
		switch {
		case o.Positive && flagged:
			r.Overall.TP++
			g.TP++
		case o.Positive:
			r.Overall.FN++
			g.FN++
		case flagged:
			r.Overall.FP++
			g.FP++
			for _, rs := range o.Verdict.Reasons {
				r.Triggers["rule:"+rs.Rule]++
			}
			seen := map[string]bool{}
			for _, m := range o.Verdict.Matches {
				k := "term:" + m.Term
				if !seen[k] {
					seen[k] = true
					r.Triggers[k]++
				}
			}
		default:
			r.Overall.TN++
			g.TN++
		}
		if o.Group != "" {
			r.Groups[o.Group] = g
		}
		if o.Positive && len(o.Labels) == 0 {
			continue // label unknown: only overall numbers apply
		}
		for j := range stats {
			st := &stats[j]
			want := slices.Contains(o.Labels, st.Label)
			got := o.hasLabel(st.Label)
			switch {
			case want && got:
				st.Exact.TP++
			case want:
				st.Exact.FN++
			case got:
				st.Exact.FP++
				if !o.Positive {
					st.FPOnNegatives++
				}
			default:
				st.Exact.TN++
			}
			if want && flagged {
				st.Flagged++
			}
		}
	}
	r.Labels = stats
	return r
}

// FalsePositives returns the negatives that were flagged, worst first
// (block before review, then higher severity, then corpus order).
func (r *Result) FalsePositives() []Outcome {
	var fps []Outcome
	for _, o := range r.Outcomes {
		if !o.Positive && o.Flagged() {
			fps = append(fps, o)
		}
	}
	sort.SliceStable(fps, func(i, j int) bool {
		a, b := fps[i].Verdict, fps[j].Verdict
		if (a.Action == modgate.ActionBlock) != (b.Action == modgate.ActionBlock) {
			return a.Action == modgate.ActionBlock
		}
		return a.Severity > b.Severity
	})
	return fps
}

// Misses returns the positives that were allowed, in corpus order.
func (r *Result) Misses() []Outcome {
	var ms []Outcome
	for _, o := range r.Outcomes {
		if o.Positive && o.Err == nil && !o.Flagged() {
			ms = append(ms, o)
		}
	}
	return ms
}

// TopTriggers returns the n most frequent false-positive triggers.
func (r *Result) TopTriggers(n int) []Trigger {
	ts := make([]Trigger, 0, len(r.Triggers))
	for k, c := range r.Triggers {
		ts = append(ts, Trigger{Key: k, Count: c})
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Count != ts[j].Count {
			return ts[i].Count > ts[j].Count
		}
		return ts[i].Key < ts[j].Key
	})
	if len(ts) > n {
		ts = ts[:n]
	}
	return ts
}

// Trigger is a rule or term and how many false positives it took part in.
type Trigger struct {
	Key   string
	Count int
}

// Preview is a sample's text fit for a report: personal data masked (the
// verdict's masked text when there is one), newlines flattened, cut to max
// runes.
func (o *Outcome) Preview(max int) string {
	t := o.Verdict.MaskedText
	if t == "" {
		t = o.Text
	}
	t = strings.Join(strings.Fields(t), " ")
	rs := []rune(t)
	if len(rs) > max {
		t = string(rs[:max]) + "…"
	}
	return t
}

// binaryLabel reads the 0/1 label column of the public corpora.
func binaryLabel(l string) (bool, error) {
	switch l {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("bad label %q (want 0 or 1)", l)
}

package screen

import (
	"strings"
	"testing"

	"github.com/modgate/modgate"
)

func TestReadCorpus(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		in      string
		want    []Sample
		wantErr string
	}{
		{
			name:   "label format with comments, header, multi-label",
			format: FormatAuto,
			in:     "label\ttext\n# comment\n\nok\t你好\n0\t早\n1\t广告\nads,contact\t加微信\tabc\n",
			want: []Sample{
				{Line: 4, Text: "你好"},
				{Line: 5, Text: "早"},
				{Line: 6, Positive: true, Text: "广告"},
				{Line: 7, Positive: true, Labels: []string{"ads", "contact"}, Text: "加微信\tabc"},
			},
		},
		{
			name:   "nus detected by header",
			format: FormatAuto,
			in:     "id\tlanguage\ttext\n1\tzh\t吃饭了吗\n2\tzh\t \n",
			want:   []Sample{{Line: 2, Group: "zh", Text: "吃饭了吗"}},
		},
		{
			name:   "thuc keeps the category as group",
			format: FormatTHUC,
			in:     "split\tcategory\ttitle\ndev\tstocks\t大盘收涨\n",
			want:   []Sample{{Line: 2, Group: "stocks", Text: "大盘收涨"}},
		},
		{
			name:   "sms80w labels",
			format: FormatAuto,
			in:     "label\ttext\tsubset\tline_no_in_80w\n0\t天气好\tfirst10k\t1\n1\t优惠\tjunk\t9\n",
			want: []Sample{
				{Line: 2, Group: "first10k", Text: "天气好"},
				{Line: 3, Positive: true, Group: "junk", Text: "优惠"},
			},
		},
		{
			name:   "cold keeps split and topic",
			format: FormatAuto,
			in:     "label\ttext\tsplit\ttopic\n1\t地域黑\ttrain\tregion\n0\t讨论\tdev\tgender\n",
			want: []Sample{
				{Line: 2, Positive: true, Split: "train", Group: "region", Text: "地域黑"},
				{Line: 3, Split: "dev", Group: "gender", Text: "讨论"},
			},
		},
		{
			name:   "swsr keeps the category",
			format: FormatAuto,
			in:     "label\ttext\tcategory\ttarget\n1\t偏见\tSCB\tG\n0\t普通\t\t\n",
			want: []Sample{
				{Line: 2, Positive: true, Group: "SCB", Text: "偏见"},
				{Line: 3, Text: "普通"},
			},
		},
		{name: "cold short row", format: FormatCOLD, in: "label\ttext\tsplit\ttopic\n1\tx\n", wantErr: "c.tsv:2: want label<TAB>text<TAB>split<TAB>topic"},
		{name: "bad label", format: FormatLabel, in: "ok\tfine\nADS!\tx\n", wantErr: "c.tsv:2: bad label"},
		{name: "missing tab", format: FormatLabel, in: "ok\tfine\nno tab here\n", wantErr: "c.tsv:2: want label<TAB>text"},
		{name: "sms80w bad label", format: FormatSMS80w, in: "label\ttext\tsubset\tn\n2\tx\ty\t1\n", wantErr: "c.tsv:2: bad label"},
		{name: "unknown format", format: "csv", in: "a\tb\n", wantErr: "unknown corpus format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadCorpus(strings.NewReader(tc.in), "c.tsv", tc.format)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d samples %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.Line != w.Line || g.Positive != w.Positive || g.Group != w.Group || g.Split != w.Split || g.Text != w.Text || strings.Join(g.Labels, ",") != strings.Join(w.Labels, ",") {
					t.Errorf("sample %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func outcome(labels []string, positive bool, action string, got ...string) Outcome {
	return Outcome{
		Sample:  Sample{Labels: labels, Positive: positive},
		Verdict: modgate.Verdict{Action: action, Labels: got, Reasons: []modgate.Reason{{Rule: "r." + action}}},
	}
}

func TestScore(t *testing.T) {
	out := []Outcome{
		outcome([]string{"ads"}, true, "block", "ads", "contact"), // TP ads; contact FP (other label)
		outcome([]string{"ads"}, true, "review", "contact"),       // flagged, but not as ads
		outcome([]string{"finance"}, true, "allow"),               // miss
		outcome(nil, false, "allow"),                              // TN
		outcome(nil, false, "review", "finance"),                  // FP on ok
		outcome(nil, true, "block", "porn"),                       // bare positive: overall only
		{Sample: Sample{Positive: true}, Err: ErrTooLarge},        // error: not counted
	}
	r := Score(out)
	if want := (Counts{TP: 3, FP: 1, FN: 1, TN: 1}); r.Overall != want {
		t.Fatalf("overall = %+v, want %+v", r.Overall, want)
	}
	if r.Errors != 1 {
		t.Errorf("errors = %d, want 1", r.Errors)
	}
	byLabel := map[string]LabelStats{}
	for _, l := range r.Labels {
		byLabel[l.Label] = l
	}
	tests := []struct {
		label   string
		exact   Counts
		flagged int
		fpOK    int
	}{
		{"ads", Counts{TP: 1, FN: 1, TN: 3}, 2, 0},
		{"contact", Counts{FP: 2, TN: 3}, 0, 0},
		{"finance", Counts{FN: 1, FP: 1, TN: 3}, 0, 1},
		{"porn", Counts{TN: 5}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			got, ok := byLabel[tc.label]
			if !ok {
				t.Fatalf("no stats for %s in %+v", tc.label, r.Labels)
			}
			if got.Exact != tc.exact || got.Flagged != tc.flagged || got.FPOnNegatives != tc.fpOK {
				t.Errorf("got %+v, want exact %+v flagged %d fpOK %d", got, tc.exact, tc.flagged, tc.fpOK)
			}
		})
	}
	if fps := r.FalsePositives(); len(fps) != 1 || fps[0].Verdict.Labels[0] != "finance" {
		t.Errorf("false positives = %+v", fps)
	}
	if ms := r.Misses(); len(ms) != 1 || ms[0].Labels[0] != "finance" {
		t.Errorf("misses = %+v", ms)
	}
	if tr := r.TopTriggers(5); len(tr) != 1 || tr[0].Key != "rule:r.review" || tr[0].Count != 1 {
		t.Errorf("triggers = %+v", tr)
	}
	// Labels come in taxonomy order.
	var order []string
	for _, l := range r.Labels {
		order = append(order, l.Label)
	}
	if got := strings.Join(order, ","); got != "ads,contact,porn,finance" {
		t.Errorf("label order = %s", got)
	}
}

package screen

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/modgate/modgate/internal/testkit"
)

// The team-written family sets (testdata/quality/families, holdout_families,
// holdout2 and the near-miss and identity sets) measure screening for families of
// wording. These tests keep them honest as data: well-formed, labelled with
// the one fitting label, large enough, about half evasive where the family
// asks for it, free of duplicates, with hold-out sets that share neither
// lines nor sentence templates with the tuning sets, and with nothing taken
// from the public corpora. They do not screen the sets: the quality gates
// for them are wired separately once the rules exist.

const qualityDir = "../../testdata/quality"

// teamLabels is the taxonomy the sets may use: the shipped labels plus
// fraud and politics, which are being added to the taxonomy.
var teamLabels = []string{
	"ok", "ads", "contact", "gambling", "porn", "abuse", "finance", "medical",
	"induced_sharing", "pii", "illegal", "fraud", "politics",
}

// teamSet describes one team-written set.
type teamSet struct {
	path    string // relative to testdata/quality
	label   string // the one label every message in the file carries
	min     int    // minimum number of messages
	holdout bool   // never tuned or trained on
	// family sets split their lines into "--- plain ---" and
	// "--- evasive ---" sections, about half each.
	family bool
}

var teamSets = []teamSet{
	{"families/fraud_phishing.tsv", "fraud", 45, false, true},
	{"families/gambling.tsv", "gambling", 45, false, true},
	{"families/invoices.tsv", "illegal", 40, false, true},
	{"families/escort.tsv", "porn", 40, false, true},
	{"families/job_scam.tsv", "fraud", 40, false, true},
	{"families/other_scams.tsv", "fraud", 40, false, true},
	{"families/politics.tsv", "politics", 40, false, true},
	{"families/group_attack.tsv", "abuse", 60, false, true},
	{"families/drainage.tsv", "contact", 40, false, true},
	{"benign_nearmiss.tsv", "ok", 180, false, false},

	// families2: the second, broader tuning set, written in the wording of
	// many senders (brands, shapes, lengths, registers, evasions) so rules
	// are tuned for families of wording rather than one writer's lines.
	{"families2/fraud_phishing.tsv", "fraud", 70, false, true},
	{"families2/gambling.tsv", "gambling", 70, false, true},
	{"families2/invoices.tsv", "illegal", 70, false, true},
	{"families2/escort.tsv", "porn", 70, false, true},
	{"families2/job_scam.tsv", "fraud", 70, false, true},
	{"families2/other_scams.tsv", "fraud", 70, false, true},
	{"families2/politics.tsv", "politics", 70, false, true},
	{"families2/drainage.tsv", "contact", 70, false, true},
	{"families2/loans.tsv", "finance", 70, false, true},
	{"families2/marketing.tsv", "ads", 100, false, true},
	{"benign_nearmiss2.tsv", "ok", 300, false, false},
	// families3: a third, independent set in wording neither earlier set
	// uses (issue 11), measured in QUALITY.md, not gated.
	{"families3/fraud_phishing.tsv", "fraud", 60, false, true},
	{"families3/gambling.tsv", "gambling", 60, false, true},
	{"families3/invoices.tsv", "illegal", 60, false, true},
	{"families3/escort.tsv", "porn", 60, false, true},
	{"families3/job_scam.tsv", "fraud", 60, false, true},
	{"families3/other_scams.tsv", "fraud", 60, false, true},
	{"families3/politics.tsv", "politics", 60, false, true},
	{"families3/drainage.tsv", "contact", 60, false, true},
	{"benign_nearmiss3.tsv", "ok", 200, false, false},
	// families4: a fourth, independent set leaning on the forms the earlier
	// sets under-use (formal broadcasts, short fragments, dialogue openers,
	// pitches without a classic keyword), measured in QUALITY.md, not gated.
	{"families4/fraud_phishing.tsv", "fraud", 60, false, true},
	{"families4/gambling.tsv", "gambling", 60, false, true},
	{"families4/invoices.tsv", "illegal", 60, false, true},
	{"families4/escort.tsv", "porn", 60, false, true},
	{"families4/job_scam.tsv", "fraud", 60, false, true},
	{"families4/other_scams.tsv", "fraud", 60, false, true},
	{"families4/politics.tsv", "politics", 60, false, true},
	{"families4/drainage.tsv", "contact", 60, false, true},
	{"benign_nearmiss4.tsv", "ok", 200, false, false},
	// families5: a fifth, independent set in wording nobody on the team had
	// written (spam disguised as reviews, customer replies and friendly
	// chat, replies under posts, voice-to-text, numbers in words), and a
	// review set standing in for the unseen review corpora; measured fresh
	// in QUALITY.md, not gated.
	{"families5/fraud_phishing.tsv", "fraud", 40, false, true},
	{"families5/gambling.tsv", "gambling", 40, false, true},
	{"families5/invoices.tsv", "illegal", 40, false, true},
	{"families5/escort.tsv", "porn", 40, false, true},
	{"families5/job_scam.tsv", "fraud", 40, false, true},
	{"families5/other_scams.tsv", "fraud", 40, false, true},
	{"families5/politics.tsv", "politics", 40, false, true},
	{"families5/drainage.tsv", "contact", 40, false, true},
	{"benign_reviews5.tsv", "ok", 400, false, false},
	// families6: a sixth, independent set in the style of real SMS spam
	// (operator broadcasts with a 【sender】, links, numbers and deadlines)
	// and benign notices sharing that vocabulary (bank, carrier, courier,
	// airline and anti-fraud notices); measured fresh in QUALITY.md, not gated.
	{"families6/fraud_phishing.tsv", "fraud", 40, false, true},
	{"families6/gambling.tsv", "gambling", 40, false, true},
	{"families6/invoices.tsv", "illegal", 40, false, true},
	{"families6/escort.tsv", "porn", 40, false, true},
	{"families6/job_scam.tsv", "fraud", 40, false, true},
	{"families6/other_scams.tsv", "fraud", 40, false, true},
	{"families6/politics.tsv", "politics", 40, false, true},
	{"families6/drainage.tsv", "contact", 40, false, true},
	{"benign_notices6.tsv", "ok", 250, false, false},
	// benign_reviews7: ordinary reviews in the style of the large public
	// review corpora (long hotel reviews, food delivery, ten e-commerce
	// categories), half of them angry; measured fresh in QUALITY.md, not gated.
	{"benign_reviews7.tsv", "ok", 500, false, false},
	// families7: a seventh, independent set aimed at the families the
	// hold-out catches least, in chat forms (group posts, forum replies,
	// 朋友圈, 闲鱼 listings, 直播 comments) and SMS, and benign chat sharing
	// that vocabulary; measured fresh in QUALITY.md, not gated.
	{"families7/fraud_phishing.tsv", "fraud", 40, false, true},
	{"families7/gambling.tsv", "gambling", 40, false, true},
	{"families7/invoices.tsv", "illegal", 40, false, true},
	{"families7/escort.tsv", "porn", 40, false, true},
	{"families7/job_scam.tsv", "fraud", 60, false, true},
	{"families7/other_scams.tsv", "fraud", 60, false, true},
	{"families7/politics.tsv", "politics", 60, false, true},
	{"families7/drainage.tsv", "contact", 60, false, true},
	{"benign_nearmiss7.tsv", "ok", 150, false, false},

	{"holdout_families/fraud_phishing.tsv", "fraud", 25, true, true},
	{"holdout_families/gambling.tsv", "gambling", 25, true, true},
	{"holdout_families/invoices.tsv", "illegal", 20, true, true},
	{"holdout_families/escort.tsv", "porn", 20, true, true},
	{"holdout_families/job_scam.tsv", "fraud", 20, true, true},
	{"holdout_families/other_scams.tsv", "fraud", 20, true, true},
	{"holdout_families/politics.tsv", "politics", 20, true, true},
	{"holdout_families/drainage.tsv", "contact", 20, true, true},
	{"holdout_families/benign_nearmiss.tsv", "ok", 80, true, false},
	// holdout2: a second, larger hold-out written by someone who had not
	// seen the tuning sets, half SMS and half chat, about half evasive.
	{"holdout2/fraud_phishing.tsv", "fraud", 50, true, true},
	{"holdout2/gambling.tsv", "gambling", 50, true, true},
	{"holdout2/invoices.tsv", "illegal", 50, true, true},
	{"holdout2/escort.tsv", "porn", 50, true, true},
	{"holdout2/job_scam.tsv", "fraud", 50, true, true},
	{"holdout2/other_scams.tsv", "fraud", 50, true, true},
	{"holdout2/politics.tsv", "politics", 50, true, true},
	{"holdout2/drainage.tsv", "contact", 50, true, true},
	{"holdout2/benign_nearmiss.tsv", "ok", 150, true, false},
	{"identity_benign.tsv", "ok", 120, true, false},
	{"identity_abuse.tsv", "abuse", 60, true, false},
	{"benign_identity_talk.tsv", "ok", 80, false, false},
}

// The older team sets: their lines take part in the duplicate and template
// checks against the family sets (chat.tsv is tuned on, holdout.tsv is not),
// but their own contents are checked by the quality gate, not here.
var olderTeamSets = []teamSet{
	{path: "chat.tsv"},
	{path: "holdout.tsv", holdout: true},
}

const (
	// Share of evasive lines a family set must have ("about half").
	minEvasiveShare = 0.40
	maxEvasiveShare = 0.65
	// A hold-out line and a tuning line whose character-bigram sets overlap
	// this much (Jaccard) are the same sentence template.
	maxTemplateSimilarity = 0.45
	// Lines longer than this are not chat messages.
	maxTeamLineRunes = 200
	// Corpus texts and team lines at least this long (folded) are checked
	// for containment in each other, not only for equality.
	minContainRunes = 12
)

const (
	sectionPlain   = "# --- plain ---"
	sectionEvasive = "# --- evasive ---"
)

// teamLine is one message of a team set.
type teamLine struct {
	file    string
	line    int
	label   string
	text    string
	evasive bool
	holdout bool
	older   bool // from chat.tsv / holdout.tsv
}

// String names the line and quotes its text, except for hold-out lines:
// their text stays out of test output so that whoever rewrites a tuning
// line that trips a check does so without seeing the hold-out.
func (l teamLine) String() string {
	if l.holdout {
		return fmt.Sprintf("%s:%d (hold-out, text not shown)", l.file, l.line)
	}
	return fmt.Sprintf("%s:%d %q", l.file, l.line, l.text)
}

// readTeamSet parses a team set strictly, reporting every problem with the
// file and line, and returns its messages.
func readTeamSet(t *testing.T, set teamSet) []teamLine {
	t.Helper()
	path := filepath.Join(qualityDir, set.path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", set.path, err)
	}
	var out []teamLine
	section := ""
	for i, raw := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		n := i + 1
		at := fmt.Sprintf("%s:%d", set.path, n)
		if !utf8.ValidString(raw) {
			t.Errorf("%s: not valid UTF-8", at)
			continue
		}
		if strings.ContainsAny(raw, "\r\ufeff") {
			t.Errorf("%s: carriage return or byte-order mark", at)
		}
		if n == 1 && !strings.HasPrefix(raw, "# modgate team-written") {
			t.Errorf("%s: want a header comment starting %q", at, "# modgate team-written")
		}
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if strings.HasPrefix(raw, "#") {
			switch raw {
			case sectionPlain, sectionEvasive:
				section = raw
			}
			continue
		}
		label, text, ok := strings.Cut(raw, "\t")
		if !ok || strings.Contains(text, "\t") {
			t.Errorf("%s: want exactly label<TAB>text", at)
			continue
		}
		if !slices.Contains(teamLabels, label) {
			t.Errorf("%s: unknown label %q (want one of %s)", at, label, strings.Join(teamLabels, ", "))
		} else if label != set.label {
			t.Errorf("%s: label %q, but every message of this set is %q", at, label, set.label)
		}
		if text == "" || strings.TrimSpace(text) != text {
			t.Errorf("%s: empty text or leading/trailing white space", at)
		}
		if r := utf8.RuneCountInString(text); r > maxTeamLineRunes {
			t.Errorf("%s: %d characters, more than %d", at, r, maxTeamLineRunes)
		}
		if set.family && section == "" {
			t.Errorf("%s: message outside a %q / %q section", at, sectionPlain, sectionEvasive)
		}
		out = append(out, teamLine{file: set.path, line: n, label: label, text: text,
			evasive: section == sectionEvasive, holdout: set.holdout})
	}
	return out
}

func TestTeamSetsWellFormed(t *testing.T) {
	for _, set := range teamSets {
		t.Run(set.path, func(t *testing.T) {
			lines := readTeamSet(t, set)
			if len(lines) < set.min {
				t.Errorf("%d messages, want at least %d", len(lines), set.min)
			}
			// modgate eval must read the file the same way.
			f, err := os.Open(filepath.Join(qualityDir, set.path))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			samples, err := ReadCorpus(f, set.path, FormatLabel)
			if err != nil {
				t.Fatalf("ReadCorpus: %v", err)
			}
			if len(samples) != len(lines) {
				t.Errorf("ReadCorpus read %d messages, the strict reader %d", len(samples), len(lines))
			}
			for _, s := range samples {
				if s.Positive != (set.label != "ok") {
					t.Errorf("line %d: positive=%v for label %s", s.Line, s.Positive, set.label)
				}
			}
			if set.family {
				ev := 0
				for _, l := range lines {
					if l.evasive {
						ev++
					}
				}
				share := float64(ev) / float64(len(lines))
				t.Logf("%d messages, %d evasive (%.0f%%)", len(lines), ev, 100*share)
				if share < minEvasiveShare || share > maxEvasiveShare {
					t.Errorf("evasive share %.0f%% (%d of %d), want %.0f–%.0f%%",
						100*share, ev, len(lines), 100*minEvasiveShare, 100*maxEvasiveShare)
				}
			}
		})
	}
}

// TestTeamSetsListed makes sure no set file escapes the checks above.
func TestTeamSetsListed(t *testing.T) {
	known := map[string]bool{}
	for _, s := range append(slices.Clone(teamSets), olderTeamSets...) {
		known[s.path] = true
	}
	// Every folder of sets, so a new one is checked without being named here.
	for _, pattern := range []string{"*.tsv", "*/*.tsv"} {
		files, err := filepath.Glob(filepath.Join(qualityDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(qualityDir, f)
			if !known[filepath.ToSlash(rel)] {
				t.Errorf("%s is not listed in teamSets", rel)
			}
		}
	}
}

// foldTeamText reduces a message to its letters and digits after NFKC
// (full-width, circled and styled characters become plain ones) and case
// folding, so copies that differ only in spacing, punctuation, emoji or
// width still compare equal.
func foldTeamText(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func readAllTeamLines(t *testing.T) []teamLine {
	t.Helper()
	var all []teamLine
	for _, set := range teamSets {
		all = append(all, readTeamSet(t, set)...)
	}
	for _, set := range olderTeamSets {
		f, err := os.Open(filepath.Join(qualityDir, set.path))
		if err != nil {
			t.Fatal(err)
		}
		samples, err := ReadCorpus(f, set.path, FormatLabel)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			all = append(all, teamLine{file: set.path, line: s.Line, text: s.Text, holdout: set.holdout, older: true})
		}
	}
	return all
}

// TestTeamSetsNoDuplicates: no message appears twice within or across the
// sets (compared after folding), which also means tuning and hold-out
// share no line. Duplicates among the older sets' own lines are theirs.
func TestTeamSetsNoDuplicates(t *testing.T) {
	seen := map[string]teamLine{}
	for _, l := range readAllTeamLines(t) {
		k := foldTeamText(l.text)
		if k == "" {
			if !l.older {
				t.Errorf("%v: no letters or digits", l)
			}
			continue
		}
		if prev, dup := seen[k]; dup {
			if !l.older || !prev.older {
				t.Errorf("duplicate message: %v and %v", prev, l)
			}
			continue
		}
		seen[k] = l
	}
}

func bigrams(folded string) map[string]struct{} {
	r := []rune(folded)
	m := make(map[string]struct{}, len(r))
	for i := 0; i+1 < len(r); i++ {
		m[string(r[i:i+2])] = struct{}{}
	}
	return m
}

func jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for k := range a {
		if _, ok := b[k]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// TestTeamSetsHoldoutIndependent: a hold-out line must not be a reworded
// copy of a tuning line (the same sentence template with a few words or
// numbers swapped). Pairs between the two older sets are not judged here.
func TestTeamSetsHoldoutIndependent(t *testing.T) {
	type bg struct {
		l  teamLine
		bg map[string]struct{}
	}
	var tuning, holdout []bg
	for _, l := range readAllTeamLines(t) {
		x := bg{l, bigrams(foldTeamText(l.text))}
		if l.holdout {
			holdout = append(holdout, x)
		} else {
			tuning = append(tuning, x)
		}
	}
	worst := 0.0
	// The highest similarity per tuning file shows each writer the margin
	// left (families2/ is held to the same bound as families/).
	perFile := map[string]float64{}
	for _, h := range holdout {
		for _, tu := range tuning {
			if h.l.older && tu.l.older {
				continue
			}
			j := jaccard(h.bg, tu.bg)
			worst = max(worst, j)
			perFile[tu.l.file] = max(perFile[tu.l.file], j)
			if j >= maxTemplateSimilarity {
				t.Errorf("hold-out %v shares its template with tuning %v (bigram Jaccard %.2f ≥ %.2f)",
					h.l, tu.l, j, maxTemplateSimilarity)
			}
		}
	}
	files := slices.Sorted(maps.Keys(perFile))
	for _, f := range files {
		t.Logf("tuning %s: highest similarity to a hold-out line %.2f", f, perFile[f])
	}
	t.Logf("%d hold-out × %d tuning lines, highest similarity %.2f", len(holdout), len(tuning), worst)
}

// laterTuningSet matches the sets written after the first tuning set: the
// numbered family folders (families2/ on) and their numbered near-miss,
// review and notice files.
var laterTuningSet = regexp.MustCompile(`^(families[2-9]/|benign_(nearmiss|reviews|notices)[2-9]\.tsv$)`)

// secondTuningSet reports whether a set was written after the first tuning
// set, so that it is held to be fresh against the first set and against
// every later line.
func secondTuningSet(path string) bool { return laterTuningSet.MatchString(path) }

// TestTeamSetsSecondSetFresh: the second tuning set exists to widen the
// wording the rules are tuned on, so none of its lines may be a reworded
// copy of a line of the first tuning set (families/, benign_nearmiss.tsv,
// chat.tsv) or of another line of its own, judged by the same bigram bound
// as the hold-out check.
func TestTeamSetsSecondSetFresh(t *testing.T) {
	type bg struct {
		l  teamLine
		bg map[string]struct{}
	}
	var second, first []bg
	for _, l := range readAllTeamLines(t) {
		if l.holdout {
			continue
		}
		x := bg{l, bigrams(foldTeamText(l.text))}
		if secondTuningSet(l.file) {
			second = append(second, x)
		} else {
			first = append(first, x)
		}
	}
	if len(second) == 0 || len(first) == 0 {
		t.Fatalf("want lines in both tuning sets, got %d second and %d first", len(second), len(first))
	}
	worst := 0.0
	for _, a := range second {
		for _, b := range first {
			j := jaccard(a.bg, b.bg)
			worst = max(worst, j)
			if j >= maxTemplateSimilarity {
				t.Errorf("%v shares its template with the first tuning set's %v (bigram Jaccard %.2f ≥ %.2f)",
					a.l, b.l, j, maxTemplateSimilarity)
			}
		}
	}
	t.Logf("%d second-set × %d first-set lines, highest similarity %.2f", len(second), len(first), worst)
	worst = 0
	for i, a := range second {
		for _, b := range second[i+1:] {
			j := jaccard(a.bg, b.bg)
			worst = max(worst, j)
			if j >= maxTemplateSimilarity {
				t.Errorf("%v and %v share a template within the second tuning set (bigram Jaccard %.2f ≥ %.2f)",
					a.l, b.l, j, maxTemplateSimilarity)
			}
		}
	}
	t.Logf("second set against itself: highest similarity %.2f", worst)
}

// sharedTexts reads the text column (text, title or input) of every TSV
// corpus in the shared data directory and its train/ folder; lexicons and
// maps have no such column and are skipped.
func sharedTexts(t *testing.T) map[string][]string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.tsv", "train/*.tsv"} {
		m, err := filepath.Glob(filepath.Join(sharedData, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	out := map[string][]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		col := -1
		for first := true; sc.Scan(); first = false {
			cols := strings.Split(sc.Text(), "\t")
			if first {
				for i, c := range cols {
					switch strings.TrimPrefix(c, "\ufeff") {
					case "text", "title", "input":
						col = i
					}
				}
				if col < 0 {
					break
				}
				continue
			}
			if col < len(cols) {
				out[filepath.Base(file)] = append(out[filepath.Base(file)], cols[col])
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	return out
}

// prefixIndex maps the first minContainRunes runes of each folded string to
// the strings that start with them, to find containment without scanning
// every pair.
func prefixIndex(folded []string) map[string][]int {
	idx := map[string][]int{}
	for i, f := range folded {
		r := []rune(f)
		if len(r) >= minContainRunes {
			k := string(r[:minContainRunes])
			idx[k] = append(idx[k], i)
		}
	}
	return idx
}

// containedIn reports the indices of needles (through their prefix index)
// that occur inside hay.
func containedIn(hay string, idx map[string][]int, needles []string) []int {
	var hits []int
	r := []rune(hay)
	for i := 0; i+minContainRunes <= len(r); i++ {
		for _, n := range idx[string(r[i:i+minContainRunes])] {
			if strings.Contains(string(r[i:]), needles[n]) && !slices.Contains(hits, n) {
				hits = append(hits, n)
			}
		}
	}
	return hits
}

// overlap is a team message found in a corpus text.
type overlap struct {
	team, corpus int    // indices into the two lists
	how          string // "equals", "inside" (team inside corpus) or "contains"
}

// corpusOverlaps finds team messages equal to a corpus text, contained in
// one, or containing one; both lists are folded already. Containment is
// checked for strings of at least minContainRunes runes.
func corpusOverlaps(team, corpus []string) []overlap {
	var out []overlap
	byKey := map[string]int{}
	for i, f := range team {
		if f != "" {
			byKey[f] = i
		}
	}
	teamIdx := prefixIndex(team)
	for i, f := range corpus {
		if j, ok := byKey[f]; ok {
			out = append(out, overlap{j, i, "equals"})
		}
		for _, j := range containedIn(f, teamIdx, team) {
			if team[j] != f {
				out = append(out, overlap{j, i, "inside"})
			}
		}
	}
	corpIdx := prefixIndex(corpus)
	for j, f := range team {
		for _, i := range containedIn(f, corpIdx, corpus) {
			if corpus[i] != f {
				out = append(out, overlap{j, i, "contains"})
			}
		}
	}
	return out
}

func TestCorpusOverlaps(t *testing.T) {
	fold := func(xs ...string) []string {
		for i := range xs {
			xs[i] = foldTeamText(xs[i])
		}
		return xs
	}
	team := fold(
		"加 微 信 abc123，拉你进群领福利",     // 0: equals corpus 0 after folding
		"今天天气不错",                   // 1: too short for containment, no exact match
		"本店新到一批货，欢迎各位老板来看看，价格好商量",  // 2: inside corpus 1
		"前情提要：会员首充送百分之百彩金，今晚截止，抓紧", // 3: contains corpus 2
		"完全不相干的一句话，和语料没有任何关系",      // 4: nothing
	)
	corpus := fold(
		"加微信ABC123，拉你进群领福利！",
		"通知：本店新到一批货，欢迎各位老板来看看，价格好商量。谢谢",
		"会员首充送百分之百彩金，今晚截止",
		"今天天气不错啊朋友们",
	)
	got := corpusOverlaps(team, corpus)
	want := []overlap{{0, 0, "equals"}, {2, 1, "inside"}, {3, 2, "contains"}}
	if !slices.Equal(got, want) {
		t.Errorf("corpusOverlaps = %v, want %v", got, want)
	}
}

func TestFoldTeamText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"spacing and punctuation", "加 微 信，abc 123！", "加微信abc123"},
		{"full width", "ＡＢＣ１２３", "abc123"},
		{"circled digits", "④⓪⓪-⑥①②", "400612"},
		{"styled latin", "𝐆𝐎𝐍𝐆", "gong"},
		{"emoji dropped", "真❤善❤忍", "真善忍"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := foldTeamText(tc.in); got != tc.want {
				t.Errorf("foldTeamText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestTeamSetsNotFromSharedCorpora: the team sets are written fresh, so no
// team message may equal a public-corpus text, contain one, or be contained
// in one (compared after folding; containment for texts of at least
// minContainRunes characters).
func TestTeamSetsNotFromSharedCorpora(t *testing.T) {
	testkit.SharedData(t)
	var lines []teamLine
	for _, set := range teamSets {
		lines = append(lines, readTeamSet(t, set)...)
	}
	team := make([]string, len(lines))
	for i, l := range lines {
		team[i] = foldTeamText(l.text)
	}
	corpora := sharedTexts(t)
	if len(corpora) == 0 {
		t.Fatalf("no corpus with a text column found in %s", sharedData)
	}
	for name, texts := range corpora {
		folded := make([]string, len(texts))
		for i, s := range texts {
			folded[i] = foldTeamText(s)
		}
		for _, o := range corpusOverlaps(team, folded) {
			t.Errorf("%v %s %s text %d", lines[o.team], o.how, name, o.corpus+1)
		}
		t.Logf("%s: %d texts checked against %d team messages", name, len(texts), len(team))
	}
}

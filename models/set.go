package models

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Set is every model of one models folder, ready to score. Models whose
// feature configs hash text the same way share one pass over the text and
// one interleaved weight table (all their weights for a bucket sit next to
// each other, so scoring every label costs one memory access per n-gram).
// A Set is immutable and safe for concurrent use.
type Set struct {
	models   []*Model // sorted by label
	labels   []string
	extras   []string // union of the models' extras, sorted
	groups   []group
	where    []loc // per label: its group and slot
	revision string
}

type loc struct{ g, slot int }

// maxGroup bounds the labels sharing one table, so scoring keeps its
// accumulators on the stack; more labels make more groups.
const maxGroup = 8

type group struct {
	feat   Features
	n      int       // labels in the group
	i8     bool      // the group's models are int8-encoded
	label  []int     // slot → index in Set.labels
	q      []int8    // buckets × n, when every model of the group is i8
	f      []float32 // buckets × n otherwise
	scale  [maxGroup]float32
	bias   [maxGroup]float32
	extraW [maxGroup][]extraWeight
	cal    [maxGroup]Calibration
}

type extraWeight struct {
	idx int // index into Set.extras
	w   float32
}

// NewSet builds a Set from decoded models. Labels must be distinct.
func NewSet(ms []*Model) (*Set, error) {
	ms = slices.Clone(ms)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Label < ms[j].Label })
	s := &Set{models: ms}
	ex := map[string]bool{}
	for i, m := range ms {
		if i > 0 && ms[i-1].Label == m.Label {
			return nil, fmt.Errorf("models: label %q defined by both %s and %s", m.Label, nameOf(ms[i-1]), nameOf(m))
		}
		s.labels = append(s.labels, m.Label)
		for _, e := range m.Features.Extras {
			ex[e] = true
		}
	}
	for e := range ex {
		s.extras = append(s.extras, e)
	}
	sort.Strings(s.extras)
	s.where = make([]loc, len(ms))
	for li, m := range ms {
		gi := -1
		for k := range s.groups {
			g := &s.groups[k]
			if g.n < maxGroup && g.feat.sameHashing(&m.Features) && g.i8 == (m.q != nil) {
				gi = k
				break
			}
		}
		if gi < 0 {
			s.groups = append(s.groups, group{feat: m.Features, i8: m.q != nil})
			gi = len(s.groups) - 1
		}
		g := &s.groups[gi]
		slot := g.n
		g.n++
		g.label = append(g.label, li)
		g.bias[slot] = float32(m.Bias)
		g.scale[slot] = float32(m.Scale)
		g.cal[slot] = m.Calibration
		nb := m.Features.Buckets()
		for i, e := range m.Features.Extras {
			if w := m.W[nb+i]; w != 0 {
				g.extraW[slot] = append(g.extraW[slot], extraWeight{idx: sort.SearchStrings(s.extras, e), w: w})
			}
		}
		s.where[li] = loc{gi, slot}
	}
	// Interleave each group's weights: bucket-major, label-minor.
	for k := range s.groups {
		g := &s.groups[k]
		nb := g.feat.Buckets()
		if g.i8 {
			g.q = make([]int8, nb*g.n)
			for slot, li := range g.label {
				for b, x := range ms[li].q[:nb] {
					g.q[b*g.n+slot] = x
				}
			}
		} else {
			g.f = make([]float32, nb*g.n)
			for slot, li := range g.label {
				for b, x := range ms[li].W[:nb] {
					g.f[b*g.n+slot] = x
				}
			}
		}
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%s\x00%s\x00", m.Label, m.Sum)
	}
	if len(ms) > 0 {
		s.revision = hex.EncodeToString(h.Sum(nil))
	}
	return s, nil
}

func nameOf(m *Model) string {
	if m.File != "" {
		return m.File
	}
	return m.Label + Ext
}

// LoadFS loads every top-level *.mgm file of fsys (hidden files skipped).
// A file must be named after its label (abuse.mgm holds label abuse), so a
// file copied under the wrong name is refused rather than scoring under a
// label it was not trained for. All problems are reported together.
func LoadFS(fsys fs.FS) (*Set, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	var ms []*Model
	var errs []error
	for _, de := range ents {
		name := de.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, Ext) || de.IsDir() {
			continue
		}
		if info, err := de.Info(); err == nil && info.Mode().IsRegular() && info.Size() > MaxFileBytes {
			errs = append(errs, fmt.Errorf("models: %s: %d bytes, limit %d", name, info.Size(), MaxFileBytes))
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // vanished while an editor replaced it
			}
			errs = append(errs, fmt.Errorf("models: %s: %w", name, err))
			continue
		}
		m, err := Decode(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if want := strings.TrimSuffix(name, Ext); m.Label != want {
			errs = append(errs, fmt.Errorf("models: %s: holds label %q; a model file must be named after its label (%s%s)", name, m.Label, m.Label, Ext))
			continue
		}
		ms = append(ms, m)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewSet(ms)
}

// Revision is a hash of the models (labels and file checksums); "" for an
// empty set.
func (s *Set) Revision() string { return s.revision }

// Labels lists the model labels in sorted order; Score writes one score per
// label in this order.
func (s *Set) Labels() []string { return s.labels }

// Extras lists the extra features the models want, sorted; callers pass
// their values to Score in this order.
func (s *Set) Extras() []string { return s.extras }

// Models returns the loaded models, sorted by label.
func (s *Set) Models() []*Model { return s.models }

// Len is the number of models.
func (s *Set) Len() int { return len(s.models) }

// Score writes the calibrated probability of every label (Labels order)
// into out, which must have room for Len() values, for a NORMALISED text
// and the extra-feature values (Extras order; nil means all zero). It does
// not allocate.
func (s *Set) Score(text string, extras []float32, out []float64) {
	for k := range s.groups {
		g := &s.groups[k]
		var acc [maxGroup]float32
		g.accumulate(text, &acc)
		for slot := 0; slot < g.n; slot++ {
			z := g.bias[slot] + acc[slot]
			for _, ew := range g.extraW[slot] {
				if ew.idx < len(extras) {
					z += ew.w * extras[ew.idx]
				}
			}
			out[g.label[slot]] = g.cal[slot].Prob(float64(z))
		}
	}
}

// accumulate adds v·w over every n-gram of text for each label of g. It
// is the hot loop of screening: no closures, no allocation. Bucket indices
// are hashed in batches first and the weights gathered after, so the
// table's cache misses overlap instead of waiting behind the hashing.
func (g *group) accumulate(text string, acc *[maxGroup]float32) {
	w := newWalker(&g.feat)
	n := g.n
	var grams [MaxOrder]gram
	var idx [gatherBatch]uint32
	k := 0
	var isum [maxGroup]int32
	flush := func() {
		if g.i8 {
			q := g.q
			for _, b := range idx[:k] {
				row := q[int(b)*n : int(b)*n+n]
				for i, x := range row {
					isum[i] += int32(x)
				}
			}
		} else {
			f := g.f
			for _, b := range idx[:k] {
				row := f[int(b)*n : int(b)*n+n]
				for i, x := range row {
					acc[i] += x
				}
			}
		}
		k = 0
	}
	push := func(c int) {
		if k+c > gatherBatch {
			flush()
		}
		for _, gr := range grams[:c] {
			idx[k] = gr.bucket
			k++
		}
	}
	if w.bound {
		push(w.next(markStart, 0, 0, &grams))
	}
	maskEnd, runes := -1, 0
	for i, r := range text {
		if w.fold && r == 'x' {
			r = w.masked(text, i, &maskEnd)
		}
		push(w.next(r, 1, 2, &grams)) // spans unused here
		runes++
	}
	if w.bound {
		push(w.next(markEnd, 0, 0, &grams))
	}
	flush()
	v := Value(g.feat.countRunes(runes))
	for i := 0; i < n; i++ {
		if g.i8 {
			acc[i] = float32(isum[i]) * g.scale[i]
		}
		acc[i] *= v
	}
}

// gatherBatch is how many bucket indices accumulate hashes before it reads
// the weights (a 100-byte message has about 110 n-grams).
const gatherBatch = 256

// Prob is the calibrated probability of raw logit z.
func (c Calibration) Prob(z float64) float64 {
	if c.Method == "platt" {
		z = c.A*z + c.B
	}
	return Sigmoid(z)
}

// Sigmoid is 1/(1+e^-z), computed without overflow.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Contribution is a span of the normalised text that pushed a score up:
// its byte range [Start,End), the text and its share of the raw logit.
type Contribution struct {
	Start, End int
	Gram       string
	Weight     float64
}

// maxExplainRunes caps one explanation span, so a long message that is
// positive throughout still points at its strongest few characters.
const maxExplainRunes = 8

// explainMinShare drops spans weaker than this share of the strongest.
const explainMinShare = 0.2

// explainScratch holds Explain's per-character tables between calls.
type explainScratch struct {
	offs   []int
	runeOf []int32
	per    []float64
}

var explainPool = sync.Pool{New: func() any { return new(explainScratch) }}

// Explain returns up to k spans of text that raised label's score the
// most, strongest first. Every n-gram's contribution (weight × value) is
// spread evenly over the characters it covers; the spans are the maximal
// runs of characters whose net contribution is positive (at most
// maxExplainRunes long, the strongest window of a longer run), ranked by
// their total. So overlapping n-grams such as 加我, 我微, 微信 come back as
// one span 加我微信, not as three fragments. Nil when the label is unknown
// or nothing contributed positively. Only flagged messages pay for this.
func (s *Set) Explain(label, text string, k int) []Contribution {
	li, ok := slices.BinarySearch(s.labels, label)
	if !ok || k <= 0 || text == "" {
		return nil
	}
	at := s.where[li]
	g := &s.groups[at.g]
	sc := explainPool.Get().(*explainScratch)
	defer func() {
		if len(text) <= 4<<10 { // a huge message's tables are not kept
			explainPool.Put(sc)
		}
	}()
	// Character positions: byte offset of each rune, plus len(text).
	offs := sc.offs[:0]
	for i := range text {
		offs = append(offs, i)
	}
	offs = append(offs, len(text))
	// runeOf[b] is the first character starting at or after byte b: a
	// table, not a binary search per n-gram end.
	runeOf := slices.Grow(sc.runeOf[:0], len(text)+1)[:len(text)+1]
	prev := -1
	for k, o := range offs {
		for b := prev + 1; b <= o; b++ {
			runeOf[b] = int32(k)
		}
		prev = o
	}
	runeAt := func(b int32) int { return int(runeOf[b]) }
	per := slices.Grow(sc.per[:0], len(offs)-1)[:len(offs)-1]
	clear(per)
	sc.offs, sc.runeOf, sc.per = offs, runeOf, per
	w := newWalker(&g.feat)
	v := float64(Value(g.feat.countRunes(len(offs) - 1))) // offs has one entry per character, plus the end
	w.walk(text, func(gr gram) {
		if gr.e <= gr.s {
			return
		}
		idx := int(gr.bucket)*g.n + at.slot
		var x float64
		if g.q != nil {
			x = float64(g.q[idx]) * float64(g.scale[at.slot])
		} else {
			x = float64(g.f[idx])
		}
		a, b := runeAt(gr.s), runeAt(gr.e)
		c := x * v / float64(b-a)
		for i := a; i < b; i++ {
			per[i] += c
		}
	})
	spans := make([]Contribution, 0, 8)
	for i := 0; i < len(per); {
		if per[i] <= 0 {
			i++
			continue
		}
		j := i
		for j < len(per) && per[j] > 0 {
			j++
		}
		// The strongest window of at most maxExplainRunes characters.
		bestA, best := i, -1.0
		for a := i; a < j; a++ {
			var sum float64
			for b := a; b < j && b < a+maxExplainRunes; b++ {
				sum += per[b]
			}
			if sum > best {
				bestA, best = a, sum
			}
			if j-i <= maxExplainRunes {
				break
			}
		}
		bestB := min(j, bestA+maxExplainRunes)
		c := Contribution{Start: offs[bestA], End: offs[bestB], Weight: best}
		c.Gram = text[c.Start:c.End]
		if hasWordChar(c.Gram) {
			spans = append(spans, c)
		}
		i = j
	}
	slices.SortStableFunc(spans, func(a, b Contribution) int { return cmp.Compare(b.Weight, a.Weight) })
	if len(spans) > k {
		spans = spans[:k]
	}
	// A span far weaker than the strongest is noise to a reviewer.
	for i := 1; i < len(spans); i++ {
		if spans[i].Weight < explainMinShare*spans[0].Weight {
			spans = spans[:i]
			break
		}
	}
	return spans
}

// hasWordChar reports whether s has a letter or digit: a span of only
// punctuation or spaces explains nothing to a reviewer.
func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

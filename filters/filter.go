package filters

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// Errors Scan returns for unacceptable text; callers map them to their own
// error codes (errors.Is).
var (
	ErrEmptyText   = errors.New("filters: text is empty")
	ErrTooLarge    = errors.New("filters: text is too large")
	ErrInvalidUTF8 = errors.New("filters: text is not valid UTF-8")
)

// Options configure a Filter.
type Options struct {
	// Engine is "compact" (default) or "cloudflare".
	Engine string
	// MaxTextBytes caps the text Scan accepts; 0 means
	// modgate.DefaultMaxTextBytes.
	MaxTextBytes int
}

// Filter screens text against one lexicon revision: normalise, match
// (allow-list and word boundaries applied), detect contacts and personal
// data, mask. It is immutable and safe for concurrent use.
type Filter struct {
	m        Matcher
	patterns []pattern
	entries  []entry
	rev      string
	nTerms   int
	maxText  int
	v        *variantIndex // nil when no term opts into variants
	pool     sync.Pool     // *scanState
}

// pattern is one distinct normalised string of the lexicon.
type pattern struct {
	// lead/trail say whether the pattern starts/ends with an ASCII letter
	// or digit, which then must not touch another letter/digit in the
	// text (word boundary: `av` is not inside `have`).
	lead, trail uint8
	allow       bool
	// entries[entryStart:entryEnd] fire when the pattern matches.
	entryStart, entryEnd int32
}

// Edge classes for word boundaries.
const (
	edgeOther  = 0
	edgeLetter = 1
	edgeDigit  = 2
)

// entry is what a pattern reports: one per distinct category of the terms
// that normalise to it.
type entry struct {
	term        string // the lexicon term as written
	category    string
	subcategory string
	severity    int
	variants    uint8 // varShape, varPinyin
	boundary    bool  // @boundary word: must be a word of its own
}

type scanState struct {
	z     *Normalizer
	hits  []Hit
	allow []Hit
	cands []cand
	proj  projector
	vraw  []Hit
	out   []modgate.Match // matches while they are built; the result is an exact-size copy
}

// cand is a lexicon hit on the normalised text: a literal one (variant 0)
// or one found by the variant layer (varShape, varPinyin).
type cand struct {
	Hit
	variant uint8
	// Original code-point span when the variant layer knows it better
	// than the normalised span (a dropped heart or emoji at its edge);
	// os == oe means "map Hit through the offset map".
	os, oe int32
}

// New builds a Filter for lex. Terms that normalise to the same string are
// merged per category (highest severity wins); allow phrases suppress a
// term found entirely inside them.
func New(lex modgate.Lexicon, opts Options) (*Filter, error) {
	f := &Filter{rev: lex.Revision, maxText: opts.MaxTextBytes}
	if f.maxText <= 0 {
		f.maxText = modgate.DefaultMaxTextBytes
	}
	// Entries per pattern live in one flat slice, chained per pattern
	// (head/next), so 100k terms cost no per-term allocations.
	type chained struct {
		entry
		next int32
	}
	var (
		index = make(map[string]int32, len(lex.Terms))
		norms = make([]string, 0, len(lex.Terms))
		allow = make([]bool, 0, len(lex.Terms))
		head  = make([]int32, 0, len(lex.Terms)) // last entry of pattern i, -1 if none
		flat  = make([]chained, 0, len(lex.Terms))
		forms []string
		z     = NewNormalizer()
	)
	for _, t := range lex.Terms {
		if !t.Allow && t.Category == "" {
			return nil, fmt.Errorf("filters: term %q (%s:%d) has no category", t.Text, t.File, t.Line)
		}
		if !t.Allow {
			f.nTerms++
		}
		forms = numeralVariants(t.Text, forms[:0])
		for _, form := range forms {
			norm := z.Normalize(form).Text
			if norm == "" {
				// Lint reports these; they can never match.
				continue
			}
			i, ok := index[norm]
			if !ok {
				i = int32(len(norms))
				index[norm] = i
				norms = append(norms, norm)
				allow = append(allow, false)
				head = append(head, -1)
			}
			if t.Allow {
				allow[i] = true
				continue
			}
			vars, err := variantFlags(t.Variants)
			if err != nil {
				return nil, fmt.Errorf("filters: term %q (%s:%d): %w", t.Text, t.File, t.Line, err)
			}
			boundary := false
			switch t.Boundary {
			case "":
			case BoundaryWord:
				boundary = true
			default:
				return nil, fmt.Errorf("filters: term %q (%s:%d): unknown boundary %q (want %q)", t.Text, t.File, t.Line, t.Boundary, BoundaryWord)
			}
			merged := false
			for k := head[i]; k >= 0; k = flat[k].next {
				e := &flat[k]
				if e.category == t.Category && e.subcategory == t.Subcategory {
					e.severity = max(e.severity, t.Severity)
					e.variants |= vars
					// The word check applies only if every merged term asks.
					e.boundary = e.boundary && boundary
					merged = true
					break
				}
			}
			if !merged {
				flat = append(flat, chained{entry{term: t.Text, category: t.Category, subcategory: t.Subcategory,
					severity: t.Severity, variants: vars, boundary: boundary}, head[i]})
				head[i] = int32(len(flat) - 1)
			}
		}
	}
	f.patterns = make([]pattern, len(norms))
	f.entries = make([]entry, 0, len(flat))
	for i, norm := range norms {
		p := &f.patterns[i]
		p.allow = allow[i]
		p.lead = edgeClass(norm[0])
		p.trail = edgeClass(norm[len(norm)-1])
		p.entryStart = int32(len(f.entries))
		for k := head[i]; k >= 0; k = flat[k].next {
			f.entries = append(f.entries, flat[k].entry)
		}
		p.entryEnd = int32(len(f.entries))
		// The chain runs newest first; keep lexicon order.
		slices.Reverse(f.entries[p.entryStart:p.entryEnd])
	}
	m, err := NewMatcher(opts.Engine, norms)
	if err != nil {
		return nil, err
	}
	f.m = m
	if f.v, err = buildVariants(opts.Engine, norms, f.patterns, f.entries); err != nil {
		return nil, err
	}
	for _, e := range f.entries {
		if e.boundary || e.variants&varPinyin != 0 {
			if err := loadWords(); err != nil {
				return nil, fmt.Errorf("filters: word list: %w", err)
			}
			break
		}
	}
	f.pool.New = func() any { return &scanState{z: NewNormalizer()} }
	return f, nil
}

func edgeClass(c byte) uint8 {
	switch {
	case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		return edgeLetter
	case '0' <= c && c <= '9':
		return edgeDigit
	}
	return edgeOther
}

// Revision is the lexicon revision the filter was built from.
func (f *Filter) Revision() string { return f.rev }

// Len is the number of (non-allow) lexicon terms.
func (f *Filter) Len() int { return f.nTerms }

// Check validates text the way Scan does, without scanning.
func (f *Filter) Check(text string) error {
	switch {
	case len(text) > f.maxText:
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(text), f.maxText)
	case !utf8.ValidString(text):
		return ErrInvalidUTF8
	case strings.TrimSpace(text) == "":
		return ErrEmptyText
	}
	return nil
}

// Scan normalises text, matches the lexicon, runs the contact and
// personal-data detectors and masks personal data. Matches are sorted by
// Start and carry original code-point offsets.
func (f *Filter) Scan(text string) (modgate.Findings, error) {
	s, err := f.ScanKeep(text)
	s.Release()
	return s.Findings, err
}

// Scanned is a Scan result that keeps the scan's offset map until Release,
// so spans found later in the normalised text (a model's n-grams) map back
// to the original without normalising the message a second time.
type Scanned struct {
	modgate.Findings
	f  *Filter
	st *scanState
}

// Orig maps normalised byte offsets [bs,be) to original code-point offsets.
func (s *Scanned) Orig(bs, be int) (start, end int) { return s.st.z.n.Orig(bs, be) }

// OrigText is the original text between code-point offsets.
func (s *Scanned) OrigText(start, end int) string { return s.st.z.n.OrigText(start, end) }

// Release returns the scan state to the filter; s must not be used after.
func (s *Scanned) Release() {
	if s.st != nil {
		s.f.pool.Put(s.st)
		s.st = nil
	}
}

// ScanKeep is Scan keeping the offset map (see Scanned): the caller must
// call Release, also when it returns an error.
func (f *Filter) ScanKeep(text string) (Scanned, error) {
	if len(text) > f.maxText {
		return Scanned{}, f.Check(text)
	}
	st := f.pool.Get().(*scanState)
	s := Scanned{f: f, st: st}
	// Check's UTF-8 pass is done by the normaliser, which decodes every
	// rune anyway; the error order is Check's.
	n := st.z.Normalize(text)
	if st.z.badUTF8 {
		return s, ErrInvalidUTF8
	}
	if strings.TrimSpace(text) == "" {
		return s, ErrEmptyText
	}
	st.hits = f.m.FindAll(n.Text, st.hits[:0])
	st.cands = st.cands[:0]
	if f.v != nil {
		st.cands = f.v.find(n, st)
	}
	matches := f.lexiconMatches(n, st)
	matches = Detect(n, matches)
	matches = dropInsideIDs(matches)
	matches = corroborateVariants(matches)
	sortMatches(matches)
	matches = dedupMatches(matches)
	// Built in the pooled scratch, handed out as one exact-size slice (the
	// variant layer's candidates made a slice sized for them mostly slack).
	if cap(matches) <= 256 {
		st.out = matches[:0]
	}
	matches = append(make([]modgate.Match, 0, len(matches)), matches...)
	s.Findings = modgate.Findings{
		Normalized: n.Text,
		Matches:    matches,
		MaskedText: Mask(text, matches),
	}
	return s, nil
}

// lexiconMatches turns raw hits into matches: word boundaries for ASCII
// edges, allow phrases suppress deny hits they contain, a term does not
// span two sentences, `@boundary word` terms must be words of their own.
// Variant hits (st.cands) that repeat a literal hit of the same pattern on
// the same span are dropped; a look-alike hit wins over a homophone one.
func (f *Filter) lexiconMatches(n *Normalized, st *scanState) []modgate.Match {
	text := n.Text
	st.allow = st.allow[:0]
	lit := len(st.cands)
	for _, h := range st.hits {
		p := &f.patterns[h.Pattern]
		if !boundaryOK(text, int(h.Start), int(h.End), p) {
			continue
		}
		if p.allow {
			st.allow = append(st.allow, h)
		}
		if p.entryEnd > p.entryStart {
			st.cands = append(st.cands, cand{Hit: h})
		}
	}
	out := st.out[:0]
	for ci, c := range st.cands {
		if c.variant != 0 && shadowed(st.cands, ci, lit) {
			continue
		}
		h := c.Hit
		if insideAllow(st.allow, h) || !n.sentenceOK(int(h.Start), int(h.End)) {
			continue
		}
		if c.variant == varPinyin && !n.variantWordOK(int(h.Start), int(h.End)) {
			continue
		}
		p := &f.patterns[h.Pattern]
		start, end := n.Orig(int(h.Start), int(h.End))
		if c.os < c.oe {
			start, end = min(start, int(c.os)), max(end, int(c.oe))
		}
		orig := n.OrigText(start, end)
		wordChecked, wordOK := false, false
		for _, e := range f.entries[p.entryStart:p.entryEnd] {
			if c.variant != 0 && e.variants&c.variant == 0 {
				continue
			}
			if e.boundary {
				if !wordChecked {
					wordChecked, wordOK = true, n.wordOK(int(h.Start), int(h.End))
				}
				if !wordOK {
					continue
				}
			}
			out = append(out, modgate.Match{
				Term:        e.term,
				Category:    e.category,
				Subcategory: e.subcategory,
				Severity:    e.severity,
				Start:       start,
				End:         end,
				Text:        orig,
				Source:      modgate.SourceLexicon,
				Variant:     variantName(c.variant),
			})
		}
	}
	return out
}

// shadowed reports a variant candidate that a literal hit (cands[lit:]) or
// a look-alike hit of the same pattern on the same span already covers.
func shadowed(cands []cand, i, lit int) bool {
	c := cands[i]
	for j := lit; j < len(cands); j++ {
		if cands[j].Hit == c.Hit {
			return true
		}
	}
	if c.variant == varPinyin {
		for j := 0; j < lit; j++ {
			if cands[j].variant == varShape && cands[j].Hit == c.Hit {
				return true
			}
		}
	}
	// The same projection can be reached through two readings.
	for j := 0; j < i; j++ {
		if cands[j] == c {
			return true
		}
	}
	return false
}

func boundaryOK(text string, s, e int, p *pattern) bool {
	if p.lead != edgeOther && s > 0 && edgeClass(text[s-1]) == p.lead {
		return false
	}
	if p.trail != edgeOther && e < len(text) && edgeClass(text[e]) == p.trail {
		return false
	}
	return true
}

func insideAllow(allow []Hit, h Hit) bool {
	for _, a := range allow {
		if a.Start <= h.Start && h.End <= a.End {
			return true
		}
	}
	return false
}

func sortMatches(ms []modgate.Match) {
	slices.SortStableFunc(ms, func(a, b modgate.Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return a.End - b.End
		}
		if a.Source != b.Source {
			return strings.Compare(a.Source, b.Source)
		}
		if a.Category != b.Category {
			return strings.Compare(a.Category, b.Category)
		}
		if a.Subcategory != b.Subcategory {
			return strings.Compare(a.Subcategory, b.Subcategory)
		}
		return strings.Compare(a.Term, b.Term)
	})
}

// dedupMatches drops repeats of the same term on the same span (two folds
// of the text can lead to one original span); ms must be sorted.
func dedupMatches(ms []modgate.Match) []modgate.Match {
	if len(ms) < 2 {
		return ms
	}
	out := ms[:1]
	for _, m := range ms[1:] {
		if m == out[len(out)-1] {
			continue
		}
		out = append(out, m)
	}
	return out
}

var (
	cjkNumerals = []rune("一二三四五六七八九")
	numeralOf   = map[rune]rune{'一': '1', '二': '2', '三': '3', '四': '4', '五': '5', '六': '6', '七': '7', '八': '8', '九': '9'}
)

// maxNumeralRuns bounds the variants of one term (2^runs forms).
const maxNumeralRuns = 2

// numeralVariants appends t and its numeral spellings to dst: Chinese
// numerals written as digits (下三滥 also matches 下3滥) and a single digit
// next to a Han character written as a numeral (5星红旗 also matches
// 五星红旗). The normaliser does not fold numerals outside contact numbers
// (零售 must stay 零售), so lexicon terms carry the variants instead. Zero
// is left out on purpose: 零 builds everyday words (零售, 零食, 零钱), so
// `0售` must not fire on 零售.
func numeralVariants(t string, dst []string) []string {
	dst = append(dst, t)
	rs := []rune(t)
	type run struct{ s, e int }
	var runs []run
	isHan := func(r rune) bool { return r >= 0x3400 && r <= 0x9fff }
	for i := 0; i < len(rs); {
		switch {
		case numeralOf[rs[i]] != 0:
			j := i
			for j < len(rs) && numeralOf[rs[j]] != 0 {
				j++
			}
			runs = append(runs, run{i, j})
			i = j
		case rs[i] >= '1' && rs[i] <= '9' &&
			(i == 0 || !isASCIIDigit(rs[i-1])) && (i+1 == len(rs) || !isASCIIDigit(rs[i+1])) &&
			(i > 0 && isHan(rs[i-1]) || i+1 < len(rs) && isHan(rs[i+1])):
			runs = append(runs, run{i, i + 1})
			i++
		default:
			i++
		}
	}
	if len(runs) == 0 || len(runs) > maxNumeralRuns {
		return dst
	}
	for mask := 1; mask < 1<<len(runs); mask++ {
		v := append([]rune(nil), rs...)
		for k, r := range runs {
			if mask&(1<<k) == 0 {
				continue
			}
			for i := r.s; i < r.e; i++ {
				if d := numeralOf[v[i]]; d != 0 {
					v[i] = d
				} else {
					v[i] = cjkNumerals[v[i]-'1']
				}
			}
		}
		dst = append(dst, string(v))
	}
	return dst
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// dropInsideIDs removes Latin lexicon hits that lie inside a link, an e-mail
// address or an account id (sb inside sb-ns.top, av inside an id): the
// characters of an address are not words.
func dropInsideIDs(ms []modgate.Match) []modgate.Match {
	var ids []modgate.Match
	for _, m := range ms {
		if m.Source == modgate.SourceDetector {
			switch m.Subcategory {
			case KindURL, KindEmail, KindWeChat, KindAccount:
				ids = append(ids, m)
			}
		}
	}
	if len(ids) == 0 {
		return ms
	}
	out := ms[:0]
	for _, m := range ms {
		if m.Source != modgate.SourceDetector && isASCIIString(m.Term) && inside(ids, m.Start, m.End) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func inside(ids []modgate.Match, s, e int) bool {
	for _, d := range ids {
		if d.Start <= s && e <= d.End {
			return true
		}
	}
	return false
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// corroborateVariants drops homophone hits of two-character terms that
// nothing else in the message supports. Two syllables collide with ordinary
// text all the time (一笑 reads as 一肖, 起购 as 气狗, 兰博 as 蓝波); a
// spammer who writes 菜金 for 彩金 also writes the rest of the ad: another
// term of the same label, or a number, id or link. Longer terms (喂尼斯人)
// and look-alike hits need no support.
func corroborateVariants(ms []modgate.Match) []modgate.Match {
	weak := false
	for i := range ms {
		if weakVariant(&ms[i]) {
			weak = true
			break
		}
	}
	if !weak {
		return ms
	}
	out := ms[:0]
	for i := range ms {
		m := ms[i]
		if weakVariant(&m) && !supported(ms, i) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// weakVariant: a pinyin hit of a term of two characters or fewer whose text
// is written in common Han characters only. Latin letters, symbols (V❤),
// traditional or rare characters (網止, 铳植) show the disguise is meant.
func weakVariant(m *modgate.Match) bool {
	if m.Variant != "pinyin" || utf8.RuneCountInString(m.Term) > 2 {
		return false
	}
	for _, r := range m.Text {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			continue // 元 较 reads as 援交: a gap is no disguise
		}
		if !commonChar(r) {
			return false
		}
	}
	return true
}

// supported reports whether another hit backs ms[i]: a contact or link
// detector hit, or a hit of the same label on a span that does not overlap
// it (another term, literal or a variant of its own).
func supported(ms []modgate.Match, i int) bool {
	m := &ms[i]
	// A short homophone read across punctuation (姐，我 as 借我) is text
	// running on; only a contact or link makes it a disguise.
	gap := strings.ContainsFunc(m.Text, unicode.IsPunct)
	for j := range ms {
		o := &ms[j]
		if j == i {
			continue
		}
		if o.Source == modgate.SourceDetector {
			switch o.Subcategory {
			case KindURL, KindPhone, KindLandline, KindQQ, KindWeChat, KindAccount, KindEmail:
				return true
			}
			continue
		}
		if !gap && o.Category == m.Category && (o.End <= m.Start || m.End <= o.Start) && o.Term != m.Term && !weakVariant(o) {
			return true
		}
	}
	return false
}

package filters

import (
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/modgate/modgate"
)

// The variant layer finds opted-in lexicon terms written with homophones
// (菜金 for 彩金, jia wei xin for 加微信) or look-alike characters (氷 for
// 水). The normalised text is projected onto pinyin syllables (one two-byte
// code per Han character, its most common reading after folding look-alikes;
// Latin letter runs that split cleanly into pinyin become the same codes),
// and a second Aho-Corasick automaton holding only the projections of the
// opted-in terms runs over it. Each projected byte remembers the normalised
// byte range it came from, so a hit maps back to the original span.

// Variant flags of a lexicon entry.
const (
	varShape  uint8 = 1 << iota // look-alike characters
	varPinyin                   // homophones and Latin pinyin (implies shape)
)

// Projection bytes that are not syllable codes.
const (
	projBreak   = 0x01 // a character with no reading (punctuation, kana...)
	projLiteral = 0x02 // brackets a Latin run that is not pinyin (vx, 5g)
)

// maxTermForms bounds the projections of one term (polyphonic characters
// multiply them).
const maxTermForms = 16

// minPinyinSyllables: a term needs this many syllables (or Latin runs
// kept literally, like the v of v信) for pinyin variants; one syllable has
// hundreds of homophones.
const minPinyinSyllables = 2

// variantIndex holds the automata of the opted-in terms.
type variantIndex struct {
	pm     Matcher // over pinyin projections
	pstart []int32 // patterns of projection i: pids[pstart[i]:pstart[i+1]]
	pids   []int32
	sm     Matcher // over shape-folded text: normalised terms
	spids  []int32 // pattern of shape pattern i
}

// projector builds projections; its buffers are reused per scan.
type projector struct {
	proj   []byte
	pa, pb []int32 // normalised byte range of each projected byte
	oa, ob []int32 // original code-point range of each projected byte
	n      *Normalized
	ids    []uint16
	ends   []int
	shaped []byte // shape-folded text (only when a shape fold applied)
}

func (p *projector) emit(b byte, a, e int) {
	p.proj = append(p.proj, b)
	p.pa = append(p.pa, int32(a))
	p.pb = append(p.pb, int32(e))
	s, f := p.n.Orig(a, e)
	p.oa = append(p.oa, int32(s))
	p.ob = append(p.ob, int32(f))
}

func (p *projector) emitCode(id uint16, a, e int) {
	p.emit(0xC0|byte(id>>6), a, e)
	p.emit(0x80|byte(id&0x3F), a, e)
}

// emitGapCode emits the code of a symbol the normaliser dropped: at
// normalised byte i, original code points [s,e).
func (p *projector) emitGapCode(id uint16, i, s, e int) {
	for _, b := range [2]byte{0xC0 | byte(id>>6), 0x80 | byte(id&0x3F)} {
		p.proj = append(p.proj, b)
		p.pa = append(p.pa, int32(i))
		p.pb = append(p.pb, int32(i))
		p.oa = append(p.oa, int32(s))
		p.ob = append(p.ob, int32(e))
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// latinRun returns the end of the ASCII letter/digit run at i and whether
// it holds letters only.
func latinRun(t string, i int) (int, bool) {
	letters := true
	j := i
	for j < len(t) && isAlnum(t[j]) {
		letters = letters && isASCIILetter(t[j])
		j++
	}
	return j, letters
}

// project maps normalised text n.Text to syllable codes. It reports
// whether a look-alike fold applied (then p.shaped holds the folded text).
//
// Symbols the normaliser dropped between two characters are looked at too:
// a heart stands for 心/信 (薇❤ is 微信) and gives its syllable; a single
// other emoji between two characters stands in for one character (加㊙️信,
// 加🛰️信) and gives the wildcard code that terms of three or more
// syllables are also indexed with (see projectTerm).
func (p *projector) project(n *Normalized) bool {
	t := n.Text
	p.proj, p.pa, p.pb, p.oa, p.ob, p.n = p.proj[:0], p.pa[:0], p.pb[:0], p.oa[:0], p.ob[:0], n
	shaped := false
	prevEnd := int32(-1) // original end of the previous rune
	for i := 0; i < len(t); {
		if prevEnd >= 0 && n.bs[i] > prevEnd {
			p.gap(n, int(prevEnd), int(n.bs[i]), i)
		}
		c := t[i]
		if c < utf8.RuneSelf {
			switch {
			case isAlnum(c):
				j, letters := latinRun(t, i)
				if letters && j-i >= 2 {
					var ok bool
					p.ids, p.ends, ok = segmentPinyin(t[i:j], p.ids[:0], p.ends[:0])
					if ok {
						a := i
						for k, id := range p.ids {
							p.emitCode(id, a, i+p.ends[k])
							a = i + p.ends[k]
						}
						i = j
						continue
					}
				}
				p.emit(projLiteral, i, i)
				for k := i; k < j; k++ {
					p.emit(t[k]|0x20*b2u(isASCIILetter(t[k])), k, k+1)
				}
				p.emit(projLiteral, j, j)
				i = j
			case c == ' ':
				i++
			default:
				p.emit(projBreak, i, i+1)
				i++
			}
			prevEnd = n.be[i-1]
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		prevEnd = n.be[i+size-1]
		if r >= cjkLo && r <= cjkHi && shapeSrc[(r-cjkLo)>>6]&(1<<((r-cjkLo)&63)) != 0 {
			if !shaped {
				p.shaped = append(p.shaped[:0], t...)
				shaped = true
			}
			utf8.EncodeRune(p.shaped[i:], shapeMap[r])
		}
		if id := primaryReading(r); id != 0 {
			p.emitCode(id, i, i+size)
		} else if id := standInID[r]; id != 0 {
			p.emitCode(id, i, i+size)
		} else {
			p.emit(projBreak, i, i+size)
		}
		i += size
	}
	return shaped
}

// gap projects the original code points [s,e) the normaliser dropped
// before the normalised rune at byte i (see project).
func (p *projector) gap(n *Normalized, s, e, i int) {
	stand, syms, other := false, 0, 0
	cp := s
	for _, r := range n.orig[n.origByte[s]:n.origByte[e]] {
		cp++
		if id := standInID[r]; id != 0 {
			p.emitGapCode(id, i, cp-1, cp)
			stand = true
			continue
		}
		switch cls := origClass(r); {
		case cls == clsDrop:
		case cls == clsPunct && r >= 0x2000 && !isSentenceBreak(r) && (r < 0x3000 || r > 0x303F) && (r < 0xFF00 || r > 0xFFEF):
			syms++ // emoji, dingbats, enclosed forms; not CJK or fullwidth punctuation
		default:
			other++
		}
	}
	if stand || syms != 1 || other != 0 {
		return
	}
	// A lone symbol between two projected characters.
	if l := len(p.proj); l >= 2 && p.proj[l-1]&0xC0 == 0x80 {
		if r, _ := utf8.DecodeRuneInString(n.Text[i:]); primaryReading(r) != 0 {
			p.emitGapCode(wildcardID, i, s, e)
		}
	}
}

// wildcardID is the code of "one character written as an emoji"; no
// syllable has it.
const wildcardID = 0xFFF

// standInID gives the syllable symbols stand for (filled by initPinyin).
var standInID = map[rune]uint16{}

// heartStandIns read as 心 (xin), the sound of 信: 薇❤ for 微信.
const heartStandIns = "❤♥♡❣💗💓💕💖💘💝💞💟🧡💛💚💙💜🖤🤍🤎🩷🩵🩶"

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// projectTerm returns the projections of normalised term t under every
// combination of its characters' readings (primary combination first, at
// most maxTermForms), or nil when t has no syllable or fewer than
// minPinyinSyllables syllables and literal Latin runs.
func projectTerm(t string) [][]byte {
	var units [][][]byte // per unit: alternatives
	syllables, literals := 0, 0
	var ids []uint16
	var ends []int
	for i := 0; i < len(t); {
		c := t[i]
		if c < utf8.RuneSelf {
			switch {
			case isAlnum(c):
				j, letters := latinRun(t, i)
				if letters && j-i >= 2 {
					var ok bool
					ids, ends, ok = segmentPinyin(t[i:j], ids[:0], ends[:0])
					if ok {
						for _, id := range ids {
							units = append(units, [][]byte{appendCode(nil, id)})
							syllables++
						}
						i = j
						continue
					}
				}
				lit := []byte{projLiteral}
				for k := i; k < j; k++ {
					lit = append(lit, t[k]|0x20*b2u(isASCIILetter(t[k])))
				}
				units = append(units, [][]byte{append(lit, projLiteral)})
				literals++
				i = j
			case c == ' ':
				i++
			default:
				units = append(units, [][]byte{{projBreak}})
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		i += size
		rs := termReadings(r)
		if len(rs) == 0 {
			units = append(units, [][]byte{{projBreak}})
			continue
		}
		syllables++
		var alts [][]byte
		seen := map[uint16]bool{}
		for _, id := range rs {
			if !seen[id] {
				seen[id] = true
				alts = append(alts, appendCode(nil, id))
			}
		}
		units = append(units, alts)
	}
	if syllables == 0 || syllables+literals < minPinyinSyllables {
		return nil
	}
	// With three or more units, each inner syllable may also be written
	// as an emoji (加🛰️信): index those forms with the wildcard.
	wild := syllables+literals >= 3
	out := [][]byte{nil}
	for k, u := range units {
		if wild && k > 0 && k < len(units)-1 && len(u[0]) == 2 && u[0][0] >= 0xC0 {
			u = append(u[:len(u):len(u)], appendCode(nil, wildcardID))
		}
		next := make([][]byte, 0, min(len(out)*len(u), maxTermForms))
		for _, alt := range u {
			for _, o := range out {
				if len(next) == maxTermForms {
					break
				}
				next = append(next, append(append([]byte(nil), o...), alt...))
			}
		}
		out = next
	}
	return out
}

// termReadings returns the readings a term character is indexed under:
// its primary reading only. Indexing every reading (信 also reads shen, 约
// also yao) made 为什(么) match 薇信 and 要报 match 约炮 in benign chat; see
// TestVariantFalsePositives.
func termReadings(r rune) []uint16 {
	if p := primaryReading(r); p != 0 {
		return []uint16{p}
	}
	return nil
}

// shapeSrc flags the CJK characters shapeMap folds (a bitset, so the scan
// pays one load per character).
var shapeSrc [(cjkHi - cjkLo + 64) / 64]uint64

func initShapeBits() {
	for r := range shapeMap {
		if r >= cjkLo && r <= cjkHi {
			shapeSrc[(r-cjkLo)>>6] |= 1 << ((r - cjkLo) & 63)
		}
	}
}

// BoundaryWord is the Term.Boundary value of `@boundary word`.
const BoundaryWord = "word"

// variantFlags parses Term.Variants: "", "none", "shape", "pinyin" or a
// comma-separated list ("pinyin,shape"). Pinyin implies shape: a
// look-alike of a character reads like it.
func variantFlags(s string) (uint8, error) {
	var f uint8
	for part := range strings.SplitSeq(s, ",") {
		switch strings.TrimSpace(part) {
		case "", "none":
		case modgate.VariantShape:
			f |= varShape
		case modgate.VariantPinyin:
			f |= varPinyin | varShape
		default:
			return 0, fmt.Errorf("unknown variant %q (want %s, %s or none)", part, modgate.VariantPinyin, modgate.VariantShape)
		}
	}
	return f, nil
}

func variantName(v uint8) string {
	switch v {
	case varShape:
		return modgate.VariantShape
	case varPinyin:
		return modgate.VariantPinyin
	}
	return ""
}

// buildVariants builds the variant automata for the patterns with opted-in
// entries, or returns nil when there are none.
func buildVariants(engine string, norms []string, pats []pattern, entries []entry) (*variantIndex, error) {
	var pin, shp []int32
	for i := range pats {
		var fl uint8
		for _, e := range entries[pats[i].entryStart:pats[i].entryEnd] {
			fl |= e.variants
		}
		if fl&varPinyin != 0 {
			pin = append(pin, int32(i))
		}
		if fl&varShape != 0 {
			shp = append(shp, int32(i))
		}
	}
	if len(pin) == 0 && len(shp) == 0 {
		return nil, nil
	}
	initPinyin()
	v := &variantIndex{}
	if len(pin) > 0 {
		index := map[string]int{}
		var projs []string
		var lists [][]int32
		for _, pid := range pin {
			for _, form := range projectTerm(norms[pid]) {
				k, ok := index[string(form)]
				if !ok {
					k = len(projs)
					index[string(form)] = k
					projs = append(projs, string(form))
					lists = append(lists, nil)
				}
				if l := lists[k]; len(l) == 0 || l[len(l)-1] != pid {
					lists[k] = append(l, pid)
				}
			}
		}
		if len(projs) > 0 {
			m, err := NewMatcher(engine, projs)
			if err != nil {
				return nil, err
			}
			v.pm = m
			v.pstart = make([]int32, 0, len(projs)+1)
			for _, l := range lists {
				v.pstart = append(v.pstart, int32(len(v.pids)))
				v.pids = append(v.pids, l...)
			}
			v.pstart = append(v.pstart, int32(len(v.pids)))
		}
	}
	if len(shp) > 0 {
		ps := make([]string, len(shp))
		for k, pid := range shp {
			ps[k] = norms[pid]
		}
		m, err := NewMatcher(engine, ps)
		if err != nil {
			return nil, err
		}
		v.sm, v.spids = m, shp
	}
	return v, nil
}

// find runs the variant automata over normalised text t and returns the
// candidates (appended to st.cands).
func (v *variantIndex) find(n *Normalized, st *scanState) []cand {
	p := &st.proj
	shaped := p.project(n)
	out := st.cands
	if v.pm != nil && len(p.proj) > 0 {
		st.vraw = v.pm.FindAll(unsafe.String(unsafe.SliceData(p.proj), len(p.proj)), st.vraw[:0])
		for _, h := range st.vraw {
			a, e := p.pa[h.Start], p.pb[h.End-1]
			os, oe := p.oa[h.Start], p.ob[h.End-1]
			for _, pid := range v.pids[v.pstart[h.Pattern]:v.pstart[h.Pattern+1]] {
				out = append(out, cand{Hit{Pattern: pid, Start: a, End: e}, varPinyin, os, oe})
			}
		}
	}
	if v.sm != nil && shaped {
		st.vraw = v.sm.FindAll(unsafe.String(unsafe.SliceData(p.shaped), len(p.shaped)), st.vraw[:0])
		for _, h := range st.vraw {
			out = append(out, cand{Hit: Hit{Pattern: v.spids[h.Pattern], Start: h.Start, End: h.End}, variant: varShape})
		}
	}
	return out
}

package filters

import (
	"bytes"
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

	// Prefilter (see mayMatch): starts has bit a*nIDs+b set when some
	// projection starts with syllables a, b; litStart when some projection
	// has a Latin literal or a break among its first two units.
	starts    []uint64
	starts3   []uint64 // hashed first three syllables of longer projections
	first     []uint64 // syllables that start a projection (a small, hot bitset)
	nIDs      int
	litFirst  map[string]bool // Latin literals that start a projection
	litByte   [2]uint64       // first bytes of litFirst keys
	codeLit   []uint64        // syllables followed by a Latin literal at a projection's start
	alwaysRun bool            // a projection starts in a way mayMatch cannot judge
}

// bigram indexes the starts bitset; the wildcard takes the last id.
func (v *variantIndex) bigram(a, b uint16) int {
	if a == wildcardID {
		a = uint16(v.nIDs - 1)
	}
	if b == wildcardID {
		b = uint16(v.nIDs - 1)
	}
	return int(a)*v.nIDs + int(b)
}

// trigramBits sizes the hashed trigram filter (32 KiB).
const trigramBits = 1 << 18

func trigram(a, b, c uint16) int {
	h := uint32(a)*0x9E3779B1 ^ uint32(b)*0x85EBCA77 ^ uint32(c)*0xC2B2AE3D
	return int(h>>14) & (trigramBits - 1)
}

func codeID(b0, b1 byte) uint16 { return uint16(b0&0x3F)<<6 | uint16(b1&0x3F) }

// addStart records the first two units of projection form.
func (v *variantIndex) addStart(form []byte) {
	if len(form) >= 2 && form[0] >= 0xC0 {
		k := codeID(form[0], form[1])
		v.first[k>>6] |= 1 << (k & 63)
	}
	switch {
	case len(form) >= 6 && form[0] >= 0xC0 && form[2] >= 0xC0 && form[4] >= 0xC0:
		if form[2] == 0xC0|byte(wildcardID>>6) && form[3] == 0x80|byte(wildcardID&0x3F) {
			return // a stand-in emoji: mayMatch sends such text on anyway
		}
		k := trigram(codeID(form[0], form[1]), codeID(form[2], form[3]), codeID(form[4], form[5]))
		v.starts3[k>>6] |= 1 << (k & 63)
	case len(form) >= 4 && form[0] >= 0xC0 && form[2] >= 0xC0:
		k := v.bigram(codeID(form[0], form[1]), codeID(form[2], form[3]))
		v.starts[k>>6] |= 1 << (k & 63)
	case len(form) >= 3 && form[0] >= 0xC0 && form[2] == projLiteral:
		k := int(codeID(form[0], form[1]))
		v.codeLit[k>>6] |= 1 << (k & 63)
	case form[0] == projLiteral:
		if end := bytes.IndexByte(form[1:], projLiteral); end > 0 {
			v.litFirst[string(form[1:1+end])] = true
			c := form[1]
			v.litByte[c>>6] |= 1 << (c & 63)
			if 'a' <= c && c <= 'z' {
				c -= 0x20 // the text may be upper case (folded before the lookup)
				v.litByte[c>>6] |= 1 << (c & 63)
			}
			return
		}
		v.alwaysRun = true
	default:
		v.alwaysRun = true
	}
}

// mayMatch is a cheap pass over normalised text that rules out a pinyin
// hit: no two neighbouring characters start a projected term, and nothing
// the cheap pass cannot judge (Latin words, which may be pinyin; dropped
// symbols, which may stand in; look-alikes) is present. Most messages stop
// here, so the projection and the second automaton run on few of them.
func (v *variantIndex) mayMatch(n *Normalized) bool {
	if v.alwaysRun {
		return true
	}
	t := n.Text
	prev, prev2 := -1, -1
	prevEnd := int32(-1)
	var lower [32]byte
	for i := 0; i < len(t); {
		if prevEnd >= 0 && n.bs[i] > prevEnd && gapHasSymbol(n, int(prevEnd), int(n.bs[i])) {
			return true
		}
		c := t[i]
		if c < utf8.RuneSelf {
			switch {
			case isAlnum(c):
				j, letters := latinRun(t, i)
				if letters && j-i >= 2 {
					if _, _, ok := segmentPinyin(t[i:j], nil, nil); ok {
						return true // may be spelled pinyin
					}
				}
				if prev >= 0 && v.codeLit[prev>>6]&(1<<(prev&63)) != 0 {
					return true
				}
				if v.litByte[c>>6]&(1<<(c&63)) != 0 && j-i <= len(lower) {
					l := lower[:j-i]
					for k := range l {
						l[k] = t[i+k] | 0x20*b2u(isASCIILetter(t[i+k]))
					}
					if v.litFirst[string(l)] {
						return true
					}
				}
				prev, prev2 = -1, -1
				i = j
			case c == ' ':
				i++
			default:
				prev, prev2 = -1, -1
				i++
			}
			prevEnd = n.be[i-1]
			continue
		}
		var r rune
		size := 3
		if c >= 0xE0 && c < 0xF0 { // the normalised text is valid UTF-8
			r = rune(c&0x0F)<<12 | rune(t[i+1]&0x3F)<<6 | rune(t[i+2]&0x3F)
		} else {
			r, size = utf8.DecodeRuneInString(t[i:])
		}
		prevEnd = n.be[i+size-1]
		i += size
		var id uint16
		if r >= cjkLo && r <= cjkHi {
			if shapeSrc[(r-cjkLo)>>6]&(1<<((r-cjkLo)&63)) != 0 {
				return true
			}
			id = pyDense[r-cjkLo]
		} else {
			id = primaryReading(r)
		}
		if id == 0 {
			if isHeart(r) {
				return true
			}
			prev, prev2 = -1, -1
			continue
		}
		if prev >= 0 && v.first[prev>>6]&(1<<(prev&63)) != 0 {
			k := v.bigram(uint16(prev), id)
			if v.starts[k>>6]&(1<<(k&63)) != 0 {
				return true
			}
		}
		if prev2 >= 0 && v.first[prev2>>6]&(1<<(prev2&63)) != 0 {
			k := trigram(uint16(prev2), uint16(prev), id)
			if v.starts3[k>>6]&(1<<(k&63)) != 0 {
				return true
			}
		}
		prev2, prev = prev, int(id)
	}
	return prevEnd >= 0 && int(prevEnd) < n.origN && gapHasSymbol(n, int(prevEnd), n.origN)
}

// gapHasSymbol reports a dropped symbol (emoji, dingbat) among original
// code points [s,e): it may stand in for a character.
func gapHasSymbol(n *Normalized, s, e int) bool {
	for _, r := range n.orig[n.origByte[s]:n.origByte[e]] {
		if isStandInSymbol(r) {
			return true
		}
	}
	return false
}

// isStandInSymbol: emoji, dingbats and other symbols that may stand in for
// a character; not CJK or fullwidth punctuation (，。【】), which separate.
func isStandInSymbol(r rune) bool {
	return r >= 0x2060 && (r < 0x3000 || r > 0x303F) && (r < 0xFE10 || r > 0xFE6F) &&
		(r < 0xFF00 || r > 0xFFEF) && !isSentenceBreak(r) && origClass(r) == clsPunct
}

// projector builds projections; its buffers are reused per scan.
type projector struct {
	proj []byte
	// pa: per projected byte, the normalised byte where its character
	// starts; for the trail byte of a code, where it ends (see end).
	pa     []int32
	gaps   []gapCode // codes of symbols the normaliser dropped
	ids    []uint16
	ends   []int
	shaped []byte // shape-folded text (only when a shape fold applied)
}

// emit appends a one-byte unit (break, literal letter or bracket) for the
// normalised text from byte a.
func (p *projector) emit(b byte, a int) {
	p.proj = append(p.proj, b)
	p.pa = append(p.pa, int32(a))
}

// gapCode remembers where a dropped symbol's code sits in the projection
// (byte at) and its original code points [os,oe), so a hit can include it.
type gapCode struct{ at, os, oe int32 }

// emitCode appends the code of syllable id for normalised bytes [a,e).
func (p *projector) emitCode(id uint16, a, e int) {
	p.proj = append(p.proj, 0xC0|byte(id>>6), 0x80|byte(id&0x3F))
	p.pa = append(p.pa, int32(a), int32(e))
}

// end is the normalised byte where the unit ending at projected byte k
// ends.
func (p *projector) end(t string, k int) int32 {
	switch b := p.proj[k]; {
	case b >= 0x80: // trail byte of a code: holds the end
		return p.pa[k]
	case b == projLiteral:
		return p.pa[k]
	case b < utf8.RuneSelf && p.pa[k] < int32(len(t)) && t[p.pa[k]] < utf8.RuneSelf:
		return p.pa[k] + 1
	}
	_, size := utf8.DecodeRuneInString(t[p.pa[k]:])
	return p.pa[k] + int32(size)
}

// emitGapCode emits the code of a symbol the normaliser dropped: at
// normalised byte i, original code points [s,e).
func (p *projector) emitGapCode(id uint16, i, s, e int) {
	p.gaps = append(p.gaps, gapCode{int32(len(p.proj)), int32(s), int32(e)})
	p.emitCode(id, i, i)
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
	p.proj, p.pa, p.gaps = p.proj[:0], p.pa[:0], p.gaps[:0]
	if c := 3*len(t) + 4; cap(p.proj) < c {
		p.proj, p.pa = make([]byte, 0, c), make([]int32, 0, c)
	}
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
				p.emit(projLiteral, i)
				for k := i; k < j; k++ {
					p.emit(t[k]|0x20*b2u(isASCIILetter(t[k])), k)
				}
				p.emit(projLiteral, j)
				i = j
			case c == ' ':
				i++
			default:
				p.emit(projBreak, i)
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
		} else if isHeart(r) {
			p.emitCode(standInID[r], i, i+size)
		} else {
			p.emit(projBreak, i)
		}
		i += size
	}
	if prevEnd >= 0 && int(prevEnd) < n.origN {
		p.gap(n, int(prevEnd), n.origN, len(t)) // 加薇❤ at the end
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
		if isHeart(r) {
			p.emitGapCode(standInID[r], i, cp-1, cp)
			stand = true
			continue
		}
		switch cls := origClass(r); {
		case cls == clsDrop:
		case cls == clsPunct && isStandInSymbol(r):
			syms++ // emoji, dingbats, enclosed forms
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

// isHeart is a fast test for heartStandIns.
func isHeart(r rune) bool {
	switch {
	case r == 0x2764 || r == 0x2665 || r == 0x2661 || r == 0x2763:
		return true
	case r >= 0x1F493 && r <= 0x1F49F, r >= 0x1F9E1 && r <= 0x1F9E1, r == 0x1F5A4, r == 0x1F90D, r == 0x1F90E, r >= 0x1FA75 && r <= 0x1FA77:
		return standInID[r] != 0
	}
	return false
}

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
			v.nIDs = len(pySyl) + 1
			v.starts = make([]uint64, (v.nIDs*v.nIDs+63)/64)
			v.codeLit = make([]uint64, (v.nIDs+63)/64)
			v.starts3 = make([]uint64, trigramBits/64)
			v.first = make([]uint64, (v.nIDs+63)/64)
			v.litFirst = map[string]bool{}
			for _, form := range projs {
				v.addStart([]byte(form))
			}
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
	if !v.mayMatch(n) {
		return st.cands
	}
	p := &st.proj
	shaped := p.project(n)
	out := st.cands
	if v.pm != nil && len(p.proj) > 0 {
		st.vraw = v.pm.FindAll(unsafe.String(unsafe.SliceData(p.proj), len(p.proj)), st.vraw[:0])
		for _, h := range st.vraw {
			a, e := p.pa[h.Start], p.end(n.Text, int(h.End-1))
			var os, oe int32
			for _, g := range p.gaps {
				if g.at >= h.Start && g.at < h.End {
					if os == oe {
						os, oe = g.os, g.oe
					}
					os, oe = min(os, g.os), max(oe, g.oe)
				}
			}
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

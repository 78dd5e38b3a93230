package filters

import (
	"sync"
	"unicode/utf8"
)

// Normalizer folds text for matching and keeps an offset map to the original.
// It reuses internal buffers: not safe for concurrent use (pool it).
type Normalizer struct {
	toks []token
	segs []seg
	out  []byte
	n    Normalized
	// set by foldRune: the context passes that can be skipped otherwise
	homo, numerals bool
	plus           bool // a '+' (or ➕) may stand for 加 (see foldPlus)
	badUTF8        bool // the last input held a byte sequence that is not UTF-8
}

// token is one rune of the folded text with the half-open code-point range
// of the original text it came from.
type token struct {
	r    rune
	s, e int32
	cls  uint8
	h    byte // Latin homoglyph of a Cyrillic/Greek letter, 0 if none
}

// Normalized is the folded form of one text. It is owned by the Normalizer
// that produced it and valid until that Normalizer's next Normalize call.
type Normalized struct {
	// Text is the folded text, valid UTF-8.
	Text string

	orig     string
	origN    int     // code points in orig
	origByte []int32 // byte offset of each original code point, plus len(orig)
	bs, be   []int32 // per byte of Text: original code-point range of its rune
}

// NewNormalizer returns a Normalizer with empty buffers.
func NewNormalizer() *Normalizer {
	initTables()
	return &Normalizer{}
}

// Normalize folds s (valid UTF-8 assumed; invalid bytes become U+FFFD, kept
// 1:1). The result is valid until the next Normalize call on z.
func (z *Normalizer) Normalize(s string) *Normalized {
	n := &z.n
	n.orig = s
	if cap(z.toks) > 16<<10 && len(s) < 1<<10 {
		// A huge message grew the buffers; do not keep megabytes per
		// pooled Normalizer for ordinary traffic.
		*z = Normalizer{}
		n = &z.n
		n.orig = s
	}
	if cap(n.origByte) < len(s)+1 {
		n.origByte = make([]int32, 0, len(s)+1)
	}
	ob := n.origByte[:len(s)+1]
	toks := z.toks[:0]
	if cap(toks) < len(s) {
		toks = make([]token, 0, len(s))
	}
	z.homo, z.numerals, z.plus, z.badUTF8 = false, false, false, false
	i := int32(0)
	for b, r := range s {
		ob[i] = int32(b)
		if r == utf8.RuneError && !z.badUTF8 {
			// Validating here saves Scan a second pass over the text.
			_, w := utf8.DecodeRuneInString(s[b:])
			z.badUTF8 = w == 1
		}
		// Fast paths: ASCII and unmapped characters (most CJK text).
		if r < utf8.RuneSelf {
			if a := asciiTab[r]; a.cls != clsDrop {
				if r == '+' {
					z.plus = true
				}
				toks = append(toks, token{r: rune(a.r), s: i, e: i + 1, cls: a.cls})
			} else {
				toks = extendPrev(toks, i)
			}
		} else if r < tblSize && tblInfo[r]&^clsMask == 0 && tblInfo[r] != clsDrop {
			toks = append(toks, token{r: r, s: i, e: i + 1, cls: tblInfo[r]})
		} else {
			toks = z.foldRune(toks, r, i)
		}
		i++
	}
	n.origN = int(i)
	ob[i] = int32(len(s))
	n.origByte = ob[:i+1]
	toks = z.context(toks)
	z.toks = toks

	need := 0
	for k := range toks {
		switch r := toks[k].r; {
		case r < 0x80:
			need++
		case r < 0x800:
			need += 2
		case r < 0x10000:
			need += 3
		default:
			need += 4
		}
	}
	if cap(z.out) < need || cap(n.bs) < need || cap(n.be) < need {
		z.out = make([]byte, 0, need)
		n.bs = make([]int32, need)
		n.be = make([]int32, need)
	}
	out := z.out[:0]
	bs, be := n.bs[:need], n.be[:need]
	for _, t := range toks {
		l := len(out)
		if t.r < utf8.RuneSelf {
			out = append(out, byte(t.r))
			bs[l], be[l] = t.s, t.e
			continue
		}
		out = utf8.AppendRune(out, t.r)
		for k := l; k < len(out); k++ {
			bs[k], be[k] = t.s, t.e
		}
	}
	n.bs, n.be = bs[:len(out)], be[:len(out)]
	z.out = out
	// One allocation: the text must outlive buffer reuse for callers that
	// keep it (Findings.Normalized).
	n.Text = string(out)
	return n
}

// NormPos is the byte offset in Text of the first folded character whose
// original start is at or after code point cp (len(Text) when none is).
func (n *Normalized) NormPos(cp int) int {
	lo, hi := 0, len(n.bs)
	for lo < hi {
		m := (lo + hi) / 2
		if int(n.bs[m]) < cp {
			lo = m + 1
		} else {
			hi = m
		}
	}
	// Land on a character boundary.
	for lo < len(n.Text) && n.Text[lo]&0xC0 == 0x80 {
		lo++
	}
	return lo
}

// Orig maps the half-open BYTE range [bs,be) of n.Text to the half-open
// CODE-POINT range [start,end) of the original string. Out-of-range
// arguments are clamped; 0 <= start <= end <= code points of the original.
func (n *Normalized) Orig(bs, be int) (start, end int) {
	l := len(n.bs)
	if bs < 0 {
		bs = 0
	}
	if bs > l {
		bs = l
	}
	if be > l {
		be = l
	}
	if be < bs {
		be = bs
	}
	if bs == be {
		p := n.origN
		if bs < l {
			p = int(n.bs[bs])
		}
		return p, p
	}
	return int(n.bs[bs]), int(n.be[be-1])
}

// OrigText returns the original substring for code-point range [start,end)
// (clamped to the original's bounds).
func (n *Normalized) OrigText(start, end int) string {
	if start < 0 {
		start = 0
	}
	if end > n.origN {
		end = n.origN
	}
	if start >= end {
		return ""
	}
	return n.orig[n.origByte[start]:n.origByte[end]]
}

// Original returns the text n was folded from.
func (n *Normalized) Original() string { return n.orig }

// RuneCount returns the number of code points of the original text.
func (n *Normalized) RuneCount() int { return n.origN }

// NormalizeString folds s the same way as Normalize (used for lexicon terms
// and lint).
func NormalizeString(s string) string {
	z := pool.Get().(*Normalizer)
	t := z.Normalize(s).Text
	pool.Put(z)
	return t
}

var pool = sync.Pool{New: func() any { return NewNormalizer() }}

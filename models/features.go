package models

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"unicode/utf8"
)

// Features says how a message becomes a feature vector. Training and
// inference share this code, so a model always sees its features exactly as
// it was trained on them; the config is stored in every model file.
//
// The text is the NORMALISED text from the filter (full/half width, case,
// traditional→simplified and noise already folded). Every character n-gram
// of the listed orders is hashed (FNV-1a over the runes, then Fibonacci
// hashing) into one of 2^BucketsLog2 buckets. With Boundary, the text is
// framed by start/end markers so "starts with 加" differs from "contains
// 加". With FoldDigits, every ASCII digit counts as 0: numbers generalise by
// shape (an 11-digit run, a price) instead of by value, and corpora that
// mask digits as x can be restored to any digits without the model seeing
// the difference; a run of four or more x that touches no other Latin
// letter counts as masked digits too, so a model trained on restored digits
// reads a masked number the same way.
//
// Each n-gram occurrence has the value 1/sqrt(number of n-grams), so long
// and short messages score on the same scale. Extras are caller-computed
// values (detector hits and the like) appended after the hashed buckets.
type Features struct {
	Orders      []int    `json:"orders"`
	BucketsLog2 int      `json:"buckets_log2"`
	Boundary    bool     `json:"boundary"`
	FoldDigits  bool     `json:"fold_digits"`
	Extras      []string `json:"extras,omitempty"`
	// Hash names the hash function, so a future change is a new name and
	// old files are refused instead of silently scoring garbage.
	Hash string `json:"hash"`
}

// HashFNV1aFib is the only hash function of format version 1: FNV-1a over
// the runes of the n-gram, then Fibonacci hashing (one multiplication by
// 2^64/φ, top bits) into the buckets.
const HashFNV1aFib = "fnv1a-rune-fib64"

// Limits of a feature config.
const (
	MaxOrder       = 6
	MinBucketsLog2 = 8
	MaxBucketsLog2 = 22 // 4 Mi buckets: 16 MiB of float32
	MaxExtras      = 64
)

var extraRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// Validate checks the config.
func (f *Features) Validate() error {
	if f.Hash != HashFNV1aFib {
		return fmt.Errorf("unknown hash %q (want %q)", f.Hash, HashFNV1aFib)
	}
	if f.BucketsLog2 < MinBucketsLog2 || f.BucketsLog2 > MaxBucketsLog2 {
		return fmt.Errorf("buckets_log2 %d out of range [%d,%d]", f.BucketsLog2, MinBucketsLog2, MaxBucketsLog2)
	}
	if len(f.Orders) == 0 {
		return fmt.Errorf("no n-gram orders")
	}
	prev := 0
	for _, o := range f.Orders {
		if o < 1 || o > MaxOrder || o <= prev {
			return fmt.Errorf("n-gram orders %v: want increasing values in [1,%d]", f.Orders, MaxOrder)
		}
		prev = o
	}
	if len(f.Extras) > MaxExtras {
		return fmt.Errorf("%d extra features, at most %d", len(f.Extras), MaxExtras)
	}
	seen := map[string]bool{}
	for _, e := range f.Extras {
		if !extraRe.MatchString(e) {
			return fmt.Errorf("bad extra feature name %q", e)
		}
		if seen[e] {
			return fmt.Errorf("extra feature %q listed twice", e)
		}
		seen[e] = true
	}
	return nil
}

// Buckets is the number of hashed buckets.
func (f *Features) Buckets() int { return 1 << f.BucketsLog2 }

// Dim is the number of weights: buckets then extras.
func (f *Features) Dim() int { return f.Buckets() + len(f.Extras) }

// sameHashing reports whether two configs map text to the same buckets, so
// their models can share one pass over the text (extras may differ).
func (f *Features) sameHashing(g *Features) bool {
	if f.BucketsLog2 != g.BucketsLog2 || f.Boundary != g.Boundary || f.FoldDigits != g.FoldDigits ||
		f.Hash != g.Hash || len(f.Orders) != len(g.Orders) {
		return false
	}
	for i := range f.Orders {
		if f.Orders[i] != g.Orders[i] {
			return false
		}
	}
	return true
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	// Marker runes framing the text: noncharacters, never in valid input
	// after normalisation.
	markStart = 0xFDD0
	markEnd   = 0xFDD1
)

// fibMul is 2^64/φ: multiplying by it and keeping the top bits
// (Fibonacci hashing) spreads the FNV state over the buckets with one
// multiplication.
const fibMul = 0x9E3779B97F4A7C15

// gram is one n-gram occurrence: its bucket and the byte range of the
// normalised text it covers (markers cover nothing).
type gram struct {
	bucket uint32
	s, e   int32
}

// walker enumerates the n-grams of a text without allocating.
type walker struct {
	orders [MaxOrder + 1]bool
	maxOrd int
	shift  uint
	fold   bool
	bound  bool
	ring   [ringSize]rune
	rs, re [ringSize]int32 // byte range of each ring rune
	n      int             // runes seen so far (markers included)
}

// ringSize is a power of two ≥ MaxOrder, so ring positions are a mask, not
// a division (this loop runs for every rune of every message).
const ringSize = 8

func newWalker(f *Features) walker {
	w := walker{shift: uint(64 - f.BucketsLog2), fold: f.FoldDigits, bound: f.Boundary}
	for _, o := range f.Orders {
		w.orders[o] = true
		w.maxOrd = max(w.maxOrd, o)
	}
	return w
}

// next adds rune r covering bytes [s,e) and writes the n-grams that end
// with it into out, returning how many.
func (w *walker) next(r rune, s, e int32, out *[MaxOrder]gram) int {
	if w.fold && r >= '0' && r <= '9' {
		r = '0'
	}
	k := w.n & (ringSize - 1)
	w.ring[k], w.rs[k], w.re[k] = r, s, e
	w.n++
	// n-grams ending here, shortest first: hash the runes from the end
	// backwards, so each longer gram extends the shorter one's hash.
	h := uint64(fnvOffset)
	gs, ge := int32(-1), int32(-1)
	c := 0
	top := min(w.maxOrd, w.n)
	for o := 1; o <= top; o++ {
		i := (w.n - o) & (ringSize - 1)
		h ^= uint64(uint32(w.ring[i]))
		h *= fnvPrime
		if w.re[i] > w.rs[i] { // a real rune, not a marker
			if ge < 0 {
				ge = w.re[i]
			}
			gs = w.rs[i]
		}
		if w.orders[o] {
			// Mixing in the order keeps a 1-gram and a 2-gram whose FNV
			// states happen to coincide apart.
			out[c] = gram{bucket: uint32(((h ^ uint64(o)<<56) * fibMul) >> w.shift), s: gs, e: ge}
			c++
		}
	}
	return c
}

// walk calls fn for every n-gram of text, in text order (spans of n-grams
// made only of markers are -1,-1).
func (w *walker) walk(text string, fn func(g gram)) {
	var buf [MaxOrder]gram
	w.n = 0
	emit := func(k int) {
		for _, g := range buf[:k] {
			fn(g)
		}
	}
	if w.bound {
		emit(w.next(markStart, 0, 0, &buf))
	}
	maskEnd := -1 // end of the current run of x that stands for digits
	for i, r := range text {
		// Invalid bytes never come from the filter; one that did would
		// count as U+FFFD over its single byte.
		l := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, l = utf8.DecodeRuneInString(text[i:])
		}
		if w.fold && r == 'x' {
			r = w.masked(text, i, &maskEnd)
		}
		emit(w.next(r, int32(i), int32(i+l), &buf))
	}
	if w.bound {
		emit(w.next(markEnd, int32(len(text)), int32(len(text)), &buf))
	}
}

// masked is what the x at byte i of text counts as under FoldDigits: '0'
// inside a run of masked digits, else itself. *end carries the end of the
// current run from one x to the next.
func (w *walker) masked(text string, i int, end *int) rune {
	if i >= *end {
		*end = maskedDigits(text, i)
	}
	if i < *end {
		return '0'
	}
	return 'x'
}

// maskedDigits returns the end of the run of x starting at i when the run
// stands for masked digits: four or more x touching no other Latin letter
// (the normaliser keeps the runs of a masked number whole, "xxxx xxxx …",
// and folds other runs of three or more to one x).
// Operators and public corpora mask digits this way before text reaches a
// filter.
func maskedDigits(text string, i int) int {
	j := i
	for j < len(text) && text[j] == 'x' {
		j++
	}
	letter := func(k int) bool {
		if k < 0 || k >= len(text) {
			return false
		}
		c := text[k] | 0x20
		return c >= 'a' && c <= 'z'
	}
	if j-i < 4 || letter(i-1) || letter(j) {
		return i
	}
	return j
}

// Count returns how many n-grams text has under f (the normaliser of the
// 1/sqrt(n) value).
func (f *Features) Count(text string) int { return f.countRunes(utf8.RuneCountInString(text)) }

// countRunes is Count for a text of runes characters (a walk that counted
// them need not pass over the text again).
func (f *Features) countRunes(runes int) int {
	if f.Boundary {
		runes += 2
	}
	n := 0
	for _, o := range f.Orders {
		if runes >= o {
			n += runes - o + 1
		}
	}
	return n
}

// Value is the feature value of one n-gram occurrence in a text with n
// n-grams.
func Value(n int) float32 {
	if n <= 0 {
		return 0
	}
	return float32(1 / math.Sqrt(float64(n)))
}

// Sparse is a feature vector as sorted, distinct indices (buckets, then
// Buckets()+i for extra i) and their values. Training uses it; inference
// adds weights on the fly instead.
type Sparse struct {
	Idx []uint32
	Val []float32
}

// Vector returns the sparse feature vector of a normalised text and its
// extra values (len(extras) must equal len(f.Extras)).
func (f *Features) Vector(text string, extras []float32) Sparse {
	w := newWalker(f)
	v := Value(f.Count(text))
	m := map[uint32]float32{}
	w.walk(text, func(g gram) { m[g.bucket] += v })
	nb := uint32(f.Buckets())
	for i, x := range extras {
		if x != 0 {
			m[nb+uint32(i)] += x
		}
	}
	sp := Sparse{Idx: make([]uint32, 0, len(m)), Val: make([]float32, 0, len(m))}
	for k := range m {
		sp.Idx = append(sp.Idx, k)
	}
	sortU32(sp.Idx)
	for _, k := range sp.Idx {
		sp.Val = append(sp.Val, m[k])
	}
	return sp
}

func sortU32(a []uint32) { slices.Sort(a) }

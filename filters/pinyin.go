package filters

//go:generate go run ./internal/genpinyin -o pinyin_table.go

import (
	"strings"
	"sync"
)

// Pinyin readings for the variant layer (variant.go). Syllables are numbered
// 1..n in alphabetical order; a character's primary reading is the first one
// go-pinyin lists (the most common), further readings are kept for lexicon
// terms only: a term is indexed under all its readings, text under its
// primary reading, which keeps ordinary text from gaining matches through a
// rare reading of a common character.

var (
	pyOnce   sync.Once
	pySyl    []string          // id -> syllable ("" for id 0)
	pyID     map[string]uint16 // syllable -> id
	pyDense  [cjkHi - cjkLo + 1]uint16
	pyExtra  map[rune]uint16   // primary readings outside the dense range
	pyOther  map[rune][]uint16 // further readings
	pyLatin  map[string]uint16 // syllables Latin text may spell (see latinSyllable)
	pyMaxSyl int               // longest syllable in bytes
)

func initPinyin() {
	pyOnce.Do(func() {
		initTables()
		initShape()
		pyID = map[string]uint16{}
		pySyl = []string{""}
		pyExtra = map[rune]uint16{}
		pyOther = map[rune][]uint16{}
		pyLatin = map[string]uint16{}
		// Syllables of both sections, sorted, get ids.
		var syls []string
		for _, sec := range []string{pinyinPrimary, pinyinOther} {
			for line := range strings.SplitSeq(sec, "\n") {
				if s, _, ok := strings.Cut(line, " "); ok {
					syls = append(syls, s)
				}
			}
		}
		for _, s := range sortedUnique(syls) {
			pyID[s] = uint16(len(pySyl))
			pySyl = append(pySyl, s)
			if latinSyllable(s) {
				pyLatin[s] = pyID[s]
				pyMaxSyl = max(pyMaxSyl, len(s))
				latinPut(latinKey(s), pyID[s])
			}
		}
		if len(pySyl) >= wildcardID {
			panic("filters: too many pinyin syllables")
		}
		for line := range strings.SplitSeq(pinyinPrimary, "\n") {
			s, chars, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			id := pyID[s]
			for _, r := range chars {
				if r >= cjkLo && r <= cjkHi {
					pyDense[r-cjkLo] = id
				} else {
					pyExtra[r] = id
				}
			}
		}
		for line := range strings.SplitSeq(pinyinOther, "\n") {
			s, chars, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			for _, r := range chars {
				pyOther[r] = append(pyOther[r], pyID[s])
			}
		}
		// A look-alike reads as the character it imitates.
		for src, dst := range shapeMap {
			id := primaryReading(dst)
			if src >= cjkLo && src <= cjkHi {
				pyDense[src-cjkLo] = id
			} else {
				pyExtra[src] = id
			}
			pyOther[src] = pyOther[dst]
		}
		initShapeBits()
		for _, r := range heartStandIns {
			standInID[r] = pyID["xin"]
		}
	})
}

func sortedUnique(ss []string) []string {
	m := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !m[s] {
			m[s] = true
			out = append(out, s)
		}
	}
	// Insertion into a sorted slice: a few hundred syllables.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// latinSyllable reports whether Latin text may spell syllable s: it needs a
// vowel. The bare nasals (m, n, ng, hm, hng) would let too many English
// words and initials pass for pinyin.
func latinSyllable(s string) bool {
	return strings.ContainsAny(s, "aeiouv")
}

// primaryReading is the id of r's most common reading, 0 if none. r must be
// folded already (normalised text).
func primaryReading(r rune) uint16 {
	if r >= cjkLo && r <= cjkHi {
		return pyDense[r-cjkLo]
	}
	if r < 0x3000 {
		return 0
	}
	return pyExtra[r]
}

// allReadings appends the ids of every reading of r, primary first.
func allReadings(r rune, dst []uint16) []uint16 {
	if p := primaryReading(r); p != 0 {
		dst = append(dst, p)
	}
	return append(dst, pyOther[r]...)
}

// Syllable returns the toneless pinyin of r's most common reading ("" if
// the character has none): 微 → "wei".
func Syllable(r rune) string {
	initPinyin()
	return pySyl[primaryReading(shapeFold(r))]
}

// segmentPinyin splits a run of lower-case ASCII letters into pinyin
// syllables, preferring longer syllables (xian, not xi+an), and reports
// whether the whole run splits. ends receives the byte end of each
// syllable; ids the syllable ids.
func segmentPinyin(run string, ids []uint16, ends []int) ([]uint16, []int, bool) {
	n := len(run)
	if n == 0 || n > 64 {
		return ids, ends, false
	}
	// next[i]: end of the syllable chosen at i in a full split of run[i:],
	// 0 when run[i:] does not split.
	var next [65]uint8
	next[n] = uint8(n)
	for i := n - 1; i >= 0; i-- {
		for l := min(pyMaxSyl, n-i); l >= 1; l-- {
			if next[i+l] == 0 {
				continue
			}
			if latinGet(latinKey(run[i:i+l])) != 0 {
				next[i] = uint8(i + l)
				break
			}
		}
	}
	if next[0] == 0 {
		return ids, ends, false
	}
	for i := 0; i < n; i = int(next[i]) {
		ids = append(ids, latinGet(latinKey(run[i:next[i]])))
		ends = append(ends, int(next[i]))
	}
	return ids, ends, true
}

// appendCode appends the two-byte code of syllable id: a lead byte 0xC0..
// and a trail byte 0x80..0xBF, like UTF-8, so a pattern can only match at a
// code boundary and never inside a code.
func appendCode(dst []byte, id uint16) []byte {
	return append(dst, 0xC0|byte(id>>6), 0x80|byte(id&0x3F))
}

// The Latin syllables as an open-addressing table keyed by the letters
// packed 5 bits each (syllables are at most 6 letters): segmentPinyin
// probes it for every substring, a string map was the hot spot.
const latinSlots = 2048

var (
	latinKeys [latinSlots]uint32
	latinIDs  [latinSlots]uint16
)

// latinKey packs up to 6 ASCII letters (either case); 0 for anything else.
func latinKey(s string) uint32 {
	if len(s) == 0 || len(s) > 6 {
		return 0
	}
	k := uint32(0)
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return 0
		}
		k = k<<5 | uint32(c-'a'+1)
	}
	return k
}

func latinSlot(k uint32) uint32 { return (k * 0x9E3779B1) >> 21 } // 11 bits

func latinPut(k uint32, id uint16) {
	for h := latinSlot(k); ; h = (h + 1) & (latinSlots - 1) {
		if latinKeys[h] == 0 || latinKeys[h] == k {
			latinKeys[h], latinIDs[h] = k, id
			return
		}
	}
}

// latinGet returns the id of the syllable with key k, 0 if none.
func latinGet(k uint32) uint16 {
	if k == 0 {
		return 0
	}
	for h := latinSlot(k); ; h = (h + 1) & (latinSlots - 1) {
		switch latinKeys[h] {
		case k:
			return latinIDs[h]
		case 0:
			return 0
		}
	}
}

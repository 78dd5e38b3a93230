package filters

import (
	"strings"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// masked reports whether a detector kind is personal data that Mask hides.
// E-mail is a contact, but its local part identifies a person, so it is
// masked too.
func masked(kind string) bool {
	switch kind {
	case KindPhone, KindIDCard, KindBankCard, KindEmail:
		return true
	}
	return false
}

// isSepRune reports characters of a number span that are not digits
// (separators, +, brackets, spaces): masking keeps them as written.
func isSepRune(r rune) bool {
	if r < 0x80 {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}
	c := classOf(r)
	return c == clsSpace || c == clsPunct || c == clsDrop
}

// maskSpan hides the middle of a personal-data span (the original text of
// the match), keeping a few characters so a reviewer can tell numbers
// apart: phone 138****8000 (with a +86 prefix kept), ID card first 3 and
// last 4, bank card last 4, e-mail the first character of the local part
// (a***@example.com). Separators stay as written.
func maskSpan(kind, s string) string {
	initTables()
	if kind == KindEmail {
		at := strings.LastIndexByte(s, '@')
		if at <= 0 {
			return s
		}
		first := 1
		for first < at && s[first]&0xC0 == 0x80 {
			first++
		}
		return s[:first] + "***" + s[at:]
	}
	n := 0
	for _, r := range s {
		if !isSepRune(r) {
			n++
		}
	}
	var from, to int
	switch kind {
	case KindPhone:
		from, to = n-8, n-4
	case KindIDCard:
		from, to = 3, n-4
	case KindBankCard:
		from, to = 0, n-4
	default:
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	k := 0
	for _, r := range s {
		if isSepRune(r) {
			b.WriteRune(r)
			continue
		}
		if k >= from && k < to {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		k++
	}
	return b.String()
}

// Mask returns orig with every personal-data detector match replaced by its
// masked form (138****8000). Matches may come in any order; a match that
// overlaps an earlier one, or lies outside orig, is skipped.
func Mask(orig string, ms []modgate.Match) string {
	var idx [16]int
	sel := idx[:0]
	for i, m := range ms {
		if m.Source == modgate.SourceDetector && masked(m.Subcategory) && m.Start >= 0 && m.Start < m.End {
			sel = append(sel, i)
		}
	}
	if len(sel) == 0 {
		return orig
	}
	for i := 1; i < len(sel); i++ {
		for j := i; j > 0 && ms[sel[j]].Start < ms[sel[j-1]].Start; j-- {
			sel[j], sel[j-1] = sel[j-1], sel[j]
		}
	}
	var b strings.Builder
	b.Grow(len(orig))
	cp, bytePos := 0, 0 // code point index and byte offset reached in orig
	// seek returns the byte offset of code point to (>= cp), or false when
	// orig is shorter.
	seek := func(to int) (int, bool) {
		c, bp := cp, bytePos
		for c < to {
			if bp >= len(orig) {
				return 0, false
			}
			_, w := utf8.DecodeRuneInString(orig[bp:])
			bp += w
			c++
		}
		return bp, true
	}
	for _, i := range sel {
		m := ms[i]
		if m.Start < cp {
			continue
		}
		sb, ok1 := seek(m.Start)
		if !ok1 {
			break
		}
		b.WriteString(orig[bytePos:sb])
		bytePos, cp = sb, m.Start
		eb, ok2 := seek(m.End)
		if !ok2 {
			break // end beyond the text: leave the rest as it is
		}
		b.WriteString(maskSpan(m.Subcategory, orig[sb:eb]))
		bytePos, cp = eb, m.End
	}
	b.WriteString(orig[bytePos:])
	return b.String()
}

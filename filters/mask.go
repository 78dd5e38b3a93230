package filters

import (
	"strings"

	"github.com/modgate/modgate"
)

// masked reports whether detector kind is personal data that Mask hides.
func masked(kind string) bool {
	switch kind {
	case KindPhone, KindIDCard, KindBankCard, KindEmail:
		return true
	}
	return false
}

// maskSpan hides the middle of a personal-data span, keeping a few
// characters so a reviewer can still tell numbers apart: phone 138****8000,
// ID card first 3 and last 4, bank card last 4, e-mail first letter of the
// local part. Separators are kept as they were.
func maskSpan(kind, s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	n := len(rs)
	hideFrom, hideTo := 0, 0
	switch kind {
	case KindPhone:
		hideFrom, hideTo = n-8, n-4
	case KindIDCard:
		hideFrom, hideTo = 3, n-4
	case KindBankCard:
		hideFrom, hideTo = 0, n-4
	default:
		return s
	}
	for k, r := range rs {
		if k >= hideFrom && k < hideTo {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Mask returns orig with every personal-data match replaced by its masked
// form (138****8000). Matches may come in any order; overlapping ones after
// the first are skipped.
func Mask(orig string, ms []modgate.Match) string {
	var b strings.Builder
	runes := []rune(orig)
	pos := 0
	for _, m := range ms {
		if m.Source != modgate.SourceDetector || !masked(m.Subcategory) {
			continue
		}
		if m.Start < pos || m.End > len(runes) || m.Start >= m.End {
			continue
		}
		b.WriteString(string(runes[pos:m.Start]))
		b.WriteString(maskSpan(m.Subcategory, string(runes[m.Start:m.End])))
		pos = m.End
	}
	if pos == 0 {
		return orig
	}
	b.WriteString(string(runes[pos:]))
	return b.String()
}

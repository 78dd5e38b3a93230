package filters

import (
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Token classes.
const (
	clsDrop  uint8 = iota // invisible: removed
	clsSpace              // whitespace
	clsPunct              // punctuation, symbols: noise
	clsWord               // letters and digits of alphabetic scripts
	clsCJK                // Han, kana, Hangul: no spaces between words
)

var initOnce sync.Once

func initTables() { initOnce.Do(buildTables) }

func buildTables() {}

// foldRune appends the folded form of r (original code point index i).
func foldRune(dst []token, r rune, i int32) []token {
	if r < utf8RuneSelf {
		c := r
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(dst, token{r: c, s: i, e: i + 1, cls: classOf(c)})
	}
	s := norm.NFKC.String(string(r))
	for _, c := range s {
		c = unicode.ToLower(c)
		cl := classOf(c)
		if cl == clsDrop {
			continue
		}
		dst = append(dst, token{r: c, s: i, e: i + 1, cls: cl})
	}
	return dst
}

const utf8RuneSelf = 0x80

func classOf(r rune) uint8 {
	switch {
	case r == 0xFFFD:
		return clsWord
	case unicode.IsSpace(r):
		return clsSpace
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
		return clsCJK
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return clsWord
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Cc):
		return clsDrop
	}
	return clsPunct
}

// context applies the folds that depend on neighbours: noise inside words,
// whitespace runs.
func (z *Normalizer) context(toks []token) []token {
	out := toks[:0]
	for k := 0; k < len(toks); k++ {
		t := toks[k]
		if t.cls == clsSpace {
			if len(out) == 0 || out[len(out)-1].cls == clsSpace {
				continue
			}
			t.r = ' '
		}
		out = append(out, t)
	}
	if len(out) > 0 && out[len(out)-1].cls == clsSpace {
		out = out[:len(out)-1]
	}
	return out
}

package filters

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Token classes (low 3 bits of a tblInfo entry).
const (
	clsDrop  uint8 = iota // invisible (zero-width, bidi, marks, controls): removed
	clsSpace              // whitespace
	clsPunct              // punctuation, symbols, emoji: noise between words
	clsWord               // letters and digits of alphabetic scripts
	clsCJK                // Han, kana, Hangul, bopomofo: no spaces between words
)

// tblInfo flags.
const (
	clsMask  = 0x07
	fMapped  = 0x08 // the rune folds to something else (see foldRune)
	fHomo    = 0x10 // Cyrillic/Greek letter that looks like a Latin one
	fNumeral = 0x20 // Chinese numeral usable as a phone digit (零一二…九, 壹贰…, 幺)
)

// tblSize covers the BMP and the SMP (styled letters, enclosed forms, emoji);
// runes above it are classified on the slow path.
const tblSize = 0x20000

var (
	initOnce sync.Once
	tblInfo  [tblSize]uint8
	foldMap  map[rune]string // fMapped runes outside the CJK dense table
	homoMap  map[rune]byte
	asciiTab [utf8.RuneSelf]struct{ r, cls uint8 }
)

func initTables() { initOnce.Do(buildTables) }

// styled holds folds NFKC does not know: negative/dingbat circled numbers,
// emoji letters, regional indicators, small capitals, circled ideograph
// numerals (㈠ ㊀ are styled digits, not words).
func styled() map[rune]string {
	m := map[rune]string{}
	num := func(lo rune, from, n int) {
		for k := 0; k < n; k++ {
			m[lo+rune(k)] = itoa(from + k)
		}
	}
	num(0x24EB, 11, 10) // ⓫..⓴
	num(0x24F5, 1, 10)  // ⓵..⓾
	m[0x24FF] = "0"     // ⓿
	num(0x2776, 1, 10)  // ❶..❿
	num(0x2780, 1, 10)  // ➀..➉
	num(0x278A, 1, 10)  // ➊..➓
	num(0x3220, 1, 10)  // ㈠..㈩
	num(0x3280, 1, 10)  // ㊀..㊉
	m[0x1F10B] = "0"    // 🄋
	m[0x1F10C] = "0"    // 🄌
	m[0x1F51F] = "10"   // 🔟
	for k := rune(0); k < 26; k++ {
		c := string('a' + k)
		m[0x1F150+k] = c // 🅐..🅩
		m[0x1F170+k] = c // 🅰..🆉
		m[0x1F1E6+k] = c // regional indicators 🇦..🇿
	}
	// Symbols that stand for a word in drainage spam (see standIns).
	for r, s := range standIns {
		m[r] = s
	}
	for i, r := range []rune("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡxʏᴢ") {
		if r != 'x' {
			m[r] = string('a' + rune(i))
		}
	}
	return m
}

// standIns are emoji and symbols that spam writes for a word, folded to
// it: 🐧 is QQ's mascot (企鹅, a QQ cue), ➕ ✚ are plus signs, which
// foldPlus reads as 加 before a word (➕V, ＋微). Hearts standing for 信/心
// are left to the variant layer (variant.go): as decoration they are noise.
var standIns = map[rune]string{
	0x1F427: "企鹅", // 🐧
	0x2795:  "+",  // ➕ heavy plus sign
	0x271A:  "+",  // ✚ heavy Greek cross
	0x2719:  "+",  // ✙ outlined Greek cross
	// ✌ is the letter V that stands for WeChat (✌️：id). As decoration
	// (耶✌️) it folds to a lone v, which a cue needs an id after to count.
	0x270C: "v", // ✌
	// 🍠 is folded to what it shows, a sweet potato (红薯, spam's name for
	// 小红书), not to the app: alone it is food talk and flags nothing;
	// only a cue with a second signal does (红薯搜, 红薯号: lexicons/
	// contact.txt). 🛰 is not folded: inside a word it stands for one
	// character (加🛰️信 = 加微信, the variant layer reads it), so 卫星 there
	// would hide the word.
	0x1F360: "红薯", // 🍠
}

// noiseSymbols are characters spam puts between the characters of a word
// as decoration or as a fence that looks like a bar: enclosed ideographs
// NFKC would fold to a character (加㊙️信), and the stroke radicals and
// look-alikes of "|" (百丨家丨乐, 丿, 丶, 亅, 〡, ǀ), which ordinary text
// never writes as characters. They are noise.
var noiseSymbols = []rune{0x3299 /* ㊙ */, 0x3297 /* ㊗ */, 0x4E28 /* 丨 */, 0x4E3F /* 丿 */, 0x4E36, /* 丶 */
	0x4E40 /* 乀 */, 0x4E85 /* 亅 */, 0x3021 /* 〡 */, 0x01C0 /* ǀ */}

// homoglyphs: Cyrillic and Greek letters that render like Latin ones. They
// are folded only where the surrounding word is Latin (see foldHomoglyphs).
const homoglyphs = "АaВbЕeКkМmНhОoРpСcТtХxУyЅsІiЈjԚqԜwҮyҺhӀlԀd" +
	"аaеeоoрpсcуyхxѕsіiјjԁdԛqԝwһhӏlүyѵvѴv" +
	"ΑaΒbΕeΖzΗhΙiΚkΜmΝnΟoΡpΤtΥyΧx" +
	"αaεeιiκkνvοoρpτtυuχxγyωw"

// chineseNumerals maps numeral characters (simplified forms; traditional ones
// fold to these first) to digits, including the radio/telephone readings
// people use to spell numbers out (幺 1, 两 2, 拐 7, 勾 9, 洞 0). They only fold
// inside runs of numerals long enough to be a contact number.
const chineseNumerals = "零0〇0洞0一1幺1二2两2三3四4五5六6七7拐7八8九9勾9壹1贰2叁3肆4伍5陆6柒7捌8玖9"

var numeralVal map[rune]byte

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

func buildTables() {
	buildTS()
	for c := 0; c < utf8.RuneSelf; c++ {
		r := byte(c)
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		asciiTab[c].r = r
		asciiTab[c].cls = slowClass(rune(c))
	}
	homoMap = map[rune]byte{}
	hs := []rune(homoglyphs)
	for i := 0; i+1 < len(hs); i += 2 {
		homoMap[hs[i]] = byte(hs[i+1])
	}
	numeralVal = map[rune]byte{}
	ns := []rune(chineseNumerals)
	for i := 0; i+1 < len(ns); i += 2 {
		numeralVal[ns[i]] = byte(ns[i+1])
	}
	sty := styled()
	foldMap = map[rune]string{}
	for r := rune(0); r < tblSize; r++ {
		if r >= cjkLo && r <= cjkHi {
			inf := clsCJK
			if tsDense[r-cjkLo] != 0 {
				inf |= fMapped
			}
			tblInfo[r] = inf
			continue
		}
		tblInfo[r] = slowClass(r)
	}
	for r := rune(utf8.RuneSelf); r < tblSize; r++ {
		if (r >= cjkLo && r <= cjkHi) || (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xD800 && r <= 0xDFFF) {
			continue
		}
		if s, ok := fixFold(r, sty, 0); ok {
			foldMap[r] = s
			tblInfo[r] |= fMapped
		}
	}
	for _, r := range noiseSymbols {
		tblInfo[r] = clsPunct
		delete(foldMap, r)
	}
	for r := range tsExtra {
		if r < tblSize {
			tblInfo[r] |= fMapped
			foldMap[r] = string(tsExtra[r])
		}
	}
	for r := range homoMap {
		tblInfo[r] |= fHomo
	}
	for r := range numeralVal {
		tblInfo[r] |= fNumeral
	}
}

// slowClass classifies one rune with the unicode tables.
func slowClass(r rune) uint8 {
	switch {
	case r == utf8.RuneError:
		return clsWord // invalid input bytes are kept 1:1
	case unicode.IsSpace(r):
		return clsSpace
	case r == 0x200D || r == 0x034F || r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0:
		return clsDrop // joiners and Hangul fillers render as nothing
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Cc, unicode.Cs, unicode.Co,
		unicode.Variation_Selector, unicode.Noncharacter_Code_Point):
		return clsDrop
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo):
		return clsCJK
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		return clsWord
	case unicode.Is(unicode.Lm, r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.No, r):
		return clsWord
	}
	return clsPunct
}

// classOf returns the class of a rune that is already folded.
func classOf(r rune) uint8 {
	if r < tblSize {
		return tblInfo[r] & clsMask
	}
	return slowClass(r)
}

// alphabetic reports whether r is in a script whose accents we strip
// (Latin, Greek, Cyrillic): é→e, but カ+゙ stays ガ.
func alphabetic(r rune) bool {
	return r < 0x0530 || (r >= 0x1E00 && r <= 0x1FFF) || (r >= 0x2C60 && r <= 0x2C7F) || (r >= 0xA720 && r <= 0xA7FF)
}

// enclosedStrip reports runes whose NFKC form wraps the letter in
// parentheses or a trailing period (⑴ ⒈ ⒜ 🄐 ㈪): only the letter is kept.
func enclosedStrip(r rune) bool {
	return (r >= 0x2474 && r <= 0x24B5) || (r >= 0x1F100 && r <= 0x1F12A) || (r >= 0x3200 && r <= 0x3243)
}

// fold1 is one folding step for a non-ASCII rune; ok=false means unchanged.
func fold1(r rune, sty map[rune]string) (string, bool) {
	if s, ok := sty[r]; ok {
		return s, true
	}
	if r >= 0x2E80 { // CJK radicals and beyond: the only place T→S applies
		if s := toSimplified(r); s != r {
			return string(s), true
		}
	}
	if classOf(r) == clsDrop {
		return "", false // dropped by class, no mapping needed
	}
	if norm.NFKD.PropertiesString(string(r)).Decomposition() != nil {
		d := norm.NFKD.String(string(r))
		var b strings.Builder
		alpha := true
		for _, c := range d {
			if unicode.In(c, unicode.Mn, unicode.Me) {
				continue
			}
			alpha = alpha && alphabetic(c)
			b.WriteRune(c)
		}
		s := b.String()
		if !alpha {
			s = norm.NFKC.String(string(r))
		}
		if enclosedStrip(r) {
			s = strings.Map(func(c rune) rune {
				switch c {
				case '(', ')', '.', ',', '〔', '〕':
					return -1
				}
				return c
			}, s)
		}
		if s != string(r) {
			return s, true
		}
	}
	if l := unicode.ToLower(r); l != r {
		return string(l), true
	}
	if unicode.IsDigit(r) {
		if v := digitValue(r); v >= 0 {
			return string(rune('0' + v)), true
		}
	}
	return "", false
}

// digitValue finds the value of a decimal digit: Unicode lays Nd digits
// out in runs of ten starting at zero.
func digitValue(r rune) int {
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) && rg.Stride == 1 {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) && rg.Stride == 1 {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return -1
}

// fixFold folds r repeatedly until nothing changes, so the fold is
// idempotent (🄐 → (A) → A → a).
func fixFold(r rune, sty map[rune]string, depth int) (string, bool) {
	if r < utf8.RuneSelf {
		c := asciiTab[r]
		if rune(c.r) != r {
			return string(rune(c.r)), true
		}
		return "", false
	}
	s, ok := fold1(r, sty)
	if !ok || depth > 4 {
		return s, ok
	}
	var b strings.Builder
	for _, c := range s {
		if classOf(c) == clsDrop && c != r {
			continue
		}
		if c == r {
			b.WriteRune(c)
			continue
		}
		if t, ok := fixFold(c, sty, depth+1); ok {
			b.WriteString(t)
		} else {
			b.WriteRune(c)
		}
	}
	return b.String(), true
}

// foldRune appends the tokens of original rune r (code point index i).
func (z *Normalizer) foldRune(dst []token, r rune, i int32) []token {
	if r < utf8.RuneSelf {
		a := asciiTab[r]
		if a.cls == clsDrop {
			return extendPrev(dst, i)
		}
		return append(dst, token{r: rune(a.r), s: i, e: i + 1, cls: a.cls})
	}
	if r >= tblSize {
		if s, ok := tsExtra[r]; ok {
			r = s
		}
		cls := slowClass(r)
		if cls == clsDrop {
			return extendPrev(dst, i)
		}
		return append(dst, token{r: r, s: i, e: i + 1, cls: cls})
	}
	if r >= 0xFF01 && r <= 0xFF5E {
		// Fullwidth ASCII (，！？：Ａ１): common enough in Chinese text to
		// skip the map.
		a := asciiTab[r-0xFEE0]
		if a.r == '+' {
			z.plus = true
		}
		return append(dst, token{r: rune(a.r), s: i, e: i + 1, cls: a.cls})
	}
	inf := tblInfo[r]
	if inf&fMapped == 0 {
		if inf&clsMask == clsDrop {
			return extendPrev(dst, i)
		}
		t := token{r: r, s: i, e: i + 1, cls: inf & clsMask}
		if inf&fHomo != 0 {
			t.h = homoMap[r]
			z.homo = true
		}
		if inf&fNumeral != 0 {
			z.numerals = true
		}
		return append(dst, t)
	}
	if r >= cjkLo && r <= cjkHi {
		s := tsDense[r-cjkLo]
		if s < tblSize && tblInfo[s]&fNumeral != 0 {
			z.numerals = true
		}
		return append(dst, token{r: s, s: i, e: i + 1, cls: classOf(s)})
	}
	out := foldMap[r]
	if out == "" {
		return extendPrev(dst, i)
	}
	if out == "+" {
		z.plus = true
	}
	h := homoMap[r]
	for _, c := range out {
		t := token{r: c, s: i, e: i + 1, cls: classOf(c)}
		if c < tblSize && tblInfo[c]&fNumeral != 0 {
			z.numerals = true
		}
		if len(out) == utf8.RuneLen(c) {
			if h == 0 {
				h = homoMap[c]
			}
			if h != 0 {
				t.h = h
				z.homo = true
			}
		}
		dst = append(dst, t)
	}
	return dst
}

// extendPrev attaches an invisible character (combining mark, keycap,
// variation selector, zero-width) to the token before it, so a highlighted
// match includes it: 8️⃣ maps back whole.
func extendPrev(dst []token, i int32) []token {
	if k := len(dst) - 1; k >= 0 && dst[k].e == i {
		dst[k].e = i + 1
	}
	return dst
}

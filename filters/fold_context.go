package filters

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Folds that depend on neighbouring characters. They run on the token slice
// after the per-rune fold; a token keeps the original code-point range it
// came from, and merged tokens take the union, so offsets survive.

// seg is a run of tokens of one kind, used to find spelled-out words.
type seg struct {
	a, b int32 // token range [a,b)
	kind uint8 // clsSpace (noise), clsWord, clsCJK
}

func isNoise(cls uint8) bool { return cls == clsSpace || cls == clsPunct || cls == clsDrop }

// context applies homoglyph, noise, numeral and repeat folds. The last
// three feed each other (removing noise can make a repeat run, collapsing a
// run can make a spelled-out word), so they repeat until nothing changes,
// which also makes NormalizeString idempotent.
func (z *Normalizer) context(toks []token) []token {
	if z.homo {
		foldHomoglyphs(toks)
	}
	if z.plus {
		foldPlus(toks)
	}
	for iter := 0; iter < 6; iter++ {
		var c2, c3 bool
		toks, _ = z.dropNoise(toks)
		if z.numerals {
			c2 = foldNumerals(toks)
		}
		toks, c3 = z.collapseRuns(toks)
		// dropNoise is idempotent on its own output, so another round
		// is needed only when numerals or runs changed the tokens.
		if !c2 && !c3 {
			break
		}
	}
	return toks
}

// foldPlus reads a plus sign as 加 ("add") where it starts a word: before
// a letter and not after a letter or digit (➕V, 请+vx, 微信+QQ; but not
// C++, a+b, +86 or 1+1), or before a Chinese character at the start of a
// word (➕薇, ＋我); between two Chinese characters it is decoration
// (狗+东西 is 狗东西).
func foldPlus(toks []token) {
	for k := range toks {
		if toks[k].r != '+' || k+1 == len(toks) {
			continue
		}
		// Spaces around the sign do not change what it joins (➕ V：id is
		// ➕V; a + b and Ctrl + V stay sums and shortcuts).
		p := k - 1
		for p >= 0 && k-p <= 2 && toks[p].cls == clsSpace {
			p--
		}
		var prev uint8 = clsSpace
		if p >= 0 {
			prev = toks[p].cls
			if prev == clsWord || toks[p].r == '+' {
				continue
			}
		}
		n := k + 1
		for n < len(toks) && n-k <= 2 && toks[n].cls == clsSpace {
			n++
		}
		if n == len(toks) {
			continue
		}
		// A sign with space before it and none after binds to what follows
		// (便宜 ➕我 is 加我), as a sum's sign does not (苹果+香蕉, 苹果 + 香蕉).
		if p < k-1 && n == k+1 && prev == clsCJK {
			prev = clsSpace
		}
		next := toks[n]
		if next.cls == clsWord && unicode.IsLetter(next.r) || next.cls == clsCJK && prev != clsCJK {
			toks[k].r, toks[k].cls = '加', clsCJK
		}
	}
}

func isCyrGreek(r rune) bool {
	return (r >= 0x0370 && r <= 0x052F) || (r >= 0x1F00 && r <= 0x1FFF)
}

// foldHomoglyphs replaces Cyrillic/Greek look-alikes by Latin letters inside
// words that have no Cyrillic/Greek letter without a Latin twin: "Ηello" and
// "ѵх" fold, "привет" does not.
func foldHomoglyphs(toks []token) {
	for k := 0; k < len(toks); {
		if toks[k].cls != clsWord {
			k++
			continue
		}
		j := k
		genuine, any := false, false
		for ; j < len(toks) && toks[j].cls == clsWord; j++ {
			if toks[j].h != 0 {
				any = true
			} else if isCyrGreek(toks[j].r) {
				genuine = true
			}
		}
		if any && !genuine {
			for m := k; m < j; m++ {
				if toks[m].h != 0 {
					toks[m].r = rune(toks[m].h)
				}
			}
		}
		k = j
	}
}

// dropNoise removes whitespace, punctuation and symbols inside words:
//   - at the start and end of the text;
//   - next to a CJK character (加*微*信, 加 微 信, 毛---主---席, 加 v 信);
//   - between single letters or digits spelling a word (f.u.c.k, f u c k,
//     1 3 8 ...), when at least three are chained.
//
// Between two alphabetic words the noise stays, with whitespace runs folded
// to one space, so "hello world" keeps its word break and URLs/e-mails keep
// their punctuation.
func (z *Normalizer) dropNoise(toks []token) ([]token, bool) {
	// Cheap pre-scan: most messages have no spelled-out words, and after
	// the first round no noise at all.
	singles, noise := 0, false
	for k := range toks {
		switch toks[k].cls {
		case clsWord:
			if (k == 0 || toks[k-1].cls != clsWord) && (k+1 == len(toks) || toks[k+1].cls != clsWord) {
				singles++
			}
		case clsCJK:
		default:
			noise = true
		}
	}
	if !noise {
		return toks, false
	}
	if singles >= 3 {
		z.markSpelled(toks)
	}
	return compactNoise(toks)
}

// markSpelled marks (as clsDrop) the separators between single letters or
// digits that spell a word: f.u.c.k, f u c k.
func (z *Normalizer) markSpelled(toks []token) {
	segs := z.segs[:0]
	for k := 0; k < len(toks); {
		kind := toks[k].cls
		if isNoise(kind) {
			kind = clsSpace
		}
		j := k + 1
		for j < len(toks) {
			c := toks[j].cls
			if isNoise(c) {
				c = clsSpace
			}
			if c != kind {
				break
			}
			j++
		}
		segs = append(segs, seg{int32(k), int32(j), kind})
		k = j
	}
	z.segs = segs
	single := func(i int) bool {
		return i < len(segs) && segs[i].kind == clsWord && segs[i].b-segs[i].a == 1
	}
	for i := 0; i < len(segs); i++ {
		if !single(i) {
			continue
		}
		// The separators must agree (f.u.c.k, f u c k), so a URL path
		// like /x?y=1 is not glued together.
		j, count := i, 1
		for j+2 < len(segs) && segs[j+1].kind == clsSpace && single(j+2) &&
			sepRune(toks[segs[j+1].a]) == sepRune(toks[segs[i+1].a]) {
			j += 2
			count++
		}
		if count >= 3 {
			for m := i + 1; m < j; m += 2 {
				for t := segs[m].a; t < segs[m].b; t++ {
					toks[t].cls = clsDrop
				}
			}
		}
		i = j
	}
}

// compactNoise drops or folds the noise runs (see dropNoise).
func compactNoise(toks []token) ([]token, bool) {
	changed := false
	w := 0
	for k := 0; k < len(toks); {
		if !isNoise(toks[k].cls) {
			if w != k {
				toks[w] = toks[k]
			}
			w++
			k++
			continue
		}
		j := k
		drop := false
		for j < len(toks) && isNoise(toks[j].cls) {
			drop = drop || toks[j].cls == clsDrop
			j++
		}
		if drop || w == 0 || j == len(toks) || toks[w-1].cls == clsCJK || toks[j].cls == clsCJK ||
			junkRun(toks[k:j]) {
			changed = true
			k = j
			continue
		}
		for ; k < j; k++ {
			t := toks[k]
			if t.cls == clsSpace {
				if toks[w-1].cls == clsSpace {
					toks[w-1].e = t.e
					changed = true
					continue
				}
				if t.r != ' ' {
					t.r = ' '
					changed = true
				}
			}
			toks[w] = t
			w++
		}
	}
	return toks[:w], changed
}

// foldNumerals turns Chinese numerals into digits inside a run of at least
// five numeral-like characters (digits and numerals, single separators
// allowed between digits): 一三八零零一三八零零零 is a phone number, 零售 and
// 三八 stay words.
func foldNumerals(toks []token) bool {
	changed := false
	numeral := func(t token) (cn, ok bool) {
		if t.r >= '0' && t.r <= '9' {
			return false, true
		}
		if t.cls == clsCJK && t.r < tblSize && tblInfo[t.r]&fNumeral != 0 {
			return true, true
		}
		return false, false
	}
	// Most texts have a stray numeral or two: count before looking for runs.
	total, cn := 0, false
	for k := range toks {
		if c, ok := numeral(toks[k]); ok {
			total++
			cn = cn || c
		}
	}
	if total < 5 || !cn {
		return false
	}
	for k := 0; k < len(toks); {
		if _, ok := numeral(toks[k]); !ok {
			k++
			continue
		}
		j, count, hasCN := k, 0, false
		for j < len(toks) {
			cn, ok := numeral(toks[j])
			if !ok {
				if isSep(toks[j].r) && j+1 < len(toks) && j > k {
					if _, ok2 := numeral(toks[j+1]); ok2 {
						j++
						continue
					}
				}
				break
			}
			count++
			hasCN = hasCN || cn
			j++
		}
		if count >= 5 && hasCN {
			for m := k; m < j; m++ {
				if cn, _ := numeral(toks[m]); cn {
					toks[m].r = rune(numeralVal[toks[m].r])
					toks[m].cls = clsWord
					changed = true
				}
			}
		}
		k = j
	}
	return changed
}

// sepRune is the separator a noise token stands for; all whitespace counts
// as one space (compaction folds it so).
func sepRune(t token) rune {
	if t.cls == clsSpace {
		return ' '
	}
	return t.r
}

func isSep(r rune) bool { return r == ' ' || r == '-' || r == '.' }

// junkRun reports a run of symbols inside an alphabetic word that no
// address or number uses (fu*ck, al[]l, f🍆ck): it is dropped. Whitespace,
// the punctuation of URLs, e-mail and numbers (. @ - _ / : ? = & % + # ~
// ' , ;) and non-ASCII punctuation (、，。) stay.
func junkRun(run []token) bool {
	for _, t := range run {
		if t.cls != clsPunct {
			return false
		}
		if t.r < utf8.RuneSelf {
			if strings.IndexByte(".@-_/:?=&%+#~',;", byte(t.r)) >= 0 {
				return false
			}
		} else if !unicode.In(t.r, unicode.So, unicode.Sk, unicode.Sm) {
			return false // 、，。 between words separate them
		}
	}
	return true
}

// collapseRuns folds a run of three or more identical characters to one
// (傻傻傻逼, fuuuck, !!!), and a pair of the same letter written two
// different ways (Ⓕf, cⓒ). Digits are never collapsed (phone numbers need
// them), nor the "www" of "www.".
func (z *Normalizer) collapseRuns(toks []token) ([]token, bool) {
	// Most texts have no run to collapse: find the first one before copying.
	first := -1
	for k := 1; k < len(toks); k++ {
		if toks[k].r == toks[k-1].r && (k >= 2 && toks[k].r == toks[k-2].r || z.styledPair(toks[k-1], toks[k])) {
			first = k - 1
			if k >= 2 && toks[k].r == toks[k-2].r {
				first = k - 2
			}
			break
		}
	}
	if first < 0 {
		return toks, false
	}
	changed := false
	w := first
	for k := first; k < len(toks); {
		t := toks[k]
		j := k + 1
		for j < len(toks) && toks[j].r == t.r {
			j++
		}
		n := j - k
		if n >= 3 && !(t.r >= '0' && t.r <= '9') && !(t.r == 'w' && n == 3 && j < len(toks) && toks[j].r == '.') &&
			!maskedDigitRun(toks, k, j) ||
			n == 2 && z.styledPair(toks[k], toks[k+1]) {
			t.e = toks[j-1].e
			toks[w] = t
			w++
			changed = true
		} else {
			copy(toks[w:], toks[k:j])
			w += n
		}
		k = j
	}
	return toks[:w], changed
}

// maskedDigitRun reports toks[k:j], a run of x, as part of a number whose
// digits were masked before the text reached the gateway ("电话xxxxxxxxxxx",
// "xxxx xxxx xxxx xxxx 招行"): runs of x joined by single separators, seven
// x or more in all, touching no other Latin letter. Kept whole, the
// detectors still read the number's shape.
func maskedDigitRun(toks []token, k, j int) bool {
	if toks[k].r != 'x' {
		return false
	}
	sep := func(i int) bool {
		if i < 0 || i >= len(toks) {
			return false
		}
		r := toks[i].r
		return r == ' ' || r == '-' || r == '.' || r == '*'
	}
	isX := func(i int) bool { return i >= 0 && i < len(toks) && toks[i].r == 'x' }
	a, b := k, j
	for {
		switch {
		case isX(a - 1):
			a--
		case sep(a-1) && isX(a-2):
			a -= 2
		default:
			goto right
		}
	}
right:
	for {
		switch {
		case isX(b):
			b++
		case sep(b) && isX(b+1):
			b += 2
		default:
			goto done
		}
	}
done:
	n := 0
	for i := a; i < b; i++ {
		if toks[i].r == 'x' {
			n++
		}
	}
	letter := func(i int) bool { return i >= 0 && i < len(toks) && toks[i].r >= 'a' && toks[i].r <= 'z' }
	return n >= 7 && !letter(a-1) && !letter(b)
}

// styledPair reports two tokens that fold to the same ASCII letter from
// different original characters, at least one of them styled (Ⓕf, ⓤu):
// natural text never writes a letter twice that way, evasion does.
func (z *Normalizer) styledPair(a, b token) bool {
	if a.r != b.r || a.r < 'a' || a.r > 'z' {
		return false
	}
	o := z.n.orig
	ra, _ := utf8.DecodeRuneInString(o[z.n.origByte[a.s]:])
	rb, _ := utf8.DecodeRuneInString(o[z.n.origByte[b.s]:])
	return ra != rb && (ra >= utf8.RuneSelf || rb >= utf8.RuneSelf)
}

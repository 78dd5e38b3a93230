package filters

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// ---- sentence boundaries ----

// isSentenceBreak reports punctuation that ends a sentence or clause. The
// normaliser drops it next to Chinese characters (so 加，微，信 still reads
// 加微信), which would let a term span two sentences: 门口，交通 → 口交.
func isSentenceBreak(r rune) bool {
	switch r {
	case '，', '。', '！', '？', '；', '：', '…', '、', '｡', '､', '‥',
		',', '.', '!', '?', ';', ':', '\n', '\r', '\u2028', '\u2029', '\u0085',
		'．', '︰', '︐', '︒', '︓', '︔', '︕', '︖', '︙', '﹐', '﹑', '﹒', '﹔', '﹕', '﹖', '﹗':
		return true
	}
	return false
}

// origClass is the token class of an original (unfolded) rune.
func origClass(r rune) uint8 {
	if r < tblSize {
		return tblInfo[r] & clsMask
	}
	return slowClass(r)
}

// gap inspects the original text the normaliser dropped between the
// normalised rune at byte a and the next one at byte b: whether it holds a
// sentence break and whether it holds any noise at all.
func (n *Normalized) gap(a, b int) (brk, noisy bool) {
	s, e := int(n.bs[a])+1, int(n.bs[b])
	if s >= e {
		return false, false
	}
	closed := false
	for _, r := range n.orig[n.origByte[s]:n.origByte[e]] {
		if isSentenceBreak(r) {
			return true, true
		}
		// A closing mark then an opening one (“积分兑换现金”“网银…”, 》《)
		// separates two quoted items as a comma would: 现金 + 网 is not 现金网.
		switch {
		case isClosingMark(r):
			closed = true
		case closed && isOpeningMark(r):
			return true, true
		}
		if isNoise(origClass(r)) {
			noisy = true
		}
	}
	return false, noisy
}

func isClosingMark(r rune) bool { return strings.ContainsRune("”’」』》】）〉〕］)]", r) }

func isOpeningMark(r rune) bool { return strings.ContainsRune("“‘「『《【（〈〔［([", r) }

// sentenceOK reports whether a hit on normalised bytes [a,b) may stand: it
// must not span a sentence break, unless the text shows the evasion
// pattern — noise between every two characters of the hit (加，微，信) —
// and, for a two-character hit, the hit is not glued to the text on both
// sides (门口，交通: 口 sticks to 门 and 交 to 通, so 口交 is two words of
// two sentences).
func (n *Normalized) sentenceOK(a, b int) bool {
	t := n.Text
	_, size := utf8.DecodeRuneInString(t[a:])
	if a+size >= b {
		return true
	}
	anyBreak, allNoisy := false, true
	prev, last, gaps := a, a, 0
	for i := a + size; i < b; {
		_, sz := utf8.DecodeRuneInString(t[i:])
		brk, noisy := n.gap(prev, i)
		anyBreak = anyBreak || brk
		allNoisy = allNoisy && noisy
		prev, last = i, i
		gaps++
		i += sz
	}
	if !anyBreak {
		return true
	}
	if !allNoisy {
		return false
	}
	if gaps > 1 {
		return true // 快加，微，信啊: three characters each set apart
	}
	glued := func(p, q int) bool { // runes at p and q touch in the original
		if _, noisy := n.gap(p, q); noisy {
			return false
		}
		r1, _ := utf8.DecodeRuneInString(t[p:])
		r2, _ := utf8.DecodeRuneInString(t[q:])
		return !isNoise(classOf(r1)) && !isNoise(classOf(r2))
	}
	left := false
	if a > 0 {
		_, sz := utf8.DecodeLastRuneInString(t[:a])
		left = glued(a-sz, a)
	}
	right := b < len(t) && glued(last, b)
	return !(left && right)
}

// ---- word boundaries ----

// words.txt.gz: Chinese words of 2-4 characters with a corpus frequency of
// at least 10, as "word log2(frequency)" lines, from the jieba dictionary
// shipped in github.com/go-ego/gse (see internal/genwords). It is loaded on
// first use, when a lexicon has `@boundary word` terms.
//
//go:generate go run ./internal/genwords -o words.txt.gz
//go:embed words.txt.gz
var wordsGz []byte

var (
	wordsOnce sync.Once
	wordFreq  map[string]uint8 // word -> log2(frequency)+1
	wordsErr  error
)

func loadWords() error {
	wordsOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(wordsGz))
		if err != nil {
			wordsErr = err
			return
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			wordsErr = err
			return
		}
		all := string(b)
		wordFreq = make(map[string]uint8, strings.Count(all, "\n"))
		for line := range strings.SplitSeq(all, "\n") {
			w, f, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			v := 0
			for i := 0; i < len(f); i++ {
				v = v*10 + int(f[i]-'0')
			}
			wordFreq[w] = uint8(min(v, 250)) + 1
		}
	})
	return wordsErr
}

// commonChars is the set of the most frequent Han characters, by the summed
// frequency of the dictionary words they occur in (see commonChar).
var (
	commonOnce  sync.Once
	commonChars map[rune]bool
)

// commonCharCount is how many characters count as common: about what a
// reader knows without thinking (GB2312 level 1 has 3,755).
const commonCharCount = 3500

// commonChar reports whether r is one of the commonCharCount most frequent
// Han characters. A homophone spelled with rarer characters (铳植) is a
// deliberate disguise; one spelled with common ones (一笑 for 一肖) may be
// ordinary text.
func commonChar(r rune) bool {
	commonOnce.Do(func() {
		commonChars = map[rune]bool{}
		if loadWords() != nil {
			return
		}
		w := map[rune]float64{}
		for word, f := range wordFreq {
			v := math.Exp2(float64(f - 1))
			for _, c := range word {
				w[c] += v
			}
		}
		cs := make([]rune, 0, len(w))
		for c := range w {
			cs = append(cs, c)
		}
		sort.Slice(cs, func(i, j int) bool {
			if w[cs[i]] != w[cs[j]] {
				return w[cs[i]] > w[cs[j]]
			}
			return cs[i] < cs[j]
		})
		for _, c := range cs[:min(commonCharCount, len(cs))] {
			commonChars[c] = true
		}
	})
	return commonChars[r]
}

// maxWordRunes is the longest dictionary word (runes).
const maxWordRunes = 4

// wordOK reports whether the hit on normalised bytes [a,b) is a word of
// its own: no ordinary dictionary word at least as frequent as the hit
// overlaps it and reaches outside it (出租 in 出租车, 日入 in X日入住, 中特
// in 书中特别, 买码 in 购买码数).
func (n *Normalized) wordOK(a, b int) bool {
	t := n.Text
	// Rune starts from up to maxWordRunes-1 runes before a to
	// maxWordRunes-1 runes after b.
	var pos [2*maxWordRunes + 16]int
	k := 0
	s := a
	for range maxWordRunes - 1 {
		if s == 0 {
			break
		}
		_, sz := utf8.DecodeLastRuneInString(t[:s])
		s -= sz
	}
	e := b
	for range maxWordRunes - 1 {
		if e >= len(t) {
			break
		}
		_, sz := utf8.DecodeRuneInString(t[e:])
		e += sz
	}
	for i := s; i <= e && k < len(pos); {
		pos[k] = i
		k++
		if i == e {
			break
		}
		_, sz := utf8.DecodeRuneInString(t[i:])
		i += sz
	}
	own := wordFreq[t[a:b]]
	for i := 0; i < k; i++ {
		if pos[i] >= b {
			break
		}
		for j := i + 2; j < k && j <= i+maxWordRunes; j++ {
			ws, we := pos[i], pos[j]
			if we <= a || (ws >= a && we <= b) {
				continue // no overlap, or inside the hit
			}
			if f := wordFreq[t[ws:we]]; f != 0 && f >= own {
				return false
			}
		}
	}
	return true
}

// variantWordOK screens a homophone hit: evasions are odd pairings (菜金,
// 铳植, 凯户), while a hit that is an ordinary word (下周 for 下注, 亚洲 for
// 押注) or part of one (为什么 for 薇信) is ordinary text.
func (n *Normalized) variantWordOK(a, b int) bool {
	if wordFreq[n.Text[a:b]] != 0 {
		return false
	}
	return n.wordOK(a, b)
}

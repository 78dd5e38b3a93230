package filters

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// TestPinyinTableMatchesLibrary: the generated table gives every character
// go-pinyin knows the library's own first toneless reading.
func TestPinyinTableMatchesLibrary(t *testing.T) {
	initPinyin()
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	a.Heteronym = true
	checked := 0
	for k := range pinyin.PinyinDict {
		r := rune(k)
		if _, shaped := shapeMap[r]; shaped {
			continue // reads as the character it imitates (TestShapeTable)
		}
		want := pinyin.SinglePinyin(r, a)
		if len(want) == 0 {
			continue
		}
		w0 := strings.ReplaceAll(want[0], "ü", "v")
		if got := pySyl[primaryReading(r)]; got != w0 {
			t.Errorf("%c: primary reading %q, library %q", r, got, w0)
		}
		checked++
	}
	if checked < 40000 {
		t.Errorf("only %d characters checked", checked)
	}
	for _, c := range []struct {
		r    rune
		want string
	}{{'微', "wei"}, {'彩', "cai"}, {'菜', "cai"}, {'铳', "chong"}, {'充', "chong"}, {'绿', "lv"}, {'氷', "shui"}, {'徾', "wei"}} {
		if got := Syllable(c.r); got != c.want {
			t.Errorf("Syllable(%c) = %q, want %q", c.r, got, c.want)
		}
	}
}

// TestPinyinTableUpToDate regenerates pinyin_table.go with the library in
// go.mod and compares.
func TestPinyinTableUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generator")
	}
	dst := filepath.Join(t.TempDir(), "pinyin_table.go")
	cmd := exec.Command("go", "run", "./internal/genpinyin", "-o", dst)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	want, _ := os.ReadFile("pinyin_table.go")
	got, _ := os.ReadFile(dst)
	if string(got) != string(want) {
		t.Errorf("pinyin_table.go is stale: run go generate ./filters")
	}
}

// TestWordsUpToDate regenerates words.txt.gz from the gse module in the
// local module cache; skipped when it is absent.
func TestWordsUpToDate(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("go env:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "github.com/go-ego/gse@v0.80.3/data/dict/zh/s_1.txt")
	if _, err := os.Stat(src); err != nil {
		t.Skip("gse module not in the module cache")
	}
	dst := filepath.Join(t.TempDir(), "words.txt.gz")
	cmd := exec.Command("go", "run", "./internal/genwords", "-src", src, "-o", dst)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	want, _ := os.ReadFile("words.txt.gz")
	got, _ := os.ReadFile(dst)
	if string(got) != string(want) {
		t.Errorf("words.txt.gz is stale: run go generate ./filters")
	}
}

// TestShapeTable: look-alike sources are rare characters (outside GB 2312
// level 1, the 3,755 most common), targets are common ones with a reading,
// both encode to the same number of UTF-8 bytes (the folded text keeps its
// offsets) and no source is also a target (the fold is one step).
func TestShapeTable(t *testing.T) {
	initPinyin()
	enc := simplifiedchinese.GBK.NewEncoder()
	level1 := func(r rune) bool {
		b, err := enc.Bytes([]byte(string(r)))
		return err == nil && len(b) == 2 && b[0] >= 0xB0 && b[0] <= 0xD7 && b[1] >= 0xA1
	}
	if len(shapeMap) < 40 {
		t.Fatalf("shape table has %d pairs", len(shapeMap))
	}
	for src, dst := range shapeMap {
		if level1(src) {
			t.Errorf("%c→%c: source is a common character (GB 2312 level 1)", src, dst)
		}
		if utf8.RuneLen(src) != utf8.RuneLen(dst) {
			t.Errorf("%c→%c: UTF-8 lengths differ", src, dst)
		}
		if _, ok := shapeMap[dst]; ok {
			t.Errorf("%c→%c: target is itself folded", src, dst)
		}
		if src < cjkLo || src > cjkHi {
			t.Errorf("%c: source outside the dense CJK range the scan checks", src)
		}
		if primaryReading(dst) == 0 {
			t.Errorf("%c→%c: target has no reading", src, dst)
		}
		if toSimplified(src) != src {
			t.Errorf("%c: the traditional→simplified fold already maps it to %c", src, toSimplified(src))
		}
	}
}

func TestSegmentPinyin(t *testing.T) {
	initPinyin()
	cases := []struct {
		in   string
		want string // syllables joined by space; "" = does not split
	}{
		{"jiaweixin", "jia wei xin"},
		{"weixin", "wei xin"},
		{"xian", "xian"},
		{"zhuangqian", "zhuang qian"},
		{"lvse", "lv se"},
		{"hello", ""},
		{"vx", ""},
		{"qq", ""},
		{"kk", ""},
		{"ng", ""},            // bare nasals are not spelled syllables
		{"change", "chang e"}, // English may spell pinyin; terms need 2+ syllables in a row
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			ids, _, ok := segmentPinyin(c.in, nil, nil)
			var got []string
			for _, id := range ids {
				got = append(got, pySyl[id])
			}
			if !ok {
				got = nil
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("segment %q = %q, want %q", c.in, g, c.want)
			}
		})
	}
}

func variantTestFilter(t *testing.T) *Filter {
	t.Helper()
	term := func(text, cat, variants, boundary string) modgate.Term {
		return modgate.Term{Text: text, Category: cat, Severity: 2, Variants: variants, Boundary: boundary, File: "v.txt"}
	}
	lex := modgate.Lexicon{Terms: []modgate.Term{
		term("彩金", "gambling", "pinyin", ""),
		term("充值", "gambling", "pinyin", ""),
		term("开户", "gambling", "pinyin", ""),
		term("网址", "contact", "pinyin", ""),
		term("威尼斯人", "gambling", "pinyin", ""),
		term("开票", "illegal", "pinyin", ""),
		term("增值票", "illegal", "pinyin", ""),
		term("加微信", "contact", "pinyin", ""),
		term("v信", "contact", "pinyin", ""),
		term("存送", "gambling", "shape", ""),
		term("冰毒", "illegal", "", ""),        // no variants: 兵毒 must not match
		term("下注", "gambling", "pinyin", ""), // 下周 is an ordinary word
		term("洗码", "gambling", "pinyin", ""), // 西马路: 马路 is a word
		term("口交", "porn", "", ""),
		{Text: "路口交通", Allow: true},
	}}
	f, err := New(lex, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// variantShort renders lexicon matches as "term[start,end)=text/variant".
func variantShort(ms []modgate.Match) []string {
	var out []string
	for _, m := range ms {
		if m.Source != modgate.SourceLexicon {
			continue
		}
		s := m.Term + "[" + itoa(m.Start) + "," + itoa(m.End) + ")=" + m.Text
		if m.Variant != "" {
			s += "/" + m.Variant
		}
		out = append(out, s)
	}
	return out
}

func TestVariants(t *testing.T) {
	f := variantTestFilter(t)
	cases := []struct {
		name, text string
		want       []string
	}{
		{"homophone 菜金", "首充送菜金", []string{"彩金[3,5)=菜金/pinyin"}},
		{"homophone 铳植", "铳植就送", []string{"充值[0,2)=铳植/pinyin"}},
		{"homophone 凯户", "在线凯户", []string{"开户[2,4)=凯户/pinyin"}},
		{"traditional first 網止", "網止：xx", []string{"网址[0,2)=網止/pinyin"}},
		{"homophone 喂尼斯人", "喂尼斯人娱乐", []string{"威尼斯人[0,4)=喂尼斯人/pinyin"}},
		{"look-alike 開嘌", "代開嘌", []string{"开票[1,3)=開嘌/shape"}},
		{"look-alike 增值嘌", "增值嘌优惠", []string{"增值票[0,3)=增值嘌/shape"}},
		{"shape-only term, look-alike", "首侟送", []string{"存送[1,3)=侟送/shape"}},
		{"shape-only term ignores homophones", "首村送", nil},
		{"latin pinyin with spaces", "jia wei xin", []string{"加微信[0,11)=jia wei xin/pinyin"}},
		{"latin pinyin joined", "快jiaweixin吧", []string{"加微信[1,10)=jiaweixin/pinyin"}},
		{"latin pinyin upper case", "JIA WEI XIN", []string{"加微信[0,11)=JIA WEI XIN/pinyin"}},
		{"mixed hanzi and pinyin", "加weixin", []string{"加微信[0,7)=加weixin/pinyin"}},
		{"literal latin in a term", "加V芯", []string{"v信[1,3)=V芯/pinyin"}},
		{"literal hit is not repeated as a variant", "加微信", []string{"加微信[0,3)=加微信"}},
		{"emoji in place of a character", "快加🛰️信", []string{"加微信[1,5)=加🛰️信/pinyin"}},
		{"㊙ in place of a character", "加㊙️信有惊喜", []string{"加微信[0,4)=加㊙️信/pinyin"}},
		{"heart for 信", "加薇❤ 了解", []string{"加微信[0,3)=加薇❤/pinyin"}},
		{"heart at the end", "加薇❤", []string{"加微信[0,3)=加薇❤/pinyin"}},
		{"heart kept between latin words", "V❤：abc", []string{"v信[0,2)=V❤/pinyin"}},
		{"emoji between the characters is noise for the literal term", "开🌹户", []string{"开户[0,3)=开🌹户"}},
		{"two emoji are decoration, not a character", "加🌹🌹信", nil},
		{"heart as decoration", "我爱你❤", nil},
		{"term without variants", "兵毒", nil},
		{"ordinary word homophone", "下周见", nil},
		{"part of an ordinary word", "在西马路口", nil},
		{"homophone that is no word", "洗嘛洗吗", []string{"洗码[0,2)=洗嘛/pinyin", "洗码[2,4)=洗吗/pinyin"}},
		{"english that spells pinyin", "change the game", nil},
		{"latin run that does not split", "jiaweixinx", nil},
		{"allow phrase still wins", "路口交通", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fd, err := f.Scan(c.text)
			if err != nil {
				t.Fatal(err)
			}
			got := variantShort(fd.Matches)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("Scan(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

// TestVariantFlagsRejected: a bad Variants or Boundary value fails the
// build with the term's file and line.
func TestVariantFlagsRejected(t *testing.T) {
	_, err := New(modgate.Lexicon{Terms: []modgate.Term{{Text: "彩金", Category: "gambling", Severity: 2, Variants: "sound", File: "x.txt", Line: 3}}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "x.txt:3") || !strings.Contains(err.Error(), `unknown variant "sound"`) {
		t.Errorf("err = %v", err)
	}
	_, err = New(modgate.Lexicon{Terms: []modgate.Term{{Text: "出租", Category: "illegal", Severity: 2, Boundary: "line", File: "x.txt", Line: 4}}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "x.txt:4") {
		t.Errorf("err = %v", err)
	}
}

// TestIsHeart: the fast test agrees with the stand-in list.
func TestIsHeart(t *testing.T) {
	initPinyin()
	want := map[rune]bool{}
	for _, r := range heartStandIns {
		want[r] = true
	}
	for r := rune(0); r < 0x20000; r++ {
		if isHeart(r) != want[r] {
			t.Errorf("isHeart(%U %c) = %v", r, r, isHeart(r))
		}
	}
}

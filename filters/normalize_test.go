package filters

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

type foldCase struct{ name, in, want string }

// foldTables groups the normaliser's expectations by fold; the fuzz target
// is seeded from the same inputs.
var foldTables = map[string][]foldCase{
	"width": {
		{"fullwidth latin", "ＡＢＣ", "abc"},
		{"fullwidth digits", "１３８", "138"},
		{"fullwidth punctuation kept between latin", "ａ，ｂ", "a,b"},
		{"halfwidth katakana", "ｶﾀｶﾅ", "カタカナ"},
		{"ideographic space between latin", "hello\u3000world", "hello world"},
	},
	"case": {
		{"ascii", "Hello WORLD", "hello world"},
		{"latin-1", "ÀÉÎ", "aei"},
		{"cyrillic word", "ПРИВЕТ", "привет"},
	},
	"nfkc": {
		{"ligature", "ﬁnd", "find"},
		{"accent stripped", "café", "cafe"},
		{"roman numeral", "Ⅻ", "xii"},
		{"kangxi radical", "⼭", "山"},
		{"compatibility ideograph", "豈", "岂"},
		{"unit", "㎏", "kg"},
	},
	"traditional": {
		{"common", "萬與後髮", "万与后发"},
		{"sentence", "請加我們的群組", "请加我们的群组"},
		{"first candidate", "乾杯", "干杯"},
		{"numerals", "貳陸", "贰陆"},
		{"simplified unchanged", "简体中文", "简体中文"},
	},
	"styled": {
		{"circled and parenthesized letters", "Ⓕⓤc⒦", "fuck"},
		{"math bold", "𝐟𝐮𝐜𝐤", "fuck"},
		{"math double-struck", "𝕗𝕦𝕔𝕜", "fuck"},
		{"circled numbers", "①⑴⒈➀㈠", "11111"},
		{"negative circled", "❶➊⓫⓿", "11110"},
		{"circled ideograph", "㊀㊁", "12"},
		{"superscripts", "x²³", "x23"},
		{"subscripts", "h₂o", "h2o"},
		{"keycaps", "1️⃣3️⃣8️⃣", "138"},
		{"keycap ten", "🔟", "10"},
		{"emoji letters", "🅰🅱🅲", "abc"},
		{"negative circled letters", "🅐🅑", "ab"},
		{"squared letters", "🄰🄱", "ab"},
		{"regional indicators", "🇻🇽", "vx"},
		{"small capitals", "ꜰᴜᴄᴋ", "fuck"},
		{"arabic-indic digits", "١٣٨", "138"},
	},
	"noise": {
		{"asterisks between cjk", "加*微*信", "加微信"},
		{"spaces between cjk", "加 微 信", "加微信"},
		{"symbol between cjk", "傻@逼", "傻逼"},
		{"dashes between cjk", "毛---主---席", "毛主席"},
		{"emoji between cjk", "加🍎微🍎信", "加微信"},
		{"latin between cjk", "加 v 信", "加v信"},
		{"cjk punctuation", "你好，世界！", "你好世界"},
		{"dotted letters", "f.u.c.k you", "fuck you"},
		{"spaced letters", "f u c k", "fuck"},
		{"starred letters", "f*u*c*k", "fuck"},
		{"spaced digits", "1 3 8 0 0", "13800"},
		{"word break kept", "hello   world", "hello world"},
		{"two singles kept", "a b", "a b"},
		{"mixed separators kept", "x?y=1", "x?y=1"},
		{"url kept", "www.example.com/a", "www.example.com/a"},
		{"email kept", "a.b@c.com", "a.b@c.com"},
		{"edges trimmed", "  !hello!  ", "hello"},
		{"junk inside word", "fu*ck al[]l", "fuck all"},
		{"emoji inside word", "f🍆ck", "fck"},
		{"html tags around cjk", "<p>傻逼</p>", "p傻逼p"},
		{"brackets in cjk", "我是【中]国【人", "我是中国人"},
		{"number punctuation kept", "1,000.50", "1,000.50"},
		{"digit groups kept", "138 0013 8000", "138 0013 8000"},
	},
	"invisible": {
		{"zero-width space", "加\u200b微\u200b信", "加微信"},
		{"zero-width joiner in latin", "f\u200du\u200dck", "fuck"},
		{"bidi override", "a\u202eb\u202cc", "abc"},
		{"bom", "\ufeffhi", "hi"},
		{"soft hyphen", "fu\u00adck", "fuck"},
		{"combining marks (zalgo)", "f\u0338u\u0338c\u0338k\u0338", "fuck"},
		{"variation selector", "信\ufe0f", "信"},
	},
	"repeats": {
		{"cjk run", "傻傻傻逼", "傻逼"},
		{"latin run", "fuuuuck", "fuck"},
		{"two kept", "hello", "hello"},
		{"punctuation run", "wow!!! ok", "wow! ok"},
		{"digits never collapsed", "13888888888", "13888888888"},
		{"www kept", "www.a.com", "www.a.com"},
		{"styled doubles", "ⒻⒻⒻfⓤuⓤ⒰cⓒ⒦", "fuck"},
		{"plain doubles kept", "all good", "all good"},
		{"fullwidth doubles kept", "ａｌｌ", "all"},
		{"ligature kept", "ﬀ", "ff"},
		{"after noise removal", "傻 傻 傻 逼", "傻逼"},
	},
	"homoglyphs": {
		{"greek eta in latin word", "Ηello", "hello"},
		{"cyrillic in latin word", "fасk", "fack"},
		{"all look-alikes", "ѵх", "vx"},
		{"russian word kept", "привет", "привет"},
		{"mixed kept", "мир", "мир"},
		{"greek word kept", "λόγος", "λογος"},
	},
	"numerals": {
		{"phone in numerals", "一三八零零一三八零零零", "13800138000"},
		{"financial numerals", "壹叁捌零零壹叁捌零零零", "13800138000"},
		{"traditional financial", "壹貳叁肆伍", "12345"},
		{"yao as one", "幺三八零零", "13800"},
		{"mixed with digits", "138零零一三八零零零", "13800138000"},
		{"spaced numerals", "一 三 八 零 零", "13800"},
		{"retail stays", "零售", "零售"},
		{"short run stays", "三八", "三八"},
		{"four stay", "一二三四", "一二三四"},
		{"circled zero ideograph", "一三八〇〇一三八〇〇〇", "13800138000"},
	},
}

func TestNormalizeFolds(t *testing.T) {
	for fold, cases := range foldTables {
		for _, c := range cases {
			t.Run(fold+"/"+c.name, func(t *testing.T) {
				if got := NormalizeString(c.in); got != c.want {
					t.Errorf("NormalizeString(%q) = %q, want %q", c.in, got, c.want)
				}
			})
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for fold, cases := range foldTables {
		for _, c := range cases {
			t.Run(fold+"/"+c.name, func(t *testing.T) {
				once := NormalizeString(c.in)
				if twice := NormalizeString(once); twice != once {
					t.Errorf("not idempotent: %q -> %q -> %q", c.in, once, twice)
				}
			})
		}
	}
}

// TestOrigMapsBack checks that a substring found in the folded text maps to
// the expected original substring.
func TestOrigMapsBack(t *testing.T) {
	cases := []struct {
		name, in, find, wantOrig string
		wantStart, wantEnd       int
	}{
		{"noise inside", "请加*微*信哦", "加微信", "加*微*信", 1, 6},
		{"fullwidth", "ＡＢ加ｖｘ", "vx", "ｖｘ", 3, 5},
		{"traditional", "請加微信", "请加", "請加", 0, 2},
		{"collapsed run", "你傻傻傻逼", "傻逼", "傻傻傻逼", 1, 5},
		{"astral styled", "x𝐟𝐮𝐜𝐤y", "fuck", "𝐟𝐮𝐜𝐤", 1, 5},
		{"keycap", "打1️⃣3️⃣8️⃣", "138", "1️⃣3️⃣8️⃣", 1, 10},
		{"numerals", "电话一三八零零一三八零零零", "13800138000", "一三八零零一三八零零零", 2, 13},
		{"multi-rune fold", "ﬁne", "fi", "ﬁ", 0, 1},
		{"ligature half", "ﬁne", "i", "ﬁ", 0, 1},
		{"zero width", "a\u200bb", "ab", "a\u200bb", 0, 3},
	}
	z := NewNormalizer()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := z.Normalize(c.in)
			bs := strings.Index(n.Text, c.find)
			if bs < 0 {
				t.Fatalf("%q not in folded %q", c.find, n.Text)
			}
			s, e := n.Orig(bs, bs+len(c.find))
			if s != c.wantStart || e != c.wantEnd {
				t.Errorf("Orig = [%d,%d), want [%d,%d)", s, e, c.wantStart, c.wantEnd)
			}
			if got := n.OrigText(s, e); got != c.wantOrig {
				t.Errorf("OrigText = %q, want %q", got, c.wantOrig)
			}
		})
	}
}

func TestOrigClamps(t *testing.T) {
	z := NewNormalizer()
	n := z.Normalize("Ｈｅｌｌｏ 世界")
	cases := []struct {
		name           string
		bs, be, ws, we int
	}{
		{"full", 0, len(n.Text), 0, 8},
		{"negative start", -5, 1, 0, 1},
		{"end past text", 0, 1000, 0, 8},
		{"reversed", 3, 1, 3, 3},
		{"empty at end", len(n.Text), len(n.Text), 8, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, e := n.Orig(c.bs, c.be)
			if s != c.ws || e != c.we {
				t.Errorf("Orig(%d,%d) = [%d,%d), want [%d,%d)", c.bs, c.be, s, e, c.ws, c.we)
			}
		})
	}
	if got := n.OrigText(-1, 100); got != "Ｈｅｌｌｏ 世界" {
		t.Errorf("OrigText clamped = %q", got)
	}
	if got := n.OrigText(5, 2); got != "" {
		t.Errorf("OrigText reversed = %q", got)
	}
}

func TestNormalizeInvalidUTF8(t *testing.T) {
	in := "a\xffb\xc3"
	n := NewNormalizer().Normalize(in)
	if !utf8.ValidString(n.Text) {
		t.Fatalf("invalid output %q", n.Text)
	}
	if want := "a\ufffdb\ufffd"; n.Text != want {
		t.Errorf("got %q, want %q", n.Text, want)
	}
	if s, e := n.Orig(0, len(n.Text)); s != 0 || e != utf8.RuneCountInString(in) {
		t.Errorf("Orig full = [%d,%d)", s, e)
	}
}

// TestNormalizerReuse checks that a reused Normalizer gives the same result
// as a fresh one (buffers are reset between calls).
func TestNormalizerReuse(t *testing.T) {
	z := NewNormalizer()
	long := z.Normalize(strings.Repeat("請加微信 abc ", 50)).Text
	short := z.Normalize("加V").Text
	if short != "加v" {
		t.Errorf("after a long text, got %q", short)
	}
	if again := NewNormalizer().Normalize(strings.Repeat("請加微信 abc ", 50)).Text; again != long {
		t.Errorf("fresh normalizer differs")
	}
	// A huge text, then a small one: the buffers are released and the
	// result is still right.
	huge := strings.Repeat("加 微 信 ", 8<<10)
	if got := z.Normalize(huge).Text; got != strings.Repeat("加微信", 8<<10) {
		t.Errorf("huge text folded wrong (len %d)", len(got))
	}
	n := z.Normalize("請加V")
	if n.Text != "请加v" || cap(z.toks) > 16<<10 {
		t.Errorf("after a huge text: %q, token buffer cap %d", n.Text, cap(z.toks))
	}
	if s, e := n.Orig(0, len(n.Text)); s != 0 || e != 3 {
		t.Errorf("Orig after reset = [%d,%d)", s, e)
	}
}

// TestNormalizeStringConcurrent: NormalizeString pools Normalizers and must
// be safe for concurrent use (lexicon loading and lint call it freely).
func TestNormalizeStringConcurrent(t *testing.T) {
	inputs := []string{"請加微信", "Ⓕⓤc⒦", "一三八零零一三八零零零", "hello   world", "傻傻傻逼"}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = NormalizeString(in)
	}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for k := 0; k < 200; k++ {
				i := (g + k) % len(inputs)
				if got := NormalizeString(inputs[i]); got != want[i] {
					done <- fmt.Errorf("NormalizeString(%q) = %q, want %q", inputs[i], got, want[i])
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

package filters

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

func testLexicon() modgate.Lexicon {
	term := func(text, cat, sub string, sev int) modgate.Term {
		return modgate.Term{Text: text, Category: cat, Subcategory: sub, Severity: sev, File: "t.txt"}
	}
	return modgate.Lexicon{Revision: "rev-1", Terms: []modgate.Term{
		term("加微信", "contact", "cue", 2),
		term("vx", "contact", "cue", 2),
		term("av", "porn", "", 3),
		term("sex", "porn", "", 3),
		term("national congress", "illegal", "", 2),
		term("口交", "porn", "", 3),
		{Text: "路口交通", Allow: true},
		term("稳赚不赔", "finance", "promise", 3),
		term("保本保息", "finance", "promise", 2),
		term("保本保息", "finance", "promise", 3), // merged: highest severity wins
		term("理财", "finance", "topic", 1),
		term("理财", "ads", "promo", 1), // same text, other category: both fire
		term("fuck", "abuse", "", 3),
		term("下三滥", "abuse", "", 2),
		term("有一个东西", "ads", "", 1),
		term("一个东西", "ads", "", 1),
		term("东西", "ads", "", 1),
		term("69", "porn", "", 1),
	}}
}

func newTestFilter(t testing.TB, engine string) *Filter {
	t.Helper()
	f, err := New(testLexicon(), Options{Engine: engine, MaxTextBytes: 256})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// short renders lexicon matches as "term[start,end)=text".
func short(ms []modgate.Match) []string {
	var out []string
	for _, m := range ms {
		if m.Source != modgate.SourceLexicon {
			continue
		}
		out = append(out, fmt.Sprintf("%s[%d,%d)=%s", m.Term, m.Start, m.End, m.Text))
	}
	return out
}

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"plain", "快加微信", []string{"加微信[1,4)=加微信"}},
		{"noise inside term maps to original span", "快加 微*信吧", []string{"加微信[1,6)=加 微*信"}},
		{"full-width latin", "ｆｕｃｋ you", []string{"fuck[0,4)=ｆｕｃｋ"}},
		{"case folded", "VX联系", []string{"vx[0,2)=VX"}},
		{"traditional chinese", "穩賺不賠", []string{"稳赚不赔[0,4)=穩賺不賠"}},
		{"word boundary inside word", "have a nice day", nil},
		{"word boundary inside Middlesex", "Middlesex", nil},
		{"word boundary ok", "av is bad, sex too", []string{"av[0,2)=av", "sex[11,14)=sex"}},
		{"digits next to letters are a boundary", "1av2", []string{"av[1,3)=av"}},
		{"cjk next to latin is a boundary", "看av片", []string{"av[1,3)=av"}},
		{"digit term inside longer number", "1695", nil},
		{"digit term", "69式", []string{"69[0,2)=69"}},
		{"multi-word latin term inside a word", "International Congress", nil},
		{"multi-word latin term", "the national congress", []string{"national congress[4,21)=national congress"}},
		{"allow phrase suppresses inner term", "路口交通很堵", nil},
		{"term outside allow phrase still fires", "路口交通和口交", []string{"口交[5,7)=口交"}},
		{"merged duplicate term", "保本保息", []string{"保本保息[0,4)=保本保息"}},
		{"same term two categories", "理财", []string{"理财[0,2)=理财", "理财[0,2)=理财"}},
		{"overlapping all reported", "我有一个东西", []string{"有一个东西[1,6)=有一个东西", "一个东西[2,6)=一个东西", "东西[4,6)=东西"}},
		{"numeral variant", "下3滥招式", []string{"下三滥[0,3)=下3滥"}},
		{"clean", "今天天气不错", nil},
	}
	for _, engine := range []string{EngineCompact, EngineCloudflare} {
		f := newTestFilter(t, engine)
		for _, tc := range tests {
			t.Run(engine+"/"+tc.name, func(t *testing.T) {
				got, err := f.Scan(tc.text)
				if err != nil {
					t.Fatal(err)
				}
				if s := short(got.Matches); !reflect.DeepEqual(s, tc.want) {
					t.Errorf("matches:\n got %q\nwant %q", s, tc.want)
				}
				if got.Matches == nil {
					t.Error("Matches is nil; want an empty slice (JSON [])")
				}
			})
		}
	}
}

func TestScanMatchFields(t *testing.T) {
	f := newTestFilter(t, "")
	got, err := f.Scan("保本保息")
	if err != nil {
		t.Fatal(err)
	}
	want := modgate.Match{Term: "保本保息", Category: "finance", Subcategory: "promise", Severity: 3,
		Start: 0, End: 4, Text: "保本保息", Source: modgate.SourceLexicon}
	if len(got.Matches) != 1 || got.Matches[0] != want {
		t.Errorf("got %+v, want %+v", got.Matches, want)
	}
	if got.Normalized != "保本保息" || got.MaskedText != "保本保息" {
		t.Errorf("normalized %q masked %q", got.Normalized, got.MaskedText)
	}
	if f.Revision() != "rev-1" || f.Len() != 17 {
		t.Errorf("revision %q len %d", f.Revision(), f.Len())
	}
}

func TestScanDetectsAndMasks(t *testing.T) {
	f := newTestFilter(t, "")
	got, err := f.Scan("加微信 13800138000")
	if err != nil {
		t.Fatal(err)
	}
	var detector bool
	for i, m := range got.Matches {
		if m.Source == modgate.SourceDetector {
			detector = true
		}
		if i > 0 && got.Matches[i-1].Start > m.Start {
			t.Errorf("matches not sorted by start: %+v", got.Matches)
		}
	}
	if !detector {
		t.Errorf("no detector match in %+v", got.Matches)
	}
	if strings.Contains(got.MaskedText, "13800138000") {
		t.Errorf("phone number not masked: %q", got.MaskedText)
	}
}

func TestScanRejects(t *testing.T) {
	f := newTestFilter(t, "")
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrEmptyText},
		{"only spaces", "  \n\t", ErrEmptyText},
		{"invalid utf8", "ab\xffcd", ErrInvalidUTF8},
		{"truncated rune at the end", "加微信\xe4\xb8", ErrInvalidUTF8},
		{"invalid among spaces is invalid, not empty", " \xff ", ErrInvalidUTF8},
		{"a written replacement character is valid", "ok \uFFFD ok", nil},
		{"too large", strings.Repeat("长", 100), ErrTooLarge},
		{"too large and invalid", strings.Repeat("\xff", 400), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Scan(tc.text)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if cerr := f.Check(tc.text); !errors.Is(cerr, tc.want) || (tc.want == nil) != (cerr == nil) {
				t.Errorf("Check: err = %v, want %v (Scan and Check must agree)", cerr, tc.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(modgate.Lexicon{Terms: []modgate.Term{{Text: "x"}}}, Options{}); err == nil {
		t.Error("term without category: want error")
	}
	if _, err := New(testLexicon(), Options{Engine: "nope"}); err == nil {
		t.Error("unknown engine: want error")
	}
	f, err := New(modgate.Lexicon{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.Scan("anything at all"); err != nil || len(got.Matches) != 0 {
		t.Errorf("empty lexicon: %v %v", got, err)
	}
}

func TestNumeralVariants(t *testing.T) {
	tests := []struct {
		name, term string
		want       []string
	}{
		{"numeral to digit", "下三滥", []string{"下三滥", "下3滥"}},
		{"digit to numeral", "5星红旗", []string{"5星红旗", "五星红旗"}},
		{"zero stays", "0售", []string{"0售"}},
		{"run of numerals", "三三九乘元功", []string{"三三九乘元功", "339乘元功"}},
		{"two runs", "一军两策三", []string{"一军两策三", "1军两策三", "一军两策3", "1军两策3"}},
		{"digits in a number stay", "qq12345", []string{"qq12345"}},
		{"no numerals", "加微信", []string{"加微信"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := numeralVariants(tc.term, nil); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestScanConcurrent(t *testing.T) {
	f := newTestFilter(t, "")
	texts := []string{"快加 微*信吧", "路口交通和口交", "我有一个东西", "ｆｕｃｋ you", "have a nice day"}
	want := make([][]string, len(texts))
	for i, s := range texts {
		got, err := f.Scan(s)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = short(got.Matches)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for k := range 200 {
				i := (g + k) % len(texts)
				got, err := f.Scan(texts[i])
				if err != nil || !reflect.DeepEqual(short(got.Matches), want[i]) {
					errs <- fmt.Sprintf("%q: %v %v", texts[i], short(got.Matches), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// FuzzScanEnginesAgree: the whole filter gives the same findings with
// either engine, and offsets always index the original text.
func FuzzScanEnginesAgree(f *testing.F) {
	for _, s := range []string{"快加 微*信吧", "路口交通和口交", "ｆｕｃｋ you 13800138000", "have av 1av2", "下3滥"} {
		f.Add(s)
	}
	compact := newTestFilter(f, EngineCompact)
	cloud := newTestFilter(f, EngineCloudflare)
	f.Fuzz(func(t *testing.T, text string) {
		a, errA := compact.Scan(text)
		b, errB := cloud.Scan(text)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("errors differ: %v vs %v", errA, errB)
		}
		if errA != nil {
			return
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("engines disagree on %q:\n%+v\n%+v", text, a.Matches, b.Matches)
		}
		n := utf8.RuneCountInString(text)
		for _, m := range a.Matches {
			if m.Start < 0 || m.Start > m.End || m.End > n {
				t.Fatalf("match %+v out of bounds (%d runes)", m, n)
			}
		}
	})
}

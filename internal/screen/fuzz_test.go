package screen

import (
	"context"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// FuzzScreen feeds hostile text through the whole pipeline with the shipped
// policies and checks the verdict contract: a known action, and every match
// span inside the original text in code points, with Text equal to that
// substring (or masked, for personal data).
func FuzzScreen(f *testing.F) {
	for _, s := range []string{
		"保本保息，稳赚不赔", "加 微 信 abc123", "我的身份证号是110101199003078515", "路口交通拥堵",
		"ｆｕｃｋ", "轉發到3個群領紅包", "\u200b加\u200b微\u200b信", "a\x00b", "😀😀😀 集赞", "",
	} {
		f.Add(s)
	}
	s, err := New(Config{PolicyDir: "../../policies", LexiconDir: "../../lexicons", MaxTextBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := s.Screen(context.Background(), modgate.Message{Text: text})
		if err != nil {
			if errors.Is(err, ErrEmptyText) || errors.Is(err, ErrInvalidUTF8) || errors.Is(err, ErrTooLarge) {
				return
			}
			t.Fatalf("Screen(%q): %v", text, err)
		}
		switch v.Action {
		case modgate.ActionAllow, modgate.ActionReview, modgate.ActionBlock:
		default:
			t.Fatalf("action %q", v.Action)
		}
		runes := []rune(text)
		for _, m := range v.Matches {
			if m.Start < 0 || m.Start > m.End || m.End > len(runes) {
				t.Fatalf("match %+v outside [0,%d] of %q", m, len(runes), text)
			}
			if m.Category != modgate.LabelPII && m.Text != string(runes[m.Start:m.End]) {
				t.Fatalf("match %+v: text %q is not the original span %q", m, m.Text, string(runes[m.Start:m.End]))
			}
		}
		if !utf8.ValidString(v.MaskedText) || v.DecisionID == "" {
			t.Fatalf("bad verdict %+v", v)
		}
	})
}

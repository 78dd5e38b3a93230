package filters

import (
	"testing"
	"unicode/utf8"
)

func TestNormalizeBasic(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"ascii case", "Hello World", "hello world"},
		{"fullwidth", "ＡＢＣ１２３", "abc123"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NormalizeString(c.in); got != c.want {
				t.Errorf("NormalizeString(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestOrigFullRange(t *testing.T) {
	z := NewNormalizer()
	in := "Ｈｅｌｌｏ 世界"
	n := z.Normalize(in)
	s, e := n.Orig(0, len(n.Text))
	if s != 0 || e != utf8.RuneCountInString(in) {
		t.Fatalf("Orig full = [%d,%d)", s, e)
	}
}

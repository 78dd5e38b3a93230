package filters

import (
	"testing"

	"github.com/modgate/modgate"
)

func TestMaskSpan(t *testing.T) {
	cases := []struct{ name, kind, in, want string }{
		{"phone", KindPhone, "13800138000", "138****8000"},
		{"phone separators", KindPhone, "138-0013-8000", "138-****-8000"},
		{"phone prefix", KindPhone, "+86 13800138000", "+86 138****8000"},
		{"phone numerals", KindPhone, "一三八零零一三八零零零", "一三八****八零零零"},
		{"id card", KindIDCard, "11010519491231002X", "110***********002X"},
		{"bank card", KindBankCard, "6222021234567890128", "***************0128"},
		{"email", KindEmail, "john.doe@example.com", "j***@example.com"},
		{"email non-ascii first", KindEmail, "张三@example.com", "张***@example.com"},
		{"url untouched", KindURL, "t.cn/abc", "t.cn/abc"},
		{"short phone text does not panic", KindPhone, "12", "12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := maskSpan(c.kind, c.in); got != c.want {
				t.Errorf("maskSpan(%s, %q) = %q, want %q", c.kind, c.in, got, c.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	det := func(kind string, s, e int) modgate.Match {
		return modgate.Match{Term: kind, Subcategory: kind, Source: modgate.SourceDetector, Start: s, End: e}
	}
	orig := "电话13800138000，邮箱a@b.com，网址t.cn/x"
	cases := []struct {
		name string
		ms   []modgate.Match
		want string
	}{
		{"none", nil, orig},
		{"phone", []modgate.Match{det(KindPhone, 2, 13)}, "电话138****8000，邮箱a@b.com，网址t.cn/x"},
		{"phone and email unsorted", []modgate.Match{det(KindEmail, 16, 23), det(KindPhone, 2, 13)},
			"电话138****8000，邮箱a***@b.com，网址t.cn/x"},
		{"url not masked", []modgate.Match{det(KindURL, 27, 33)}, orig},
		{"lexicon match ignored", []modgate.Match{{Term: "phone", Subcategory: KindPhone, Source: modgate.SourceLexicon, Start: 2, End: 13}}, orig},
		{"overlap skipped", []modgate.Match{det(KindPhone, 2, 13), det(KindPhone, 5, 13)}, "电话138****8000，邮箱a@b.com，网址t.cn/x"},
		{"out of range ignored", []modgate.Match{det(KindPhone, 30, 99)}, orig},
		{"negative ignored", []modgate.Match{det(KindPhone, -3, 2)}, orig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Mask(orig, c.ms); got != c.want {
				t.Errorf("Mask = %q, want %q", got, c.want)
			}
		})
	}
}

// TestMaskDetected runs the detectors and masks their hits: no unmasked
// personal data may remain.
func TestMaskDetected(t *testing.T) {
	in := "加我 13800138000 或身份证 11010519491231002X 卡 4111 1111 1111 1111"
	z := NewNormalizer()
	got := Mask(in, Detect(z.Normalize(in), nil))
	want := "加我 138****8000 或身份证 110***********002X 卡 **** **** **** 1111"
	if got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
}

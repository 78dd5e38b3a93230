package filters

import (
	"testing"
	"unicode/utf8"
)

func addSeeds(f *testing.F) {
	for _, cases := range foldTables {
		for _, c := range cases {
			f.Add(c.in)
		}
	}
	for _, c := range detectCases {
		f.Add(c.in)
	}
	f.Add("a\xffb\xc3")
}

// FuzzNormalize checks the offset-map properties on any input: valid UTF-8
// output, offsets in bounds and non-decreasing, every folded byte mapping
// inside the full range, and idempotence of NormalizeString.
func FuzzNormalize(f *testing.F) {
	addSeeds(f)
	z := NewNormalizer()
	f.Fuzz(func(t *testing.T, s string) {
		n := z.Normalize(s)
		text := n.Text
		if !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 output %q", text)
		}
		total := utf8.RuneCountInString(s)
		if n.RuneCount() != total {
			t.Fatalf("RuneCount %d, want %d", n.RuneCount(), total)
		}
		fs, fe := n.Orig(0, len(text))
		if fs < 0 || fs > fe || fe > total {
			t.Fatalf("full range [%d,%d) out of [0,%d]", fs, fe, total)
		}
		if len(text) > 0 && fs == fe {
			t.Fatalf("non-empty text maps to empty range")
		}
		prevS, prevE := 0, 0
		for b := 0; b <= len(text); b++ {
			st, _ := n.Orig(b, len(text))
			_, en := n.Orig(0, b)
			if st < prevS || en < prevE {
				t.Fatalf("not monotone at byte %d: start %d<%d or end %d<%d", b, st, prevS, en, prevE)
			}
			if st < fs || en > fe {
				t.Fatalf("byte %d maps outside the full range", b)
			}
			prevS, prevE = st, en
		}
		for b := 0; b < len(text); {
			_, w := utf8.DecodeRuneInString(text[b:])
			st, en := n.Orig(b, b+w)
			if st >= en {
				t.Fatalf("rune at byte %d maps to empty [%d,%d)", b, st, en)
			}
			if o := n.OrigText(st, en); o == "" {
				t.Fatalf("rune at byte %d has no original text", b)
			}
			b += w
		}
		if utf8.ValidString(s) {
			once := text
			if twice := NormalizeString(once); twice != once {
				t.Fatalf("not idempotent: %q -> %q -> %q", s, once, twice)
			}
		}
	})
}

// FuzzDetect: no panics, hits in bounds, sorted, non-overlapping, masked
// text for personal data, Mask output valid UTF-8.
func FuzzDetect(f *testing.F) {
	addSeeds(f)
	z := NewNormalizer()
	f.Fuzz(func(t *testing.T, s string) {
		n := z.Normalize(s)
		ms := Detect(n, nil)
		total := utf8.RuneCountInString(s)
		end := 0
		for _, m := range ms {
			if m.Start < end || m.Start >= m.End || m.End > total {
				t.Fatalf("bad hit [%d,%d) after %d (len %d): %+v", m.Start, m.End, end, total, ms)
			}
			end = m.End
			checkMatch(t, s, n, m)
		}
		out := Mask(s, ms)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Mask produced invalid UTF-8")
		}
	})
}

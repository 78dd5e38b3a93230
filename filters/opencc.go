package filters

//go:generate go run ./internal/gen -o opencc_table.go

// CJK Unified Ideographs (Extension A and the main block) are folded through
// a dense table; the few traditional characters outside it go through a map.
const (
	cjkLo = 0x3400
	cjkHi = 0x9FFF
)

var (
	tsDense [cjkHi - cjkLo + 1]rune // 0: unchanged
	tsExtra map[rune]rune
)

func buildTS() {
	tsExtra = map[rune]rune{}
	rs := []rune(tsPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		t, s := rs[i], rs[i+1]
		if t >= cjkLo && t <= cjkHi {
			tsDense[t-cjkLo] = s
		} else {
			tsExtra[t] = s
		}
	}
}

// toSimplified folds one traditional Chinese character to simplified.
func toSimplified(r rune) rune {
	if r >= cjkLo && r <= cjkHi {
		if s := tsDense[r-cjkLo]; s != 0 {
			return s
		}
		return r
	}
	if s, ok := tsExtra[r]; ok {
		return s
	}
	return r
}

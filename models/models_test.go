package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"
)

func testFeatures(extras ...string) Features {
	return Features{Orders: []int{1, 2, 3}, BucketsLog2: 12, Boundary: true, FoldDigits: true, Extras: extras, Hash: HashFNV1aFib}
}

// randomModel builds a model with reproducible random weights.
func randomModel(t testing.TB, label, enc string, f Features, seed uint64) (*Model, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	w := make([]float32, f.Dim())
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	h := Header{Label: label, Features: f, Encoding: enc, Bias: -0.5,
		Calibration: Calibration{Method: "platt", A: 1.3, B: -0.2}, Training: json.RawMessage(`{"seed":1}`)}
	var buf bytes.Buffer
	if err := Encode(&buf, h, w); err != nil {
		t.Fatal(err)
	}
	m, err := Decode(label+Ext, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return m, buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, enc := range []string{EncF32, EncI8} {
		t.Run(enc, func(t *testing.T) {
			f := testFeatures("detector.phone")
			r := rand.New(rand.NewPCG(1, 2))
			w := make([]float32, f.Dim())
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			var buf bytes.Buffer
			h := Header{Label: "abuse", Features: f, Encoding: enc, Bias: 0.25, Calibration: Calibration{Method: "none"}}
			if err := Encode(&buf, h, w); err != nil {
				t.Fatal(err)
			}
			m, err := Decode("abuse.mgm", buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if m.Label != "abuse" || m.Bias != 0.25 || len(m.W) != f.Dim() {
				t.Fatalf("header not kept: %+v", m.Header)
			}
			tol := 0.0
			if enc == EncI8 {
				tol = m.Scale/2 + 1e-7
			}
			for i := range w {
				if d := math.Abs(float64(w[i] - m.W[i])); d > tol {
					t.Fatalf("weight %d: %v → %v (tolerance %v)", i, w[i], m.W[i], tol)
				}
			}
		})
	}
}

// reseal rewrites the checksum after a deliberate edit, so the test reaches
// the check behind it.
func reseal(b []byte) []byte {
	b = bytes.Clone(b)
	sum := sha256.Sum256(b[:len(b)-32])
	copy(b[len(b)-32:], sum[:])
	return b
}

func TestDecodeRefusesBadFiles(t *testing.T) {
	_, good := randomModel(t, "spam", EncF32, testFeatures(), 3)
	hl := int(binary.LittleEndian.Uint32(good[10:]))
	hdr := good[14 : 14+hl]
	withHeader := func(newHdr string) []byte {
		var b bytes.Buffer
		b.Write(good[:10])
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(newHdr)))
		b.WriteString(newHdr)
		b.Write(good[14+hl:])
		return reseal(b.Bytes())
	}
	nanW := bytes.Clone(good)
	binary.LittleEndian.PutUint32(nanW[14+hl:], math.Float32bits(float32(math.NaN())))
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short", good[:20], "truncated"},
		{"truncated", good[:len(good)-100], "checksum mismatch"},
		{"bit flip", func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 1; return b }(), "checksum mismatch"},
		{"bad magic", func() []byte { b := bytes.Clone(good); copy(b, "NOTMODEL"); return b }(), "bad magic"},
		{"text file", []byte("just some text that is long enough to pass the size check, really"), "bad magic"},
		{"future version", func() []byte { b := bytes.Clone(good); b[8] = 9; return reseal(b) }(), "format version 9 not supported"},
		{"header garbage", withHeader("{not json"), "header"},
		{"unknown header field", withHeader(strings.Replace(string(hdr), `"label"`, `"surprise":1,"label"`, 1)), "unknown field"},
		{"bad label", withHeader(strings.Replace(string(hdr), `"spam"`, `"Spam!"`, 1)), "label"},
		{"bad hash", withHeader(strings.Replace(string(hdr), HashFNV1aFib, "md5", 1)), "unknown hash"},
		{"size mismatch", withHeader(strings.Replace(string(hdr), `"buckets_log2":12`, `"buckets_log2":13`, 1)), "weights:"},
		{"nan weight", reseal(nanW), "is NaN"},
		{"oversize", make([]byte, MaxFileBytes+1), "limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("spam.mgm", c.data)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "spam.mgm") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want the file name and %q", err, c.want)
			}
		})
	}
}

func TestLoadFS(t *testing.T) {
	_, abuse := randomModel(t, "abuse", EncI8, testFeatures(), 1)
	_, spam := randomModel(t, "spam", EncF32, testFeatures("detector.url"), 2)
	t.Run("ok", func(t *testing.T) {
		s, err := LoadFS(fstest.MapFS{"abuse.mgm": {Data: abuse}, "spam.mgm": {Data: spam}, "abuse.md": {Data: []byte("card")}, ".x.mgm": {Data: []byte("junk")}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(s.Labels(), ","); got != "abuse,spam" {
			t.Fatalf("labels %s", got)
		}
		if got := strings.Join(s.Extras(), ","); got != "detector.url" {
			t.Fatalf("extras %s", got)
		}
		if len(s.Revision()) != 64 {
			t.Fatalf("revision %q", s.Revision())
		}
		s2, _ := LoadFS(fstest.MapFS{"abuse.mgm": {Data: abuse}, "spam.mgm": {Data: spam}})
		if s2.Revision() != s.Revision() {
			t.Fatal("revision depends on more than the model files")
		}
		s3, _ := LoadFS(fstest.MapFS{"abuse.mgm": {Data: abuse}})
		if s3.Revision() == s.Revision() {
			t.Fatal("revision did not change with the set")
		}
	})
	t.Run("empty", func(t *testing.T) {
		s, err := LoadFS(fstest.MapFS{})
		if err != nil || s.Len() != 0 || s.Revision() != "" {
			t.Fatalf("empty set: %v %d %q", err, s.Len(), s.Revision())
		}
	})
	t.Run("misnamed", func(t *testing.T) {
		_, err := LoadFS(fstest.MapFS{"toxic.mgm": {Data: abuse}})
		if err == nil || !strings.Contains(err.Error(), `toxic.mgm: holds label "abuse"`) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("every bad file reported", func(t *testing.T) {
		_, err := LoadFS(fstest.MapFS{"abuse.mgm": {Data: abuse[:100]}, "spam.mgm": {Data: []byte("x")}, "ok.txt": {Data: nil}})
		if err == nil || !strings.Contains(err.Error(), "abuse.mgm") || !strings.Contains(err.Error(), "spam.mgm") {
			t.Fatalf("err %v", err)
		}
	})
}

// refScore is the plain definition: sparse feature vector · weights + bias,
// then calibration.
func refScore(m *Model, text string, extras map[string]float32) float64 {
	ev := make([]float32, len(m.Features.Extras))
	for i, e := range m.Features.Extras {
		ev[i] = extras[e]
	}
	sp := m.Features.Vector(text, ev)
	z := m.Bias
	for i, idx := range sp.Idx {
		z += float64(m.W[idx]) * float64(sp.Val[i])
	}
	return m.Calibration.Prob(z)
}

func TestScoreMatchesDefinition(t *testing.T) {
	// Three models: two share hashing (one table), one has other orders (a
	// second group); encodings differ.
	fa := testFeatures("detector.phone")
	fb := testFeatures("detector.url", "detector.phone")
	fc := Features{Orders: []int{2, 4}, BucketsLog2: 10, Hash: HashFNV1aFib}
	ma, _ := randomModel(t, "abuse", EncF32, fa, 11)
	mb, _ := randomModel(t, "spam", EncF32, fb, 12)
	mc, _ := randomModel(t, "fraud", EncI8, fc, 13)
	mq, _ := randomModel(t, "porn", EncI8, fa, 14)
	s, err := NewSet([]*Model{mb, ma, mc, mq})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.groups) != 3 {
		t.Fatalf("%d groups, want 3 (f32 shared, i8 1-2-3, i8 2-4)", len(s.groups))
	}
	texts := []string{"加我微信13800138000领红包", "a", "你好", "今天天气不错，我们去公园吧！", strings.Repeat("长文本", 300), "\u00e9t\u00e9 ok 123"}
	extras := map[string]float32{"detector.phone": 1, "detector.url": 2}
	ev := make([]float32, len(s.Extras()))
	for i, e := range s.Extras() {
		ev[i] = extras[e]
	}
	out := make([]float64, s.Len())
	for _, text := range texts {
		s.Score(text, ev, out)
		for i, m := range s.Models() {
			want := refScore(m, text, extras)
			if math.Abs(out[i]-want) > 1e-4 {
				t.Errorf("%s on %q: %v, definition gives %v", m.Label, text, out[i], want)
			}
		}
	}
}

func TestScoreNoAllocs(t *testing.T) {
	ma, _ := randomModel(t, "abuse", EncI8, testFeatures(), 1)
	mb, _ := randomModel(t, "spam", EncI8, testFeatures("detector.url"), 2)
	s, _ := NewSet([]*Model{ma, mb})
	out := make([]float64, 2)
	ev := []float32{1}
	if n := testing.AllocsPerRun(100, func() { s.Score("加我微信领取红包，稳赚不赔", ev, out) }); n != 0 {
		t.Fatalf("%v allocations per Score", n)
	}
}

func TestFoldDigitsAndBoundary(t *testing.T) {
	f := testFeatures()
	a := f.Vector("电话13800138000", nil)
	b := f.Vector("电话19912345678", nil)
	if !slices32Equal(a.Idx, b.Idx) {
		t.Fatal("numbers of the same shape hash differently with FoldDigits")
	}
	f.FoldDigits = false
	if c, d := f.Vector("电话13800138000", nil), f.Vector("电话19912345678", nil); slices32Equal(c.Idx, d.Idx) {
		t.Fatal("FoldDigits off still folds")
	}
	g := testFeatures()
	g.Boundary = false
	if got, want := g.Count("abcd"), 4+3+2; got != want {
		t.Fatalf("count %d want %d", got, want)
	}
	if tf := testFeatures(); tf.Count("abcd") != 6+5+4 {
		got, want := tf.Count("abcd"), 6+5+4
		t.Fatalf("count with boundary %d want %d", got, want)
	}
	// Count agrees with what the walker emits.
	w := newWalker(&f)
	n := 0
	w.walk("加我微信 ok", func(gram) { n++ })
	if n != f.Count("加我微信 ok") {
		t.Fatalf("walker emitted %d, Count says %d", n, f.Count("加我微信 ok"))
	}
}

func slices32Equal(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExplain(t *testing.T) {
	f := testFeatures()
	w := make([]float32, f.Dim())
	// Plant weights on two n-grams; everything else is zero.
	text := "你这个傻瓜真是笨蛋啊"
	plant := map[string]float32{"傻瓜": 3, "笨蛋": 2, "傻": 0.5}
	wk := newWalker(&f)
	wk.walk(text, func(g gram) {
		if g.e > g.s {
			if x, ok := plant[text[g.s:g.e]]; ok {
				w[g.bucket] = x
			}
		}
	})
	var buf bytes.Buffer
	if err := Encode(&buf, Header{Label: "abuse", Features: f, Encoding: EncF32, Calibration: Calibration{Method: "none"}}, w); err != nil {
		t.Fatal(err)
	}
	m, err := Decode("abuse.mgm", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewSet([]*Model{m})
	got := s.Explain("abuse", text, 3)
	if len(got) != 2 || got[0].Gram != "傻瓜" || got[1].Gram != "笨蛋" {
		t.Fatalf("explain: %+v (want 傻瓜 then 笨蛋; 傻 is part of 傻瓜)", got)
	}
	if want := 3.5 * float64(Value(f.Count(text))); math.Abs(got[0].Weight-want) > 1e-5 {
		t.Fatalf("傻瓜 weight %v, want (3+0.5)·v = %v", got[0].Weight, want)
	}
	// Overlapping n-grams merge into one span; a span is capped at 8
	// characters; punctuation alone explains nothing.
	w2 := make([]float32, f.Dim())
	text2 := "快来加我微信领红包！！还有更多更多更多更多福利"
	wk.walk(text2, func(g gram) {
		if g.e > g.s {
			switch text2[g.s:g.e] {
			case "加我", "我微", "微信":
				w2[g.bucket] = 2
			case "！！":
				w2[g.bucket] = 5
			case "更多":
				w2[g.bucket] = 0.5
			}
		}
	})
	var buf2 bytes.Buffer
	if err := Encode(&buf2, Header{Label: "spam", Features: f, Encoding: EncF32, Calibration: Calibration{Method: "none"}}, w2); err != nil {
		t.Fatal(err)
	}
	m2, _ := Decode("spam.mgm", buf2.Bytes())
	s2, _ := NewSet([]*Model{m2})
	got2 := s2.Explain("spam", text2, 3)
	if len(got2) != 2 || got2[0].Gram != "加我微信" || len([]rune(got2[1].Gram)) > 8 || !strings.Contains(got2[1].Gram, "更多") {
		t.Fatalf("explain: %+v (want 加我微信, then at most 8 characters of 更多…)", got2)
	}
	if text[got[0].Start:got[0].End] != "傻瓜" || got[0].Weight <= got[1].Weight {
		t.Fatalf("spans/weights wrong: %+v", got)
	}
	if s.Explain("nope", text, 3) != nil {
		t.Fatal("unknown label explained")
	}
}

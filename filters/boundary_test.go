package filters

import (
	"strings"
	"testing"
)

// TestFalseBlocks: every false block of issue 11 at the filter level, with
// the fixture lexicon testdata/false_blocks.txt, next to the hits the same
// terms must still make.
func TestFalseBlocks(t *testing.T) {
	f, err := New(readFixtureLexicon(t, "testdata/false_blocks.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, text string
		want       []string // "term=original text"
	}{
		// Sentence boundaries.
		{"门口，交通 is two sentences", "我在门口，交通太堵了", nil},
		{"门口。交通", "到门口。交通管制", nil},
		{"书中，特别", "这本书中，特别好看的是结尾", nil},
		{"newline between sentences", "到门口\n交通很堵", nil},
		{"evasion: noise between every character", "加，微，信", []string{"加微信=加，微，信"}},
		{"evasion inside a sentence", "快加，微，信啊", []string{"加微信=加，微，信"}},
		{"evasion: break between the characters of a 2-char term, free on one side", "来口，交", []string{"口交=口，交"}},
		{"no break: still a term", "口交", []string{"口交=口交"}},
		{"noise without a break inside a term", "口*交", []string{"口交=口*交"}},
		{"break and a glued gap", "加微，信", nil},
		{"two quoted items are two phrases", "“门口”“交通”", nil},
		{"book titles side by side", "《门口》《交通》", nil},
		{"one quoted item is still a term", "“口交”", []string{"口交=口交"}},
		{"evasion: brackets around every character", "加【微】【信】", []string{"加微信=加【微】【信"}},
		// Word boundaries (@boundary word).
		{"书中特别", "书中特别提到", nil},
		{"X日入住", "3日入住酒店", nil},
		{"出租车", "坐出租车回家", nil},
		{"购买码数", "购买码数偏小", nil},
		{"跑分 the phone benchmark", "这款手机跑分很高", nil},
		{"跑分成绩", "新机跑分成绩出炉", nil},
		// The same terms where they mean what the lexicon means.
		{"中特 stands alone", "买码必中特", []string{"买码=买码", "中特=中特"}},
		{"日入 stands alone", "兼职日入过万", []string{"日入=日入"}},
		{"出租 stands alone", "出租银行卡", []string{"出租=出租"}},
		{"跑分 laundering", "跑分平台招人", []string{"跑分=跑分"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fd, err := f.Scan(c.text)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range fd.Matches {
				if m.Source == "lexicon" {
					got = append(got, m.Term+"="+m.Text)
				}
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("Scan(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestIsSentenceBreak(t *testing.T) {
	for _, r := range "，。！？；：…、,.!?;:\n．" {
		if !isSentenceBreak(r) {
			t.Errorf("%q is a sentence break", r)
		}
	}
	for _, r := range " *-_~@#❤（）【】“”" {
		if isSentenceBreak(r) {
			t.Errorf("%q is noise, not a sentence break", r)
		}
	}
}

// TestWordList: the embedded list loads and holds the words the boundary
// check needs.
func TestWordList(t *testing.T) {
	if err := loadWords(); err != nil {
		t.Fatal(err)
	}
	if len(wordFreq) < 90000 {
		t.Errorf("word list has %d words", len(wordFreq))
	}
	for _, w := range []string{"出租车", "入住", "特别", "购买", "交通", "门口"} {
		if wordFreq[w] == 0 {
			t.Errorf("%s missing", w)
		}
	}
	for _, w := range []string{"日入", "买码", "中特", "口交"} {
		if wordFreq[w] != 0 {
			t.Errorf("%s should not be an ordinary word", w)
		}
	}
}

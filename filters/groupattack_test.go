package filters

import (
	"testing"

	"github.com/modgate/modgate"
)

// TestGroupAttack drives the group-attack detector through Scan with a
// fixture lexicon: the shape (group + generaliser + contempt, or group +
// exclusion, in one sentence) fires; the words alone, negations, questions,
// other sentences and dictionary words around a one-character predicate do
// not.
func TestGroupAttack(t *testing.T) {
	f, err := New(readFixtureLexicon(t, "testdata/groupattack.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		want     string // Match.Text of the group_attack hit; "" for none
	}{
		{"generalised contempt", "河南人都是骗子", "河南人都是骗子"},
		{"one-character predicate at the end", "东北人天生懒", "东北人天生懒"},
		{"gender", "女的就是不行，别让她开车", "女的就是不行"},
		{"exclusion needs no generaliser", "外地人滚出去", "外地人滚出去"},
		{"exclusion phrase", "东北人哪来的回哪去", "东北人哪来的回哪去"},
		{"dehumanising", "河南人没一个好东西", "河南人没一个好东西"},
		{"generaliser before the group", "这帮外地人素质低", "外地人素质低"},
		{"comma inside the sentence", "河南人啊，个个都是骗子", "河南人啊，个个都是骗子"},
		{"insult term as predicate", "东北人都是蠢货", "东北人都是蠢货"},
		{"spaced out", "河 南 人 都 是 骗 子", "河 南 人 都 是 骗 子"},
		{"traditional characters", "河南人都是騙子", "河南人都是騙子"},
		{"latin pinyin", "he nan ren dou shi pian zi", "he nan ren dou shi pian zi"},
		{"praise", "河南人都很热情", ""},
		{"no generaliser", "河南人骗子", ""},
		{"negated predicate", "河南人都不是骗子", ""},
		{"negated generaliser", "河南人不都是骗子", ""},
		{"question", "医生都是骗子吗", ""},
		{"question mark", "河南人就是骗子？谁说的", ""},
		{"two sentences", "我是河南人。都是骗子的电话别接", ""},
		{"predicate before the group", "骗子都是河南人", ""},
		{"dictionary word around the predicate", "医生都说垃圾食品要少吃", ""},
		{"predicate starts a longer word", "东北人都爱吃臭豆腐", ""},
		{"one character starts an unknown word", "女的就是臭美", ""},
		{"group far from the predicate", "河南人来我们公司面试了，结果后来发现那些简历都是骗子写的", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := f.Scan(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, m := range fd.Matches {
				if m.Subcategory == KindGroupAttack {
					if m.Category != modgate.LabelAbuse || m.Severity != modgate.SeverityReview || m.Source != modgate.SourceDetector {
						t.Errorf("hit %+v: want category abuse, severity review, source detector", m)
					}
					got = m.Text
				}
			}
			if got != tc.want {
				var all []string
				for _, m := range fd.Matches {
					all = append(all, m.Category+"."+m.Subcategory+"="+m.Text)
				}
				t.Errorf("group_attack = %q, want %q (matches %v)", got, tc.want, all)
			}
		})
	}
}

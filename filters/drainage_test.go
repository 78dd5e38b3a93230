package filters

import (
	"strings"
	"testing"

	"github.com/modgate/modgate"
)

// drainageSuite: contact drainage (引流) written the ways spam dodges a
// keyword list — Latin pinyin, initials, emoji and symbols standing in for
// characters, spaced-out ids, punctuation between the characters. Written
// by the modgate team for this test; the ids are made up.
var drainageSuite = []string{
	"加 wei xin: abc12345",
	"jia wei xin 详聊",
	"加weixin领资料",
	"weixin：kk990011",
	"+V：abc_8899",
	"➕薇❤ 了解一下",
	"加㊙️信有惊喜",
	"vx：k k 9 9 0 0 1",
	"联系电话 1 3 8 0 0 1 3 8 0 0 0",
	"扣扣 8 8 7 6 5 4 3 2",
	"🐧 12345678",
	"企鹅：3 3 4 4 5 5 6 6",
	"V❤：abc12345",
	"加，微，信 私聊",
	"加.v.x 领福利",
	"薇信号 abc123456",
	"威❤号：ab123456",
	"加我 vx 拿资料",
	"＋Ｖ：ｗｘ１２３４５６",
	"加 q q 12345678",
	"qq：1２3４5６7８9",
	"咨询请加 v ❤ : hello8888",
	"有意者加 WX:nice_2024",
	"加 微 心 了解",
	"威芯 abc88888",
	"徾信: zz778899",
	"加胃信 12345abc",
	"加V信私聊",
	"私我拿链接",
	"加我薇：mm66778899",
	"📱 13800138000",
	"电话：壹叁捌零零壹叁捌零零零",
	"微—信—号：abcd1234",
	"威心：kk990011",
	"𝐰𝐞𝐢𝐱𝐢𝐧 𝐚𝐛𝐜𝟏𝟐𝟑𝟒𝟓",
	"➕我 了解详情",
	"加🛰️信 kk990011",
	"企鹅号 ８８７６５４３２１",
	"Jia Wei Xin：tt12345",
	"s i l i a o 私聊有惊喜",
}

// TestDrainageSuite: every message of the suite yields a contact cue from
// the fixture lexicon or a contact/PII detector hit.
func TestDrainageSuite(t *testing.T) {
	f, err := New(readFixtureLexicon(t, "testdata/drainage.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(drainageSuite) < 30 {
		t.Fatalf("suite has %d messages", len(drainageSuite))
	}
	caught := 0
	for _, msg := range drainageSuite {
		fd, err := f.Scan(msg)
		if err != nil {
			t.Fatalf("%q: %v", msg, err)
		}
		var got []string
		hit := false
		for _, m := range fd.Matches {
			got = append(got, m.Category+"/"+m.Term+"="+m.Text+"/"+m.Variant)
			if m.Category == modgate.LabelContact || m.Source == modgate.SourceDetector {
				hit = true
			}
		}
		if hit {
			caught++
		} else {
			t.Errorf("not caught: %q (normalised %q): %s", msg, fd.Normalized, strings.Join(got, " "))
		}
	}
	t.Logf("drainage suite: %d of %d caught", caught, len(drainageSuite))
}

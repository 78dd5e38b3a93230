package filters

import (
	"slices"
	"testing"

	"github.com/modgate/modgate"
)

type detCase struct {
	name, in string
	want     []wantHit // empty: nothing must fire
}

type wantHit struct {
	kind, text string // text: Match.Text (masked for personal data)
}

var detectCases = []detCase{
	// domains whose dot is spelled out or padded (issue 11)
	{"domain padded dot", "登录 m-bank-rz . com 认证", []wantHit{{KindURL, "m-bank-rz . com"}}},
	{"domain 点", "认证地址 abc-kj点vip", []wantHit{{KindURL, "abc-kj点vip"}}},
	{"domain 点 with path", "看 tongxue-photo点com/p3 吧", []wantHit{{KindURL, "tongxue-photo点com/p3"}}},
	{"domain ideographic stop", "网址 abc。com", []wantHit{{KindURL, "abc。com"}}},
	{"three o'clock com is text", "我三点com", nil},
	{"sentence then dot", "明天见. 好的", nil},
	{"not a tld after 点", "abc点def", nil},
	// ids on other apps after a channel cue
	{"telegram handle", "不方便在群说，TG 联系：@kk_talk66", []wantHit{{KindAccount, "kk_talk66"}}},
	{"line id", "Line ID: tina0901，联系我", []wantHit{{KindAccount, "tina0901"}}},
	{"momo number", "加我陌陌号 38772910", []wantHit{{KindAccount, "38772910"}}},
	{"deadline is not line", "deadline: tomorrow", nil},
	// numbers masked as x before they reached the gateway
	{"masked mobile", "订房电话xxxxxxxxxxx", []wantHit{{KindPhone, "xxx****xxxx"}}},
	{"masked landline after a cue", "咨询电话：xxxxxxx 联系我们", []wantHit{{KindLandline, "xxxxxxx"}}},
	{"masked digits without a cue", "编号xxxxxxx", nil},
	{"masked bank card", "建行李丽萍xxxxxxxxxxxxxxxx", []wantHit{{KindBankCard, "************xxxx"}}},
	{"masked bank card in groups", "建行：xxxx xxxx xxxx xxxx xxx杨丽娟", []wantHit{{KindBankCard, "**** **** **** ***x xxx"}}},
	{"short masked runs fold", "xxx元起，xxx号店", nil},
	{"masked run without a bank", "订单xxxxxxxxxxxxxxxx", nil},
	{"x inside a word", "wxidxxxxxxxxxxx", nil},
	// contacts spelled out with separators between their characters
	{"wechat id spread", "微 ❤ 信 ： h t 6 6 9 9", []wantHit{{KindWeChat, "h t 6 6 9 9"}}},
	{"phone spread", "电话 1 3 8 0 0 1 3 8 0 0 0", []wantHit{{KindPhone, "1 3 8 * * * * 8 0 0 0"}}},
	{"phone in groups is not spread", "我的电话 138 0013 8000", []wantHit{{KindPhone, "138 **** 8000"}}},
	{"english wechat cue", "咨询 WeChat: yoyo_2266", []wantHit{{KindWeChat, "yoyo_2266"}}},
	// betting tips: zodiac animals with a draw number or tip jargon
	{"tip with a draw number", "128期：07狗（主）；19鸡，22羊，31虎（防）", []wantHit{{KindLotteryTip, "狗（主）；19鸡，22羊，31虎"}}},
	{"tip main and hedge", "最后确定了，主12.24.防08.33.或包龙猴鼠狗", []wantHit{{KindLotteryTip, "龙猴鼠狗"}}},
	{"zodiac song", "十二生肖歌：鼠牛虎兔龙蛇马羊", nil},
	{"new year wishes", "祝您羊年大吉，龙马精神，猴年更好", nil},
	// mobile numbers
	{"mobile plain", "电话13800138000", []wantHit{{KindPhone, "138****8000"}}},
	{"mobile dashes", "call 138-0013-8000 now", []wantHit{{KindPhone, "138-****-8000"}}},
	{"mobile spaces", "打 138 0013 8000", []wantHit{{KindPhone, "138 **** 8000"}}},
	{"mobile dots", "138.0013.8000", []wantHit{{KindPhone, "138.****.8000"}}},
	{"mobile fullwidth commas", "号码138，0013，8000", []wantHit{{KindPhone, "138，****，8000"}}},
	{"thousands separators", "价格 1,380,013,800 元", []wantHit{{KindPrice, "1,380,013,800 元"}}},
	{"amount like a phone", "市值 13,800,138,000 元", []wantHit{{KindPrice, "13,800,138,000 元"}}},
	{"mobile fullwidth", "手机１３８００１３８０００", []wantHit{{KindPhone, "１３８****８０００"}}},
	{"mobile numerals", "加我一三八零零一三八零零零", []wantHit{{KindPhone, "一三八****八零零零"}}},
	{"mobile circled", "①③⑧⓪⓪①③⑧⓪⓪⓪", []wantHit{{KindPhone, "①③⑧****⑧⓪⓪⓪"}}},
	{"mobile +86", "+86 138 0013 8000", []wantHit{{KindPhone, "86 138 **** 8000"}}},
	{"mobile 86 no space", "8613800138000", []wantHit{{KindPhone, "86138****8000"}}},
	{"mobile after qq cue is a phone", "qq13800138000", []wantHit{{KindPhone, "138****8000"}}},
	{"mobile two", "13800138000或13912345678", []wantHit{{KindPhone, "138****8000"}, {KindPhone, "139****5678"}}},
	{"mobile among words", "价格 100 13800138000", []wantHit{{KindPhone, "138****8000"}}},
	// digits that are not phones
	{"order number too long", "订单号20240115138001380001", nil},
	{"twenty digits", "12345678901234567890", nil},
	{"price", "价格 1380 元", []wantHit{{KindPrice, "1380 元"}}},
	{"400 hotline", "请联系客服 400-817-3390 解除", []wantHit{{KindLandline, "400-817-3390"}}},
	{"800 hotline", "客服电话800-820-1234", []wantHit{{KindLandline, "800-820-1234"}}},
	{"short service number is not a contact", "拨打 95588 查询", nil},
	// commerce signals (issue 11): prices, 【header】, address lines
	{"currency sign", "年卡 ¥999，私教课", []wantHit{{KindPrice, "999"}}},
	{"discount", "全场八折", []wantHit{{KindPrice, "八折"}}},
	{"spend threshold", "外卖满59减10", []wantHit{{KindPrice, "满59"}}},
	{"header", "【美味多披萨】周二半价", []wantHit{{KindHeader, "美味多披萨"}}},
	{"header not at the start", "他说【别去】", nil},
	{"address line", "地址：金鹰广场4楼", []wantHit{{KindAddress, "地址"}}},
	{"new year's day is no price", "1元旦快乐", nil},
	{"date", "2024-01-15 13:00", nil},
	{"twelve digits", "138001380001", nil},
	{"second digit 2", "12800138000", nil},
	{"decimal", "3.1415926535", nil},
	// landlines
	{"landline beijing", "010-62345678", []wantHit{{KindLandline, "010-62345678"}}},
	{"landline 4-digit area", "0755-8765432", []wantHit{{KindLandline, "0755-8765432"}}},
	{"landline bad local", "010-02345678", nil},
	// QQ and WeChat
	{"qq after cue", "QQ：12345678", []wantHit{{KindQQ, "12345678"}}},
	{"qq koukou", "扣扣 987654321", []wantHit{{KindQQ, "987654321"}}},
	{"qq penguin", "企鹅号是10001", []wantHit{{KindQQ, "10001"}}},
	{"qq number word", "QQ号码：2801437890", []wantHit{{KindQQ, "2801437890"}}},
	{"qq group", "qq群 123456789 快来", []wantHit{{KindQQ, "123456789"}}},
	{"digits without cue", "房间号 12345678", nil},
	{"qq too short", "qq 1234", nil},
	{"qq leading zero", "qq 012345", nil},
	{"wechat id", "加我微信: abc_123", []wantHit{{KindWeChat, "abc_123"}}},
	{"wechat vx", "vx abc123456", []wantHit{{KindWeChat, "abc123456"}}},
	{"wechat v信 uppercase", "V信：Zhang-San88", []wantHit{{KindWeChat, "Zhang-San88"}}},
	{"wechat traditional cue", "請加微信 hello_world", []wantHit{{KindWeChat, "hello_world"}}},
	{"wechat emoji cue", "🇻🇽 abcdef1", []wantHit{{KindWeChat, "abcdef1"}}},
	{"wechat too short", "微信 abc", nil},
	{"wechat id split at its letter prefix", "➕我 🛰️ ：zx ⑦⑦⓪⑧①⑤", []wantHit{{KindWeChat, "zx ⑦⑦⓪⑧①⑤"}}},
	{"wechat id letters then digits", "微信：ab 7708152", []wantHit{{KindWeChat, "ab 7708152"}}},
	{"word and short number after a cue", "微信 ok 1234 到了", nil},
	{"vx inside word", "cvx abcdefg", nil},
	{"qq id letters ignored", "qq abcdefg", nil},
	{"generic cue digits", "加我 55667788", []wantHit{{KindQQ, "55667788"}}},
	{"wechat styled digits", "这个是我的微信：9⓿二肆⁹₈③⑸⒋➃㈤㊄", []wantHit{{KindWeChat, "9⓿二肆⁹₈③⑸⒋➃㈤㊄"}}},
	{"wechat id too long", "vx abcdefghijklmnopqrstuvwxyz", nil},
	// URLs and e-mail
	{"short link", "网址 t.cn/A6abc", []wantHit{{KindURL, "t.cn/A6abc"}}},
	{"dwz", "戳 dwz.cn/xyz 领取", []wantHit{{KindURL, "dwz.cn/xyz"}}},
	{"http url", "see https://Example.com/a?b=1.", []wantHit{{KindURL, "https://Example.com/a?b=1"}}},
	{"bare domain", "上 www.example.com 看看", []wantHit{{KindURL, "www.example.com"}}},
	{"fullwidth domain", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", []wantHit{{KindURL, "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ"}}},
	{"domains split by cjk comma", "也可以是 baidu.com、www.baidu.com", []wantHit{{KindURL, "baidu.com"}, {KindURL, "www.baidu.com"}}},
	{"unknown tld", "file.js and v1.2.3", nil},
	{"email", "邮箱 john.doe@example.com", []wantHit{{KindEmail, "j***@example.com"}}},
	{"qq email", "12345678@qq.com", []wantHit{{KindEmail, "1***@qq.com"}}},
	{"at without domain", "@everyone hi", nil},
	// resident ID
	{"id card X", "身份证 11010519491231002X", []wantHit{{KindIDCard, "110***********002X"}}},
	{"id card digits", "440524198001010013", []wantHit{{KindIDCard, "440***********0013"}}},
	{"id card old century", "110105188001010010", nil},
	{"id bad checksum", "110105194912310021", nil},
	{"id bad date", "110105194913310028", nil},
	// bank cards
	{"bank unionpay", "卡号 6222021234567890128", []wantHit{{KindBankCard, "***************0128"}}},
	{"bank visa grouped", "4111 1111 1111 1111", []wantHit{{KindBankCard, "**** **** **** 1111"}}},
	{"bank bad luhn", "6222021234567890127", nil},
	{"bank wrong prefix", "1234567812345670", nil},
	// nothing at all
	{"plain chinese", "今天天气很好，我们去公园散步吧。", nil},
	{"empty", "", nil},
}

func TestDetect(t *testing.T) {
	z := NewNormalizer()
	for _, c := range slices.Concat(detectCases, spelledCases) {
		t.Run(c.name, func(t *testing.T) {
			n := z.Normalize(c.in)
			got := Detect(n, nil)
			if len(got) != len(c.want) {
				t.Fatalf("Detect(%q) (folded %q) = %+v, want %d hits %+v", c.in, n.Text, got, len(c.want), c.want)
			}
			for i, w := range c.want {
				m := got[i]
				if m.Subcategory != w.kind || m.Term != w.kind || m.Text != w.text {
					t.Errorf("hit %d = %s %q, want %s %q", i, m.Subcategory, m.Text, w.kind, w.text)
				}
				checkMatch(t, c.in, n, m)
			}
		})
	}
}

// checkMatch verifies the fields every detector match must carry.
func checkMatch(t *testing.T, in string, n *Normalized, m modgate.Match) {
	t.Helper()
	if m.Source != modgate.SourceDetector {
		t.Errorf("source %q", m.Source)
	}
	cat, sev := kindInfo(m.Subcategory)
	if m.Category != cat || m.Severity != sev {
		t.Errorf("%s: category %q severity %d, want %q %d", m.Subcategory, m.Category, m.Severity, cat, sev)
	}
	orig := n.OrigText(m.Start, m.End)
	if masked(m.Subcategory) {
		if m.Text != maskSpan(m.Subcategory, orig) || m.Text == orig {
			t.Errorf("%s text %q is not the masked original %q", m.Subcategory, m.Text, orig)
		}
	} else if m.Text != orig {
		t.Errorf("text %q, original substring %q", m.Text, orig)
	}
}

func TestDetectCategories(t *testing.T) {
	cases := []struct {
		kind, cat string
		sev       int
	}{
		{KindPhone, modgate.LabelPII, 1},
		{KindIDCard, modgate.LabelPII, 2},
		{KindBankCard, modgate.LabelPII, 2},
		{KindLandline, modgate.LabelContact, 1},
		{KindQQ, modgate.LabelContact, 1},
		{KindWeChat, modgate.LabelContact, 1},
		{KindURL, modgate.LabelContact, 1},
		{KindEmail, modgate.LabelContact, 1},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			if cat, sev := kindInfo(c.kind); cat != c.cat || sev != c.sev {
				t.Errorf("kindInfo(%s) = %s %d, want %s %d", c.kind, cat, sev, c.cat, c.sev)
			}
		})
	}
}

func TestDetectAppendsSorted(t *testing.T) {
	z := NewNormalizer()
	n := z.Normalize("邮箱 a.b@example.com 电话 13800138000 网址 t.cn/x 身份证 11010519491231002X")
	prev := []modgate.Match{{Term: "keep", Start: 99}}
	got := Detect(n, prev)
	if len(got) != 5 || got[0].Term != "keep" {
		t.Fatalf("got %+v", got)
	}
	kinds := []string{KindEmail, KindPhone, KindURL, KindIDCard}
	for i, k := range kinds {
		if got[i+1].Subcategory != k {
			t.Errorf("hit %d = %s, want %s", i, got[i+1].Subcategory, k)
		}
		if i > 0 && got[i+1].Start < got[i].End {
			t.Errorf("hits overlap or unsorted: %+v", got[1:])
		}
	}
}

func TestDetectSpread(t *testing.T) {
	tests := []struct {
		name, in string
		spread   bool
	}{
		{"wechat id letter by letter", "微 ❤ 信 ： h t 6 6 9 9", true},
		{"phone digit by digit", "电话 1 3 8 0 0 1 3 8 0 0 0", true},
		{"qq with hearts", "Q Q ： 3 ❤ 4 ❤ 5 ❤ 8 ❤ 8 ❤ 7 ❤ 6", true},
		{"phone in groups", "我的电话 138 0013 8000", false},
		{"plain wechat id", "加我微信 abc12345", false},
		{"collapsed repeats are not separators", "出双微信Bumnaxxxxxx", false},
	}
	z := NewNormalizer()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := Detect(z.Normalize(tc.in), nil)
			if len(ms) == 0 {
				t.Fatalf("Detect(%q) found no contact", tc.in)
			}
			if got := ms[0].Variant == modgate.VariantSpread; got != tc.spread {
				t.Errorf("Detect(%q)[0] = %+v, spread %v, want %v", tc.in, ms[0], got, tc.spread)
			}
		})
	}
}

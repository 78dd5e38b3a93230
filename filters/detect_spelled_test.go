package filters

// Domains spelled letter by letter around a spelled-out dot, and WeChat ids
// after a "V:" or "V❤" stand-in (families3 wording, issue 11); TestDetect
// runs them with detectCases.
var spelledCases = []detCase{
	{"tld letter by letter", "领取 → hsy-cj 点 c n", []wantHit{{KindURL, "hsy-cj 点 c n"}}},
	{"host and tld letter by letter", "请换 d s 点 v i p", []wantHit{{KindURL, "d s 点 v i p"}}},
	{"spaced host with hyphen", "升级地址 z h - u k e y 点 c n", []wantHit{{KindURL, "z h - u k e y 点 c n"}}},
	{"spaced letters that are no tld", "ab点x y", nil},
	{"one letter before the dot", "我a 点 c 你", nil},
	{"three o'clock spaced", "三 点 c n", nil},
	{"v colon id", "想要的戳我 V：ｓｈｅｎｇｑｉａｎ８８", []wantHit{{KindWeChat, "ｓｈｅｎｇｑｉａｎ８８"}}},
	{"v heart id", "有意者 V❤：ＬＩＮＧＹＵ＿５２０", []wantHit{{KindWeChat, "ＬＩＮＧＹＵ＿５２０"}}},
	{"v colon inside a word", "dev: release1234 tonight", nil},
	{"v colon short", "V: ok", nil},
	// Disguised cues of the fourth team set (issue 11): a pointer between
	// cue and id, wei:, a personal account, the victory hand as V.
	{"wechat then a pointing hand", "pls add my wechat 👉 ViVi_beauty520 thx", []wantHit{{KindWeChat, "ViVi_beauty520"}}},
	{"wei colon", "小窗一直开着 ｗｅｉ：tao_tao 晚上见", []wantHit{{KindWeChat, "tao_tao"}}},
	{"personal account", "你加我个人号 linxi_skin88 我直接传你", []wantHit{{KindWeChat, "linxi_skin88"}}},
	{"victory hand for v", "✌️：mei_mei2266", []wantHit{{KindWeChat, "mei_mei2266"}}},
	{"victory hand as decoration", "耶✌️今天真开心", nil},
	{"personal account without an id", "我的个人号就是手机号，你存一下", nil},
}

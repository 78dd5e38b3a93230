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
}

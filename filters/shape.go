package filters

// Look-alike characters (形近字) used to dodge keyword lists, folded to the
// character they imitate before variant matching (variant.go). Only terms
// that opt in (`@variants shape` or `@variants pinyin`) see these folds,
// and only rare characters are sources (TestShapeTable: outside GB 2312
// level 1, the 3,755 common characters, and of the same UTF-8 length as the
// target so byte offsets stay put). Written by the modgate team from
// evasions seen in spam lists; homophones are not repeated here (嘌 reads
// piao like 票, so the pinyin layer finds it).
const shapePairs = "" +
	"氷水" + "氺水" + "沝水" + // ice / water variants read as 水
	"徾微" + "嶶微" + "溦微" + "媺微" + "薇微" + // 微信 spelled with look-alikes
	"嘌票" + "慓票" + "瞟票" + // 开票 / 发票
	"侟存" + "洊存" + // 存送
	"囗口" + "朩木" + "夲本" + "兲天" +
	"冮江" + "菓果" + "伱你" + "妳你" + "沵你" +
	"佷很" + "毌毋" + "仧长" + "乑众" +
	// Japanese forms (shinjitai) the traditional→simplified fold lacks.
	"発发" + "売卖" + "読读" + "変变" + "広广" + "歳岁" + "転转" + "伝传" +
	"図图" + "様样" + "労劳" + "辺边" + "亜亚" + "悪恶" + "楽乐" + "気气" +
	"圧压" + "乗乘" + "験验" + "険险" + "剤剂" + "銭钱" + "浄净" + "検检" +
	"対对" + "単单" + "営营" + "栄荣" + "絵绘" + "戦战" + "鉄铁" + "関关" +
	"両两" + "価价" + "値值" + "齢龄"

var shapeMap map[rune]rune

func initShape() {
	shapeMap = map[rune]rune{}
	rs := []rune(shapePairs)
	for i := 0; i+1 < len(rs); i += 2 {
		shapeMap[rs[i]] = rs[i+1]
	}
}

// shapeFold returns the character r imitates, or r.
func shapeFold(r rune) rune {
	if s, ok := shapeMap[r]; ok {
		return s
	}
	return r
}

package screen

import (
	"context"
	"slices"
	"testing"

	"github.com/modgate/modgate"
)

// TestIssue11FalseBlocks: every false block listed in issue 11 goes through
// the shipped lexicons and policies and is allowed, while the risky use of
// the same words is still flagged with the fitting label.
func TestIssue11FalseBlocks(t *testing.T) {
	s := shippedScreener(t)
	tests := []struct {
		name, text string
		action     string // allow, or the least action wanted (review)
		label      string // label that must be present when flagged
	}{
		{"门口，交通 is not 口交", "酒店就在地铁站门口，交通很方便", modgate.ActionAllow, ""},
		{"门口，交通 in a listing", "你帮我看一下这个房子，门口，交通，学校都不错", modgate.ActionAllow, ""},
		{"书中特别 is not 中特", "这家酒店书中特别提到过，果然名不虚传", modgate.ActionAllow, ""},
		{"考试中特别", "考试中特别难的一道题，全班只有三个人做对", modgate.ActionAllow, ""},
		{"日入住 is not 日入", "3月5日入住两晚，服务人员都很有礼貌", modgate.ActionAllow, ""},
		{"出租车 is not 出租", "出租车司机很热情，还帮我搬了行李", modgate.ActionAllow, ""},
		{"购买码数 is not 买码", "请问购买码数有什么建议？我身高一米七", modgate.ActionAllow, ""},
		{"跑分 is a phone benchmark", "新手机跑分破百万了，不过日常用感觉不出来", modgate.ActionAllow, ""},
		{"尺码报一下 is not 码报", "孩子的校服尺码报一下，周五前统计好", modgate.ActionAllow, ""},
		{"two shopping words are a review", "衣服收到了，质量很好，价格也实惠，已经收藏店铺了，下次还来", modgate.ActionAllow, ""},
		{"coupon and delivery", "到货很快，第二天就到了，还用了优惠券，很划算", modgate.ActionAllow, ""},
		{"renovation and booking", "装修有点旧，但是打扫得很干净，价格实惠，提前预定有折扣", modgate.ActionAllow, ""},
		{"hotel management reply", "感谢您对本酒店的认可，欢迎您再次光临！", modgate.ActionAllow, ""},
		{"police warning about scams", "警方提醒：自称公检法要求转账到安全账户的都是诈骗", modgate.ActionAllow, ""},
		{"gambling ring news", "某地警方破获六合彩赌博案，收缴赌资四十余万元", modgate.ActionAllow, ""},

		// Session 5, from the 80w ham rows never trained on (own wording):
		// a lottery colour that is a given name, the trade's words in a
		// report, regulatory text quoting what it forbids.
		{"红波 in a name", "副市长李红波出席了开幕式并致辞", modgate.ActionAllow, ""},
		{"卖淫女 in a police report", "警方在酒店抓获多名卖淫女和嫖客", modgate.ActionAllow, ""},
		{"regulation quotes what it forbids", "理财产品宣传中不得含有保本保收益、投资回报的表述", modgate.ActionAllow, ""},
		{"红波 in a tip", "本期特码看红波，三肖六码加微信领", modgate.ActionReview, modgate.LabelGambling},
		{"a return promise", "稳赚不赔的投资项目，年化回报百分之三十，加微信了解", modgate.ActionReview, modgate.LabelFinance},

		{"sb inside a link is not an insult", "周报模板放在 sb-ns.top 上了，大家下载", modgate.ActionAllow, ""},

		{"口交 still blocks", "口交服务，加微信详聊", modgate.ActionBlock, modgate.LabelPorn},
		{"中特 tips", "本期必中特，六合彩内部资料", modgate.ActionReview, modgate.LabelGambling},
		{"日入 promise", "在家手机操作，轻松日入五百", modgate.ActionReview, modgate.LabelFraud},
		{"出租银行卡", "高价出租银行卡，一天三百", modgate.ActionReview, modgate.LabelIllegal},
		{"买码 betting", "六合彩买码找我，赔率最高", modgate.ActionReview, modgate.LabelGambling},
		{"跑分平台", "跑分平台招人，收款码跑分日结", modgate.ActionBlock, modgate.LabelIllegal},
		{"a seller's offer with a way to buy", "新款到货，全场五折，欢迎新老顾客进店选购，电话13812345678", modgate.ActionReview, modgate.LabelAds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Screen(context.Background(), modgate.Message{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if tc.action == modgate.ActionAllow {
				if v.Action != modgate.ActionAllow {
					t.Fatalf("%q: %s %v (reasons %v), want allow", tc.text, v.Action, v.Labels, v.Reasons)
				}
				return
			}
			if v.Action == modgate.ActionAllow || (tc.action == modgate.ActionBlock && v.Action != modgate.ActionBlock) {
				t.Fatalf("%q: %s %v, want %s", tc.text, v.Action, v.Labels, tc.action)
			}
			if !slices.Contains(v.Labels, tc.label) {
				t.Fatalf("%q: labels %v, want %s among them", tc.text, v.Labels, tc.label)
			}
		})
	}
}

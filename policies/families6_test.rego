package modgate_test

import data.modgate

# --- genuine notices ----------------------------------------------------------

# 【华瑞银行】您的手机银行在新设备登录…如非本人操作请立即冻结: with a notice
# phrase and no link, the header + a promo word is no ad.
test_f6_notice_drops_ads if {
	i := with_det(msg([["ads.promo", 1], ["context.notice", 1]]), {"header": 1, "price": 1})
	action(i) == "allow"
}

# The same header and price without a notice phrase stays an ad.
test_f6_header_price_without_notice_reviewed if {
	"ads.promo" in rules(with_det(msg([["ads.promo", 1]]), {"header": 1, "price": 1}))
}

# 动态码…如非本人操作，请勿泄露并致电官方客服: the bank's own advice.
test_f6_guard_advice_excuses_lure_action if {
	i := msg([["fraud.lure", 1], ["fraud.action", 1], ["context.guard", 1]])
	not "fraud.lure_link" in rules(i)
}

# ... but with a number to call it is the phishing shape again.
test_f6_guard_advice_with_number_reviewed if {
	i := with_det(msg([["fraud.lure", 1], ["fraud.action", 1], ["context.guard", 1]]), {"phone": 1})
	"fraud.lure_link" in rules(i)
}

# --- spelled links, follow-and-reply, disguised new WeChat ---------------------

# 如非本人办理请立即访问 t点cn/uP7rK 撤销.
test_f6_spelled_link_with_lure_reviewed if {
	d := decide(msg([["fraud.lure", 1], ["contact.link_spelled", 1]]))
	d.action == "review"
	"fraud" in d.labels
}

# A spelled domain with no bait (学校网站 school点com) is not phishing.
test_f6_spelled_link_alone_allowed if {
	not "fraud.lure_link" in rules(msg([["contact.link_spelled", 1]]))
}

# 关注公众号“金牛内参”回复“股票” beside a stock pitch.
test_f6_follow_reply_with_pitch_reviewed if {
	"contact.follow_reply" in rules(msg([["contact.follow", 1], ["contact.reply_kw", 1], ["finance.topic", 1]]))
}

# A school's 关注公众号回复“成绩”查询: no pitch.
test_f6_follow_reply_alone_allowed if {
	not "contact.follow_reply" in rules(msg([["contact.follow", 1], ["contact.reply_kw", 1]]))
}

test_f6_disguised_new_wechat_reviewed if {
	"contact.evasive" in rules(msg([["contact.new_id", 1]]))
}

test_f6_account_reply_reward_reviewed if {
	"contact.follow_reply" in rules(msg([["contact.channel", 1], ["contact.reply_kw", 1], ["contact.reply_reward", 1]]))
}

test_f6_account_reply_without_reward_allowed if {
	not "contact.follow_reply" in rules(msg([["contact.channel", 1], ["contact.reply_kw", 1]]))
}

package modgate_test

import data.modgate

# 今天股票跌了 / 基金收益不错: topic words only.
test_topic_alone_allowed if {
	action(msg([["finance.topic", 1]])) == "allow"
	action(msg([["finance.topic", 1], ["finance.topic", 1], ["finance.topic", 1]])) == "allow"
}

# 今天股票跌了，打电话问问银行 (phone number present): still just a topic.
test_topic_with_phone_allowed if {
	d := decide(with_det(msg([["finance.topic", 1]]), {"phone": 1}))
	d.action == "allow"
	not "finance" in d.labels
}

# 老师带你炒股 / 股票配资
test_solicit_reviewed if {
	d := decide(msg([["finance.solicit", 2], ["finance.topic", 1]]))
	d.action == "review"
	"finance.solicit" in rules(msg([["finance.solicit", 2]]))
	d.labels == ["finance"]
}

# 荐股 + 微信号
test_solicit_with_contact_blocked if {
	action(with_det(msg([["finance.solicit", 2]]), {"wechat": 1})) == "block"
	action(msg([["finance.solicit", 2], ["contact.evasive", 2]])) == "block"
}

# 年化收益高额回报
test_promise_reviewed if {
	action(msg([["finance.promise", 2]])) == "review"
	"finance.guaranteed_return" in rules(msg([["finance.promise", 2]]))
}

# 保本保息 / 稳赚不赔
test_absolute_promise_blocked if {
	action(msg([["finance.promise", 3]])) == "block"
}

# 稳赚 + 配资
test_promise_and_solicit_blocked if {
	action(msg([["finance.promise", 2], ["finance.solicit", 2]])) == "block"
}

# 日赚 + 加我微信
test_promise_with_contact_cue_blocked if {
	action(msg([["finance.promise", 2], ["contact.cue", 1]])) == "block"
}

test_crypto_scheme_reviewed if {
	action(msg([["finance.crypto", 2]])) == "review"
	action(msg([["finance.crypto", 2], ["finance.promise", 2]])) == "block"
}

test_verified_broker_may_solicit_but_not_promise if {
	action(verified(msg([["finance.solicit", 2]]))) == "allow"
	action(verified(msg([["finance.solicit", 2], ["finance.promise", 2]]))) == "block"
}

# 房贷利率又降了: credit vocabulary alone
test_credit_topic_allowed if {
	action(msg([["finance.credit", 1], ["finance.credit", 1]])) == "allow"
}

# 无抵押贷款，需要的联系我
test_credit_with_contact_reviewed if {
	d := decide(msg([["finance.credit", 1], ["contact.cue", 1]]))
	d.action == "review"
	"finance.credit_contact" in rules(msg([["finance.credit", 1], ["contact.cue", 1]]))
}

# 理财产品，年化收益，数量有限
test_product_promotion_reviewed if {
	action(msg([["finance.topic", 1], ["finance.topic", 1], ["ads.promo", 1]])) == "review"
	action(msg([["finance.topic", 1], ["ads.promo", 1]])) == "allow"
}

# 黑户专享，征信花了也能借，包下款
test_loan_offer_reviewed if {
	d := decide(msg([["finance.loan_offer", 1], ["finance.loan_offer", 1]]))
	d.action == "review"
	d.labels == ["finance"]
	action(msg([["finance.loan_offer", 1], ["finance.credit", 1]])) == "review"
}

# 央行下调贷款利率 (news: a credit word, no offer)
test_loan_news_allowed if {
	action(msg([["finance.credit", 1], ["finance.credit", 1]])) == "allow"
}

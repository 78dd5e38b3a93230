package modgate_test

import data.modgate

# 工商银行客服电话是多少 / 您的信用卡账单已出 (a real notice: brand, no lure)
test_fraud_brand_alone_allowed if {
	action(msg([["fraud.brand", 1]])) == "allow"
}

# 银行卡到期了记得去换 (brand + lure, but no link or number)
test_fraud_brand_and_lure_without_action_allowed if {
	action(msg([["fraud.brand", 1], ["fraud.lure", 1]])) == "allow"
}

# 【某银行】您的积分即将过期，请登录 wap.xx-bank.cc 兑换现金
test_fraud_phishing_template_blocked if {
	d := decide(with_det(msg([["fraud.brand", 1], ["fraud.lure", 1]]), {"url": 1}))
	d.action == "block"
	d.labels == ["fraud"]
	"fraud.phishing" in rules(with_det(msg([["fraud.brand", 1], ["fraud.lure", 1]]), {"url": 1}))
}

# 您的航班已取消，请致电 400xxxxxxx 办理改签退款 (lure + number, no brand)
test_fraud_lure_with_number_reviewed if {
	action(with_det(msg([["fraud.lure", 1]]), {"phone": 1})) == "review"
}

test_fraud_scam_wording_reviewed if {
	action(msg([["fraud.scam", 2]])) == "review"
}

test_fraud_scam_severe_blocked if {
	action(msg([["fraud.scam", 3]])) == "block"
}

test_fraud_scam_with_contact_blocked if {
	d := decide(with_det(msg([["fraud.scam", 2]]), {"qq": 1}))
	d.action == "block"
	"fraud.scam_contact" in rules(with_det(msg([["fraud.scam", 2]]), {"qq": 1}))
}

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

# 【某银行】您的手机银行于今日在新设备登录，如非本人操作，请致电本行官方客服
# 95533: the real notice's shape, a call to the bank's own hotline (no
# number the detectors count) — reviewed, never blocked.
test_fraud_brand_lure_call_without_a_number_reviewed_not_blocked if {
	i := msg([["fraud.brand", 1], ["fraud.lure", 1], ["fraud.action", 1]])
	action(i) == "review"
	not "fraud.phishing" in rules(i)
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

# 我换号了，这是我新号 (friends do this): no money ask, allowed.
test_fraud_new_number_alone_allowed if {
	action(msg([["fraud.impersonate", 1], ["fraud.impersonate", 1]])) == "allow"
}

# 我是你领导，换新号了，先帮我转五万到这个卡上
test_fraud_impersonation_with_money_ask_reviewed if {
	"fraud.impersonation" in rules(msg([["fraud.impersonate", 1], ["fraud.ask", 1]]))
}

# 这里是公安局，你涉嫌洗钱案，请配合调查
test_fraud_authority_impersonation_reviewed if {
	d := decide(msg([["fraud.authority", 1], ["fraud.accuse", 1], ["fraud.accuse", 1]]))
	d.action == "review"
	d.labels == ["fraud"]
}

# 法院今天宣判了一起洗钱案 (one accusation word, no order): allowed.
test_fraud_authority_news_allowed if {
	action(msg([["fraud.authority", 1], ["fraud.accuse", 1]])) == "allow"
}

# 朋友在家做翻译兼职，时间自由 (easy work, no pay promise): allowed.
test_fraud_job_everyday_words_allowed if {
	action(msg([["fraud.job_easy", 1], ["fraud.job_easy", 1]])) == "allow"
}

# 手机就能做，日结三百 / 打字员，先交押金
test_fraud_job_template_reviewed if {
	d := decide(msg([["fraud.job_easy", 1], ["fraud.job_pay", 1]]))
	d.action == "review"
	d.labels == ["fraud"]
	action(msg([["fraud.job_role", 1], ["fraud.job_fee", 1]])) == "review"
}

test_fraud_job_words_with_number_reviewed if {
	"fraud.job_contact" in rules(with_det(msg([["fraud.job_pay", 1]]), {"qq": 1}))
}

# 简历已通过初审，请加面试官QQ
test_fraud_job_hire_with_contact_reviewed if {
	"fraud.job_contact" in rules(msg([["fraud.job_hire", 1], ["contact.cue", 1]]))
	action(msg([["fraud.job_hire", 1]])) == "allow"
}

# 衣服有质量问题，客服很快给我退款了 (a customer's review)
test_fraud_refund_in_review_allowed if {
	action(msg([["fraud.refund", 1], ["fraud.brand", 1]])) == "allow"
}

# 您的商品有质量问题，为您办理三倍赔偿，请加客服QQ
test_fraud_refund_with_contact_reviewed if {
	"fraud.fake_service" in rules(with_det(msg([["fraud.refund", 1]]), {"qq": 1}))
}

# 警方提醒：要求转账到安全账户的都是诈骗 — a warning, no contact.
test_fraud_warning_without_contact_allowed if {
	action(msg([["fraud.scam", 3], ["context.report", 1]])) == "allow"
}

# The same words with a number to call are still a scam.
test_fraud_warning_words_with_contact_blocked if {
	action(with_det(msg([["fraud.scam", 3], ["context.report", 1]]), {"phone": 1})) == "block"
}

# 您的医保账户余额可领取，点击 yb-lq.top (no brand word, a link)
test_fraud_bait_shape_with_link_reviewed if {
	"fraud.lure_link" in rules(with_det(msg([["fraud.lure_object", 1], ["fraud.lure_state", 1]]), {"url": 1}))
}

# 我的信用卡到期了，明天去银行换 (no link): allowed.
test_fraud_bait_shape_without_link_allowed if {
	action(msg([["fraud.lure_object", 1], ["fraud.lure_state", 1], ["fraud.brand", 1]])) == "allow"
}

# 我抽中了一等奖，奖品是电饭煲 (friends): allowed.
test_fraud_prize_talk_allowed if {
	action(msg([["fraud.prize", 1], ["fraud.prize", 1]])) == "allow"
}

# 恭喜您被选为幸运观众，领奖前需缴纳手续费
test_fraud_prize_with_fee_reviewed if {
	"fraud.prize" in rules(msg([["fraud.prize", 1], ["fraud.prize_fee", 1]]))
}

# 柬埔寨西港高薪招聘，包机票 / 下个月去泰国玩
test_fraud_overseas_job_reviewed if {
	"fraud.job_overseas" in rules(msg([["fraud.job_overseas", 1], ["fraud.job_pay", 1]]))
	action(msg([["fraud.job_overseas", 1]])) == "allow"
}

# 行驶证年审逾期，线上补审: the bait shape with an instruction, no link.
test_fraud_lure_action if {
	"fraud.lure_action" in rules(msg([["fraud.lure_object", 1], ["fraud.lure_state", 1], ["fraud.action", 1]]))
	"fraud.lure_action" in rules(msg([["fraud.brand", 1], ["fraud.lure_state", 1], ["fraud.download", 1]]))
	action(msg([["fraud.brand", 1], ["fraud.lure_state", 1], ["fraud.action", 1]])) == "allow"
}

test_fraud_credential_needs_link if {
	"fraud.credential" in rules(with_det(msg([["fraud.credential", 1]]), {"url": 1}))
	action(msg([["fraud.credential", 1]])) == "allow"
}

# 你的孩子受伤了…交住院押金: a claimed identity with a fee.
test_fraud_impersonation_with_fee if {
	"fraud.impersonation" in rules(msg([["fraud.impersonate", 1], ["fraud.fee", 1]]))
	action(msg([["fraud.impersonate", 1], ["fraud.impersonate", 1]])) == "allow"
}

test_fraud_invitation_with_pay if {
	"fraud.job" in rules(msg([["fraud.job_invite", 1], ["fraud.job_pay", 1]]))
	"fraud.job" in rules(msg([["fraud.job_hire", 1], ["fraud.download", 1]]))
	action(msg([["fraud.job_invite", 1]])) == "allow"
}

test_fraud_two_signal_templates if {
	"fraud.romance" in rules(msg([["fraud.romance", 1], ["fraud.romance", 1]]))
	"fraud.trade" in rules(msg([["fraud.trade", 1], ["fraud.trade", 1]]))
	"fraud.charity" in rules(msg([["fraud.charity", 1], ["fraud.charity_pay", 1]]))
	"fraud.elder" in rules(msg([["fraud.elder", 1], ["fraud.elder", 1], ["fraud.elder", 1]]))
	action(msg([["fraud.romance", 1]])) == "allow"
	action(msg([["fraud.trade", 1]])) == "allow"
	action(msg([["fraud.elder", 1], ["fraud.elder", 1]])) == "allow"
}

# 我是反诈中心民警…请下载会议软件 and 否则罚款: a report word does not excuse
# a scam that accuses and sends to an app, or threatens; a warning is excused.
test_fraud_doing_not_excused_by_report if {
	action(msg([["fraud.authority", 1], ["fraud.accuse", 1], ["fraud.download", 1], ["context.report", 1]])) == "review"
	action(msg([["fraud.lure_object", 1], ["fraud.lure_state", 1], ["fraud.action", 1], ["fraud.threat", 1], ["context.report", 1]])) == "review"
	action(msg([["fraud.lure_object", 1], ["fraud.lure_state", 1], ["fraud.action", 1], ["context.report", 1]])) == "allow"
}

# 打字员 / 抄写员 / 录入员，均可在家: two scam roles listed are the recruitment.
test_job_role_menu_is_a_job_scam if {
	d := decide(msg([["fraud.job_role", 1], ["fraud.job_role", 1]]))
	d.action == "review"
	"fraud" in d.labels
	action(msg([["fraud.job_role", 1]])) == "allow"
}

package modgate_test

import data.modgate

# 入职不收任何费用 with no scam action: the model's middling score and the
# promotion words of a job post are dropped.
test_r8a_negation_drops_model_and_ads if {
	i := object.union(msg([["ads.promo", 1], ["ads.promo", 1], ["context.negation", 1]]), {"scores": {"spam": 0.85}})
	action(i) == "allow"
}

# The counter-move: 不收任何费用 beside a contact cue (加V了解) keeps the hits.
test_r8a_negation_with_contact_cue_kept if {
	i := msg([["ads.promo", 1], ["ads.promo", 1], ["context.negation", 1], ["contact.cue", 1]])
	action(i) == "review"
}

# ... beside a number or id.
test_r8a_negation_with_contact_kept if {
	i := with_det(msg([["fraud.trade", 1], ["fraud.trade", 1], ["context.negation", 1]]), {"wechat": 1})
	"fraud.trade" in rules(i)
}

# ... beside a money ask (资料费，直接转给我).
test_r8a_negation_with_money_ask_kept if {
	i := msg([["fraud.trade", 1], ["fraud.trade", 1], ["context.negation", 1], ["fraud.ask", 1]])
	"fraud.trade" in rules(i)
}

# 不成功不收取任何费用 is a loan ad's promise: finance hits stay.
test_r8a_negation_never_excuses_a_loan_offer if {
	i := msg([["finance.loan_offer", 2], ["finance.credit", 1], ["context.negation", 1]])
	action(i) == "review"
}

# 不用加微信 (a refusal to move) does not count as a contact cue.
test_r8a_refusal_to_move_is_no_cue if {
	i := msg([["fraud.trade", 1], ["fraud.trade", 1], ["context.no_contact", 1], ["contact.cue", 1]])
	action(i) == "allow"
}

# A real employer's post (公司官网, 面试地点): ads and model hits dropped.
test_r8a_employer_post_allowed if {
	i := object.union(msg([["ads.promo", 1], ["ads.promo", 1], ["context.employer", 1]]), {"scores": {"spam": 0.9, "fraud": 0.7}})
	action(i) == "allow"
}

# An "employer" asking a fee (押金) or naming an app to add is the scam.
test_r8a_employer_with_fee_kept if {
	i := msg([["ads.promo", 1], ["ads.promo", 1], ["context.employer", 1], ["fraud.job_fee", 1]])
	action(i) == "review"
}

test_r8a_employer_with_cue_kept if {
	i := msg([["ads.promo", 1], ["ads.promo", 1], ["context.employer", 2], ["contact.cue", 1]])
	action(i) == "review"
}

# A school's notice (班主任, 校园缴费平台): the model's fee-as-scam reading is dropped.
test_r8a_school_notice_allowed if {
	i := object.union(msg([["ads.courtesy", 1], ["context.school", 1]]), {"scores": {"spam": 0.99, "fraud": 0.99}})
	action(i) == "allow"
}

# 我是班主任…资料费请直接转到这个账户: the money ask keeps it.
test_r8a_school_with_money_ask_kept if {
	i := object.union(msg([["ads.courtesy", 1], ["context.school", 1], ["fraud.ask", 1]]), {"scores": {"spam": 0.99, "fraud": 0.99}})
	action(i) == "review"
}

# Customer service with a negation (不会主动打电话…在聊天窗口): the fraud hits
# the negated words raised are dropped; with a number they stay.
test_r8a_service_negation_allowed if {
	i := msg([["fraud.refund", 1], ["contact.business", 1], ["context.service", 1], ["context.negation", 1]])
	action(i) == "allow"
}

test_r8a_service_with_number_kept if {
	i := with_det(msg([["fraud.refund", 1], ["context.service", 1], ["context.negation", 1]]), {"qq": 1})
	"fraud.fake_service" in rules(i)
}

# Accountants (一般纳税人 + 专票 + 税点) vs an invoice seller (代开 + 税点低 + contact).
test_r8a_office_talk_allowed if {
	action(msg([["illegal.doc_item", 1], ["illegal.doc_offer", 1], ["context.office", 1]])) == "allow"
}

test_r8a_office_with_two_offers_kept if {
	i := msg([["illegal.doc_item", 1], ["illegal.doc_offer", 1], ["illegal.doc_offer", 1], ["context.office", 1]])
	"illegal.fake_document" in rules(i)
}

# 有人说“扣1拉你进资料群”…已经举报: a reported drainage cue; with 联系方式
# (联系方式戳头像，别再问我) it is the invitation.
test_r8a_reported_drainage_allowed if {
	not "contact.drainage" in rules(msg([["contact.move", 1], ["contact.move", 1], ["contact.intent", 1], ["context.report", 1]]))
}

test_r8a_reported_drainage_with_contact_word_kept if {
	"contact.drainage" in rules(msg([["contact.move", 1], ["contact.business", 1], ["context.report", 1]]))
}

# A complaint naming the shop's hotline (强烈不推荐…客服电话) is no ad.
test_r8a_complaint_allowed if {
	not "ads.promo" in rules(msg([["ads.product", 1], ["contact.business", 1], ["context.complaint", 1]]))
}

# A "warning" that asks for the steps (不会向您索要…请下载app共享屏幕) is the scam.
test_r8a_warning_that_asks_the_steps_kept if {
	i := msg([["fraud.refund", 1], ["fraud.action", 1], ["fraud.download", 1], ["fraud.step_ask", 1], ["context.report", 1]])
	"fraud.fake_service" in rules(i)
}

test_r8a_warning_naming_the_steps_allowed if {
	i := msg([["fraud.refund", 1], ["fraud.action", 1], ["fraud.download", 1], ["context.report", 1]])
	action(i) == "allow"
}

# Pitches negate too (日结工资，从不拖欠，绝不收费): a spam pitch or an offer
# (买三送一) beside a negation keeps the hits.
test_r8a_negation_with_spam_pitch_kept if {
	action(msg([["ads.spam", 2], ["context.negation", 1]])) == "review"
}

test_r8a_negation_with_offer_kept if {
	i := msg([["ads.promo", 1], ["ads.promo", 1], ["ads.offer", 1], ["context.negation", 1]])
	action(i) == "review"
}

# Gambling hits are never dropped by a negation (从不拖欠，提现秒到).
test_r8a_negation_never_excuses_gambling if {
	i := msg([["gambling.bonus", 1], ["gambling.bonus", 1], ["context.negation", 1]])
	"gambling.promo" in rules(i)
}

# Fraud (诈骗): phishing, impersonation, job and prize scams, fake customer
# service. The subcategories are described in lexicons/fraud.txt; most are
# signals, because a scam is a template more than a word: a bank's name or
# "your points expire" alone is an ordinary notice, the bank + the bait + a
# link or a number to call is phishing.
package modgate

# --- wording only scams use --------------------------------------------------

fraud_hits contains hit("fraud.scam", "fraud", "block", 3, "诈骗话术") if input.subs["fraud.scam"].max >= 3

fraud_hits contains hit("fraud.scam", "fraud", "review", 2, "疑似诈骗话术") if input.subs["fraud.scam"].max == 2

fraud_hits contains hit("fraud.scam_contact", "fraud", "block", 3, "诈骗话术并留有联系方式或链接") if {
	input.subs["fraud.scam"].max >= 2
	has_contact
}

# --- phishing: impersonated brand + bait + a way to act -----------------------

fraud_hits contains hit("fraud.phishing", "fraud", "block", 3, "冒充银行或平台，以过期、冻结或奖励诱导点击链接或回电") if {
	input.subs["fraud.brand"]
	input.subs["fraud.lure"]
	fraud_action
}

fraud_hits contains hit("fraud.lure_link", "fraud", "review", 2, "以过期、冻结或奖励诱导点击链接或回电") if {
	input.subs["fraud.lure"]
	fraud_action
}

# Fake customer service: a refund or compensation offered with a number, id
# or link (customers' reviews mention refunds, but not with a contact).
fraud_hits contains hit("fraud.fake_service", "fraud", "review", 2, "以退款、理赔、补偿为由引导联系或点击链接") if {
	input.subs["fraud.refund"]
	contact_detected > 0
}

fraud_hits contains hit("fraud.fake_service", "fraud", "review", 2, "以退款、理赔、补偿为由引导联系或点击链接") if {
	input.subs["fraud.refund"]
	input.subs["fraud.action"]
	input.subs["fraud.brand"]
}

# --- impersonation: a claimed identity + a money ask -------------------------

fraud_hits contains hit("fraud.impersonation", "fraud", "review", 2, "冒充熟人、领导或老师并要求转账或见面") if {
	input.subs["fraud.impersonate"]
	input.subs["fraud.ask"]
}

# 冒充公检法: an authority + an accusation + an order, a number or a link.
fraud_hits contains hit("fraud.authority", "fraud", "review", 2, "冒充公检法，以涉案为由要求配合") if {
	input.subs["fraud.authority"]
	input.subs["fraud.accuse"].n >= 2
}

fraud_hits contains hit("fraud.authority", "fraud", "review", 2, "冒充公检法，以涉案为由要求配合") if {
	input.subs["fraud.authority"]
	input.subs["fraud.accuse"]
	fraud_action
}

# --- prize scams ------------------------------------------------------------

fraud_hits contains hit("fraud.prize", "fraud", "review", 2, "中奖、幸运观众并需缴费或联系领取") if {
	input.subs["fraud.prize"].n >= data.tunables.fraud.prize_review_count
}

fraud_hits contains hit("fraud.prize", "fraud", "review", 2, "中奖、幸运观众并需缴费或联系领取") if {
	input.subs["fraud.prize"]
	fraud_action
}

# --- job scams ----------------------------------------------------------------
# fraud.job severity 2 terms (刷单, 打字员招聘, 简历已通过) decide alone; the
# everyday job words (兼职, 日结, 时间自由) need several, or a contact.

fraud_hits contains hit("fraud.job", "fraud", "review", 2, "刷单、打字员、点赞员等兼职诈骗用语") if input.subs["fraud.job"].max >= 2

fraud_hits contains hit("fraud.job", "fraud", "review", 2, "刷单、打字员、点赞员等兼职诈骗用语") if {
	input.subs["fraud.job"].n >= data.tunables.fraud.job_review_count
}

fraud_hits contains hit("fraud.job_contact", "fraud", "review", 2, "兼职招聘用语并留有联系方式") if {
	input.subs["fraud.job"]
	contact_detected > 0
}

fraud_hits contains hit("fraud.job_contact", "fraud", "review", 2, "兼职招聘用语并留有联系方式") if {
	input.subs["fraud.job"].n >= 2
	has_contact_cue
}

# A way to act: a detected number, id or link, or an explicit instruction.
fraud_action if contact_detected > 0

fraud_action if input.subs["fraud.action"]

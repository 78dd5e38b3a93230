# Fraud (诈骗): phishing, impersonation, job and prize scams, fake customer
# service.
#
# Lexicon subcategories (lexicons/fraud.txt):
#   fraud.scam      wording used almost only by scams (刷单返利, 积分兑换现金)
#   fraud.brand     a bank, carrier or platform a scam impersonates (signal)
#   fraud.lure      urgency, expiry or reward bait (账户冻结, 即将过期, 中奖)
#   fraud.action    what the victim is told to do (点击链接, 登录网址, 回拨)
# A scam is the template, not a word: a brand or a lure alone is ordinary
# (banks send real notices), a brand + a lure + a link or a number to call
# is phishing.
package modgate

fraud_hits contains hit("fraud.scam", "fraud", "block", 3, "诈骗话术") if input.subs["fraud.scam"].max >= 3

fraud_hits contains hit("fraud.scam", "fraud", "review", 2, "疑似诈骗话术") if input.subs["fraud.scam"].max == 2

fraud_hits contains hit("fraud.scam_contact", "fraud", "block", 3, "诈骗话术并留有联系方式或链接") if {
	input.subs["fraud.scam"].max >= 2
	has_contact
}

# Phishing template: impersonated brand + lure + a way to act (link, number,
# instruction).
fraud_hits contains hit("fraud.phishing", "fraud", "block", 3, "冒充银行或平台，以过期、冻结或奖励诱导点击链接或回电") if {
	input.subs["fraud.brand"]
	input.subs["fraud.lure"]
	fraud_action
}

fraud_hits contains hit("fraud.lure_link", "fraud", "review", 2, "以过期、冻结或奖励诱导点击链接或回电") if {
	input.subs["fraud.lure"]
	fraud_action
}

fraud_action if contact_detected > 0

fraud_action if input.subs["fraud.action"]

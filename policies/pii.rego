# Personal data (个人信息): ID-card, bank-card and phone numbers are masked by
# the filter and labelled pii. Posting someone's ID-card or bank-card number
# in a group goes to review (except in the group kinds listed in data.json,
# e.g. enterprise customer-service groups); a dump of phone numbers too.
package modgate

pii_kinds := {"id_card", "bank_card", "phone"}

hits contains hit("pii.masked", "pii", "allow", 1, "个人信息已脱敏") if {
	some kind in pii_kinds
	detected(kind) > 0
}

hits contains hit("pii.sensitive", "pii", "review", 2, "群内发布身份证号或银行卡号") if {
	some kind in data.tunables.pii.review_kinds
	detected(kind) > 0
	not input.group.kind in data.tunables.pii.exempt_group_kinds
}

hits contains hit("pii.phone_dump", "pii", "review", 2, "大量手机号码") if {
	detected("phone") >= data.tunables.pii.phone_review_count
}

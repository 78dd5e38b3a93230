# Personal data (个人信息): ID-card, bank-card and phone numbers are masked by
# the filter and labelled pii. Posting someone's ID-card or bank-card number
# in a group goes to review (except in the group kinds listed in data.json,
# e.g. enterprise customer-service groups); a dump of phone numbers too.
package modgate

pii_kinds := {"id_card", "bank_card", "phone"}

pii_hits contains {"rule": "pii.masked", "label": "pii", "action": "allow", "severity": 1, "message": "个人信息已脱敏"} if {
	some kind, c in input.detectors
	kind in pii_kinds
	c > 0
}

pii_hits contains {"rule": "pii.sensitive", "label": "pii", "action": "review", "severity": 2, "message": "群内发布身份证号或银行卡号"} if {
	some kind, c in input.detectors
	kind in data.tunables.pii.review_kinds
	c > 0
	not input.group.kind in data.tunables.pii.exempt_group_kinds
}

pii_hits contains {"rule": "pii.phone_dump", "label": "pii", "action": "review", "severity": 2, "message": "大量手机号码"} if {
	input.detectors.phone >= data.tunables.pii.phone_review_count
}

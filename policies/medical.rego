# Restricted licensed topic: medical (包治, 祖传秘方, 免处方, 代孕).
#
# A topic word alone (医院, 处方药) is never a violation. Cure claims are
# reviewed (blocked when absolute or combined with a contact or promotion),
# prescription drugs offered without prescription are reviewed or blocked,
# surrogacy and fetal sex selection are blocked.
package modgate

medical_hits contains {"rule": "medical.cure_claim", "label": "medical", "action": "review", "severity": 2, "message": "夸大疗效、包治根治等医疗宣传"} if {
	input.subs["medical.claim"].max == 2
}

medical_hits contains {"rule": "medical.cure_claim_block", "label": "medical", "action": "block", "severity": 3, "message": "包治百病等绝对化医疗宣传"} if {
	input.subs["medical.claim"].max >= 3
}

medical_hits contains {"rule": "medical.claim_promo", "label": "medical", "action": "block", "severity": 3, "message": "医疗宣传并招揽或留有联系方式"} if {
	input.subs["medical.claim"]
	has_contact
}

medical_hits contains {"rule": "medical.claim_promo", "label": "medical", "action": "block", "severity": 3, "message": "医疗宣传并招揽或留有联系方式"} if {
	input.subs["medical.claim"]
	input.subs["ads.promo"]
}

medical_hits contains {"rule": "medical.rx_offer", "label": "medical", "action": "review", "severity": 2, "message": "无处方销售处方药"} if {
	input.subs["medical.rx_offer"].max == 2
}

medical_hits contains {"rule": "medical.rx_offer", "label": "medical", "action": "block", "severity": 3, "message": "出售管制或处方药品"} if {
	input.subs["medical.rx_offer"].max >= 3
}

medical_hits contains {"rule": "medical.rx_offer_contact", "label": "medical", "action": "block", "severity": 3, "message": "无处方售药并留有联系方式"} if {
	input.subs["medical.rx_offer"]
	has_contact
}

medical_hits contains {"rule": "medical.surrogacy", "label": "medical", "action": "block", "severity": 3, "message": "代孕、买卖卵子或胎儿性别鉴定"} if {
	input.subs["medical.surrogacy"]
}

# Medical advertising (医院 + 优惠活动) needs approval: review.
medical_hits contains {"rule": "medical.promo", "label": "medical", "action": "review", "severity": 2, "message": "医疗广告"} if {
	input.subs["medical.topic"]
	promo_score >= 1
}

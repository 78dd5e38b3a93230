# Restricted licensed topic: medical (包治, 祖传秘方, 免处方, 代孕).
#
# A topic word alone (医院, 处方药) is never a violation. Cure claims are
# reviewed (blocked when absolute or combined with a contact or promotion),
# prescription drugs offered without prescription are reviewed or blocked,
# surrogacy and fetal sex selection are blocked.
package modgate

hits contains hit("medical.cure_claim", "medical", "review", 2, "夸大疗效、包治根治等医疗宣传") if {
	top("medical.claim") == 2
}

hits contains hit("medical.cure_claim_block", "medical", "block", 3, "包治百病等绝对化医疗宣传") if {
	top("medical.claim") >= 3
}

hits contains hit("medical.claim_promo", "medical", "block", 3, "医疗宣传并招揽或留有联系方式") if {
	n("medical.claim") > 0
	has_contact
}

hits contains hit("medical.claim_promo", "medical", "block", 3, "医疗宣传并招揽或留有联系方式") if {
	n("medical.claim") > 0
	n("ads.promo") > 0
}

hits contains hit("medical.rx_offer", "medical", "review", 2, "无处方销售处方药") if {
	top("medical.rx_offer") == 2
}

hits contains hit("medical.rx_offer", "medical", "block", 3, "出售管制或处方药品") if {
	top("medical.rx_offer") >= 3
}

hits contains hit("medical.rx_offer_contact", "medical", "block", 3, "无处方售药并留有联系方式") if {
	n("medical.rx_offer") > 0
	has_contact
}

hits contains hit("medical.surrogacy", "medical", "block", 3, "代孕、买卖卵子或胎儿性别鉴定") if {
	n("medical.surrogacy") > 0
}

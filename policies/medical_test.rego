package modgate_test

import data.modgate

# 医生说这个药要按处方吃
test_topic_alone_allowed if {
	action(msg([["medical.topic", 1], ["medical.topic", 1]])) == "allow"
}

# 去医院看看，电话 138… : topic plus a phone number is still fine
test_topic_with_phone_allowed if {
	action(with_det(msg([["medical.topic", 1]]), {"phone": 1})) == "allow"
}

# 祖传秘方，根治
test_cure_claim_reviewed if {
	d := decide(msg([["medical.claim", 2], ["medical.topic", 1]]))
	d.action == "review"
	d.labels == ["medical"]
}

# 包治百病
test_absolute_claim_blocked if {
	action(msg([["medical.claim", 3]])) == "block"
}

# 根治 + 加微信 / 根治 + 优惠
test_claim_with_contact_or_promo_blocked if {
	action(msg([["medical.claim", 2], ["contact.cue", 1]])) == "block"
	action(msg([["medical.claim", 2], ["ads.promo", 1]])) == "block"
}

# 无需处方 / 免处方
test_rx_offer_reviewed if {
	action(msg([["medical.rx_offer", 2]])) == "review"
}

test_rx_offer_with_contact_blocked if {
	action(with_det(msg([["medical.rx_offer", 2]]), {"phone": 1})) == "block"
}

test_controlled_drug_offer_blocked if {
	action(msg([["medical.rx_offer", 3]])) == "block"
}

test_surrogacy_blocked if {
	d := decide(msg([["medical.surrogacy", 3]]))
	d.action == "block"
	"medical.surrogacy" in rules(msg([["medical.surrogacy", 3]]))
}

test_verified_hospital_exempt_from_plain_claims_only if {
	action(verified(msg([["medical.claim", 2]]))) == "allow"
	action(verified(msg([["medical.surrogacy", 3]]))) == "block"
}

# 医院 + 优惠活动: medical advertising
test_medical_promotion_reviewed if {
	d := decide(msg([["medical.topic", 1], ["ads.promo", 1]]))
	d.action == "review"
	"medical.promo" in rules(msg([["medical.topic", 1], ["ads.promo", 1]]))
}

package modgate_test

import data.modgate

# 商场打折了，我们去看看: one promo word between friends
test_single_promo_word_allowed if {
	action(msg([["ads.promo", 1]])) == "allow"
	action(msg([["induced_sharing.reward", 1]])) == "allow"
}

# 全场促销，欢迎光临
test_promo_words_reviewed if {
	d := decide(msg([["ads.promo", 1], ["ads.promo", 1]]))
	d.action == "review"
	d.labels == ["ads"]
}

# rewards (红包) and business contact phrases (咨询热线) count as promotion
test_rewards_and_business_cues_add_up if {
	action(msg([["ads.promo", 1], ["induced_sharing.reward", 1]])) == "review"
	action(msg([["ads.promo", 1], ["contact.business", 1]])) == "review"
}

# 某楼盘开盘，精装现房，均价一万: property news counts once
test_property_vocabulary_counts_once if {
	action(msg([["ads.realty", 1], ["ads.realty", 1], ["ads.realty", 1]])) == "allow"
	action(msg([["ads.realty", 1], ["ads.promo", 1]])) == "review"
}

# 特价 + phone number
test_promo_with_phone_reviewed if {
	action(with_det(msg([["ads.promo", 1]]), {"phone": 1})) == "review"
}

# 兼职 加我微信: one promo word plus a personal cue is not enough
test_promo_with_contact_cue if {
	action(msg([["ads.promo", 1], ["contact.cue", 1]])) == "allow"
	"ads.promo_contact" in rules(msg([["ads.promo", 1], ["ads.promo", 1], ["contact.cue", 1]]))
	action(msg([["ads.promo", 1], ["contact.cue", 1]])) == "review" with data.tunables.ads.promo_with_contact_cue as 1
}

# 有空加我微信聊: a contact cue between friends
test_contact_cue_alone_allowed if {
	action(msg([["contact.cue", 1]])) == "allow"
	action(with_det(msg([["contact.cue", 1]]), {"wechat": 1})) == "allow"
}

test_spam_vocabulary_by_severity if {
	action(msg([["ads.spam", 2]])) == "review"
	action(msg([["ads.spam", 3]])) == "block"
}

test_spam_with_contact_blocked if {
	action(msg([["ads.spam", 2], ["contact.cue", 1]])) == "block"
}

# 加薇信 + a number
test_evasive_contact_with_number_reviewed if {
	d := decide(with_det(msg([["contact.evasive", 2]]), {"phone": 1}))
	d.action == "review"
	d.labels == ["contact", "pii"]
}

test_evasive_contact_alone_allowed_for_established if {
	action(msg([["contact.evasive", 2]])) == "allow"
}

test_evasive_contact_number_and_promo_blocked if {
	action(with_det(msg([["contact.evasive", 2], ["ads.promo", 1]]), {"wechat": 1})) == "block"
}

test_new_account_posting_link_reviewed if {
	i := with_det(base, {"url": 1})
	action(i) == "allow"
	action(new_sender(i)) == "review"
	"contact.new_account" in rules(new_sender(i))
}

test_unknown_account_age_not_treated_as_new if {
	i := object.union(with_det(base, {"url": 1}), {"sender": {"account": "unknown", "verified_org": false}})
	action(i) == "allow"
}

test_many_links_reviewed if {
	action(with_det(base, {"url": 2, "qq": 1})) == "review"
}

test_verified_brand_may_promote if {
	i := with_det(msg([["ads.promo", 1], ["ads.promo", 1]]), {"phone": 1})
	action(verified(i)) == "allow"
	action(verified(msg([["ads.spam", 3]]))) == "block"
}

test_promo_threshold_is_a_tunable if {
	action(msg([["ads.promo", 1], ["ads.promo", 1]])) == "allow" with data.tunables.ads.promo_review_count as 3
}

# 需要的朋友加我微信 chenxi2266，备注群名
test_drainage_intent_with_id_reviewed if {
	d := decide(with_det(msg([["contact.intent", 1], ["contact.cue", 1]]), {"wechat": 1}))
	d.action == "review"
	d.labels == ["contact"]
}

# 主页有联系方式，感兴趣的点我头像 (no id yet: intent and cue words add up)
test_drainage_without_id_needs_signals if {
	action(msg([["contact.intent", 1], ["contact.cue", 1]])) == "allow"
	action(msg([["contact.intent", 1], ["contact.intent", 1], ["contact.cue", 1]])) == "review"
}

# 衣服收到了，价格实惠，已经收藏店铺了 (a customer's review)
test_product_words_alone_allowed if {
	action(msg([["ads.product", 1], ["ads.product", 1], ["ads.product", 1]])) == "allow"
}

# 感谢您对本酒店的认可，欢迎您再次光临 (a hotel's reply to a review)
test_courtesy_alone_allowed if {
	action(msg([["ads.courtesy", 1], ["ads.courtesy", 1], ["ads.product", 1]])) == "allow"
}

# 新款到货，全场五折，欢迎新老顾客 (a seller's signal makes the product words count)
test_product_words_next_to_an_offer_count if {
	action(msg([["ads.offer", 1]])) == "review"
	action(msg([["ads.promo", 1], ["ads.product", 1]])) == "review"
}

# 加喂信 abc123: a cue found only as a homophone, next to an id.
test_variant_cue_with_id_reviewed if {
	d := decide(with_variant(with_det(msg([["contact.cue", 1]]), {"wechat": 1}), "contact"))
	d.action == "review"
	"contact.evasive" in rules(with_variant(with_det(msg([["contact.cue", 1]]), {"wechat": 1}), "contact"))
}

# 这个群快满了，新群二维码发在群公告，大家移步到新群
test_drainage_move_off_group_reviewed if {
	d := decide(msg([["contact.move", 1], ["contact.channel", 1]]))
	d.action == "review"
	d.labels == ["contact"]
}

# 老师的微信二维码发在群公告里了 (a channel word, no move): allowed.
test_channel_alone_allowed if {
	action(msg([["contact.channel", 1], ["contact.cue", 1]])) == "allow"
}

# 【美味多披萨】第二份半价，满59元免配送 (a shop's header and a price)
test_header_and_price_make_an_ad if {
	d := decide(with_det(msg([]), {"header": 1, "price": 1}))
	d.action == "review"
	d.labels == ["ads"]
}

# 才99元，很划算，质量也好 (a customer quoting a price)
test_price_in_a_review_allowed if {
	action(with_det(msg([["ads.product", 1]]), {"price": 1})) == "allow"
}

# 薇❤信…有好货 / jia wo wei xin…号码在头像里: a disguised cue with an intent.
test_contact_evasive_with_intent if {
	"contact.evasive" in rules(msg([["contact.evasive", 2], ["contact.intent", 1]]))
	"contact.evasive" in rules(object.union(msg([["contact.cue", 1], ["contact.intent", 1]]), {"variants": {"contact": {"n": 1, "max": 1}}}))
	not "contact.evasive" in rules(msg([["contact.cue", 1], ["contact.intent", 1]]))
}

# 同学们，聚会的群我建好了，二维码我私发给每个人: a move cue and a channel
# among people who know each other is not drainage; with a link it is.
test_contact_personal_context if {
	action(msg([["contact.move", 1], ["contact.channel", 1]])) == "review"
	action(msg([["contact.move", 1], ["contact.channel", 1], ["context.personal", 1]])) == "allow"
	action(with_det(msg([["contact.move", 1], ["contact.channel", 1], ["context.personal", 1]]), {"url": 1})) == "review"
}

# Advertising and contact drainage (广告 / 引流).
#
# Promotional words (ads.promo) are ordinary on their own; several of them, or
# promotion next to a way to contact the sender, make an ad. Side-job and
# brushing scam vocabulary (ads.spam) is reviewed or blocked by severity.
# New accounts posting links or contact details are reviewed.
package modgate

# promo_score adds up the promotional signals: commercial words, sales copy
# (ads.offer and the unsubscribe line ads.unsubscribe, counted twice:
# 欢迎新老顾客 alone makes an ad), rewards
# (红包, 礼品), business contact phrases (咨询热线, 欢迎来电) and property
# vocabulary, which counts once however many words match (property news
# uses the same words).
promo_score := sum([
	object.get(input.subs, ["ads.promo", "n"], 0),
	2 * object.get(input.subs, ["ads.offer", "n"], 0),
	2 * object.get(input.subs, ["ads.unsubscribe", "n"], 0),
	object.get(input.subs, ["induced_sharing.reward", "n"], 0),
	object.get(input.subs, ["contact.business", "n"], 0),
	realty_signal,
	product_signal,
	commerce_signal,
])

# Commerce detectors (filters): a 【brand】 header opening the message and an
# address line are a seller's; a price counts once and only next to a
# seller's signal (customers and property news quote prices too).
default commerce_signal := 0

commerce_signal := count({k | some k in ["header", "address"]; input.detectors[k]}) + price_signal

default price_signal := 0

price_signal := 1 if {
	input.detectors.price
	seller_signal
}

default realty_signal := 0

realty_signal := 1 if input.subs["ads.realty"]

# Shopping words customers use as much as shops (实惠, 到货, 优惠券) count
# once, and only next to a seller's own signal: two of them in a review
# never make an ad.
default product_signal := 0

product_signal := 1 if {
	input.subs["ads.product"]
	seller_signal
}

seller_signal if input.subs["ads.promo"]

seller_signal if input.subs["ads.offer"]

seller_signal if input.subs["ads.unsubscribe"]

seller_signal if input.subs["contact.business"]

seller_signal if input.detectors.header

seller_signal if input.detectors.address


ads_hits contains {"rule": "ads.spam", "label": "ads", "action": "block", "severity": 3, "message": "刷单、返佣等广告诈骗用语"} if input.subs["ads.spam"].max >= 3

ads_hits contains {"rule": "ads.spam", "label": "ads", "action": "review", "severity": 2, "message": "兼职引流、货源代发等广告用语"} if input.subs["ads.spam"].max == 2

ads_hits contains {"rule": "ads.spam_contact", "label": "ads", "action": "block", "severity": 3, "message": "广告用语并留有联系方式"} if {
	input.subs["ads.spam"].max >= 2
	has_contact
}

ads_hits contains {"rule": "ads.promo", "label": "ads", "action": "review", "severity": 2, "message": "多个促销用语，疑似广告"} if {
	promo_score >= data.tunables.ads.promo_review_count
}

ads_hits contains {"rule": "ads.promo_contact", "label": "ads", "action": "review", "severity": 2, "message": "促销用语并留有联系方式或引导添加"} if {
	input.subs["ads.promo"].n >= data.tunables.ads.promo_with_contact_detector
	contact_detected > 0
}

ads_hits contains {"rule": "ads.promo_contact", "label": "ads", "action": "review", "severity": 2, "message": "促销用语并留有联系方式或引导添加"} if {
	promo_score >= data.tunables.ads.promo_with_contact_cue
	has_contact_cue
}

# A contact written with separators between its characters (h t 6 6 9 9):
# spelled out to get past a filter.
ads_hits contains {"rule": "contact.spread", "label": "contact", "action": "review", "severity": 2, "message": "拆开书写的联系方式（逐字加空格或符号）"} if input.detectors.spread_contact

# Disguised contact channel (薇信, vx) plus a number or link: drainage.
ads_hits contains {"rule": "contact.evasive", "label": "contact", "action": "review", "severity": 2, "message": "变体写法引导添加联系方式"} if {
	input.subs["contact.evasive"]
	contact_detected > 0
}

ads_hits contains {"rule": "contact.evasive", "label": "contact", "action": "review", "severity": 2, "message": "变体写法引导添加联系方式"} if {
	input.subs["contact.evasive"]
	input.subs["ads.promo"]
}

ads_hits contains {"rule": "ads.drainage", "label": "ads", "action": "block", "severity": 3, "message": "变体联系方式、联系号码与促销同时出现"} if {
	input.subs["contact.evasive"]
	contact_detected > 0
	input.subs["ads.promo"]
}

# Drainage (引流): a cue to move off the group (加我微信, 进群, 私聊) next to
# the number, id or link to move to.
ads_hits contains {"rule": "contact.drainage", "label": "contact", "action": "review", "severity": 2, "message": "引导添加联系方式或进群（引流）"} if {
	input.subs["contact.intent"]
	contact_detected > 0
}

# The same invitation without a number yet ("look at my avatar", "DM me
# for the contact"): a drainage cue and an intent phrase.
ads_hits contains {"rule": "contact.drainage", "label": "contact", "action": "review", "severity": 2, "message": "引导添加联系方式或进群（引流）"} if {
	input.subs["contact.intent"]
	has_contact_cue
	input.subs["contact.intent"].n + object.get(input.subs, ["contact.cue", "n"], 0) >= data.tunables.contact.drainage_signals
}

# Moving people off the group (移步新群, 不方便在群里说, 号在签名里) towards a
# channel, a cue or an id.
ads_hits contains {"rule": "contact.drainage", "label": "contact", "action": "review", "severity": 2, "message": "引导添加联系方式或进群（引流）"} if {
	input.subs["contact.move"]
	drainage_target
}

# An account on another app (Telegram @handle, Line ID, 陌陌号, WhatsApp):
# posting it in the group moves people off it.
ads_hits contains {"rule": "contact.other_app", "label": "contact", "action": "review", "severity": 2, "message": "留有其他平台账号（引流）"} if {
	input.detectors.account
}

drainage_target if input.subs["contact.channel"]

drainage_target if has_contact_cue

drainage_target if contact_detected > 0

drainage_target if input.subs["contact.move"].n >= 2

# A contact cue spelled with homophones or look-alikes (加喂信, jia wei xin)
# next to an id: nobody disguises a cue by accident.
ads_hits contains {"rule": "contact.evasive", "label": "contact", "action": "review", "severity": 2, "message": "变体写法引导添加联系方式"} if {
	input.variants.contact
	contact_detected > 0
}

# A disguised channel (薇❤信, V❤, 卫星) or a contact cue spelled in pinyin
# (jia wo wei xin) with an intent phrase (有好货, 号码在头像里): the
# invitation itself, even before an id the detectors can read.
ads_hits contains {"rule": "contact.evasive", "label": "contact", "action": "review", "severity": 2, "message": "变体写法引导添加联系方式"} if {
	input.subs["contact.evasive"]
	input.subs["contact.intent"]
}

ads_hits contains {"rule": "contact.evasive", "label": "contact", "action": "review", "severity": 2, "message": "变体写法引导添加联系方式"} if {
	input.variants.contact
	input.subs["contact.intent"]
}

# New accounts get stricter treatment: any contact detail or disguised cue.
ads_hits contains {"rule": "contact.new_account", "label": "contact", "action": "review", "severity": 2, "message": "新注册账号发布联系方式或链接"} if {
	new_account
	contact_detected > 0
}

ads_hits contains {"rule": "contact.new_account", "label": "contact", "action": "review", "severity": 2, "message": "新注册账号发布联系方式或链接"} if {
	new_account
	input.subs["contact.evasive"]
}

ads_hits contains {"rule": "contact.flood", "label": "contact", "action": "review", "severity": 2, "message": "大量联系方式或链接"} if {
	contact_detected >= data.tunables.contact.flood_count
}

# Advertising and contact drainage (广告 / 引流).
#
# Promotional words (ads.promo) are ordinary on their own; several of them, or
# promotion next to a way to contact the sender, make an ad. Side-job and
# brushing scam vocabulary (ads.spam) is reviewed or blocked by severity.
# New accounts posting links or contact details are reviewed.
package modgate

promo := n("ads.promo")

hits contains hit("ads.spam", "ads", "block", 3, "刷单、返佣等广告诈骗用语") if top("ads.spam") >= 3

hits contains hit("ads.spam", "ads", "review", 2, "兼职引流、货源代发等广告用语") if top("ads.spam") == 2

hits contains hit("ads.spam_contact", "ads", "block", 3, "广告用语并留有联系方式") if {
	top("ads.spam") >= 2
	has_contact
}

hits contains hit("ads.promo", "ads", "review", 2, "多个促销用语，疑似广告") if {
	promo >= data.tunables.ads.promo_review_count
}

hits contains hit("ads.promo_contact", "ads", "review", 2, "促销用语并留有联系方式") if {
	promo >= data.tunables.ads.promo_with_contact_detector
	contact_detected > 0
}

hits contains hit("ads.promo_contact", "ads", "review", 2, "促销用语并引导加好友/进群") if {
	promo >= data.tunables.ads.promo_with_contact_cue
	has_contact_cue
}

# Disguised contact channel (薇信, vx) plus a number or link: drainage.
hits contains hit("contact.evasive", "contact", "review", 2, "变体写法引导添加联系方式") if {
	n("contact.evasive") > 0
	contact_detected > 0
}

hits contains hit("contact.evasive", "contact", "review", 2, "变体写法引导添加联系方式") if {
	n("contact.evasive") > 0
	promo > 0
}

hits contains hit("ads.drainage", "ads", "block", 3, "变体联系方式、联系号码与促销同时出现") if {
	n("contact.evasive") > 0
	contact_detected > 0
	promo > 0
}

# New accounts get stricter treatment: any contact detail or disguised cue.
hits contains hit("contact.new_account", "contact", "review", 2, "新注册账号发布联系方式或链接") if {
	new_account
	contact_detected > 0
}

hits contains hit("contact.new_account", "contact", "review", 2, "新注册账号发布联系方式或链接") if {
	new_account
	n("contact.evasive") > 0
}

hits contains hit("contact.flood", "contact", "review", 2, "大量联系方式或链接") if {
	contact_detected >= data.tunables.contact.flood_count
}

# The fifth team set's wording families (issue 11, session 5): replies
# under posts that point to a profile or a DM, apps named by description,
# "send me the code", collecting money with a payment code, the overseas
# parcel, winners bragging, and shops' replies to reviews that are no ads.
# The vocabulary is in the `# --- families5 pass` blocks of lexicons/*.txt.
package modgate

# --- drainage in replies (已私你 + 看简介, 看我昵称 + 直播间) ------------------

# A reply pointer: a DM already sent (已私你, 滴滴我), a pointer to the
# profile (看我昵称, 橱窗, 评论区置顶), an app named by description (绿色的
# 软件). Any one of them is ordinary between friends.
reply_pointer_kinds := {k |
	some k in ["contact.dm", "contact.pointer", "contact.app_hint"]
	input.subs[k]
}

# How many signals: each distinct reply-pointer term, and each other kind
# of drainage signal present (whose lexicons list some terms twice).
drainage_weak_count := sum([object.get(input.subs, [k, "n"], 0) | some k in ["contact.dm", "contact.pointer", "contact.app_hint"]]) + count({k |
	some k in ["contact.move", "contact.channel", "contact.intent", "contact.cue", "contact.evasive"]
	input.subs[k]
})

# Two signals, one of them a reply pointer (已私你 + 看下
# 消息, 看我头像 + 评论区置顶, 公众号 + 自动获取): the reply is the
# invitation.
ads_hits contains hit("contact.reply_pointer", "contact", "review", 2, "回复中引导私信、看主页或换到其他平台（引流）") if {
	count(reply_pointer_kinds) > 0
	drainage_weak_count >= 2
}

# A pointer with the id itself (绿色的软件…号码就是我手机号 139…).
ads_hits contains hit("contact.reply_pointer", "contact", "review", 2, "回复中引导私信、看主页或换到其他平台（引流）") if {
	count(reply_pointer_kinds) > 0
	contact_detected > 0
}

# --- escort: a veiled offer sent privately ---------------------------------

# An escort service word beside a DM already sent or a pointer to the
# profile (想要人陪你过夜吗…看简介那个数字).
porn_hits contains hit("porn.escort_pointer", "porn", "review", 2, "疑似招嫖（服务暗示并引导私信或看主页）") if {
	input.subs["porn.escort_service"]
	escort_pointer
}

escort_pointer if input.subs["contact.dm"]

escort_pointer if input.subs["contact.pointer"]

escort_pointer if input.subs["contact.move"]

# --- fraud: the code, the payment code, the parcel --------------------------

# "Send me the code" with a story: a stolen or new account, a favour
# asked, a bargain link (砍一刀). (A bank's name is not enough: its real
# notices warn 不会向您索要短信验证码.)
fraud_hits contains hit("fraud.code_ask", "fraud", "review", 2, "索要短信验证码") if {
	input.subs["fraud.code_ask"]
	code_story
}

code_story if input.subs["fraud.impersonate"]

code_story if input.subs["fraud.new_channel"]

code_story if input.subs["fraud.lure_state"]

code_story if input.subs["fraud.ask"]

code_story if input.subs["induced_sharing.action"]

# Money collected to a personal payment code (校服费…收款码在这…付完截图发我).
fraud_hits contains hit("fraud.collect", "fraud", "review", 2, "以代收费用为由要求扫码转账") if {
	input.subs["fraud.collect"]
	collect_story
}

collect_story if input.subs["fraud.fee"]

collect_story if input.subs["fraud.impersonate"]

collect_story if input.subs["fraud.collect"].n >= 2

# The overseas doctor, peacekeeper or diplomat with money to send.
fraud_hits contains hit("fraud.parcel", "fraud", "review", 2, "冒充海外军医、维和人员，以转移资金或包裹为由诱骗") if {
	input.subs["fraud.parcel"].n >= 2
}

# A claimed identity saying the old number or group is no longer used
# (新班主任…原来的群不用了) with an instruction to move: the impersonator's
# first step. (我在开会不方便接电话，稍后回电 is no such move.)
fraud_hits contains hit("fraud.impersonation", "fraud", "review", 2, "冒充熟人、领导或老师并要求转账或见面") if {
	input.subs["fraud.impersonate"]
	input.subs["fraud.new_channel"]
	impersonation_move
}

# ... or with a money ask (之前的号不用了…能不能借我八千).
fraud_hits contains hit("fraud.impersonation", "fraud", "review", 2, "冒充熟人、领导或老师并要求转账或见面") if {
	input.subs["fraud.new_channel"]
	input.subs["fraud.ask"]
}

impersonation_move if input.subs["fraud.action"]

impersonation_move if input.subs["contact.cue"]

# --- gambling: the winner's story -------------------------------------------

win_context if input.subs["gambling.topic"]

win_context if input.subs["gambling.game"]

win_context if input.subs["gambling.bonus"]

win_context if input.subs["gambling.brand"]

win_context if input.subs["gambling.solicit"]

gambling_hits contains hit("gambling.win", "gambling", "review", 2, "炫耀赢钱、可提现，招揽赌博") if {
	input.subs["gambling.win"].n >= 2
}

gambling_hits contains hit("gambling.win", "gambling", "review", 2, "炫耀赢钱、可提现，招揽赌博") if {
	input.subs["gambling.win"]
	win_context
}

# A deposit bonus with the site "on my profile" (网址在我主页 新人充值有送).
gambling_hits contains hit("gambling.promo", "gambling", "review", 2, "博彩平台、充值赠送等招揽赌博用语") if {
	gambling_lure
	input.subs["contact.pointer"]
}

# --- shops' replies and customers' verdicts ---------------------------------

# A shop's or hotel's reply to a review (感谢您对本店的认可, 平日入住会有更多
# 优惠) is no ad without a contact, a link, a price or a contact cue: its ads
# hits are dropped, and so are model hits unless a score alone is high
# enough to flag (the model reads every courteous reply as a seller's).
reply_hit(h) if {
	input.subs["context.shop_reply"]
	no_seller_action
	reply_droppable(h)
}

# A customer's verdict (划算, 处理还算及时): a model score needs more than a
# shopping or refund word beside it.
reply_hit(h) if {
	input.subs["context.review"]
	no_seller_action
	model_tier_below_alone(h)
}

reply_droppable(h) if {
	h.label == "ads"
	not startswith(h.rule, "model.")
}

reply_droppable(h) if model_tier_below_alone(h)

# model_tier_below_alone: a model hit while no score was high enough to
# flag the message by itself.
model_tier_below_alone(h) if {
	startswith(h.rule, "model.")
	not model_alone_fired
}

no_seller_action if {
	contact_detected == 0
	not input.detectors.price
	not input.subs["contact.cue"]
	not input.subs["contact.evasive"]
	not input.subs["contact.business"]
}

# model_alone_fired: some model flagged the message by its score alone.
model_alone_fired if {
	some h in model_tier_hits
	h.action == "block"
}

model_alone_fired if {
	some h in model_tier_hits
	endswith(h.rule, ".review")
}

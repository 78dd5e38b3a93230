package modgate_test

import data.modgate

# --- drainage in replies ------------------------------------------------------

# 已私你 alone, between friends: one reply pointer is not drainage.
test_f5_dm_alone_allowed if {
	action(msg([["contact.dm", 1]])) == "allow"
}

# 看我昵称 alone (or 看简介 about a film): allowed.
test_f5_pointer_alone_allowed if {
	action(msg([["contact.pointer", 1]])) == "allow"
}

# 已私你，看下消息 / 家人们我把链接放在简介了 自取: two reply signals.
test_f5_two_reply_pointers_reviewed if {
	"contact.reply_pointer" in rules(msg([["contact.dm", 1], ["contact.dm", 1]]))
	"contact.reply_pointer" in rules(msg([["contact.pointer", 1], ["contact.intent", 1]]))
}

# 那个绿色的软件…号码就是我手机号 139…: an app by description with the id.
test_f5_app_hint_with_number_reviewed if {
	d := decide(with_det(msg([["contact.app_hint", 1]]), {"phone": 1}))
	d.action == "review"
	"contact" in d.labels
}

# 私信 + 加好友 (cue and intent, no reply pointer) stay with the older rule.
test_f5_cue_and_intent_without_pointer_not_reply_pointer if {
	not "contact.reply_pointer" in rules(msg([["contact.cue", 1], ["contact.intent", 1]]))
}

# --- escort -------------------------------------------------------------------

# 想要人陪你过夜吗…看简介那个数字: a service word with a pointer is porn.
test_f5_escort_service_with_pointer_porn if {
	d := decide(msg([["porn.escort_service", 1], ["contact.move", 1]]))
	d.action == "review"
	"porn" in d.labels
}

# 订餐电话里说三十分钟到: a lone service word decides nothing.
test_f5_escort_service_alone_allowed if {
	action(msg([["porn.escort_service", 1]])) == "allow"
}

# --- fraud --------------------------------------------------------------------

# 宝，我号被盗了…刚才那条短信里的数字截图发我一下
test_f5_code_ask_with_story_reviewed if {
	d := decide(msg([["fraud.code_ask", 1], ["fraud.impersonate", 1]]))
	d.action == "review"
	d.labels == ["fraud"]
}

# 【银行】工作人员不会向您索要短信验证码: a brand with a code word is the
# bank's own warning.
test_f5_code_word_with_brand_allowed if {
	action(msg([["fraud.code_ask", 1], ["fraud.brand", 1]])) == "allow"
}

# 校服和教辅费统一交给我…收款码在这
test_f5_collect_with_fee_reviewed if {
	"fraud.collect" in rules(msg([["fraud.collect", 1], ["fraud.fee", 1]]))
}

test_f5_collect_alone_allowed if {
	action(msg([["fraud.collect", 1]])) == "allow"
}

# 驻叙利亚的维和军医…一箱美金…帮忙签收
test_f5_parcel_reviewed if {
	"fraud.parcel" in rules(msg([["fraud.parcel", 1], ["fraud.parcel", 1]]))
}

# 我在国外读书，马上要退役了 (one word of the story): allowed.
test_f5_parcel_one_word_allowed if {
	action(msg([["fraud.parcel", 1]])) == "allow"
}

# 新班主任…原来的群不用了…请扫码
test_f5_new_group_impersonation_reviewed if {
	"fraud.impersonation" in rules(msg([["fraud.impersonate", 1], ["fraud.new_channel", 1], ["fraud.action", 1]]))
}

# 我在开会不方便接电话，稍后给您回电话: two identity words and a call back are
# an ordinary reply.
test_f5_busy_reply_allowed if {
	action(msg([["fraud.impersonate", 1], ["fraud.impersonate", 1], ["fraud.action", 1]])) == "allow"
}

# 我换号了，这是新号 between friends: allowed; with a money ask, reviewed.
test_f5_new_number_alone_allowed if {
	action(msg([["fraud.new_channel", 1]])) == "allow"
	"fraud.impersonation" in rules(msg([["fraud.new_channel", 1], ["fraud.ask", 1]]))
}

# --- gambling -----------------------------------------------------------------

# 用赢的钱买的…想知道在哪玩的问我
test_f5_two_brags_reviewed if {
	d := decide(msg([["gambling.win", 1], ["gambling.win", 1]]))
	d.action == "review"
	d.labels == ["gambling"]
}

# 打麻将赢的钱请大家吃饭: one brag alone is allowed.
test_f5_one_brag_allowed if {
	action(msg([["gambling.win", 1]])) == "allow"
}

test_f5_brag_with_game_reviewed if {
	"gambling.win" in rules(msg([["gambling.win", 1], ["gambling.topic", 1]]))
}

# 网址在我主页 新人充值有送
test_f5_bonus_with_pointer_reviewed if {
	"gambling.promo" in rules(msg([["gambling.bonus", 1], ["contact.pointer", 1]]))
}

# --- shops' replies and customers' verdicts -------------------------------------

# 平日入住会有更多优惠，感谢选择我们: a hotel's reply is no ad.
test_f5_shop_reply_offer_allowed if {
	i := msg([["ads.offer", 1], ["ads.product", 1], ["context.shop_reply", 1]])
	"ads.promo" in rules(msg([["ads.offer", 1], ["ads.product", 1]]))
	action(i) == "allow"
}

# ... unless it leaves a number or a price.
test_f5_shop_reply_with_contact_still_ad if {
	i := with_det(msg([["ads.offer", 1], ["ads.product", 1], ["context.shop_reply", 1]]), {"phone": 1})
	"ads" in decide(i).labels
}

test_f5_shop_reply_with_price_still_ad if {
	i := with_det(msg([["ads.offer", 1], ["ads.product", 1], ["context.shop_reply", 1]]), {"price": 1})
	"ads" in decide(i).labels
}

# 感谢您对本店的认可…联系在线客服: a model score with a shop word is dropped;
# a score high enough alone still flags.
test_f5_shop_reply_model_signal_dropped if {
	i := scored(msg([["ads.promo", 1], ["context.shop_reply", 1]]), {"spam": 0.83})
	action(i) == "allow"
	action(scored(msg([["ads.promo", 1]]), {"spam": 0.83})) == "review"
	action(scored(msg([["ads.promo", 1], ["context.shop_reply", 1]]), {"spam": 0.98})) == "review"
}

# 平台客服处理还算及时，全额退款: a customer's verdict, a refund word and a
# middling spam score are no scam.
test_f5_review_verdict_model_signal_dropped if {
	i := scored(msg([["fraud.refund", 1], ["context.review", 1]]), {"spam": 0.85})
	action(i) == "allow"
	action(scored(msg([["fraud.refund", 1]]), {"spam": 0.85})) == "review"
}

# A lexicon rule beside a customer's verdict keeps its hit.
test_f5_review_verdict_keeps_lexicon_rules if {
	action(msg([["fraud.code_ask", 1], ["fraud.impersonate", 1], ["context.review", 1]])) == "review"
}

package modgate_test

import data.modgate

# --- gambling ---

# 警方打击赌博 / 买了张彩票
test_gambling_topic_allowed if {
	action(msg([["gambling.topic", 1]])) == "allow"
}

test_gambling_game_reviewed if {
	action(msg([["gambling.game", 2]])) == "review"
}

test_gambling_solicit_blocked if {
	d := decide(msg([["gambling.solicit", 3]]))
	d.action == "block"
	d.labels == ["gambling"]
}

test_gambling_game_with_contact_blocked if {
	action(msg([["gambling.game", 2], ["contact.cue", 1]])) == "block"
}

test_gambling_topic_with_number_reviewed if {
	action(with_det(msg([["gambling.topic", 1]]), {"qq": 1})) == "review"
}

# 128期：狗（主）；鸡羊虎（防）: a betting tip is gambling without a gambling word
test_lottery_tip_reviewed if {
	d := decide(with_det(msg([]), {"lottery_tip": 1}))
	d.action == "review"
	d.labels == ["gambling"]
}

test_lottery_tip_with_number_blocked if {
	action(with_det(msg([]), {"lottery_tip": 1, "phone": 1})) == "block"
}

# --- porn ---

# 警方打击色情
test_porn_topic_allowed if {
	action(msg([["porn.topic", 1]])) == "allow"
}

test_porn_by_severity if {
	action(msg([["porn.suggestive", 2]])) == "review"
	action(msg([["porn.explicit", 3]])) == "block"
}

test_porn_suggestive_with_contact_blocked if {
	action(msg([["porn.suggestive", 2], ["contact.evasive", 2]])) == "block"
}

# --- abuse ---

# 他妈的今天好累: one mild swear word
test_mild_swearing_allowed if {
	action(msg([["abuse.mild", 1]])) == "allow"
	action(msg([["abuse.mild", 1], ["abuse.mild", 1]])) == "allow"
}

test_many_mild_swear_words_reviewed if {
	action(msg([["abuse.mild", 1], ["abuse.mild", 1], ["abuse.mild", 1]])) == "review"
}

test_abuse_by_severity if {
	action(msg([["abuse.insult", 2]])) == "review"
	action(msg([["abuse.severe", 3]])) == "block"
}

# 河南人都是骗子: group + generaliser + contempt in one sentence (the
# group_attack detector) goes to review under its own rule.
test_group_attack_reviewed if {
	i := with_det(msg([["abuse.group", 1], ["abuse.generalise", 1], ["abuse.contempt", 1]]), {"group_attack": 1})
	action(i) == "review"
	"abuse.group_attack" in {r.rule | some r in decide(i).reasons}
}

# The words alone, without the detector's shape, are signals only:
# 河南人都很热情, 医生都说垃圾食品要少吃.
test_group_words_alone_allowed if {
	action(msg([["abuse.group", 1]])) == "allow"
	action(msg([["abuse.group", 1], ["abuse.generalise", 1], ["abuse.contempt", 1]])) == "allow"
	action(msg([["abuse.group", 1], ["abuse.exclude", 1]])) == "allow"
}

# 别说河南人都是骗子，这是地域黑: counter-speech quotes the stereotype.
test_group_attack_counter_speech_allowed if {
	i := with_det(msg([["abuse.group", 1], ["abuse.generalise", 1], ["abuse.contempt", 1], ["context.counter", 1]]), {"group_attack": 1})
	action(i) == "allow"
}

# --- illegal ---

# 禁毒宣传：远离毒品
test_illegal_topic_allowed if {
	action(msg([["illegal.topic", 1]])) == "allow"
}

test_illegal_goods_blocked if {
	action(msg([["illegal.drug", 3]])) == "block"
	action(msg([["illegal.weapon", 3]])) == "block"
	action(msg([["illegal.fraud", 3]])) == "block"
}

test_document_services_reviewed if {
	action(msg([["illegal.document", 2]])) == "review"
	action(msg([["illegal.document", 3]])) == "block"
}

# 办证 + 电话
test_illegal_topic_with_contact_reviewed if {
	action(with_det(msg([["illegal.topic", 1]]), {"phone": 1})) == "review"
}

# --- shipped labels without a subcategory: severity decides ---

test_unsubcategorised_high_severity_blocked if {
	d := decide(msg([["porn.", 3]]))
	d.action == "block"
	d.labels == ["porn"]
	d.reasons[0].rule == "porn.severity"
}

test_unsubcategorised_review_severity_reviewed if {
	action(msg([["gambling.", 2]])) == "review"
}

test_unsubcategorised_signal_allowed if {
	action(msg([["abuse.", 1]])) == "allow"
}

# --- escort ---

# 家电维修上门服务 / 美女同事请客
test_escort_one_side_allowed if {
	action(msg([["porn.escort_service", 1]])) == "allow"
	action(msg([["porn.escort_person", 1]])) == "allow"
}

# 本地美女上门服务，价格公道
test_escort_service_and_person_reviewed if {
	d := decide(msg([["porn.escort_service", 1], ["porn.escort_person", 1]]))
	d.action == "review"
	d.labels == ["porn"]
}

test_escort_with_contact_blocked if {
	action(with_det(msg([["porn.escort_service", 1], ["porn.escort_person", 1]]), {"wechat": 1})) == "block"
}

# --- fake documents ---

# 麻烦开一下发票 / 我的驾照快到期了
test_document_word_alone_allowed if {
	action(msg([["illegal.doc_item", 1]])) == "allow"
}

# 代开发票，真票可查
test_document_offer_reviewed if {
	d := decide(msg([["illegal.doc_item", 1], ["illegal.doc_offer", 1]]))
	d.action == "review"
	d.labels == ["illegal"]
}

test_document_offer_with_contact_blocked if {
	action(with_det(msg([["illegal.doc_item", 1], ["illegal.doc_offer", 1]]), {"phone": 1})) == "block"
}

# 都能弄 + 三天拿到手 + 编号官网能查: three offer shapes make a document seller.
test_illegal_three_offers_reviewed if {
	"illegal.fake_document" in rules(msg([["illegal.doc_offer", 1], ["illegal.doc_offer", 1], ["illegal.doc_offer", 1]]))
	action(msg([["illegal.doc_offer", 1], ["illegal.doc_offer", 1]])) == "allow"
}

# Paid betting tips: a paywall word with a game; two of them under a report
# word (本期必中…已公布，付费会员可看) are the seller's pitch.
test_gambling_paid_tip if {
	"gambling.paid_tip" in rules(msg([["gambling.paid_tip", 1], ["gambling.topic", 1]]))
	action(msg([["gambling.paid_tip", 1]])) == "allow"
	action(msg([["gambling.game", 2], ["gambling.paid_tip", 1], ["gambling.paid_tip", 1], ["context.report", 1]])) == "review"
	action(msg([["gambling.game", 2], ["gambling.paid_tip", 1], ["context.report", 1]])) == "allow"
}

# 出租车打表四十二，司机给了发票，报销用: what a document is for is the
# buyer's word too; with a number to buy from it is an offer.
test_document_use_needs_a_contact if {
	action(msg([["illegal.doc_item", 1], ["illegal.doc_use", 1]])) == "allow"
	d := decide(with_det(msg([["illegal.doc_item", 1], ["illegal.doc_use", 1]]), {"wechat": 1}))
	d.action == "review"
	"illegal" in d.labels
}

package modgate_test

import data.modgate

# 晚上还能约的小姐姐，照片都是本人，见面满意再付: a promise beside a person.
test_r8b_escort_hint_with_person if {
	"porn.escort_hint" in rules(msg([["porn.hint", 1], ["porn.escort_person", 1]]))
}

# 按摩➕特殊🈶，懂的扣1: two promises.
test_r8b_escort_two_hints if {
	"porn.escort_hint" in rules(msg([["porn.hint", 1], ["porn.hint", 1]]))
}

# 薪资面谈 alone (a job post) is no escort offer.
test_r8b_one_hint_allowed if {
	action(msg([["porn.hint", 1]])) == "allow"
}

# 网恋男友在国外被扣，要我转两万赎金: not excused by the reporting word 网恋.
test_r8b_ransom_story_not_a_report if {
	i := msg([["fraud.held", 1], ["fraud.ask", 1], ["context.report", 1]])
	"fraud.held_ransom" in rules(i)
	action(i) == "review"
}

# 朋友被扣了 alone is news between friends.
test_r8b_held_alone_allowed if {
	action(msg([["fraud.held", 1]])) == "allow"
}

# 你名下有一张通缉令，不要告诉家人.
test_r8b_secrecy_with_accusation if {
	"fraud.secrecy" in rules(msg([["fraud.secrecy", 1], ["fraud.accuse", 1]]))
}

test_r8b_secrecy_alone_allowed if {
	action(msg([["fraud.secrecy", 1]])) == "allow"
}

# 爱心众筹…急需手术费，转发并捐款; one charity word with a share call is
# not enough.
test_r8b_charity if {
	"fraud.charity" in rules(msg([["fraud.charity", 1], ["fraud.charity", 1], ["induced_sharing.action", 1]]))
	not "fraud.charity" in rules(msg([["fraud.charity", 1], ["induced_sharing.action", 1]]))
}

# 鞋有质量问题召回，下载app领取.
test_r8b_recall_download if {
	"fraud.fake_service" in rules(msg([["fraud.refund", 1], ["fraud.download", 1]]))
}

# 海关扣包裹…交罚款不然立案: the threat makes the "report" the scam.
test_r8b_authority_threat if {
	i := msg([["fraud.authority", 1], ["fraud.threat", 1], ["context.report", 1]])
	"fraud.authority" in rules(i)
	action(i) == "review"
}

# 下分秒回 + 不跑路: the credit agent; 上分 talk in a game is not.
test_r8b_gambling_agent if {
	"gambling.agent" in rules(msg([["gambling.agent", 1], ["gambling.agent", 1]]))
	action(msg([["gambling.agent", 1]])) == "allow"
}

# 自由亚洲电台报道…赶紧去看: the call to look makes it outreach; the
# bare report stays excused.
test_r8b_politics_report_with_call if {
	i := msg([["politics.propaganda", 2], ["politics.spread", 1], ["context.report", 1]])
	action(i) == "review"
	action(msg([["politics.propaganda", 2], ["context.report", 1]])) == "allow"
}

test_r8b_politics_topics_with_call if {
	action(msg([["politics.topic", 1], ["politics.topic", 1], ["politics.spread", 1], ["context.report", 1]])) == "review"
	action(msg([["politics.topic", 1], ["politics.topic", 1], ["context.report", 1]])) == "allow"
}

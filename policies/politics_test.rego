package modgate_test

import data.modgate

# A news headline naming one sensitive topic is allowed.
test_politics_single_topic_allowed if {
	action(msg([["politics.topic", 1]])) == "allow"
}

test_politics_propaganda_reviewed_not_blocked if {
	d := decide(msg([["politics.propaganda", 3]]))
	d.action == "review"
	d.labels == ["politics"]
}

test_politics_topics_reviewed if {
	action(msg([["politics.topic", 1], ["politics.topic", 1]])) == "review"
}

test_politics_topic_with_link_reviewed if {
	action(with_det(msg([["politics.topic", 1]]), {"url": 1})) == "review"
}

# A severity-3 term without a subcategory is still only reviewed.
test_politics_unsubcategorised_severe_term_reviewed if {
	action(msg([["politics.", 3]])) == "review"
}

# Operators who must block put politics in block_labels.
test_politics_operator_blocks if {
	d := modgate.decision with input as msg([["politics.propaganda", 3]])
		with data.tunables.block_labels as ["politics"]
	d.action == "block"
}

# 周日下午两点各地广场集合，一起上街
test_politics_mobilisation_reviewed if {
	action(msg([["politics.mobilize", 1], ["politics.mobilize", 1]])) == "review"
	action(msg([["politics.mobilize", 1]])) == "allow"
}

# 藏独组织呼吁：所有藏人团结起来，反抗汉人统治 — a topic with a call to gather.
test_politics_topic_with_mobilisation_reviewed if {
	"politics.mobilize" in rules(msg([["politics.topic", 1], ["politics.mobilize", 1]]))
	action(msg([["politics.mobilize", 1]])) == "allow"
}

# 三退 with 帮你登记: the campaign's outreach; a spread word alone is nothing.
test_politics_topic_with_spread_reviewed if {
	"politics.spread" in rules(msg([["politics.topic", 1], ["politics.spread", 1]]))
	action(msg([["politics.spread", 1]])) == "allow"
}

# 大纪元独家揭秘，点此阅读全文: a report word does not excuse propaganda that
# asks to be read; the anti-cult news (法轮功等邪教组织的危害) is excused.
test_politics_propaganda_spread_not_excused_by_report if {
	action(msg([["politics.propaganda", 2], ["politics.spread", 1], ["context.report", 1]])) == "review"
	action(msg([["politics.propaganda", 2], ["context.report", 1]])) == "allow"
}

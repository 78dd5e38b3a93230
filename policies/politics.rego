# Politics (涉政): propaganda, cults and banned organisations.
#
# The operator sets the action: the shipped rules only ever ask for review
# (a human judges news and discussion), and an operator who must block puts
# "politics" in data.tunables.block_labels.
#
# Lexicon subcategories (lexicons/politics.txt):
#   politics.propaganda  slogans and calls of banned organisations and cults
#   politics.topic       sensitive names and events (signal: news mentions
#                        them too)
package modgate

politics_hits contains hit("politics.propaganda", "politics", "review", 2, "涉政宣传、邪教或非法组织内容") if input.subs["politics.propaganda"].max >= 2

politics_hits contains hit("politics.topic_contact", "politics", "review", 2, "涉政话题并留有联系方式或链接") if {
	input.subs["politics.topic"]
	contact_detected > 0
}

politics_hits contains hit("politics.topics", "politics", "review", 2, "多个涉政敏感词") if {
	input.subs["politics.topic"].n >= data.tunables.politics.topic_review_count
}

politics_hits contains hit("politics.mobilize", "politics", "review", 2, "号召上街、集会或反抗") if {
	input.subs["politics.mobilize"].n >= 2
}

# A sensitive topic next to a call to gather (藏独 + 反抗, 一党专制 + 推翻):
# mobilisation. News reports these with a reporting word and are excused.
politics_hits contains hit("politics.mobilize", "politics", "review", 2, "号召上街、集会或反抗") if {
	input.subs["politics.topic"]
	input.subs["politics.mobilize"]
}

# A sensitive topic or a banned organisation's name next to a call to read,
# pass on or sign up (点此阅读, 转发支持, 帮你登记): the organisation's own
# outreach.
politics_hits contains hit("politics.spread", "politics", "review", 2, "传播涉政、邪教材料或号召登记、转发") if {
	input.subs["politics.topic"]
	input.subs["politics.spread"]
}

politics_hits contains hit("politics.spread", "politics", "review", 2, "传播涉政、邪教材料或号召登记、转发") if {
	input.subs["politics.propaganda"]
	input.subs["politics.spread"]
}

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

# Gambling, pornography, abuse and illegal goods: mostly by severity.
# Severity 3 terms block, severity 2 terms go to review, topic words
# (severity 1) only count when combined with a contact (gambling, porn,
# illegal) or in numbers (abuse).
package modgate

# --- gambling ---------------------------------------------------------------

hits contains hit("gambling.solicit", "gambling", "block", 3, "招揽赌博、网赌平台") if top("gambling.solicit") >= 3

hits contains hit("gambling.game", "gambling", "review", 2, "赌博玩法或赌博用语") if top("gambling.game") >= 2

hits contains hit("gambling.contact", "gambling", "block", 3, "赌博内容并留有联系方式") if {
	input.labels.gambling.max >= 2
	has_contact
}

hits contains hit("gambling.topic_contact", "gambling", "review", 2, "赌博话题并留有联系方式") if {
	n("gambling.topic") > 0
	contact_detected > 0
}

# --- pornography ------------------------------------------------------------

hits contains hit("porn.explicit", "porn", "block", 3, "色情内容或色情服务") if top("porn.explicit") >= 3

hits contains hit("porn.suggestive", "porn", "review", 2, "色情暗示或招嫖") if top("porn.suggestive") >= 2

hits contains hit("porn.contact", "porn", "block", 3, "色情内容并留有联系方式") if {
	input.labels.porn.max >= 2
	has_contact
}

hits contains hit("porn.topic_contact", "porn", "review", 2, "色情话题并留有联系方式") if {
	n("porn.topic") > 0
	contact_detected > 0
}

# --- abuse ------------------------------------------------------------------

hits contains hit("abuse.severe", "abuse", "block", 3, "辱骂家人、死亡威胁或人肉") if top("abuse.severe") >= 3

hits contains hit("abuse.insult", "abuse", "review", 2, "人身攻击、辱骂") if top("abuse.insult") >= 2

hits contains hit("abuse.mild", "abuse", "review", 2, "多处粗口") if {
	n("abuse.mild") >= data.tunables.abuse.mild_review_count
}

# --- illegal goods and services ---------------------------------------------

hits contains hit("illegal.goods", "illegal", "block", 3, "枪支、毒品、假证、银行卡买卖等违法内容") if {
	input.labels.illegal.max >= 3
}

hits contains hit("illegal.document", "illegal", "review", 2, "办证、代开发票、代考等") if {
	top("illegal.document") == 2
}

hits contains hit("illegal.topic_contact", "illegal", "review", 2, "违法话题并留有联系方式") if {
	n("illegal.topic") > 0
	has_contact
}

# --- operator-defined labels ------------------------------------------------
# Labels declared with @label in a lexicon have no rules of their own:
# severity 3 blocks, severity 2 goes to review.

shipped_labels := {
	"ads", "contact", "gambling", "porn", "abuse",
	"finance", "medical", "induced_sharing", "pii", "illegal",
}

hits contains hit(sprintf("%s.severity", [label]), label, "block", 3, "自定义类别高风险词") if {
	some label, f in input.labels
	not label in shipped_labels
	f.max >= 3
}

hits contains hit(sprintf("%s.severity", [label]), label, "review", 2, "自定义类别风险词") if {
	some label, f in input.labels
	not label in shipped_labels
	f.max == 2
}

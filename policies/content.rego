# Gambling, pornography, abuse and illegal goods: mostly by severity.
# Severity 3 terms block, severity 2 terms go to review, topic words
# (severity 1) only count when combined with a contact (gambling, porn,
# illegal) or in numbers (abuse).
package modgate

# --- gambling ---------------------------------------------------------------

gambling_hits contains {"rule": "gambling.solicit", "label": "gambling", "action": "block", "severity": 3, "message": "招揽赌博、网赌平台"} if input.subs["gambling.solicit"].max >= 3

gambling_hits contains {"rule": "gambling.game", "label": "gambling", "action": "review", "severity": 2, "message": "赌博玩法或赌博用语"} if input.subs["gambling.game"].max >= 2

gambling_hits contains {"rule": "gambling.contact", "label": "gambling", "action": "block", "severity": 3, "message": "赌博内容并留有联系方式"} if {
	input.labels.gambling.max >= 2
	has_contact
}

gambling_hits contains {"rule": "gambling.topic_contact", "label": "gambling", "action": "review", "severity": 2, "message": "赌博话题并留有联系方式"} if {
	input.subs["gambling.topic"]
	contact_detected > 0
}

# A casino brand or a deposit bonus next to betting words or another brand
# or bonus: online-gambling solicitation (威尼斯人酒店 alone is a hotel).
gambling_hits contains {"rule": "gambling.promo", "label": "gambling", "action": "review", "severity": 2, "message": "博彩平台、充值赠送等招揽赌博用语"} if {
	gambling_lure
	gambling_context
}

gambling_hits contains {"rule": "gambling.promo", "label": "gambling", "action": "review", "severity": 2, "message": "博彩平台、充值赠送等招揽赌博用语"} if {
	input.subs["gambling.bonus"].n >= 2
}

gambling_hits contains {"rule": "gambling.promo_contact", "label": "gambling", "action": "block", "severity": 3, "message": "博彩平台或充值赠送并留有联系方式或网址"} if {
	gambling_lure
	gambling_context
	contact_detected > 0
}

gambling_hits contains {"rule": "gambling.topics", "label": "gambling", "action": "review", "severity": 2, "message": "多个投注用语"} if {
	input.subs["gambling.topic"].n >= 3
}

# A 六合彩-style tip (filters: zodiac animals with a draw number or tip
# jargon); with a contact it is solicitation.
gambling_hits contains {"rule": "gambling.lottery_tip", "label": "gambling", "action": "review", "severity": 2, "message": "彩票预测（生肖、期数、波色）"} if input.detectors.lottery_tip

gambling_hits contains {"rule": "gambling.lottery_tip_contact", "label": "gambling", "action": "block", "severity": 3, "message": "彩票预测并留有联系方式"} if {
	input.detectors.lottery_tip
	contact_detected > 0
}

# Paid betting tips: a paywall or a "sure win" next to a game or betting
# words.
gambling_hits contains {"rule": "gambling.paid_tip", "label": "gambling", "action": "review", "severity": 2, "message": "出售彩票预测、必中资料"} if {
	input.subs["gambling.paid_tip"]
	gambling_context
}

gambling_lure if input.subs["gambling.brand"]

gambling_lure if input.subs["gambling.bonus"]

gambling_context if input.subs["gambling.topic"]

gambling_context if input.subs["gambling.game"]

gambling_context if input.subs["gambling.solicit"]

gambling_context if {
	input.subs["gambling.brand"]
	input.subs["gambling.bonus"]
}

# --- pornography ------------------------------------------------------------

porn_hits contains {"rule": "porn.explicit", "label": "porn", "action": "block", "severity": 3, "message": "色情内容或色情服务"} if input.subs["porn.explicit"].max >= 3

porn_hits contains {"rule": "porn.suggestive", "label": "porn", "action": "review", "severity": 2, "message": "色情暗示或招嫖"} if input.subs["porn.suggestive"].max >= 2

porn_hits contains {"rule": "porn.contact", "label": "porn", "action": "block", "severity": 3, "message": "色情内容并留有联系方式"} if {
	input.labels.porn.max >= 2
	has_contact
}

porn_hits contains {"rule": "porn.topic_contact", "label": "porn", "action": "review", "severity": 2, "message": "色情话题并留有联系方式"} if {
	input.subs["porn.topic"]
	contact_detected > 0
}

# Escort ads: a service word with a person word, or two service words.
porn_hits contains {"rule": "porn.escort", "label": "porn", "action": "review", "severity": 2, "message": "疑似招嫖（上门、包夜等服务用语）"} if {
	input.subs["porn.escort_service"]
	input.subs["porn.escort_person"]
}

porn_hits contains {"rule": "porn.escort", "label": "porn", "action": "review", "severity": 2, "message": "疑似招嫖（上门、包夜等服务用语）"} if {
	input.subs["porn.escort_service"].n >= 2
}

porn_hits contains {"rule": "porn.escort_contact", "label": "porn", "action": "block", "severity": 3, "message": "招嫖并留有联系方式"} if {
	input.subs["porn.escort_service"]
	input.subs["porn.escort_person"]
	contact_detected > 0
}

# --- abuse ------------------------------------------------------------------

abuse_hits contains {"rule": "abuse.severe", "label": "abuse", "action": "block", "severity": 3, "message": "辱骂家人、死亡威胁或人肉"} if input.subs["abuse.severe"].max >= 3

abuse_hits contains {"rule": "abuse.insult", "label": "abuse", "action": "review", "severity": 2, "message": "人身攻击、辱骂"} if input.subs["abuse.insult"].max >= 2

abuse_hits contains {"rule": "abuse.mild", "label": "abuse", "action": "review", "severity": 2, "message": "多处粗口"} if {
	input.subs["abuse.mild"].n >= data.tunables.abuse.mild_review_count
}

# A whole group (region, nationality, ethnicity, religion, gender, class,
# disability, occupation) generalised with contempt, without a slur:
# 河南人都是骗子, 女的就是不行, X人滚出去. The detector (filters/groupattack.go)
# finds group + generaliser + negative predicate in one sentence; counter-
# speech that names the stereotype to reject it (地域黑, 刻板印象, 别说…,
# context.counter) passes.
abuse_hits contains {"rule": "abuse.group_attack", "label": "abuse", "action": "review", "severity": 2, "message": "针对地域、民族、性别等群体的概括性贬损"} if {
	input.detectors.group_attack
	not input.subs["context.counter"]
}

# --- illegal goods and services ---------------------------------------------

illegal_hits contains {"rule": "illegal.goods", "label": "illegal", "action": "block", "severity": 3, "message": "枪支、毒品、假证、银行卡买卖等违法内容"} if {
	input.labels.illegal.max >= 3
}

illegal_hits contains {"rule": "illegal.document", "label": "illegal", "action": "review", "severity": 2, "message": "办证、代开发票、代考等"} if {
	input.subs["illegal.document"].max == 2
}

# Fake documents and invoices: a document word with an offer word.
illegal_hits contains {"rule": "illegal.fake_document", "label": "illegal", "action": "review", "severity": 2, "message": "代开发票、办证、刻章、代做流水等"} if {
	input.subs["illegal.doc_item"]
	input.subs["illegal.doc_offer"]
}

illegal_hits contains {"rule": "illegal.fake_document", "label": "illegal", "action": "block", "severity": 3, "message": "代开发票、办证、刻章、代做流水并留有联系方式"} if {
	input.subs["illegal.doc_item"]
	input.subs["illegal.doc_offer"]
	contact_detected > 0
}

# What a document is used for (报销用, 认证抵扣) is the buyer's word as much
# as the seller's (司机给了发票，报销用): only with a number, id or link to
# buy from is it an offer.
illegal_hits contains {"rule": "illegal.fake_document", "label": "illegal", "action": "review", "severity": 2, "message": "代开发票、办证、刻章、代做流水等"} if {
	input.subs["illegal.doc_item"]
	input.subs["illegal.doc_use"]
	contact_detected > 0
}

illegal_hits contains {"rule": "illegal.topic_contact", "label": "illegal", "action": "review", "severity": 2, "message": "违法话题并留有联系方式"} if {
	input.subs["illegal.topic"]
	has_contact
}

# --- operator-defined labels ------------------------------------------------
# Labels declared with @label in a lexicon have no rules of their own:
# severity 3 blocks, severity 2 goes to review.

# A term of a shipped label written without a subcategory (`口交 | porn | 3`)
# has no area rule to combine it: its severity decides, as for custom labels.
custom_hits contains hit(sprintf("%s.severity", [label]), label, "block", 3, "高风险词") if {
	some key, f in input.subs
	endswith(key, ".")
	label := trim_suffix(key, ".")
	label in shipped_labels
	not label in review_only_labels
	f.max >= 3
}

custom_hits contains hit(sprintf("%s.severity", [label]), label, "review", 2, "高风险词") if {
	some key, f in input.subs
	endswith(key, ".")
	label := trim_suffix(key, ".")
	label in review_only_labels
	f.max >= 3
}

# Labels whose severity-3 terms go to review instead of blocking: the
# operator decides their action (block_labels turns review into block).
review_only_labels := {"politics"}

custom_hits contains hit(sprintf("%s.severity", [label]), label, "review", 2, "风险词") if {
	some key, f in input.subs
	endswith(key, ".")
	label := trim_suffix(key, ".")
	label in shipped_labels
	f.max == 2
}

# The shipped labels come from Go (modgate.Taxonomy), mounted by the engine
# as data.taxonomy.labels, so this file keeps no copy of the list.
shipped_labels := {l | some l in data.taxonomy.labels}

custom_hits contains hit(sprintf("%s.severity", [label]), label, "block", 3, "自定义类别高风险词") if {
	some label, f in input.labels
	not label in shipped_labels
	f.max >= 3
}

custom_hits contains hit(sprintf("%s.severity", [label]), label, "review", 2, "自定义类别风险词") if {
	some label, f in input.labels
	not label in shipped_labels
	f.max == 2
}

# The trade's offer shapes stacked (都能弄 + 三天拿到手 + 编号官网能查): a
# document seller even when the document is only hinted at (那几个本子).
illegal_hits contains {"rule": "illegal.fake_document", "label": "illegal", "action": "review", "severity": 2, "message": "代开发票、办证、刻章、代做流水等"} if {
	input.subs["illegal.doc_offer"].n >= 3
}

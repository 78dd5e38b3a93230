# modgate decision: combines the hits of every area file into one verdict.
#
# Each area file (ads, finance, medical, induced_sharing, content, pii)
# adds objects to its own set (finance_hits, ...) through hit():
#   {"rule": "finance.guaranteed_return", "label": "finance",
#    "action": "review", "severity": 2, "message": "..."}
# `hits` below gathers them, each area behind a guard on its label, so a
# message with no finance terms never evaluates a finance rule: most
# messages carry no label at all, and this keeps the policy step cheap.
# This file picks the strongest action, collects labels and reasons, applies
# the operator tunables (data.json) and the 3-2-1 discipline recommendation.
# The input shape is documented in README.md next to this file.
package modgate

# The entry point the gateway queries. Most messages trigger no rule at all;
# they take the first branch, which skips combining (and is much cheaper).
decision := quiet if {
	not signals
} else := quiet if {
	count(effective) == 0
} else := {
	"action": action,
	"labels": labels,
	"reasons": reasons,
	"enforcement": enforcement,
	"severity": severity,
}

# hit builds a hit object; area files call it so every hit has the same keys.
hit(rule, label, act, sev, msg) := {
	"rule": rule,
	"label": label,
	"action": act,
	"severity": sev,
	"message": msg,
}

# quiet is the decision when no rule fired.
quiet := {
	"action": "allow",
	"labels": [],
	"reasons": [],
	"enforcement": enforcement,
	"severity": input.max_severity,
}

# signals: anything matched at all.
signals if some _ in input.labels

signals if some _ in input.detectors

signals if model_signal

hits contains h if {
	input.labels.finance
	some h in finance_hits
}

hits contains h if {
	input.labels.medical
	some h in medical_hits
}

hits contains h if {
	input.labels.induced_sharing
	some h in sharing_hits
}

hits contains h if {
	input.labels.gambling
	some h in gambling_hits
}

hits contains h if {
	input.detectors.lottery_tip
	not input.labels.gambling
	some h in gambling_hits
}

hits contains h if {
	input.labels.porn
	some h in porn_hits
}

hits contains h if {
	input.labels.abuse
	some h in abuse_hits
}

hits contains h if {
	input.labels.illegal
	some h in illegal_hits
}

hits contains h if {
	input.labels.fraud
	some h in fraud_hits
}

hits contains h if {
	input.labels.politics
	some h in politics_hits
}

hits contains h if {
	ads_relevant
	some h in ads_hits
}

hits contains h if {
	some _ in input.detectors
	some h in pii_hits
}

hits contains h if {
	some _ in input.labels
	some h in custom_hits
}

hits contains h if {
	model_signal
	some h in model_hits
}

ads_relevant if input.labels.ads

ads_relevant if input.labels.contact

ads_relevant if some _ in input.detectors

# effective hits: drop disabled labels and verified-organisation exemptions.
# (Rules avoid user-defined functions on the hot path: a direct input
# reference is far cheaper for OPA than a function call.) Labels in
# block_labels turn a review into a block (see action).
effective contains h if {
	some h in hits
	not h.label in data.tunables.disabled_labels
	not h.rule in exempt_rules
	not h.label in reported_labels
	not h.label in notice_labels
	not notice_model_hit(h)
	not personal_hit(h)
	not reply_hit(h)
	not benign8_hit(h)
}

# To family or people the sender knows (舅舅, 同学聚会, 别外传), giving one's
# own number or a group's code is not drainage: without a link or another
# app's account, a model score or a move-to-a-group cue alone does not make a
# case. Lexicon rules (a money ask, a fee, a lure) keep their hits.
personal_hit(h) if {
	personal_rule(h.rule)
	input.subs["context.personal"]
	not input.detectors.url
	not input.detectors.account
}

personal_rule(r) if startswith(r, "model.")

personal_rule("contact.drainage")

# Under a service notice with no number, id or link to act on, a model
# score alone does not make a case (an airline's rebooking notice reads like
# the scam that imitates it).
notice_model_hit(h) if {
	startswith(h.rule, "model.")
	input.subs["context.notice"]
	contact_detected == 0
	not notice_solicits
}

# A notice informs; one that also solicits (无须抵押, 招代理) is the ad that
# imitates it, and keeps its hits.
notice_solicits if input.subs["finance.solicit"]

notice_solicits if input.subs["ads.spam"].max >= 2

# ... and so is one that pitches: three different promotion phrases
# (活动开始, 豪礼, 全场) — a shop's sale "delivers" gifts (豪礼派送), a
# courier's notice has none of them.
notice_solicits if input.subs["ads.promo"].n >= 3

# A real service notice (尾号, 余额, 账单, 取件码, 有效期) is not an ad: without
# a link, an offer or a solicitation its ads/finance/medical hits are dropped.
# The unsubscribe line (回T退订, ads.unsubscribe) is no offer: carriers put it
# under their own notices too.
notice_labels contains l if {
	input.subs["context.notice"]
	not notice_solicits
	not input.detectors.url
	not input.subs["ads.offer"]
	some l in data.tunables.notice.labels
}

# Reporting and warnings (news, police, "don't believe it") use the risky
# words of the thing they report. Without a number, id or link to contact,
# the hits of these labels are dropped.
reported_labels contains l if {
	input.subs["context.report"]
	contact_detected == 0
	some l in data.tunables.reporting.labels
	not reported_but_doing(l)
}

# A "report" that does the thing itself is not excused: several propaganda
# slogans (大纪元新闻：中共即将解体…). (Warnings quote solicitations —
# 警方提醒：无抵押贷款都是骗局 — so those stay excused.)
reported_but_doing("politics") if input.subs["politics.propaganda"].n >= 2

# A tip seller's paywall (本期必中…已公布，付费会员可看完整版) is the seller's
# own pitch.
reported_but_doing("gambling") if input.subs["gambling.paid_tip"].n >= 2

# A scam that threatens or bills the reader (否则罚款, 需缴…解除) or sends
# them to install an app while accusing them is the scam, not a report of
# it, even with 民警 or 罚款 in it.
reported_but_doing("fraud") if input.subs["fraud.threat"]

reported_but_doing("fraud") if {
	input.subs["fraud.fee_cond"]
	input.subs["fraud.lure"]
}

reported_but_doing("fraud") if {
	input.subs["fraud.authority"]
	input.subs["fraud.accuse"]
	input.subs["fraud.download"]
}

# ... or one that asks to read or pass it on (大纪元独家揭秘，点此阅读全文).
reported_but_doing("politics") if {
	input.subs["politics.propaganda"]
	input.subs["politics.spread"]
}

exempt_rules := {r | input.sender.verified_org; some r in data.tunables.verified_org_exempt}

default action := "allow"

action := "block" if {
	some h in effective
	h.action == "block"
} else := "block" if {
	some h in effective
	h.action == "review"
	h.label in data.tunables.block_labels
} else := "review" if {
	some h in effective
	h.action == "review"
}

labels := sort({h.label | some h in effective})

# Reasons, most severe first, then by rule name.
reasons := [{"rule": x[1], "label": x[2], "message": x[3]} | some x in sort([[0 - h.severity, h.rule, h.label, h.message] | some h in effective])]

# Severity: the highest of every match (computed in Go as input.max_severity)
# and every rule that fired.
severity := max({input.max_severity} | {h.severity | some h in effective})

flagged if action != "allow"

# Area rules read the feature vector directly:
#   input.subs["finance.promise"]        defined when such a term matched
#   input.subs["finance.promise"].n      how many distinct terms
#   input.subs["finance.promise"].max    their highest severity
#   input.detectors.phone                detector hits of one kind

# contact_detected counts phone numbers, QQ/WeChat ids, links and e-mails.
default contact_detected := 0

contact_detected := sum([c | some k, c in input.detectors; k in data.tunables.contact.detector_kinds])

has_contact_cue if input.subs["contact.cue"]

has_contact_cue if input.subs["contact.evasive"]

has_contact_cue if input.subs["contact.business"]

has_contact if has_contact_cue

has_contact if contact_detected > 0

new_account if input.sender.account == "new"

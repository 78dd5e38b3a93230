# Tests for decision.rego, plus the helpers every *_test.rego uses to build
# inputs the way the Go engine does (see README.md for the input shape).
package modgate_test

import data.modgate

# base is a clean message from an established, unverified sender.
base := {
	"labels": {},
	"subs": {},
	"detectors": {},
	"sender": {"account": "established", "verified_org": false},
	"group": {"kind": "personal"},
	"tenant": "",
	"violations": {"count": 0, "ads": 0},
	"max_severity": 0,
	"variants": {},
}

# msg builds an input from lexicon hits, one [label.subcategory, severity]
# pair per distinct term: msg([["finance.promise", 3], ["finance.topic", 1]]).
msg(terms) := object.union(base, {
	"subs": {s: feat(terms, s) | some t in terms; s := t[0]},
	"labels": {l: lfeat(terms, l) | some t in terms; l := split(t[0], ".")[0]},
	"max_severity": max(array.concat([0], [t[1] | some t in terms])),
})

feat(terms, s) := {"n": count([1 | some t in terms; t[0] == s]), "max": max([t[1] | some t in terms; t[0] == s])}

lfeat(terms, l) := {
	"n": count([1 | some t in terms; split(t[0], ".")[0] == l]),
	"max": max([t[1] | some t in terms; split(t[0], ".")[0] == l]),
}

# with_det adds detector hits: with_det(msg([]), {"phone": 1}).
with_det(i, dets) := object.union(i, {"detectors": dets})

new_sender(i) := object.union(i, {"sender": {"account": "new", "verified_org": false}})

verified(i) := object.union(i, {"sender": {"account": "established", "verified_org": true}})

decide(i) := d if {
	d := modgate.decision with input as i
}

action(i) := decide(i).action

rules(i) := {r.rule | some r in decide(i).reasons}

# --- decision.rego ------------------------------------------------------------

test_clean_message_allowed if {
	d := decide(base)
	d.action == "allow"
	d.labels == []
	d.reasons == []
	d.enforcement == ""
	d.severity == 0
}

test_strongest_action_wins if {
	# a review (finance.solicit) and a block (porn.explicit) together block
	d := decide(msg([["finance.solicit", 2], ["porn.explicit", 3]]))
	d.action == "block"
	d.labels == ["finance", "porn"]
	d.severity == 3
}

test_reasons_most_severe_first if {
	d := decide(msg([["finance.solicit", 2], ["porn.explicit", 3]]))
	d.reasons[0].rule == "porn.explicit"
	d.reasons[1].rule == "finance.solicit"
}

test_severity_includes_signal_matches if {
	# a topic word alone changes nothing but still reports its severity
	d := decide(msg([["finance.topic", 1]]))
	d.action == "allow"
	d.severity == 1
}

test_disabled_label_is_ignored if {
	d := decide(msg([["abuse.insult", 2]])) with data.tunables.disabled_labels as ["abuse"]
	d.action == "allow"
	d.labels == []
}

test_block_labels_promote_review if {
	action(msg([["abuse.insult", 2]])) == "review"
	action(msg([["abuse.insult", 2]])) == "block" with data.tunables.block_labels as ["abuse"]
}

test_verified_org_exemption_is_per_rule if {
	i := msg([["finance.solicit", 2]])
	action(i) == "review"
	action(verified(i)) == "allow"

	# promises are never exempt
	action(verified(msg([["finance.promise", 3]]))) == "block"
}

test_exemption_list_is_a_tunable if {
	i := verified(msg([["finance.solicit", 2]]))
	action(i) == "review" with data.tunables.verified_org_exempt as []
}

test_custom_label_by_severity if {
	action(msg([["fraud_x.scam", 3]])) == "block"
	action(msg([["fraud_x.scam", 2]])) == "review"
	action(msg([["fraud_x.scam", 1]])) == "allow"
}

test_each_rule_reported_once if {
	# 荐股 with both a WeChat id and 加v fires finance.solicit_contact twice
	d := decide(with_det(msg([["finance.solicit", 2], ["contact.evasive", 2]]), {"wechat": 1}))
	rs := [r.rule | some r in d.reasons]
	count(rs) == count({r | some r in rs})
}

# --- reporting and warnings ------------------------------------------------

# 某地警方破获六合彩赌博案 (news): gambling words, reporting context.
test_reporting_drops_gambling_news if {
	action(msg([["gambling.game", 2], ["context.report", 1]])) == "allow"
}

# Abuse is not excused by a news word.
test_reporting_keeps_abuse if {
	action(msg([["abuse.insult", 2], ["context.report", 1]])) == "review"
}

# 大纪元新闻：中共即将解体 — a "report" that is itself propaganda (two slogans)
# is not excused; news naming one (警方查获法轮功传单) still is.
test_reporting_does_not_excuse_propaganda if {
	action(msg([["politics.propaganda", 2], ["politics.propaganda", 2], ["context.report", 1]])) == "review"
	action(msg([["politics.propaganda", 2], ["context.report", 1]])) == "allow"
}

# Operators choose the labels.
test_reporting_labels_tunable if {
	d := modgate.decision with input as msg([["gambling.game", 2], ["context.report", 1]])
		with data.tunables.reporting.labels as []
	d.action == "review"
}

# with_variant marks terms of a label as found only through a variant
# (homophone or look-alike): with_variant(msg(...), "contact").
with_variant(i, label) := object.union(i, {"variants": {label: {"n": 1, "max": 1}}})

# 【工商银行】您尾号9901卡工资收入8,650.00元，余额9,102.37元 (a real notice)
test_notice_is_not_an_ad if {
	i := with_det(msg([["context.notice", 1], ["ads.promo", 1]]), {"header": 1, "price": 1})
	action(i) == "allow"
	"ads.promo" in rules(with_det(msg([["ads.promo", 1]]), {"header": 1, "price": 1}))
}

# 微 ❤ 信 ： h t 6 6 9 9: a contact spelled out to get past a filter
test_spread_contact_reviewed if {
	d := decide(with_det(msg([]), {"wechat": 1, "spread_contact": 1}))
	d.action == "review"
	d.labels == ["contact"]
	action(with_det(msg([]), {"wechat": 1})) == "allow"
}

# 无须抵押，快来申请…邀请码有效期至…: a solicitation dressed as a notice
# keeps its hits, the model's too.
test_notice_that_solicits_still_counts if {
	action(msg([["context.notice", 1], ["finance.solicit", 2]])) == "review"
	i := object.union(msg([["context.notice", 1], ["finance.solicit", 2]]), {"scores": {"spam": 0.99}})
	"model.spam.review" in rules(i)
	not "model.spam.review" in rules(object.union(msg([["context.notice", 1], ["ads.promo", 1]]), {"scores": {"spam": 0.99}}))
}

# The same with a link is not excused (phishing imitates notices).
test_notice_with_link_still_counts if {
	action(with_det(msg([["context.notice", 1], ["ads.promo", 1]]), {"header": 1, "price": 1, "url": 1})) == "review"
}

# 舅舅，这是我的新手机号…你存一下: a spam score alone on a message to family
# with no link is dropped; with a link, or outside personal context, it stays.
test_personal_context_drops_model_only_hits if {
	i := scored(with_det(msg([["context.personal", 1]]), {"phone": 1}), {"spam": 0.99})
	action(i) == "allow"
	action(scored(with_det(msg([]), {"phone": 1}), {"spam": 0.99})) == "review"
	action(scored(with_det(msg([["context.personal", 1]]), {"url": 1}), {"spam": 0.99})) == "review"
}

# 【中国电信】…宽带将于12月31日到期，可通过官方APP续费。回T退订: the
# unsubscribe line is under carriers' own notices too; it does not stop a
# notice from being one. Marketing with it and no notice word is an ad.
test_unsubscribe_line_does_not_undo_a_notice if {
	notice := with_det(msg([["ads.promo", 1], ["ads.unsubscribe", 1], ["context.notice", 1]]), {"header": 1})
	action(notice) == "allow"
	ad := with_det(msg([["ads.promo", 1], ["ads.unsubscribe", 1]]), {"header": 1})
	decide(ad).action == "review"
	"ads" in decide(ad).labels
}

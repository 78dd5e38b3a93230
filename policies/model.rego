# Model scores: what a classifier score (models/<label>.mgm) does to a
# message. Everything is driven by data.tunables.model, one entry per model
# label, so adding a model needs a data.json entry and no Rego:
#
#   "abuse": {"label": "abuse", "review": 0.95}
#   "spam":  {"label": "ads", "review": 0.99, "review_with_signal": 0.9,
#             "signals": ["ads", "contact", "phone", "wechat"]}
#
#   review               score alone at or above it → review
#   block                score alone at or above it → block (off when absent)
#   review_with_signal   score at or above it together with one of `signals`
#                        (a lexicon label, a label.subcategory, or a detector
#                        kind) → review
#   signals_unless       signals (same syntax) in whose presence the
#                        review_with_signal tier does not apply
#   review_with_weak_signal
#                        a lower score together with one of `weak_signals`:
#                        words a customer uses as much as a seller (ads.product:
#                        优惠, 折扣, 包邮), which count only where the score
#                        already reads the wording as a seller's → review
#   review_with_contact  score at or above it in a message that leaves a
#                        number, id or link (data.tunables.contact.detector_kinds)
#                        → review: wording that reads as an ad plus a way to
#                        reach the sender is drainage (引流). Off in the shipped
#                        data.json: at 0.85 it also reviews a bare 加我 + QQ id
#                        between friends, which the contact rules judge
#   kind_of, kind        a kind model: it names what the model kind_of flags
#                        (the spam model says a message is unsolicited, the
#                        fraud model that it is a scam). When kind_of's model
#                        fires and this score is at least kind, this model's
#                        label is added (rule model.<label>.kind); alone it
#                        flags nothing. Its score reaches the policies as
#                        kind or 0 (so the memo does not key on it finely)
#   kind_cues            {label: [label.sub, …]}: lexicon subcategories too
#                        weak to flag anything (a person word of an escort ad,
#                        a document's name, a betting word) that name the kind
#                        of a message this model flagged: the label is added
#                        (rule model.<name>.cue). Alone they flag nothing,
#                        and a message the model did not flag keeps its
#                        verdict
#   review_with_cue      score at or above it together with one of the
#                        kind_cues → review with that cue's label
#   label                the verdict label the rule gives
#   contact_label        when the model flags a message that also has a
#                        contact detector hit, this label too (rule
#                        model.<label>.contact)
#
# input.scores.<label> is the calibrated probability floored to 0.01, so a
# threshold with two decimals means exactly what it says (data.json refuses
# more); below the model's lowest threshold here (or its `floor`) it is 0
# (policies/README.md). The rule names (model.<label>.review, …) are what verified_org_exempt
# and the reviewer UI see; the message names the model, its score and the
# threshold.
package modgate

# model_signal holds when some score reaches one of its thresholds (every
# number of the entry but floor: data.json types nothing else as one); the
# decision evaluates the model rules only then (most messages: never).
model_signal if {
	some name, t in data.tunables.model
	some k, threshold in t
	is_number(threshold)
	k != "floor"
	input.scores[name] >= threshold
}

model_tier_hits contains hit(
	sprintf("model.%s.block", [name]), t.label, "block", 3,
	sprintf("模型 %s 得分 %v ≥ 阈值 %v", [name, input.scores[name], t.block]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.block
}

model_tier_hits contains hit(
	sprintf("model.%s.review", [name]), t.label, "review", 2,
	sprintf("模型 %s 得分 %v ≥ 阈值 %v", [name, input.scores[name], t.review]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.review
}

# With a signal, the hit carries the label of the signal's own kind when it
# is a taxonomy label (a spam score with a fraud.lure term is fraud, with a
# gambling term gambling), else the model's label.
model_tier_hits contains hit(
	sprintf("model.%s.review_with_signal", [name]), label, "review", 2,
	sprintf("模型 %s 得分 %v ≥ 阈值 %v，且有 %s 信号", [name, input.scores[name], t.review_with_signal, concat(", ", sort(model_signals_present(t.signals)))]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.review_with_signal
	some label in model_signal_labels(t.signals, t)
	not model_signal_vetoed(t)
}

# signals_unless: context in which the signal words are no evidence. Counter-
# speech names the contempt it rejects (别说河南人都是骗子，这是地域黑): beside
# it a contempt word does not corroborate a middling abuse score. Only this
# tier: a score alone at `review` is judged as before (exempting counter-speech
# there cost COLD recall 66 → 44 %, session 4).
model_signal_vetoed(t) if {
	some s in t.signals_unless
	model_has(s)
}

# The weak tier: a shopping word is evidence of an ad only beside wording
# the model already reads as a seller's (80w marketing SMS: 新春特惠，满xxx送xx
# scores 0.6–0.9 and has no stronger term), never on its own.
model_tier_hits contains hit(
	sprintf("model.%s.review_with_weak_signal", [name]), label, "review", 2,
	sprintf("模型 %s 得分 %v ≥ 阈值 %v，且有 %s 信号", [name, input.scores[name], t.review_with_weak_signal, concat(", ", sort(model_signals_present(t.weak_signals)))]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.review_with_weak_signal
	some label in model_signal_labels(t.weak_signals, t)
}

# The cue tier: a score close to the model's own threshold with a family
# cue (a person word of an escort ad, a document's name) reviews with the
# cue's label. Below it the cue only names what another tier flagged.
model_tier_hits contains hit(
	sprintf("model.%s.review_with_cue", [name]), label, "review", 2,
	sprintf("模型 %s 得分 %v ≥ 阈值 %v，且有 %s 类线索（%s）", [name, input.scores[name], t.review_with_cue, label, concat(", ", sort(model_signals_present(cues)))]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.review_with_cue
	some label, cues in t.kind_cues
	kind_cues_present(t, label, cues)
	not family_rule_fired
}

# Friends swap WeChat ids and numbers too (加我微信 zhangsan_88 周末约饭), so a
# contact counts only beside a score well above the weak tier's.
model_tier_hits contains hit(
	sprintf("model.%s.review_with_contact", [name]), t.label, "review", 2,
	sprintf("模型 %s 得分 %v ≥ 阈值 %v，且留有联系方式", [name, input.scores[name], t.review_with_contact]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.review_with_contact
	contact_detected > 0
}

# A message a model flags that also leaves a number, id or link to contact
# is drainage (引流) as well: with contact_label set, the label is added (the
# message is flagged already; this changes who reviews it, not whether).
# The tiers above are what a model flags on its own; the two rules below
# only add a label to a message one of them flagged.
model_hits contains h if some h in model_tier_hits

# model_fired holds when one of the model's own tiers flagged the message.
model_fired(name) if {
	some h in model_tier_hits
	startswith(h.rule, concat("", ["model.", name, "."]))
}

model_hits contains hit(
	sprintf("model.%s.contact", [name]), t.contact_label, "review", 2,
	sprintf("模型 %s 得分 %v，且留有联系方式", [name, input.scores[name]]),
) if {
	some name, t in data.tunables.model
	t.contact_label
	contact_detected > 0
	model_fired(name)
}

# ... and so is one that names the way off the group without an id (加我微信,
# 私聊, 进群, 薇❤): the id is in the profile or the next message.
model_hits contains hit(
	sprintf("model.%s.contact", [name]), t.contact_label, "review", 2,
	sprintf("模型 %s 得分 %v，且有引流用语", [name, input.scores[name]]),
) if {
	some name, t in data.tunables.model
	t.contact_label
	contact_detected == 0
	model_contact_cue
	model_fired(name)
}

model_contact_cue if has_contact_cue

model_contact_cue if input.subs["contact.move"]

model_hits contains hit(
	sprintf("model.%s.kind", [name]), t.label, "review", 2,
	sprintf("模型 %s 标记的消息，模型 %s 得分达到阈值 %v", [t.kind_of, name, t.kind]),
) if {
	some name, t in data.tunables.model
	input.scores[name] >= t.kind
	model_fired(t.kind_of)
}

# A message the model flagged that also carries a family cue (an escort
# ad's person word, a document's name, betting jargon) is of that family:
# the spam score says unsolicited, the cue says which kind (a spam-flagged
# 学生妹 + 全套 is porn, not just an ad). Like the kind model, this only
# names what the model's own tiers flagged, and only when no family rule
# named it already (a phishing message's 证书 does not make it a document
# offer).
model_hits contains hit(
	sprintf("model.%s.cue", [name]), label, "review", 2,
	sprintf("模型 %s 标记的消息，且有 %s 类线索（%s）", [name, label, concat(", ", sort(model_signals_present(cues)))]),
) if {
	some name, t in data.tunables.model
	some label, cues in t.kind_cues
	model_fired(name)
	kind_cues_present(t, label, cues)
	not family_rule_fired
}

# kind_cues_present: at least kind_cue_count[label] (default 1) distinct
# cue terms of the label: shops address customers as 美女 and teach 模特班,
# so one person word does not make an ad an escort ad; two cue words do
# (年轻姑娘 + 陪您).
kind_cues_present(t, label, cues) if {
	sum([input.subs[s].n | some s in cues; input.subs[s]]) >= object.get(t, ["kind_cue_count", label], 1)
}

# family_rule_fired: a lexicon rule of a family (not ads, contact or pii)
# flagged the message; its label is the fitting one.
family_rule_fired if some _ in gambling_hits

family_rule_fired if some _ in porn_hits

family_rule_fired if some _ in illegal_hits

family_rule_fired if some _ in fraud_hits

family_rule_fired if some _ in politics_hits

family_rule_fired if some _ in finance_hits

family_rule_fired if some _ in medical_hits

model_signal_labels(signals, t) := {l |
	some s in model_signals_present(signals)
	l := signal_label(s, t)
}

signal_label(s, t) := l if {
	l := split(s, ".")[0]
	l in shipped_labels
	l != "ads"
} else := t.label

# The configured signals present in this message: lexicon labels ("ads"),
# label.subcategory keys ("fraud.prize": only that kind of term), or
# detector kinds ("url").
model_signals_present(signals) := {s |
	some s in signals
	model_has(s)
}

model_has(s) if input.labels[s]

model_has(s) if input.subs[s]

model_has(s) if input.detectors[s]

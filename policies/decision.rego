# modgate decision: combines the hits of every area file into one verdict.
#
# Each area file (ads, finance, medical, induced_sharing, content, pii)
# adds objects to the set `hits`:
#   {"rule": "finance.guaranteed_return", "label": "finance",
#    "action": "review", "severity": 2, "message": "..."}
# This file picks the strongest action, collects labels and reasons, applies
# the operator tunables (data.json) and the 3-2-1 discipline recommendation.
# The input shape is documented in README.md next to this file.
package modgate

# The entry point the gateway queries.
decision := {
	"action": action,
	"labels": labels,
	"reasons": reasons,
	"enforcement": enforcement,
	"severity": severity,
}

action_rank := {"allow": 0, "review": 1, "block": 2}

rank_action := ["allow", "review", "block"]

# hit builds a hit object; area files call it so every hit has the same keys.
hit(rule, label, act, sev, msg) := {
	"rule": rule,
	"label": label,
	"action": act,
	"severity": sev,
	"message": msg,
}

# effective hits: drop disabled labels and verified-organisation exemptions,
# promote labels the operator wants blocked outright.
effective contains h if {
	some raw in hits
	not raw.label in data.tunables.disabled_labels
	not exempt(raw)
	h := promote(raw)
}

exempt(h) if {
	input.sender.verified_org
	h.rule in data.tunables.verified_org_exempt
}

promote(h) := object.union(h, {"action": "block"}) if {
	h.action == "review"
	h.label in data.tunables.block_labels
} else := h

default action := "allow"

action := rank_action[max({action_rank[h.action] | some h in effective})]

labels := sort({h.label | some h in effective})

# Reasons, most severe first (sets iterate in a fixed order, so the output is
# deterministic).
reasons := [{"rule": h.rule, "label": h.label, "message": h.message} |
	some sev in [3, 2, 1, 0]
	some h in effective
	h.severity == sev
]

# Severity: the highest of every match (computed in Go as input.max_severity)
# and every rule that fired.
severity := max({input.max_severity} | {h.severity | some h in effective})

flagged if action != "allow"

# n and top read the per-subcategory features: how many distinct terms of
# "label.subcategory" matched and their highest severity (0 when none).
default n(_) := 0

n(sub) := input.subs[sub].n

default top(_) := 0

top(sub) := input.subs[sub].max

# detected(kind) is how many detector hits of one kind (phone, url, ...).
default detected(_) := 0

detected(kind) := input.detectors[kind]

# contact_detected counts phone numbers, QQ/WeChat ids, links and e-mails.
default contact_detected := 0

contact_detected := sum([c | some k, c in input.detectors; k in data.tunables.contact.detector_kinds])

has_contact_cue if n("contact.cue") > 0

has_contact_cue if n("contact.evasive") > 0

has_contact if has_contact_cue

has_contact if contact_detected > 0

new_account if input.sender.account == "new"

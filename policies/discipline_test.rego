package modgate_test

import data.modgate

# The tests pin the 3-2-1 numbers they assume, so an operator may change
# data.tunables.discipline in data.json without failing them (a failing
# test would refuse the reload).
rule321 := {"remove_after_violations": 2, "remove_after_ads": 1, "warn_after_violations": 1}

rule321_violations3 := object.union(rule321, {"remove_after_violations": 3})

rule321_ads2 := object.union(rule321, {"remove_after_ads": 2})

strikes(i, c, a) := object.union(i, {"violations": {"count": c, "ads": a}})

ad := msg([["ads.spam", 2]])

test_no_strikes_no_enforcement if {
	decide(strikes(ad, 0, 0)).enforcement == "" with data.tunables.discipline as rule321
}

test_one_strike_and_flagged_warns if {
	decide(strikes(ad, 1, 0)).enforcement == "warn" with data.tunables.discipline as rule321
}

test_one_strike_but_clean_message_no_warning if {
	decide(strikes(base, 1, 0)).enforcement == "" with data.tunables.discipline as rule321
}

test_two_violations_remove_member if {
	decide(strikes(ad, 2, 0)).enforcement == "remove_member" with data.tunables.discipline as rule321
}

test_one_confirmed_ad_removes_member if {
	decide(strikes(ad, 1, 1)).enforcement == "remove_member" with data.tunables.discipline as rule321
}

test_removal_recommended_even_for_clean_message if {
	# the member already qualifies under 3-2-1; the platform acts once
	decide(strikes(base, 2, 0)).enforcement == "remove_member" with data.tunables.discipline as rule321
}

test_thresholds_are_tunables if {
	d := decide(strikes(ad, 2, 0)) with data.tunables.discipline as rule321_violations3
	d.enforcement == "warn"
}

# ---- the review side (data.modgate.consequence) ----

review(action, labels, c, a) := {"review": {"action": action, "labels": labels}, "violations": {"count": c, "ads": a}}

test_consequence_approve_is_no_violation if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("approve", ["ads"], 1, 0)
	c == {"violation": false, "violations": {"count": 1, "ads": 0}, "enforcement": "", "rule": ""}
}

test_consequence_first_ads_offence_removes if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("remove", ["ads", "contact"], 0, 0)
	c.violation
	c.violations == {"count": 1, "ads": 1}
	c.enforcement == "remove_member"
	c.rule == "ads"
}

test_consequence_first_other_offence_nothing if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("remove", ["abuse"], 0, 0)
	c.violation
	c.enforcement == ""
}

test_consequence_second_violation_removes if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("remove", ["abuse"], 1, 0)
	c.enforcement == "remove_member"
	c.rule == "violations"
}

test_consequence_warn_warns_below_threshold if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("warn", ["abuse"], 0, 0)
	c.enforcement == "warn"
	c.rule == "action"
}

test_consequence_explicit_removal if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("remove_member", ["abuse"], 0, 0)
	c.enforcement == "remove_member"
	c.rule == "action"
}

test_consequence_cannot_judge_counts_nothing if {
	c := modgate.consequence with data.tunables.discipline as rule321
		with input as review("cannot_judge", ["ads"], 1, 1)
	not c.violation
	c.violations == {"count": 1, "ads": 1}
	c.enforcement == ""
}

test_consequence_thresholds_are_tunables if {
	c := modgate.consequence with data.tunables.discipline as rule321_ads2
		with input as review("remove", ["ads"], 0, 0)
	c.enforcement == ""
}

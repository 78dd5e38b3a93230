package modgate_test

import data.modgate

strikes(i, c, a) := object.union(i, {"violations": {"count": c, "ads": a}})

ad := msg([["ads.spam", 2]])

test_no_strikes_no_enforcement if {
	decide(strikes(ad, 0, 0)).enforcement == ""
}

test_one_strike_and_flagged_warns if {
	decide(strikes(ad, 1, 0)).enforcement == "warn"
}

test_one_strike_but_clean_message_no_warning if {
	decide(strikes(base, 1, 0)).enforcement == ""
}

test_two_violations_remove_member if {
	decide(strikes(ad, 2, 0)).enforcement == "remove_member"
}

test_one_confirmed_ad_removes_member if {
	decide(strikes(ad, 1, 1)).enforcement == "remove_member"
}

test_removal_recommended_even_for_clean_message if {
	# the member already qualifies under 3-2-1; the platform acts once
	decide(strikes(base, 2, 0)).enforcement == "remove_member"
}

test_thresholds_are_tunables if {
	d := decide(strikes(ad, 2, 0)) with data.tunables.discipline.remove_after_violations as 3
	d.enforcement == "warn"
}

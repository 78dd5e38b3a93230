package modgate_test

import data.modgate

# 我的电话 138****8000: masked, labelled, allowed
test_phone_is_labelled_and_allowed if {
	d := decide(with_det(base, {"phone": 1}))
	d.action == "allow"
	d.labels == ["pii"]
	d.reasons[0].rule == "pii.masked"
}

test_id_card_in_group_reviewed if {
	d := decide(with_det(base, {"id_card": 1}))
	d.action == "review"
	d.labels == ["pii"]
}

test_bank_card_in_group_reviewed if {
	action(with_det(base, {"bank_card": 1})) == "review"
}

test_id_card_in_enterprise_service_group_allowed if {
	i := object.union(with_det(base, {"id_card": 1}), {"group": {"kind": "enterprise"}})
	d := decide(i)
	d.action == "allow"
	d.labels == ["pii"]
}

test_phone_dump_reviewed if {
	action(with_det(base, {"phone": 2})) == "allow"
	action(with_det(base, {"phone": 3})) == "review"
}

test_links_are_not_pii if {
	d := decide(with_det(base, {"url": 1}))
	d.labels == []
}

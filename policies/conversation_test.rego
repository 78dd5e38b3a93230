# Tests for conversation.rego (helpers: decision_test.rego).
package modgate_test

import data.modgate

# with_flood adds the flood counts the gateway computes: groups, senders,
# and the groups this sender posted the text in.
with_flood(i, groups, senders, sender_groups) := object.union(i, {
	"window": {"parts": 1},
	"flood": {"groups": groups, "senders": senders, "sender_groups": sender_groups},
	"velocity": {"sender": 1, "sender_group": 1, "group": 1},
})

with_velocity(i, sender, sender_group, group) := object.union(i, {
	"window": {"parts": 1},
	"flood": {"groups": 1, "senders": 1, "sender_groups": 1},
	"velocity": {"sender": sender, "sender_group": sender_group, "group": group},
})

promo := msg([["ads.promo", 1]])

reason_of(i, rule) := [r | some r in decide(i).reasons; r.rule == rule][0]

test_flood_review_at_five_groups if {
	i := with_flood(promo, 5, 5, 1)
	action(i) == "review"
	"flood.cross_group" in rules(i)
	contains(reason_of(i, "flood.cross_group").message, "5 个群")
	decide(i).labels == ["ads"]
}

test_flood_below_review_groups_allowed if {
	action(with_flood(promo, 4, 4, 1)) == "allow"
}

test_flood_block_at_twenty_groups if {
	i := with_flood(promo, 20, 12, 1)
	action(i) == "block"
	"flood.cross_group" in rules(i)
}

test_flood_one_reason_between_thresholds if {
	i := with_flood(promo, 15, 15, 1)
	action(i) == "review"
	count([r | some r in decide(i).reasons; r.rule == "flood.cross_group"]) == 1
}

# A greeting many members forward: no signal, established senders, each
# in one group.
test_flood_of_plain_text_from_many_members_allowed if {
	action(with_flood(base, 30, 30, 1)) == "allow"
}

test_flood_of_plain_text_from_one_sender_reviewed if {
	i := with_flood(base, 6, 1, 6)
	action(i) == "review"
	"flood.cross_group" in rules(i)
}

test_flood_of_plain_text_from_new_accounts_reviewed if {
	action(new_sender(with_flood(base, 5, 5, 1))) == "review"
}

test_flood_with_ads_model_score_reviewed if {
	i := object.union(with_flood(base, 5, 5, 1), {"scores": {"spam": 0.6}})
	action(i) == "review"
}

test_flood_with_low_model_score_allowed if {
	i := object.union(with_flood(base, 5, 5, 1), {"scores": {"spam": 0.2}})
	action(i) == "allow"
}

test_flood_verified_org_broadcast_exempt if {
	action(verified(with_flood(promo, 25, 1, 25))) == "allow"
}

test_flood_exemption_can_be_switched_off if {
	i := verified(with_flood(promo, 25, 1, 25))
	d := modgate.decision with input as i
		with data.tunables.conversation.flood.exempt_verified_org as false
	d.action == "block"
}

test_flood_threshold_zero_is_off if {
	i := with_flood(promo, 50, 50, 1)
	d := modgate.decision with input as i
		with data.tunables.conversation.flood.review_groups as 0
		with data.tunables.conversation.flood.block_groups as 0
	d.action == "allow"
}

test_velocity_group_flood_reviewed if {
	i := with_velocity(base, 20, 20, 25)
	action(i) == "review"
	"velocity.group_flood" in rules(i)
	contains(reason_of(i, "velocity.group_flood").message, "20 条")
}

test_velocity_normal_chat_allowed if {
	action(with_velocity(base, 12, 12, 40)) == "allow"
}

test_velocity_busy_group_alone_allowed if {
	# Many members talking at once is not one member flooding.
	action(with_velocity(base, 3, 3, 200)) == "allow"
}

test_velocity_sender_across_groups_reviewed if {
	i := with_velocity(base, 60, 4, 10)
	action(i) == "review"
	"velocity.sender" in rules(i)
}

test_velocity_verified_org_exempt if {
	action(verified(with_velocity(base, 100, 100, 100))) == "allow"
}

test_conversation_absent_changes_nothing if {
	# Window off or unavailable: flood and velocity are empty.
	i := object.union(promo, {"window": {"parts": 1}, "flood": {}, "velocity": {}})
	action(i) == action(promo)
}

test_flood_adds_to_an_ad_already_reviewed if {
	i := with_flood(with_det(msg([["ads.promo", 2], ["contact.cue", 1]]), {"wechat": 1}), 6, 6, 1)
	action(i) == "review"
	"flood.cross_group" in rules(i)
}

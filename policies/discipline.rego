# Member discipline, the "3-2-1" rule: 3 weeks without interaction (tracked
# by the platform), 2 confirmed violations or 1 confirmed advertising offence
# lead to removal from the group.
#
# input.violations holds the sender's confirmed, unexpired violations
# (including one a reviewer has just confirmed, when the review service asks).
# A member who has reached a removal threshold gets "remove_member" on every
# verdict; a member one step away gets "warn" when the message is flagged.
package modgate

default enforcement := ""

enforcement := "remove_member" if {
	remove_member
} else := "warn" if {
	input.violations.count >= data.tunables.discipline.warn_after_violations
	flagged
}

remove_member if input.violations.count >= data.tunables.discipline.remove_after_violations

remove_member if input.violations.ads >= data.tunables.discipline.remove_after_ads

# ---- the review side: what a reviewer's decision triggers -----------------
#
# The review queue asks data.modgate.consequence before every decision, and
# to show each key's consequence before it is pressed, with
#   input.review.action   approve | remove | warn | remove_member | cannot_judge
#   input.review.labels   the labels the decision will carry
#   input.violations      the member's confirmed violations BEFORE it
# The thresholds are the same data.tunables.discipline numbers the screening
# verdicts use: this file is the one place the 3-2-1 rule lives.

# Decisions that confirm a violation by the sender (a strike); they must
# carry a label, so the strike has a category.
violating_actions := {"remove", "warn", "remove_member"}

# Labels whose violations count as advertising offences (the "1" of 3-2-1).
ads_labels := {"ads"}

default review_violation := false

review_violation if input.review.action in violating_actions

default review_ads := false

review_ads if {
	review_violation
	some l in input.review.labels
	l in ads_labels
}

default review_added := 0

review_added := 1 if review_violation

default review_added_ads := 0

review_added_ads := 1 if review_ads

review_after := {
	"count": input.violations.count + review_added,
	"ads": input.violations.ads + review_added_ads,
}

# [enforcement, rule]: the first that applies.
review_outcome := ["remove_member", "action"] if {
	input.review.action == "remove_member"
} else := ["remove_member", "ads"] if {
	review_violation
	review_after.ads >= data.tunables.discipline.remove_after_ads
} else := ["remove_member", "violations"] if {
	review_violation
	review_after.count >= data.tunables.discipline.remove_after_violations
} else := ["warn", "action"] if {
	input.review.action == "warn"
} else := ["", ""]

consequence := {
	"violation": review_violation,
	"violations": review_after,
	"enforcement": review_outcome[0],
	"rule": review_outcome[1],
}

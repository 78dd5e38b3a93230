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

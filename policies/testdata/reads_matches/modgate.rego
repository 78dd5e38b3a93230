package modgate

# Reads the per-message matches list: decisions cannot be memoised.
default action := "allow"

action := "review" if {
	some m in input.matches
	m.term == "保本保息"
}

decision := {"action": action, "labels": [], "reasons": [], "enforcement": "", "severity": 0}

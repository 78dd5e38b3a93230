package modgate

# Depends on the clock: decisions cannot be memoised.
default action := "allow"

action := "review" if time.weekday(time.now_ns()) == "Sunday"

decision := {"action": action, "labels": [], "reasons": [], "enforcement": "", "severity": 0}

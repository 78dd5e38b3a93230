package modgate

# Two complete definitions of action that disagree when a message has both
# porn and finance terms: OPA reports a conflict at evaluation time.
action := "block" if input.labels.porn

action := "review" if input.labels.finance

default action := "allow"

decision := {"action": action, "labels": [], "reasons": [], "enforcement": "", "severity": 0}

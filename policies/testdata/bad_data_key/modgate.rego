package modgate

default decision := {"action": "allow", "labels": [], "reasons": [], "enforcement": "", "severity": 0}

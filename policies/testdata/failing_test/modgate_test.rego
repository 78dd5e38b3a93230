package modgate_test

import data.modgate

test_passes if {
	modgate.decision.action == "allow"
}

test_expects_block if {
	modgate.decision.action == "block"
}

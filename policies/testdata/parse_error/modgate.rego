package modgate

decision := {"action": "allow"}

# a missing closing brace below
broken if {
	input.x == 1

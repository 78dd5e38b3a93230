package modgate

decision := {"action": action}

# undefined function: compile (type) error on line 6
action := no_such_function(input.labels)

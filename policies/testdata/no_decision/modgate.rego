package modgate

verdict := "allow"

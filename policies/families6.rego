# The sixth team set's wording families (issue 11, session 5): spam in the
# form of real SMS broadcasts, and the genuine notices that share that form
# (bank and carrier alerts, courier and appointment notices, anti-fraud
# broadcasts). The vocabulary is in the `# --- families6 pass` blocks of
# lexicons/*.txt.
package modgate

# A courier's or office's notice that leaves only a landline to call back
# (若未收到请致电网点0571-…) with two notice phrases: a model score alone
# does not make it a case. A mobile number, an id or a link keeps it.
notice6_hit(h) if {
	startswith(h.rule, "model.")
	input.subs["context.notice"].n >= 2
	contact_detected == object.get(input.detectors, "landline", 0)
	not notice_solicits
	not input.subs["contact.cue"]
	not input.subs["contact.evasive"]
}

# guard_advice: the notice tells the reader not to share the code (请勿泄露),
# which no phishing message does.
guard_advice if {
	input.subs["context.guard"]
	contact_detected == 0
}

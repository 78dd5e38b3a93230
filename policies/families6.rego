# The sixth team set's wording families (issue 11, session 5): spam in the
# form of real SMS broadcasts, and the genuine notices that share that form
# (bank and carrier alerts, courier and appointment notices, anti-fraud
# broadcasts). The vocabulary is in the `# --- families6 pass` blocks of
# lexicons/*.txt.
package modgate

# A courier's or office's notice that leaves only a landline to call back
# (若未收到请致电网点0571-…) with two notice phrases: a model score alone
# does not make it a case, as under a notice with no contact at all
# (decision.rego). A mobile number, an id or a link keeps it.
notice_model_hit(h) if {
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

# --- links spelled out (t点cn/uP7rK, rq-sz點com) ------------------------------

# The bait of a phishing notice (如非本人办理, 待确认入账, 暂停供气) with a
# link written so no detector reads it: the spelled link is the evasion.
fraud_hits contains hit("fraud.lure_link", "fraud", "review", 2, "以过期、冻结或奖励诱导点击变体书写的链接") if {
	input.subs["contact.link_spelled"]
	spelled_link_bait
}

spelled_link_bait if input.subs["fraud.lure"]

spelled_link_bait if input.subs["fraud.lure_state"]

spelled_link_bait if input.subs["fraud.prize"]

spelled_link_bait if input.subs["fraud.refund"]

# --- follow an account and reply a keyword ----------------------------------

# 关注公众号“金牛内参”回复“股票”: following and replying with a keyword,
# beside a pitch (免费推股, 内部资料) — a school's 关注公众号回复“成绩” has no
# such pitch.
ads_hits contains hit("contact.follow_reply", "contact", "review", 2, "引导关注公众号并回复关键词（引流）") if {
	follow_account
	input.subs["contact.reply_kw"]
	follow_pitch
}

follow_account if input.subs["contact.follow"]

# 来我们的公众号…回复“好评”有惊喜: the account named without 关注, the
# pitch a reward for replying.
follow_account if input.subs["contact.channel"]

follow_pitch if input.subs["induced_sharing.reward"]

follow_pitch if input.subs["contact.reply_reward"]

follow_pitch if input.labels.finance

follow_pitch if input.labels.gambling

follow_pitch if input.labels.porn

follow_pitch if input.labels.illegal

follow_pitch if input.subs["ads.promo"]

follow_pitch if input.subs["ads.spam"]

follow_pitch if input.subs["fraud.invest"]

follow_pitch if input.subs["fraud.job"]

# --- a new WeChat written in disguise (換了新薇信) ---------------------------

ads_hits contains hit("contact.evasive", "contact", "review", 2, "变体写法引导添加联系方式") if {
	input.subs["contact.new_id"]
}

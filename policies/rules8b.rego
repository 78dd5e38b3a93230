# The rules8b pass (issue 11, session 6): the spam side of the seventh team
# set (families7) — wording the rules were not written for. The vocabulary
# is in the `# --- rules8b pass (session 6) ---` blocks of lexicons/*.txt.
package modgate

# --- escort offers with no service word -------------------------------------

# What the offer promises (照片都是本人, 见面满意再付, 按小时收费, 私密包间)
# beside a person or escort cue (小姐姐, 哥哥, 佳丽, 过夜): one alone is a
# date or a restaurant, the pair is the offer.
porn_hits contains hit("porn.escort_hint", "porn", "review", 2, "以暗示方式招揽色情服务（照片本人、按小时、私密包间等）") if {
	input.subs["porn.hint"]
	escort_word
}

# Two promises (特殊有 + 懂的扣1): the hint is the whole message.
porn_hits contains hit("porn.escort_hint", "porn", "review", 2, "以暗示方式招揽色情服务（照片本人、按小时、私密包间等）") if {
	input.subs["porn.hint"].n >= 2
}

escort_word if input.subs["porn.escort_person"]

escort_word if input.subs["porn.escort_cue"]

escort_word if input.subs["porn.escort_service"]

# --- story scams --------------------------------------------------------------

# Someone held abroad (在国外被扣) and money asked for (赎金, 转到这个账户):
# the online-lover ransom.
fraud_hits contains hit("fraud.held_ransom", "fraud", "review", 2, "以亲友或网恋对象在境外被扣为由索要赎金") if {
	input.subs["fraud.held"]
	input.subs["fraud.ask"]
}

# Secrecy (不要告诉家人) beside an accusation, an authority, an impersonation
# or a demand for money: the scammer isolating the victim.
fraud_hits contains hit("fraud.secrecy", "fraud", "review", 2, "要求对家人保密并以涉案、冒充或转账相要挟") if {
	input.subs["fraud.secrecy"]
	secrecy_story
}

secrecy_story if input.subs["fraud.accuse"]

secrecy_story if input.subs["fraud.authority"]

secrecy_story if input.subs["fraud.impersonate"]

secrecy_story if input.subs["fraud.ask"]

# A charity appeal (爱心众筹, 捐款) with an urgent need (急需手术费) or a
# call to pass it on: the fake appeal. A real one is shared the same way,
# which is why this reviews and never blocks.
fraud_hits contains hit("fraud.charity", "fraud", "review", 2, "以爱心众筹、捐款为由索要钱款并要求转发") if {
	input.subs["fraud.charity"].n >= 2
	charity_push
}

charity_push if input.subs["fraud.ask"]

charity_push if input.subs["induced_sharing.action"]

# A refund or recall (质量问题召回, 赔叁佰) that sends the reader to install
# an app is the fake after-sales service: a case of fake_service_step in
# fraud.rego.

# --- the credit agent of a gambling room -------------------------------------

# 上分找我 + 下分秒回 + 不跑路: the agent who sells and buys back credits.
# Game chat says 上分 (rank up) but never 下分秒回 or 不跑路.
gambling_hits contains hit("gambling.agent", "gambling", "review", 2, "棋牌、捕鱼上下分代理（网络赌博）") if {
	input.subs["gambling.agent"].n >= 2
}

# --- politics: a "report" that sends the reader to look -----------------------

# A sensitive topic or the movement's media with a call to go and look
# (赶紧去看, 上网查一查): the outreach, even with 报道 or 新闻 in it.
reported_but_doing("politics") if {
	input.subs["politics.propaganda"]
	politics_look
}

reported_but_doing("politics") if {
	input.subs["politics.topic"].n >= 2
	politics_look
}

politics_look if input.subs["politics.spread"]

politics_look if input.subs["politics.mobilize"]

# --- an authority that threatens (海关…不然立案) ---------------------------------

# An office (海关, 公安) that threatens a case unless the reader pays: a case
# of authority_case in fraud.rego.

# The ransom story told as one's own (网恋男友在国外被扣，要我转两万赎金)
# uses 网恋, a reporting word; someone held and a sum demanded is the
# scam itself, not a report of it.
reported_but_doing("fraud") if {
	input.subs["fraud.held"]
	input.subs["fraud.ask"]
}

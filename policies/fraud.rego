# Fraud (诈骗): phishing, impersonation, job and prize scams, fake customer
# service. The subcategories are described in lexicons/fraud.txt; most are
# signals, because a scam is a template more than a word: a bank's name or
# "your points expire" alone is an ordinary notice, the bank + the bait + a
# link or a number to call is phishing.
package modgate

# --- wording only scams use --------------------------------------------------

fraud_hits contains hit("fraud.scam", "fraud", "block", 3, "诈骗话术") if input.subs["fraud.scam"].max >= 3

fraud_hits contains hit("fraud.scam", "fraud", "review", 2, "疑似诈骗话术") if input.subs["fraud.scam"].max == 2

fraud_hits contains hit("fraud.scam_contact", "fraud", "block", 3, "诈骗话术并留有联系方式或链接") if {
	input.subs["fraud.scam"].max >= 2
	has_contact
}

# --- phishing: impersonated brand + bait + a way to act -----------------------

# Blocked only with a number, id or link to act on: a bank's real notice
# also says 如非本人操作，请致电 — to its own hotline (95533), which the
# number detectors do not count — and goes to review through fraud.lure_link.
fraud_hits contains hit("fraud.phishing", "fraud", "block", 3, "冒充银行或平台，以过期、冻结或奖励诱导点击链接或回电") if {
	input.subs["fraud.brand"]
	input.subs["fraud.lure"]
	contact_detected > 0
	not own_account_moved
}

# The general bait shape with a brand and a number or link: review (a real
# card centre's notice can look like this; a human tells them apart).
fraud_hits contains hit("fraud.phishing_shape", "fraud", "review", 2, "冒充银行或平台，以账户、积分、证件状态为由诱导联系或点击链接") if {
	input.subs["fraud.brand"]
	input.subs["fraud.lure_object"]
	input.subs["fraud.lure_state"]
	contact_detected > 0
}

# A bank, carrier or platform name, a state of the victim's account and a
# link: the impersonated notice itself (real notices send people to the
# official app, not to a link in a group).
fraud_hits contains hit("fraud.brand_link", "fraud", "review", 2, "冒充银行、运营商或平台并附链接") if {
	input.subs["fraud.brand"]
	input.subs["fraud.lure_state"]
	input.detectors.url
}

fraud_hits contains hit("fraud.lure_link", "fraud", "review", 2, "以账户、积分、证件过期或冻结为由诱导点击链接") if {
	input.subs["fraud.lure_object"]
	input.subs["fraud.lure_state"]
	input.detectors.url
}

fraud_hits contains hit("fraud.lure_link", "fraud", "review", 2, "以过期、冻结或奖励诱导点击链接或回电") if {
	input.subs["fraud.lure"]
	fraud_action
	not guard_advice
	not own_account_moved
}

# Fake customer service: a refund or compensation offered with a way to
# act on it (customers' reviews mention refunds, but not with a contact).
fraud_hits contains hit("fraud.fake_service", "fraud", "review", 2, "以退款、理赔、补偿为由引导联系或点击链接") if {
	input.subs["fraud.refund"]
	fake_service_step
}

# fake_service_step: a number, id or link, an instruction, a contact cue, or
# an app to install (质量问题召回 + 下载app, the rules8b pass).
fake_service_step if fraud_action

fake_service_step if has_contact_cue

fake_service_step if input.subs["fraud.download"]

# --- impersonation: a claimed identity + a money ask -------------------------

fraud_hits contains hit("fraud.impersonation", "fraud", "review", 2, "冒充熟人、领导或老师并要求转账或见面") if {
	input.subs["fraud.impersonate"]
	input.subs["fraud.ask"]
}

# 冒充公检法: an authority with a case against the reader (authority_case).
fraud_hits contains hit("fraud.authority", "fraud", "review", 2, "冒充公检法，以涉案为由要求配合") if {
	input.subs["fraud.authority"]
	authority_case
}

# Two accusations, or one with an order, a number or a link.
authority_case if input.subs["fraud.accuse"].n >= 2

authority_case if {
	input.subs["fraud.accuse"]
	fraud_action
}

# ... or one that sends the victim to install a "meeting" app.
authority_case if {
	input.subs["fraud.accuse"]
	input.subs["fraud.download"]
}

# A threat of a case unless the reader pays (海关…交罚款，不然立案, the rules8b
# pass): real offices send a notice to appear, not a deadline to pay in chat.
authority_case if input.subs["fraud.threat"]

# --- prize scams: a prize with a fee to pay, a contact or an instruction ------

fraud_hits contains hit("fraud.prize", "fraud", "review", 2, "中奖、幸运观众并需缴费或联系领取") if {
	input.subs["fraud.prize"]
	input.subs["fraud.prize_fee"]
}

fraud_hits contains hit("fraud.prize", "fraud", "review", 2, "中奖、幸运观众并需缴费或联系领取") if {
	input.subs["fraud.prize"]
	fraud_action
}

# --- fee scams: a fee that must be paid first -------------------------------

fraud_hits contains hit("fraud.fee_first", "fraud", "review", 2, "以放款、提现、领奖、入职等为由要求先交费用") if {
	input.subs["fraud.fee"]
	input.subs["fraud.fee_cond"]
}

fraud_hits contains hit("fraud.fee_first", "fraud", "review", 2, "以放款、提现、领奖、入职等为由要求先交费用") if {
	input.subs["fraud.fee"]
	fee_story
}

fee_story if input.subs["fraud.prize"]

fee_story if input.subs["fraud.job_pay"]

fee_story if input.subs["fraud.job_role"]

fee_story if input.subs["fraud.job_hire"]

fee_story if input.subs["finance.credit"].n >= 2

# --- investment bait (杀猪盘) -----------------------------------------------

fraud_hits contains hit("fraud.investment", "fraud", "review", 2, "以导师带单、高额返利诱导投资") if {
	input.subs["fraud.invest"]
	input.labels.finance
}

fraud_hits contains hit("fraud.investment", "fraud", "review", 2, "以导师带单、高额返利诱导投资") if {
	input.subs["fraud.invest"].n >= 2
}

fraud_hits contains hit("fraud.investment", "fraud", "review", 2, "以导师带单、高额返利诱导投资") if {
	input.subs["fraud.invest"]
	input.labels.gambling
}

# Overseas job trafficking: a destination of the scam with a job word.
fraud_hits contains hit("fraud.job_overseas", "fraud", "review", 2, "境外高薪招聘（涉嫌诱骗出境）") if {
	input.subs["fraud.job_overseas"]
	job_any
}

fraud_hits contains hit("fraud.job_overseas", "fraud", "review", 2, "境外高薪招聘（涉嫌诱骗出境）") if {
	input.subs["fraud.job_overseas"]
	input.subs["fraud.job_hire"]
}

# --- album and photo lures: a photo "with you in it" and a link -------------

fraud_hits contains hit("fraud.lure_link", "fraud", "review", 2, "以照片、相册为由诱导点击链接") if {
	input.subs["fraud.lure"]
	input.detectors.url
}

# --- job scams ----------------------------------------------------------------
# fraud.job severity 2 terms (刷单, 打字员招聘, 简历已通过) decide alone; the
# template is easy work or a scam role with a pay promise or a fee; a "CV
# passed, add the HR's QQ" needs the contact.

fraud_hits contains hit("fraud.job", "fraud", "review", 2, "刷单、打字员、点赞员等兼职诈骗用语") if input.subs["fraud.job"].max >= 2

fraud_hits contains hit("fraud.job", "fraud", "review", 2, "轻松兼职许以高额日结或先收费用（兼职诈骗）") if {
	job_work
	job_bait
}

fraud_hits contains hit("fraud.job_contact", "fraud", "review", 2, "兼职招聘用语并留有联系方式") if {
	job_any
	contact_detected > 0
}

fraud_hits contains hit("fraud.job_contact", "fraud", "review", 2, "兼职招聘用语并留有联系方式") if {
	input.subs["fraud.job_hire"]
	has_contact
}

# The invitation template (信用极好的您被选中，加入我们每天赚两百) with a
# pay promise.
fraud_hits contains hit("fraud.job", "fraud", "review", 2, "以信用良好为由邀请加入并许以高额报酬（兼职诈骗）") if {
	input.subs["fraud.job_invite"]
	job_bait
}

# A hiring message that sends the candidate to install an app (应聘成功，请
# 下载某APP完成入职登记).
fraud_hits contains hit("fraud.job", "fraud", "review", 2, "以入职、招聘为由诱导下载APP（兼职诈骗）") if {
	input.subs["fraud.job_hire"]
	input.subs["fraud.download"]
}

# A menu of scam roles (打字员 / 抄写员 / 录入员，均可在家): the recruitment
# itself, pay or not.
fraud_hits contains hit("fraud.job", "fraud", "review", 2, "刷单、打字员、点赞员等兼职诈骗用语") if input.subs["fraud.job_role"].n >= 2

job_work if input.subs["fraud.job_easy"]

job_work if input.subs["fraud.job_role"]

job_bait if input.subs["fraud.job_pay"]

job_bait if input.subs["fraud.job_fee"]

job_any if job_work

job_any if job_bait

job_any if input.subs["fraud.job"]

# A way to act: a detected number, id or link, or an explicit instruction.
fraud_action if contact_detected > 0

fraud_action if input.subs["fraud.action"]

# --- third pass (issue 11): shapes the earlier rules did not know -----------

# The bait shape with an instruction instead of a link (行驶证年审逾期，线上
# 补审; 数字人民币补贴待领取，请下载APP).
fraud_hits contains hit("fraud.lure_action", "fraud", "review", 2, "以账户、证件、补贴状态为由要求操作或下载") if {
	input.subs["fraud.lure_object"]
	input.subs["fraud.lure_state"]
	lure_instruction
}

fraud_hits contains hit("fraud.lure_action", "fraud", "review", 2, "以账户、证件、补贴状态为由要求操作或下载") if {
	input.subs["fraud.brand"]
	input.subs["fraud.lure_state"]
	input.subs["fraud.download"]
}

lure_instruction if input.subs["fraud.action"]

lure_instruction if input.subs["fraud.download"]

# Card details, a password or an SMS code asked for next to a link or a
# number.
fraud_hits contains hit("fraud.credential", "fraud", "review", 2, "诱导在链接中填写银行卡、密码或验证码") if {
	input.subs["fraud.credential"]
	contact_detected > 0
}

# A claimed identity with a fee (你的孩子受伤了…交住院押金; 换号了…学校要交钱).
fraud_hits contains hit("fraud.impersonation", "fraud", "review", 2, "冒充熟人、领导或老师并要求转账或见面") if {
	input.subs["fraud.impersonate"]
	fraud_fee_any
}

fraud_fee_any if input.subs["fraud.fee"]

fraud_fee_any if input.subs["fraud.job_fee"]

fraud_hits contains hit("fraud.romance", "fraud", "review", 2, "以加错人、交友为由接近（杀猪盘开场）") if {
	input.subs["fraud.romance"].n >= 2
}

fraud_hits contains hit("fraud.trade", "fraud", "review", 2, "游戏账号、装备交易诈骗（担保平台、低价先付款）") if {
	input.subs["fraud.trade"].n >= 2
}

fraud_hits contains hit("fraud.charity", "fraud", "review", 2, "以募捐为由索要转账（定额、私下账户）") if {
	input.subs["fraud.charity"]
	input.subs["fraud.charity_pay"]
}

fraud_hits contains hit("fraud.elder", "fraud", "review", 2, "以免费体验、送礼品向老人推销保健品") if {
	input.subs["fraud.elder"].n >= 3
}

# A prize from a TV show (亲爱的观众…好声音抽奖获得二等奖，领取→): three
# prize words and a claim step.
fraud_hits contains hit("fraud.prize", "fraud", "review", 2, "中奖、幸运观众并需缴费或联系领取") if {
	input.subs["fraud.prize"].n >= 3
	input.subs["fraud.lure_state"]
}

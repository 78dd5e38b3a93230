# The rules8a pass (issue 11, session 6): the benign side of the seventh
# sets. People warn about scams, refuse them, post real jobs, collect school
# fees through the school's system, answer as a shop's customer service and
# talk tax; they use the scam's words. Each family below drops hits only when
# the message carries no scam action: no number, id or link, no app to add,
# no fee asked first, no download. The vocabulary is in the `# --- rules8a
# pass` blocks of lexicons/context.txt and lexicons/allow.txt.
package modgate

# scam_action: what a scam asks the reader to do. A negation or a friendly
# voice never excuses a message that also asks it (the counter-move: 正规公司，
# 不收任何费用，加V了解).
scam_action if contact_detected > 0

scam_action if {
	input.subs["contact.cue"]
	not input.subs["context.no_contact"]
}

scam_action if input.subs["contact.evasive"]

scam_action if input.subs["contact.move"]

scam_action if input.subs["contact.intent"]

scam_action if input.subs["fraud.download"]

scam_action if input.subs["fraud.fee_cond"]

scam_action if input.subs["fraud.action"]

# A money ask (直接转给, 转到这个账户, 资料费) is the scam's whole point.
scam_action if input.subs["fraud.ask"]

# The easy-job pitch (一部手机在家就能做 + 日结) says 不收任何费用 too.
scam_action if {
	input.subs["fraud.job_easy"]
	input.subs["fraud.job_pay"]
}

scam_action if input.subs["fraud.job"].max >= 2

scam_action if input.subs["finance.loan_offer"]

# A spam pitch (日结工资, 兼职引流) or an offer (买三送一) is the seller's.
scam_action if input.subs["ads.spam"].max >= 2

scam_action if input.subs["ads.offer"]

# negation: a negation phrase, or a refusal to move off the platform (不用加
# 微信; the matcher keeps the longer context term, so 不用加 inside it is not
# seen on its own).
negation if input.subs["context.negation"]

negation if input.subs["context.no_contact"]

# model_scam_reading: a model hit that reads the message as an ad or a scam
# (the spam and fraud models). The abuse model's hits are never dropped here:
# an insult about a 班主任 is no less one for the school word.
model_scam_reading(h) if {
	startswith(h.rule, "model.")
	h.label != "abuse"
}

# --- negation scope (不收任何费用, 不会索要, 从不, 不用加微信) ----------------
# The sender says what is not done; the negated action itself is suppressed
# by allow.txt. With no other scam action, the hits of the scam families and
# the models' scores are dropped (abuse, porn, politics and drainage keep
# theirs).
benign8_hit(h) if {
	negation
	not scam_action
	negation_droppable(h)
}

# Loan ads promise 不成功不收取任何费用: finance hits are never dropped.
# Gambling and document sellers promise 从不拖欠 / 绝不泄露 too: their hits
# are never dropped here (a negated 充值 or 代办 is suppressed by allow.txt).
negation_droppable(h) if h.label in {"ads", "fraud", "medical"}

# A score high enough to flag on its own is the model's verdict on the
# whole message, negation and all (全国可办…不成功不收取任何费用); and an
# insult is no less one for 从来不 beside it (the abuse model keeps its hits).
negation_droppable(h) if {
	model_tier_below_alone(h)
	model_scam_reading(h)
}

# --- a real employer's post (公司官网, 面试地点, 到店面谈, 五险一金) ----------
# Where to apply in person or on the company's own site: its ads, medical
# and model hits are dropped. Piece-rate or daily pay (计件, 日结) needs a
# second employer cue, a fee or a fraud lexicon rule is never excused.
benign8_hit(h) if {
	employer_post
	employer_droppable(h)
}

employer_post if {
	input.subs["context.employer"]
	not scam_action
	not input.subs["fraud.job_fee"]
	not input.subs["fraud.job_easy"]
	not input.subs["fraud.job_pay"]
}

employer_post if {
	input.subs["context.employer"].n >= 2
	not scam_action
	not input.subs["fraud.job_fee"]
}

employer_droppable(h) if h.label in {"ads", "medical"}

# A score that flags alone stays (a company's mass-texted 招聘信息 is spam
# to the people who did not ask for it).
employer_droppable(h) if {
	model_tier_below_alone(h)
	model_scam_reading(h)
}

# --- a school's own notice (班主任, 学校统一, 校园缴费平台) --------------------
# Fees paid through the school's system: model and ads hits are dropped; the
# fraud lexicon rules (a personal payment code, fraud.collect) stay.
benign8_hit(h) if {
	input.subs["context.school"]
	not scam_action
	not input.subs["fraud.collect"]
	school_droppable(h)
}

school_droppable(h) if h.label == "ads"

school_droppable(h) if model_scam_reading(h)

# --- official customer service (您反映的, 申请售后, 订单页, 聊天窗口) ---------
# Sending the customer to the platform's own page: model and ads hits are
# dropped; beside a negation (不会主动打电话, 不需要提供卡号) the fraud hits
# too, which the negated words raised.
benign8_hit(h) if {
	input.subs["context.service"]
	not scam_action
	service_droppable(h)
}

service_droppable(h) if h.label == "ads"

service_droppable(h) if model_scam_reading(h)

service_droppable(h) if {
	h.label == "fraud"
	negation
}

# --- accountants and the bank counter (一般纳税人, 柜台打印) ------------------
# Naming a document and a rate is the job (进项/销项 are left out: invoice
# sellers offer them, 进项销项都能配); an offer to make one (two offer
# words, 代开 + 税点) or a contact keeps the hits.
benign8_hit(h) if {
	input.subs["context.office"]
	not scam_action
	object.get(input.subs, ["illegal.doc_offer", "n"], 0) <= 1
	office_droppable(h)
}

office_droppable(h) if h.label == "illegal"

office_droppable(h) if model_scam_reading(h)

# --- reports of a drainage script (有人说“扣1拉你进群”…已经举报) -------------
# A quoted move-to-a-group cue with no id, link, app or 联系方式 named is
# no invitation (联系方式戳头像 + 别再问我 is: the id is in the profile).
benign8_hit(h) if {
	h.rule == "contact.drainage"
	input.subs["context.report"]
	contact_detected == 0
	not input.subs["contact.cue"]
	not input.subs["contact.evasive"]
	not input.subs["contact.business"]
}

# --- a customer's complaint or verdict (强烈不推荐, 还行吧) ---------------------
# The business or offer named (到店, 客服电话, 买二送一) is the one complained
# of or bought under: without a number, id, link or price its ads hits are
# dropped.
benign8_hit(h) if {
	customer_voice
	contact_detected == 0
	not input.detectors.price
	not input.subs["contact.cue"]
	not input.subs["contact.evasive"]
	not input.subs["ads.spam"]
	h.label == "ads"
	not startswith(h.rule, "model.")
}

customer_voice if input.subs["context.complaint"]

customer_voice if input.subs["context.bought"]

# --- a "warning" that asks for the scam's own steps -------------------------
# 不会向您索要验证码，请下载app共享屏幕办理退款: a request (请下载,
# fraud.step_ask) to download and take a scam step (共享屏幕, 官方客服) is the
# fake service doing it, whatever reassurance it quotes; the reporting
# context does not excuse it. Warnings name the steps without asking for
# them (不会让您下载会议软件或共享屏幕).
reported_but_doing("fraud") if scam_steps

reported_but_doing("ads") if scam_steps

scam_steps if {
	input.subs["fraud.step_ask"]
	input.subs["fraud.download"]
	input.subs["fraud.action"]
}

# Restricted licensed topic: finance (荐股, 保本保息, 配资, 无抵押贷款, 币圈暴富).
#
# A topic word alone (股票, 基金, 贷款) is never a violation. Soliciting
# business is reviewed; promising returns is reviewed, or blocked when the
# promise is absolute (稳赚不赔) or comes with a solicitation or a contact.
# Verified licensed organisations are exempt from finance.solicit (see
# data.json verified_org_exempt), never from promises.
package modgate

finance_hits contains {"rule": "finance.solicit", "label": "finance", "action": "review", "severity": 2, "message": "荐股、配资、放贷等金融招揽，需持牌"} if {
	input.subs["finance.solicit"]
}

finance_hits contains {"rule": "finance.solicit_contact", "label": "finance", "action": "block", "severity": 3, "message": "金融招揽并留有联系方式或引导添加"} if {
	input.subs["finance.solicit"]
	contact_detected > 0
}

finance_hits contains {"rule": "finance.solicit_contact", "label": "finance", "action": "block", "severity": 3, "message": "金融招揽并留有联系方式或引导添加"} if {
	input.subs["finance.solicit"]
	input.subs["contact.evasive"]
}

finance_hits contains {"rule": "finance.guaranteed_return", "label": "finance", "action": "review", "severity": 2, "message": "承诺收益或高回报"} if {
	input.subs["finance.promise"].max == 2
}

finance_hits contains {"rule": "finance.guaranteed_return", "label": "finance", "action": "block", "severity": 3, "message": "承诺保本保息、稳赚不赔"} if {
	input.subs["finance.promise"].max >= 3
}

finance_hits contains {"rule": "finance.promise_solicit", "label": "finance", "action": "block", "severity": 3, "message": "承诺收益并招揽投资或留有联系方式"} if {
	input.subs["finance.promise"]
	input.subs["finance.solicit"]
}

finance_hits contains {"rule": "finance.promise_solicit", "label": "finance", "action": "block", "severity": 3, "message": "承诺收益并招揽投资或留有联系方式"} if {
	input.subs["finance.promise"]
	has_contact
}

finance_hits contains {"rule": "finance.crypto", "label": "finance", "action": "review", "severity": 2, "message": "虚拟货币暴富宣传"} if {
	input.subs["finance.crypto"]
}

finance_hits contains {"rule": "finance.crypto_promise", "label": "finance", "action": "block", "severity": 3, "message": "虚拟货币投资并承诺收益"} if {
	input.subs["finance.crypto"]
	input.subs["finance.promise"]
}

# 贷款 / 信用卡 + 联系我 or a number: loan touting.
finance_hits contains {"rule": "finance.credit_contact", "label": "finance", "action": "review", "severity": 2, "message": "贷款、信用卡业务招揽并留有联系方式"} if {
	input.subs["finance.credit"]
	has_contact
}

# Financial products advertised (理财产品 + 欲购从速).
finance_hits contains {"rule": "finance.product_promo", "label": "finance", "action": "review", "severity": 2, "message": "金融产品推销"} if {
	input.labels.finance.n >= 2
	promo_score >= 1
}

# Loan and credit offers: two offer phrases (包下款, 日息, 黑户, 停息挂账), or
# one with a credit word and a contact.
finance_hits contains {"rule": "finance.loan_offer", "label": "finance", "action": "review", "severity": 2, "message": "放贷、套现、债务协商等金融招揽，需持牌"} if {
	input.subs["finance.loan_offer"].n >= 2
}

finance_hits contains {"rule": "finance.loan_offer", "label": "finance", "action": "review", "severity": 2, "message": "放贷、套现、债务协商等金融招揽，需持牌"} if {
	input.subs["finance.loan_offer"]
	input.subs["finance.credit"]
}

finance_hits contains {"rule": "finance.loan_contact", "label": "finance", "action": "block", "severity": 3, "message": "放贷、套现招揽并留有联系方式"} if {
	input.subs["finance.loan_offer"]
	input.subs["finance.credit"]
	contact_detected > 0
}

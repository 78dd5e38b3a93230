# Restricted licensed topic: finance (荐股, 保本保息, 配资, 无抵押贷款, 币圈暴富).
#
# A topic word alone (股票, 基金, 贷款) is never a violation. Soliciting
# business is reviewed; promising returns is reviewed, or blocked when the
# promise is absolute (稳赚不赔) or comes with a solicitation or a contact.
# Verified licensed organisations are exempt from finance.solicit (see
# data.json verified_org_exempt), never from promises.
package modgate

hits contains hit("finance.solicit", "finance", "review", 2, "荐股、配资、放贷等金融招揽，需持牌") if {
	n("finance.solicit") > 0
}

hits contains hit("finance.solicit_contact", "finance", "block", 3, "金融招揽并留有联系方式") if {
	n("finance.solicit") > 0
	contact_detected > 0
}

hits contains hit("finance.solicit_contact", "finance", "block", 3, "金融招揽并引导加好友/进群") if {
	n("finance.solicit") > 0
	n("contact.evasive") > 0
}

hits contains hit("finance.guaranteed_return", "finance", "review", 2, "承诺收益或高回报") if {
	top("finance.promise") == 2
}

hits contains hit("finance.guaranteed_return", "finance", "block", 3, "承诺保本保息、稳赚不赔") if {
	top("finance.promise") >= 3
}

hits contains hit("finance.promise_solicit", "finance", "block", 3, "承诺收益并招揽投资") if {
	n("finance.promise") > 0
	n("finance.solicit") > 0
}

hits contains hit("finance.promise_solicit", "finance", "block", 3, "承诺收益并留有联系方式") if {
	n("finance.promise") > 0
	has_contact
}

hits contains hit("finance.crypto", "finance", "review", 2, "虚拟货币暴富宣传") if {
	n("finance.crypto") > 0
}

hits contains hit("finance.crypto_promise", "finance", "block", 3, "虚拟货币投资并承诺收益") if {
	n("finance.crypto") > 0
	n("finance.promise") > 0
}

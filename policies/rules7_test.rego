package modgate_test

import data.modgate

# 原客服号已停用，新客服QQ 33712058: the shop moving its customers to a new
# id is drainage, not phishing.
test_r7_own_account_moved_is_contact if {
	i := with_det(msg([["contact.moved", 1], ["fraud.brand", 1], ["fraud.lure", 1]]), {"qq": 1})
	r := rules(i)
	"contact.moved" in r
	not "fraud.phishing" in r
	not "fraud.lure_link" in r
}

# 您的账户已停用，请联系客服QQ …: the reader's account, no retired shop
# number, stays phishing.
test_r7_account_lure_still_phishing if {
	i := with_det(msg([["fraud.brand", 1], ["fraud.lure", 1]]), {"qq": 1})
	"fraud.phishing" in rules(i)
}

# 原客服号已停用 without a new id to move to is news, not drainage.
test_r7_moved_without_id_allowed if {
	action(msg([["contact.moved", 1]])) == "allow"
}

# 方法在🍠搜"小满的日常" (红薯搜): search a name on a disguised app.
test_r7_app_search_is_contact if {
	"contact.app_search" in rules(msg([["contact.app_search", 1]]))
}

# 烤🍠真香 (红薯 alone) carries no app_search term: nothing to flag.
test_r7_sweet_potato_alone_allowed if {
	action(msg([])) == "allow"
}

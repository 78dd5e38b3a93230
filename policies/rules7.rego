# The rules7 pass (issue 11, session 5): labels the families6 pass got
# wrong. The vocabulary is in the `# --- rules7 (session 5) ---` blocks of
# lexicons/*.txt.
package modgate

# A shop announcing that its own old service account is retired and giving
# the new one (原客服号已停用，新客服QQ …) moves its customers to that id:
# drainage. The 已停用 names the shop's number, not the reader's account,
# so the phishing rules leave it alone (own_account_moved in fraud.rego).
ads_hits contains hit("contact.moved", "contact", "review", 2, "声称原客服号已停用，引导添加新的联系方式（引流）") if {
	input.subs["contact.moved"]
	contact_detected > 0
}

own_account_moved if input.subs["contact.moved"]

# Search a name on an app written as an emoji or a nickname (🍠搜 "小满的
# 日常" → 红薯搜): the disguise and the instruction to search are the two
# signals; nobody writes a sweet potato before 搜 for any other reason.
ads_hits contains hit("contact.app_search", "contact", "review", 2, "以表情或代称写平台名并引导搜索（引流）") if {
	input.subs["contact.app_search"]
}

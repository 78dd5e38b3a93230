package modgate_test

import data.modgate

# 转发到3个群领红包 / 集满30个赞送礼品
test_share_for_reward_reviewed if {
	d := decide(msg([["induced_sharing.action", 1], ["induced_sharing.reward", 1]]))
	d.action == "review"
	d.labels == ["induced_sharing"]
}

# 帮忙转发一下寻人启事: sharing without an incentive
test_sharing_without_reward_allowed if {
	action(msg([["induced_sharing.action", 1]])) == "allow"
	action(msg([["induced_sharing.action", 1], ["induced_sharing.action", 1]])) == "allow"
}

# 今天抢到红包了: a reward word without a share action
test_reward_without_sharing_allowed if {
	action(msg([["induced_sharing.reward", 1]])) == "allow"
}

# 不转不是中国人
test_threat_reviewed if {
	action(msg([["induced_sharing.threat", 2]])) == "review"
}

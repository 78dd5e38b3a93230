# Induced sharing (诱导分享): a share / forward / like / invite / 助力 action
# combined with a reward (转发到3个群领红包, 集满30个赞送礼品) or a threat
# (不转不是中国人). Sharing without an incentive is fine.
package modgate

sharing_hits contains {"rule": "induced_sharing.reward", "label": "induced_sharing", "action": "review", "severity": 2, "message": "以奖励诱导分享、集赞或助力"} if {
	input.subs["induced_sharing.action"]
	input.subs["induced_sharing.reward"]
}

sharing_hits contains {"rule": "induced_sharing.threat", "label": "induced_sharing", "action": "review", "severity": 2, "message": "以威胁或道德绑架诱导转发"} if {
	input.subs["induced_sharing.threat"]
}

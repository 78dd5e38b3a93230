# Induced sharing (诱导分享): a share / forward / like / invite / 助力 action
# combined with a reward (转发到3个群领红包, 集满30个赞送礼品) or a threat
# (不转不是中国人). Sharing without an incentive is fine.
package modgate

hits contains hit("induced_sharing.reward", "induced_sharing", "review", 2, "以奖励诱导分享、集赞或助力") if {
	n("induced_sharing.action") > 0
	n("induced_sharing.reward") > 0
}

hits contains hit("induced_sharing.threat", "induced_sharing", "review", 2, "以威胁或道德绑架诱导转发") if {
	n("induced_sharing.threat") > 0
}

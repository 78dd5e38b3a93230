# Conversation-level rules: the same text flooding many groups, and a
# sender flooding a group. The gateway counts, per tenant, over the
# group's recent window kept in NATS (README.md, "What the policies see"):
#
#   input.window.parts          messages the screened text was assembled
#                               from (1: the message alone; 2+: the sender's
#                               short messages joined, see split in data.json)
#   input.flood.groups          distinct groups that posted the same or nearly
#                               the same text within flood.window_seconds
#   input.flood.senders         distinct senders of it
#   input.flood.sender_groups   groups THIS sender posted it in
#   input.velocity.sender       the sender's messages in the last minute (tenant)
#   input.velocity.sender_group the sender's messages in the last minute here
#   input.velocity.group        everybody's messages in the last minute here
#
# Flood counts are exact up to 10, then floored to 12, 15, 20, 25, 30, 40,
# 50, 60, 80, 100, 150, 200, 300, 500, 1000 (data.json refuses flood
# thresholds between those). Velocity counts are floored to velocity.steps
# and the velocity thresholds (0 below the first step): compare them with
# a step. flood and velocity are {} when the window is off or unavailable
# (NATS away): every rule here is then silent.
#
# Numbers live in data.tunables.conversation; a threshold of 0 is off.
package modgate

conv_flood := data.tunables.conversation.flood

conv_velocity := data.tunables.conversation.velocity

# The decision evaluates the rules below only when a count reaches a
# threshold (most messages: never).
conversation_signal if flood_reached(conv_flood.review_groups)

conversation_signal if velocity_group_flood

conversation_signal if velocity_sender_flood

signals if conversation_signal

hits contains h if {
	conversation_signal
	some h in conversation_hits
}

flood_reached(n) if {
	n > 0
	input.flood.groups >= n
}

# Many groups posting one text is normal for a holiday greeting or a news
# forward from many members. It is a flood when the text also carries a
# signal, an ads-like model score, comes from one sender in several groups,
# or from a new account.
flood_suspicious if some _ in input.labels

flood_suspicious if some _ in input.detectors

flood_suspicious if {
	some name, t in data.tunables.model
	t.label == conv_flood.label
	input.scores[name] >= conv_flood.model_score
}

flood_suspicious if {
	conv_flood.same_sender_groups > 0
	input.flood.sender_groups >= conv_flood.same_sender_groups
}

flood_suspicious if input.sender.account == "new"

# Broadcasts of verified organisations (announcements) are exempt.
flood_exempt if {
	conv_flood.exempt_verified_org
	input.sender.verified_org
}

flood_message(minutes) := sprintf("%d 分钟内同一或相近内容已出现在 %d 个群（%d 个发送者，本发送者 %d 个群）", [
	minutes, input.flood.groups, input.flood.senders, input.flood.sender_groups,
])

conversation_hits contains hit(
	"flood.cross_group", conv_flood.label, "block", 3,
	flood_message(round(conv_flood.window_seconds / 60)),
) if {
	flood_reached(conv_flood.block_groups)
	flood_suspicious
	not flood_exempt
}

conversation_hits contains hit(
	"flood.cross_group", conv_flood.label, "review", 2,
	flood_message(round(conv_flood.window_seconds / 60)),
) if {
	flood_reached(conv_flood.review_groups)
	not flood_reached(conv_flood.block_groups)
	flood_suspicious
	not flood_exempt
}

velocity_exempt if {
	conv_velocity.exempt_verified_org
	input.sender.verified_org
}

velocity_group_flood if {
	conv_velocity.sender_group_review > 0
	input.velocity.sender_group >= conv_velocity.sender_group_review
}

velocity_sender_flood if {
	conv_velocity.sender_review > 0
	input.velocity.sender >= conv_velocity.sender_review
}

conversation_hits contains hit(
	"velocity.group_flood", conv_velocity.label, "review", 2,
	sprintf("该发送者 1 分钟内在本群发了至少 %d 条消息（阈值 %d）", [input.velocity.sender_group, conv_velocity.sender_group_review]),
) if {
	velocity_group_flood
	not velocity_exempt
}

conversation_hits contains hit(
	"velocity.sender", conv_velocity.label, "review", 2,
	sprintf("该发送者 1 分钟内共发了至少 %d 条消息（阈值 %d）", [input.velocity.sender, conv_velocity.sender_review]),
) if {
	velocity_sender_flood
	not velocity_exempt
}

package modgate

import (
	"time"
	"unicode/utf8"
)

// Conversation-level screening: a group's recent messages (the window),
// near-duplicate floods across groups and sender velocity. internal/convo
// keeps the state (shared by the replicas through NATS); internal/screen
// uses it while screening; the policies see the counts as input.window,
// input.flood and input.velocity.

// ConversationUnavailable marks a verdict screened without its group's
// window (Verdict.Conversation): NATS was away, so the message was judged
// on its own.
const ConversationUnavailable = "unavailable"

// ContextMessage is one message of a group's recent window as kept with a
// case for reviewers. Text is masked (personal data hidden as in
// Verdict.MaskedText).
type ContextMessage struct {
	ID       string    `json:"id,omitempty"`
	SenderID string    `json:"sender_id,omitempty"`
	At       time.Time `json:"at"`
	Text     string    `json:"text"`
	// Action is the verdict the message got when it was screened.
	Action string `json:"action,omitempty"`
	// Assembling marks an earlier message whose text took part in a match
	// of the case's message (a contact or term split across messages).
	Assembling bool `json:"assembling,omitempty"`
	// Current marks the case's own message.
	Current bool `json:"current,omitempty"`
	// Truncated is set when Text was cut to the window's size limit.
	Truncated bool `json:"truncated,omitempty"`
}

// ConversationFacts is what the window says about one message, counting
// the message itself. The policy engine buckets the counts before Rego
// sees them (policies.Bucket).
type ConversationFacts struct {
	// FloodGroups and FloodSenders count the distinct groups and senders
	// of the tenant that posted the same or nearly the same text within
	// the flood window; FloodSenderGroups the groups this sender posted
	// it in. All zero for texts too short to fingerprint.
	FloodGroups, FloodSenders, FloodSenderGroups int
	// Messages in the last minute: by the sender in the tenant, by the
	// sender in this group, and by everybody in this group.
	SenderPerMinute, SenderGroupPerMinute, GroupPerMinute int
}

// ConversationSettings are the conversation tunables of the serving
// policy set (data.json tunables.conversation) that Go needs.
type ConversationSettings struct {
	// SplitMaxChars: an earlier message joins the current one only when
	// its normalised text has at most this many characters.
	SplitMaxChars int
	// SplitMaxGap: at most this long between consecutive joined messages.
	SplitMaxGap time.Duration
	// SplitMaxMessages: at most this many messages joined, the current
	// one included (below 2 switches joining off).
	SplitMaxMessages int
	// FloodMinChars: texts shorter than this (normalised, without spaces)
	// are not fingerprinted.
	FloodMinChars int
	// FloodWindow: how far back near-duplicates are counted.
	FloodWindow time.Duration
	// FloodSimilarity: estimated Jaccard similarity of character shingles
	// at or above which two texts count as the same.
	FloodSimilarity float64
}

// ConversationView is what Observe found for one message: the sender's
// preceding messages that may be joined with it and the facts for the
// policies. Sig carries the implementation's near-duplicate signature from
// Observe to Commit.
type ConversationView struct {
	// Prior are the sender's preceding short messages within the split
	// interval, oldest first (masked text, as stored in the window).
	Prior []ContextMessage
	Facts ConversationFacts
	Sig   []uint32
}

// CutUTF8 cuts s to at most n bytes on a character boundary and reports
// whether it cut (window records and case context lines are capped so).
func CutUTF8(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

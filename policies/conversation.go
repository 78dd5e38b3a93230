package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/modgate/modgate"
)

// bucketBounds are the values a conversation count reaches the policies
// as: exact up to 10, then floored to the next lower bound. The memo key
// holds the bucket, so a busy group's changing counts do not defeat the
// decision memo; thresholds in data.json must be bounds (kBucket), so a
// rule's ">= 20" means exactly 20.
var bucketBounds = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000}

// Bucket floors a count to a bucket bound (negative counts are 0, counts
// past the last bound are the last bound).
func Bucket(n int) int {
	if n <= 10 {
		return max(n, 0)
	}
	i := sort.SearchInts(bucketBounds, n)
	if i < len(bucketBounds) && bucketBounds[i] == n {
		return n
	}
	return bucketBounds[i-1]
}

func nextBucket(n int) int {
	i := sort.SearchInts(bucketBounds, n+1)
	if i >= len(bucketBounds) {
		return bucketBounds[len(bucketBounds)-1]
	}
	return bucketBounds[i]
}

func bucketList() string {
	var b strings.Builder
	for i, x := range bucketBounds[11:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, x)
	}
	return b.String()
}

// Conversation is what the recent window adds to one decision: how many
// messages the screened text was assembled from (1: the message alone)
// and the flood and velocity counts (raw; Decide buckets them).
type Conversation struct {
	Parts int
	Facts modgate.ConversationFacts
}

// velocitySteps are the values a velocity count reaches the policies as:
// floored to the largest step at or below it, 0 below the first. They are
// data.tunables.conversation.velocity.steps plus the velocity thresholds
// of data.json, so every shipped rule compares exactly; a count below every
// step (nearly every message) is 0, which keeps the decision memo's keys
// few even in busy groups.
func velocitySteps(data map[string]any) []int {
	tun, _ := data["tunables"].(map[string]any)
	conv, _ := tun["conversation"].(map[string]any)
	vel, _ := conv["velocity"].(map[string]any)
	var out []int
	if st, ok := vel["steps"].([]any); ok {
		for _, x := range st {
			if f, ok := x.(float64); ok && f > 0 {
				out = append(out, int(f))
			}
		}
	}
	for _, k := range []string{"sender_group_review", "sender_review"} {
		if f, ok := vel[k].(float64); ok && f > 0 {
			out = append(out, int(f))
		}
	}
	sort.Ints(out)
	return slices.Compact(out)
}

// floorStep floors n to the largest step at or below it (0 below all).
func floorStep(n int, steps []int) int {
	i := sort.SearchInts(steps, n+1)
	if i == 0 {
		return 0
	}
	return steps[i-1]
}

// conversationSettings reads the Go side of data.tunables.conversation
// from a validated, default-filled document.
func conversationSettings(data map[string]any) modgate.ConversationSettings {
	tun, _ := data["tunables"].(map[string]any)
	conv, _ := tun["conversation"].(map[string]any)
	split, _ := conv["split"].(map[string]any)
	flood, _ := conv["flood"].(map[string]any)
	num := func(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }
	return modgate.ConversationSettings{
		SplitMaxChars:    int(num(split, "max_chars")),
		SplitMaxGap:      time.Duration(num(split, "max_gap_seconds")) * time.Second,
		SplitMaxMessages: int(num(split, "max_messages")),
		FloodMinChars:    int(num(flood, "min_chars")),
		FloodWindow:      time.Duration(num(flood, "window_seconds")) * time.Second,
		FloodSimilarity:  num(flood, "similarity"),
	}
}

// Conversation returns the conversation settings of this policy set
// (data.json tunables.conversation), for the window and the split join.
func (e *Engine) Conversation() modgate.ConversationSettings { return e.conv }

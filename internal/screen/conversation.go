package screen

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/policies"
)

// Conversation is a group's recent window (internal/convo implements it).
// No method may wait on the network: screening calls them inline.
type Conversation interface {
	// Observe returns what the window knows about m (its normalised text
	// given): the sender's preceding messages that may be joined with it
	// and the flood and velocity counts, m included. ok is false when the
	// window is unavailable; m is then screened on its own.
	Observe(m *modgate.Message, normalized string, s modgate.ConversationSettings) (view modgate.ConversationView, ok bool)
	// Window returns the group's recent messages before m, oldest first
	// (masked), for the case of a review verdict.
	Window(m *modgate.Message) []modgate.ContextMessage
	// Commit records m with its verdict: in this replica's view at once,
	// in the shared stream asynchronously.
	Commit(m *modgate.Message, v *modgate.Verdict, view *modgate.ConversationView)
}

// RuleSplit is the reason the gateway adds when a verdict was decided on
// the message joined with the sender's preceding ones.
const RuleSplit = "conversation.split"

// sep is what joins two messages: nothing, so the text reads as the
// sender meant it (加 / 微 / 信 is 加微信), except a space between two
// Latin letters or digits, which keeps tokens apart as the chat shows them
// (加V / kk99001 is the cue 加V and the id kk99001, not one word
// "vkk99001"). A space elsewhere would let the homophone layer read
// across it (微信 / 群里说 would hear 新群); a line break would end a
// sentence, which no term spans.
func sep(prev, next string) string {
	if prev == "" || next == "" {
		return ""
	}
	a, _ := utf8.DecodeLastRuneInString(prev)
	b, _ := utf8.DecodeRuneInString(next)
	if asciiAlnum(a) && asciiAlnum(b) {
		return " "
	}
	return ""
}

func asciiAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// part is one message of a joined text: its code-point span in the joined
// text, its id (empty for the message under screening) and its text.
type part struct {
	start, end int
	id         string
	text       string
}

// joined is the outcome of screening the joined text.
type joined struct {
	decision policies.Decision
	matches  []modgate.Match // pieces: MessageID set for earlier messages
	ids      []string        // earlier messages that took part
	parts    []part
}

// rank orders actions by strictness.
func rank(action string) int {
	switch action {
	case modgate.ActionBlock:
		return 2
	case modgate.ActionReview:
		return 1
	}
	return 0
}

// screenJoined screens m joined with the sender's preceding messages
// (prior, oldest first). It reports ok only when joining found something
// the message alone did not: a match that touches an earlier message, or
// one in this message that only its context revealed (an id after a cue
// sent before it). A higher model score alone does not count.
func (e *Engine) screenJoined(ctx context.Context, m *modgate.Message, in *policies.Input, prior []modgate.ContextMessage) (joined, bool) {
	var b strings.Builder
	n := len(m.Text) + len(prior)
	for _, p := range prior {
		n += len(p.Text)
	}
	b.Grow(n)
	parts := make([]part, 0, len(prior)+1)
	pos := 0
	for i, p := range prior {
		k := utf8.RuneCountInString(p.Text)
		parts = append(parts, part{start: pos, end: pos + k, id: p.ID, text: p.Text})
		b.WriteString(p.Text)
		next := m.Text
		if i+1 < len(prior) {
			next = prior[i+1].Text
		}
		sp := sep(p.Text, next)
		b.WriteString(sp)
		pos += k + len(sp)
	}
	cur := part{start: pos, end: pos + utf8.RuneCountInString(m.Text), text: m.Text}
	parts = append(parts, cur)
	b.WriteString(m.Text)
	jf, err := e.filter.Scan(b.String())
	if err != nil {
		return joined{}, false // too large once joined: the message alone decides
	}
	if !newFindings(jf.Matches, in.Findings.Matches, cur.start) {
		return joined{}, false
	}
	jin := *in
	jin.Findings = &jf
	jin.Conversation = &policies.Conversation{Parts: len(parts)}
	if in.Conversation != nil {
		jin.Conversation.Facts = in.Conversation.Facts
	}
	if k := e.models.Len(); k > 0 {
		scores := make([]float64, k)
		extras := make([]float32, len(e.models.Extras()))
		ModelExtras(e.models.Extras(), &jf, extras)
		e.models.Score(jf.Normalized, extras, scores)
		jin.Scores = scores
	}
	d, err := e.policy.Decide(ctx, jin)
	if err != nil {
		return joined{}, false
	}
	j := joined{decision: d, parts: parts}
	seen := map[string]bool{}
	for i := range jf.Matches {
		jm := &jf.Matches[i]
		for k := range parts {
			p := &parts[k]
			s, t := max(jm.Start, p.start), min(jm.End, p.end)
			if s >= t {
				continue
			}
			piece := *jm
			piece.Start, piece.End, piece.MessageID = s-p.start, t-p.start, p.id
			piece.Text = runeSlice(p.text, piece.Start, piece.End)
			if maskedKind(jm) {
				piece.Text = strings.Repeat("*", piece.End-piece.Start)
			}
			j.matches = append(j.matches, piece)
			if p.id != "" && !seen[p.id] {
				seen[p.id] = true
				j.ids = append(j.ids, p.id)
			}
		}
	}
	if len(j.ids) == 0 {
		// Only this message's spans, revealed by what came before: the
		// earlier messages took part as context.
		for _, p := range parts[:len(parts)-1] {
			j.ids = append(j.ids, p.id)
		}
	}
	// Keep the message order of the earlier ids.
	slices.SortFunc(j.ids, func(a, b string) int { return partIndex(parts, a) - partIndex(parts, b) })
	return j, true
}

// newFindings reports whether the joined matches hold one that touches an
// earlier message (starts before cur) or one in the current message the
// single scan did not find (same term and category, offsets shifted).
func newFindings(joinedMs, single []modgate.Match, cur int) bool {
	for i := range joinedMs {
		jm := &joinedMs[i]
		if jm.Start < cur {
			return true
		}
		if !slices.ContainsFunc(single, func(x modgate.Match) bool {
			return x.Start == jm.Start-cur && x.End == jm.End-cur && x.Term == jm.Term && x.Category == jm.Category &&
				x.Subcategory == jm.Subcategory && x.Source == jm.Source
		}) {
			return true
		}
	}
	return false
}

func partIndex(parts []part, id string) int {
	for i := range parts {
		if parts[i].id == id {
			return i
		}
	}
	return len(parts)
}

// maskedKind reports detector matches whose text the filter masks.
func maskedKind(m *modgate.Match) bool {
	if m.Source != modgate.SourceDetector {
		return false
	}
	switch m.Subcategory {
	case "phone", "id_card", "bank_card", "email":
		return true
	}
	return false
}

// runeSlice is s[start:end) in code points.
func runeSlice(s string, start, end int) string {
	bs, be, i := len(s), len(s), 0
	for off := range s {
		if i == start {
			bs = off
		}
		if i == end {
			be = off
			break
		}
		i++
	}
	if bs > be {
		return ""
	}
	return s[bs:be]
}

// adoptJoined turns the single-message decision d and findings f into the
// joined ones: the joined decision, the single matches plus every piece
// the joined text added (earlier messages' pieces name their message),
// and a reason that says which messages were joined.
func adoptJoined(d policies.Decision, f *modgate.Findings, j *joined) policies.Decision {
	out := j.decision.Clone()
	for _, l := range d.Labels {
		if !slices.Contains(out.Labels, l) {
			out.Labels = append(out.Labels, l)
		}
	}
	slices.Sort(out.Labels)
	for _, r := range d.Reasons {
		if !slices.ContainsFunc(out.Reasons, func(x modgate.Reason) bool { return x.Rule == r.Rule }) {
			out.Reasons = append(out.Reasons, r)
		}
	}
	label := ""
	if len(out.Reasons) > 0 {
		label = out.Reasons[0].Label
	}
	out.Reasons = append(out.Reasons, modgate.Reason{Rule: RuleSplit, Label: label,
		Message: fmt.Sprintf("与本发送者之前的 %d 条短消息（%s）连起来看时命中", len(j.ids), strings.Join(j.ids, ", "))})
	out.Severity = max(out.Severity, d.Severity)
	if out.Enforcement == "" {
		out.Enforcement = d.Enforcement
	}
	ms := slices.Clone(f.Matches)
	for _, pm := range j.matches {
		if !slices.ContainsFunc(ms, func(x modgate.Match) bool {
			return x.MessageID == pm.MessageID && x.Start == pm.Start && x.End == pm.End && x.Term == pm.Term &&
				x.Category == pm.Category && x.Subcategory == pm.Subcategory && x.Source == pm.Source
		}) {
			ms = append(ms, pm)
		}
	}
	f.Matches = ms
	return out
}

// caseContext is the window around a review verdict for its case: the
// group's recent messages (masked), the ones that assembled a match
// marked (with personal data the joined text revealed masked in them too),
// and the message itself.
func caseContext(win []modgate.ContextMessage, m *modgate.Message, v *modgate.Verdict, j *joined, now time.Time) []modgate.ContextMessage {
	out := make([]modgate.ContextMessage, 0, len(win)+1)
	for _, c := range win {
		if j != nil && slices.Contains(j.ids, c.ID) {
			c.Assembling = true
			c.Text = maskPieces(c.Text, c.ID, v.Matches)
		}
		out = append(out, c)
	}
	// The case carries the whole text already; its line here is a reminder.
	text, cut := modgate.CutUTF8(v.MaskedText, currentContextBytes)
	return append(out, modgate.ContextMessage{ID: m.ID, SenderID: m.Sender.ID, At: now, Text: text,
		Action: v.Action, Current: true, Truncated: cut})
}

// currentContextBytes caps the case's own line in its context (the window
// keeps 1 KiB of every message by default).
const currentContextBytes = 1024

// maskPieces hides, in an earlier message's text, the pieces of masked
// detector matches (a phone number split across messages).
func maskPieces(text, id string, ms []modgate.Match) string {
	var r []rune
	for i := range ms {
		pm := &ms[i]
		if pm.MessageID != id || !maskedKind(pm) {
			continue
		}
		if r == nil {
			r = []rune(text)
		}
		for k := max(pm.Start, 0); k < min(pm.End, len(r)); k++ {
			if r[k] >= '0' && r[k] <= '9' || r[k] >= 'a' && r[k] <= 'z' || r[k] >= 'A' && r[k] <= 'Z' {
				r[k] = '*'
			}
		}
	}
	if r == nil {
		return text
	}
	return string(r)
}

package filters

import (
	"strings"
	"unicode"

	"github.com/modgate/modgate"
)

// KindGroupAttack is contempt for a whole group without a slur (category
// abuse): a group term (abuse.group: 河南人, 女的, 残疾人…) followed in the
// same sentence by a generaliser (abuse.generalise: 都是, 天生, 个个…) and a
// negative predicate (abuse.contempt: 骗子, 懒, 素质低…, or an insult term),
// or by an exclusion that generalises by itself (abuse.exclude: 滚出去,
// 哪来的回哪去, 一个德行, 没一个好东西). Each word is ordinary; the shape is
// not.
const KindGroupAttack = "group_attack"

// Lexicon subcategories the group-attack detector reads (lexicons/abuse.txt).
const (
	subGroup      = "group"
	subGeneralise = "generalise"
	subContempt   = "contempt"
	subExclude    = "exclude"
)

// Distances in original code points. A generaliser may stand a little
// before the group (这帮东北人, 一群河南人); the predicate must follow the
// group within one clause-sized stretch.
const (
	groupLead    = 6  // generaliser at most this far before the group
	groupReach   = 16 // predicate start at most this far after the group's end
	groupTrail   = 6  // generaliser at most this far after the predicate (穷人懒，活该)
	negationSpan = 3  // runes before a predicate or generaliser searched for 不/没/非
	questionSpan = 4  // runes after a predicate searched for ？ or 吗
)

// isStrongBreak ends a sentence: a group and a predicate on both sides of
// it are two statements (河南人来了。都是骗子的短信要小心). Commas and
// enumeration marks do not (河南人，个个都是骗子).
func isStrongBreak(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '!', '?', ';', '\n', '\r', '…', '｡', '\u2028', '\u2029':
		return true
	}
	return false
}

// negators before a predicate or generaliser turn the claim around (都不是
// 骗子, 不都是, 并非天生).
const negators = "不没非别未无"

// detectGroupAttack finds group generalisations with contempt among the
// lexicon matches ms (original code-point offsets) and adds one hit from
// the group to the predicate. At most one hit per message: the policy needs
// to know whether, not how often.
func detectGroupAttack(n *Normalized, ms []modgate.Match, hits []span) []span {
	var groups, gens, preds []*modgate.Match
	for i := range ms {
		m := &ms[i]
		if m.Source != modgate.SourceLexicon || m.Category != modgate.LabelAbuse {
			continue
		}
		switch m.Subcategory {
		case subGroup:
			groups = append(groups, m)
		case subGeneralise:
			gens = append(gens, m)
		case subContempt, subExclude, "insult", "severe":
			preds = append(preds, m)
		}
	}
	if len(groups) == 0 || len(preds) == 0 {
		return hits
	}
	for _, g := range groups {
		for _, p := range preds {
			if p.Start < g.End || p.Start-g.End > groupReach || overlapsMatch(p, groups) {
				continue
			}
			if !n.sameSentence(g.Start, p.End) || n.negated(p.Start, g.End) || n.question(p.End) || !n.predicateEnds(p) {
				continue
			}
			if p.Subcategory != subExclude && !generalised(n, g, p, gens) {
				continue
			}
			a, b := n.NormPos(g.Start), n.NormPos(p.End)
			if a < b && !overlaps(hits, a, b) {
				return append(hits, span{a, b, KindGroupAttack})
			}
		}
	}
	return hits
}

// generalised reports a generaliser near group g and predicate p (just
// before the group, between them, or just after the predicate), not itself negated (不都是, 并非天生).
func generalised(n *Normalized, g, p *modgate.Match, gens []*modgate.Match) bool {
	for _, q := range gens {
		if q.Start < g.Start-groupLead || q.Start > p.End+groupTrail || spanOverlap(q, g) || spanOverlap(q, p) {
			continue
		}
		if q.Start < g.Start && !n.sameSentence(q.Start, g.End) || q.Start >= p.End && !n.sameSentence(p.End, q.End) {
			continue
		}
		if n.negated(q.Start, max(0, q.Start-negationSpan)) {
			continue
		}
		return true
	}
	return false
}

// negated reports a negator in the negationSpan runes before position at,
// not looking before floor (the group's end: 不是所有河南人 negates nothing
// after the group; context.counter covers that phrasing).
func (n *Normalized) negated(at, floor int) bool {
	s := max(floor, at-negationSpan)
	if s >= at {
		return false
	}
	return strings.ContainsAny(n.OrigText(s, at), negators)
}

// question reports a question mark or 吗 right after a predicate: 城管都是
// 土匪吗, 河南人就不是人？ ask or rebut rather than assert.
func (n *Normalized) question(at int) bool {
	for _, r := range n.OrigText(at, at+questionSpan) {
		switch {
		case r == '？' || r == '?' || r == '吗' || r == '嘛':
			return true
		case isStrongBreak(r):
			return false
		}
	}
	return false
}

// predicateEnds reports that a one-character predicate (懒, 脏, 臭, 蠢) is not
// the first half of a word the dictionary does not know (脏活, 臭小子): it
// must end the text or be followed by something that is not a Han
// character, or by a particle or intensifier (懒死了, 蠢得很, 脏兮兮).
func (n *Normalized) predicateEnds(p *modgate.Match) bool {
	if p.End-p.Start > 1 {
		return true
	}
	next := n.OrigText(p.End, p.End+1)
	if next == "" {
		return true
	}
	r := []rune(next)[0]
	return !unicode.Is(unicode.Han, r) || strings.ContainsRune(predicateTail, r)
}

// predicateTail may follow a one-character predicate.
const predicateTail = "的了得死透啊呀吧呢啦哦又还成到兮"

// sameSentence reports no sentence-ending punctuation in the original text
// between code points a and b.
func (n *Normalized) sameSentence(a, b int) bool {
	return !strings.ContainsFunc(n.OrigText(a, b), isStrongBreak)
}

func spanOverlap(a, b *modgate.Match) bool { return a.Start < b.End && b.Start < a.End }

func overlapsMatch(m *modgate.Match, ms []*modgate.Match) bool {
	for _, o := range ms {
		if spanOverlap(m, o) {
			return true
		}
	}
	return false
}

package review

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go/jetstream"
)

// The search index lives in NATS, in the stream MODGATE_SEARCH: one empty
// message per indexed value of a case, the value's tokens in the subject
// (<prefix>.search. followed by), at most one message per subject:
//
//	tn.<b64 tenant>.<case>                 tenant
//	sd.<b64 tenant>.<b64 sender>.<case>    sender (per tenant)
//	gr.<b64 tenant>.<b64 group>.<case>     group
//	mi.<b64 message id>.<case>             message id
//	lb.<label>.<case>                      label
//	ac.<action>.<case>                     decision action
//	rv.<b64 reviewer>.<case>               reviewer who decided
//	tg.<b64 tag>.<case>                    team tag
//	dy.<yyyymmdd>.<case>                   day the case was opened
//	tx.<hex bigram>.<case>.<positions>     a bigram of the MASKED text and
//	                                       where it occurs (p3-17)
//	sg.<case>                              fingerprint of what is indexed
//	                                       (the payload)
//
// NATS answers "which cases have this value" with the stream's subject
// filter (stream info lists the matching subjects), so a replica needs no
// copy of the index. That beat a KV bucket with one key per posting by 10
// to 200 times on lookups (BENCHMARKS.md). Postings are only ever added
// while a case lives: a changed label leaves a stale subject behind, and
// every candidate is checked against the case as it is now (the replica's
// case index) before it is counted, so totals are exact. A replica writes
// the postings of a case when what the index holds of it changed; at start
// every replica compares the fingerprints and indexes what is missing (a
// crash between a case write and its postings, or an upgrade). The text
// index covers the first textIndexRunes characters of the masked text:
// personal data masked for reviewers is never searchable.

const (
	// textIndexRunes is how much of a case's masked text is indexed.
	textIndexRunes = 200
	// maxPositions caps the positions kept per bigram and case.
	maxPositions = 16
	// maxPostings caps the postings one criterion may enumerate; beyond
	// it the result is marked truncated.
	maxPostings = 500_000
	// defaultSearchDays is the date range of a search with no other
	// indexed criterion.
	defaultSearchDays = 30
	// maxSearchDays bounds a date range answered from the day postings.
	maxSearchDays = 400
	// loadTextBelow: with this few candidates left, their masked text is
	// read and matched instead of listing bigram postings.
	loadTextBelow = 300
)

// SearchQuery selects cases. Empty fields match everything; Text matches
// the masked text (2 or more characters).
type SearchQuery struct {
	Tenant    string
	Sender    string
	Group     string
	MessageID string
	Label     string
	// Decision is a decision action, or "none" for undecided cases.
	Decision string
	Reviewer string
	Tag      string
	State    modgate.CaseState
	Lane     string
	Text     string
	From, To time.Time
	// Sort "created" (newest first, the default) or "decided" (newest
	// decision first).
	Sort   string
	Offset int
	Limit  int
}

// SearchResult is a page of matching cases with the total.
type SearchResult struct {
	Cases  []modgate.CaseSummary `json:"cases"`
	Total  int                   `json:"total"`
	Offset int                   `json:"offset"`
	Limit  int                   `json:"limit"`
	// Truncated: a criterion matched more than the index enumerates at
	// once (200,000 postings); narrow the search.
	Truncated bool `json:"truncated,omitempty"`
	// From is the start of the default date range when the query had no
	// other indexed criterion.
	From *time.Time `json:"from,omitempty"`
}

// ---- what is indexed --------------------------------------------------------

func day(t time.Time) string { return t.UTC().Format("20060102") }

// fieldKeys are the field postings (without the case id) of a summary.
func fieldKeys(s *modgate.CaseSummary) []string {
	t := keyPart(s.Tenant)
	keys := []string{"tn." + t, "dy." + day(s.Created)}
	if s.SenderID != "" {
		keys = append(keys, "sd."+t+"."+keyPart(s.SenderID))
	}
	if s.GroupID != "" {
		keys = append(keys, "gr."+t+"."+keyPart(s.GroupID))
	}
	if s.MessageID != "" {
		keys = append(keys, "mi."+keyPart(s.MessageID))
	}
	for _, l := range s.Labels {
		if validLabel(l) {
			keys = append(keys, "lb."+l)
		}
	}
	if d := s.Decision; d != nil {
		if validLabel(d.Action) {
			keys = append(keys, "ac."+d.Action)
		}
		keys = append(keys, "rv."+keyPart(d.Reviewer))
	}
	for _, tg := range s.Tags {
		keys = append(keys, "tg."+keyPart(tg))
	}
	return keys
}

// searchFold lowercases Latin letters; other characters stay.
func searchFold(r rune) rune { return unicode.ToLower(r) }

// indexable: letters, digits and Han characters take part in bigrams;
// masked characters ('*'), spaces and punctuation do not.
func indexable(r rune) bool { return r != '*' && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

func gramKey(a, b rune) string {
	return hex.EncodeToString([]byte(string([]rune{searchFold(a), searchFold(b)})))
}

// textPostings are the bigrams of the first textIndexRunes characters of
// the masked text with their positions.
func textPostings(masked string) map[string][]int {
	r := []rune(masked)
	if len(r) > textIndexRunes {
		r = r[:textIndexRunes]
	}
	out := map[string][]int{}
	for i := 0; i+1 < len(r); i++ {
		if !indexable(r[i]) || !indexable(r[i+1]) {
			continue
		}
		g := gramKey(r[i], r[i+1])
		if len(out[g]) < maxPositions {
			out[g] = append(out[g], i)
		}
	}
	return out
}

func textSig(masked string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(truncateRunes(masked, textIndexRunes)))
	return h.Sum64()
}

// indexSig fingerprints what the index holds of a case.
func indexSig(c *modgate.Case) uint64 {
	h := fnv.New64a()
	s := &modgate.CaseSummary{Tenant: c.Tenant, SenderID: c.Message.Sender.ID, GroupID: c.Message.Group.ID,
		MessageID: c.Message.ID, Labels: c.Labels, Decision: c.Decision, Tags: c.Tags, Created: c.Created}
	for _, k := range fieldKeys(s) {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], textSig(c.MaskedText))
	h.Write(b[:])
	return h.Sum64()
}

// ---- writing ------------------------------------------------------------------

func (q *Queue) searchSubject(key string) string { return q.cfg.Prefix + ".search." + key }

// positionsToken encodes positions as one subject token: p3-17-40.
func positionsToken(pos []int) string {
	var b strings.Builder
	b.WriteByte('p')
	for i, p := range pos {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}

func parsePositions(tok string) []int {
	var out []int
	for _, f := range strings.Split(strings.TrimPrefix(tok, "p"), "-") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// indexCase writes the postings of c that old (the summary of the version
// before, nil for a new case or a repair) did not have, then its
// fingerprint. Publishes are asynchronous: the start-up repair catches a
// replica that died before they were stored.
func (q *Queue) indexCase(c *modgate.Case, old *modgate.CaseSummary) {
	if q.search == nil {
		return
	}
	s := summarize(c)
	have := map[string]bool{}
	if old != nil {
		for _, k := range fieldKeys(old) {
			have[k] = true
		}
	}
	put := func(key string, val []byte) {
		// A full window waits (back-pressure on the writer) rather than
		// dropping a posting.
		if _, err := q.jsIndex.PublishAsync(q.searchSubject(key), val, jetstream.WithStallWait(10*time.Second)); err != nil {
			q.log.Warn("review: search index write", "key", key, "err", err)
		}
	}
	for _, k := range fieldKeys(s) {
		if !have[k] {
			put(k+"."+c.ID, nil)
		}
	}
	if old == nil || old.TextSig != s.TextSig {
		for g, pos := range textPostings(c.MaskedText) {
			put("tx."+g+"."+c.ID+"."+positionsToken(pos), nil)
		}
	}
	var sig [8]byte
	binary.BigEndian.PutUint64(sig[:], s.IndexSig)
	put("sg."+c.ID, sig[:])
}

// repairIndex indexes every case whose fingerprint in the index differs
// from the case (or is missing). Run at start, in the background.
func (q *Queue) repairIndex(ctx context.Context) {
	stored, err := q.fingerprints(ctx)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Warn("review: search index repair", "err", err)
		}
		return
	}
	var todo []string
	q.mu.RLock()
	for id, s := range q.idx {
		if sig, ok := stored[id]; !ok || sig != s.IndexSig {
			todo = append(todo, id)
		}
	}
	q.mu.RUnlock()
	for _, id := range todo {
		if ctx.Err() != nil {
			return
		}
		c, err := q.load(ctx, id)
		if err != nil {
			continue
		}
		q.indexCase(c, nil)
	}
	if len(todo) > 0 {
		q.log.Info("review: search index repaired", "cases", len(todo))
	}
}

// fingerprints reads every case's stored index fingerprint.
func (q *Queue) fingerprints(ctx context.Context) (map[string]uint64, error) {
	stored := map[string]uint64{}
	info, err := q.search.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("review: search index: %w", err)
	}
	if info.State.Msgs == 0 {
		return stored, nil
	}
	cons, err := q.js.OrderedConsumer(ctx, StreamSearch, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{q.searchSubject("sg.*")}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy})
	if err != nil {
		return nil, fmt.Errorf("review: search index fingerprints: %w", err)
	}
	prefix := q.searchSubject("sg.")
	for {
		batch, err := cons.Fetch(1024, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("review: search index fingerprints: %w", err)
		}
		got, pending := 0, uint64(0)
		for m := range batch.Messages() {
			got++
			if len(m.Data()) == 8 {
				stored[strings.TrimPrefix(m.Subject(), prefix)] = binary.BigEndian.Uint64(m.Data())
			}
			if md, err := m.Metadata(); err == nil {
				pending = md.NumPending
			}
		}
		if got == 0 || pending == 0 {
			return stored, nil
		}
	}
}

// unindex purges every posting of case id (subject-data deletion: the
// subjects hold personal data).
func (q *Queue) unindex(ctx context.Context, id string) error {
	if q.search == nil {
		return nil
	}
	for _, f := range []string{"*.*." + id, "*.*.*." + id, "tx.*." + id + ".*", "sg." + id} {
		if err := q.search.Purge(ctx, jetstream.WithPurgeSubject(q.searchSubject(f))); err != nil {
			return fmt.Errorf("review: purge the search index of %s: %w", id, err)
		}
	}
	return nil
}

// ---- querying ------------------------------------------------------------------

// postingSet is the case ids a criterion matched, with text positions.
type postingSet map[string][]int

// postings lists the cases whose postings match any of filters, from the
// stream's subjects (text postings carry their positions).
func (q *Queue) postings(ctx context.Context, filters ...string) (postingSet, bool, error) {
	out := postingSet{}
	prefix := len(q.searchSubject(""))
	for _, f := range filters {
		info, err := q.search.Info(ctx, jetstream.WithSubjectFilter(q.searchSubject(f)))
		if err != nil {
			return nil, false, fmt.Errorf("review: search: %w", err)
		}
		text := strings.HasPrefix(f, "tx.")
		for subj := range info.State.Subjects {
			toks := strings.Split(subj[prefix:], ".")
			if text {
				if len(toks) == 4 {
					out[toks[2]] = parsePositions(toks[3])
				}
				continue
			}
			out[toks[len(toks)-1]] = nil
		}
		if len(out) >= maxPostings {
			return out, true, nil
		}
	}
	return out, false, nil
}

// queryGrams splits a text query into its indexable segments' bigrams:
// one list per segment of 2 or more characters.
func queryGrams(text string) [][]string {
	var segs [][]string
	var cur []rune
	flush := func() {
		if len(cur) >= 2 {
			var gs []string
			for i := 0; i+1 < len(cur); i++ {
				gs = append(gs, gramKey(cur[i], cur[i+1]))
			}
			segs = append(segs, gs)
		}
		cur = cur[:0]
	}
	for _, r := range text {
		if indexable(r) {
			cur = append(cur, r)
		} else {
			flush()
		}
	}
	flush()
	return segs
}

// Search answers a search from the index in NATS (see above): totals are
// exact, results newest first, a page at a time.
func (q *Queue) Search(ctx context.Context, sq SearchQuery) (SearchResult, error) {
	if sq.Limit <= 0 {
		sq.Limit = 50
	}
	res := SearchResult{Cases: []modgate.CaseSummary{}, Offset: sq.Offset, Limit: sq.Limit}
	for _, f := range []struct{ name, v string }{{"tenant", sq.Tenant}, {"sender", sq.Sender}, {"group", sq.Group},
		{"message_id", sq.MessageID}, {"reviewer", sq.Reviewer}} {
		if err := checkID(f.name, f.v, false); err != nil {
			return res, err
		}
	}
	if sq.Label != "" && !validLabel(sq.Label) {
		return res, invalid("label %q must be 1-64 characters of a-z, 0-9 and _", sq.Label)
	}
	if sq.Decision != "" && sq.Decision != "none" && !modgate.IsDecisionAction(sq.Decision) {
		return res, invalid("decision must be none or one of %s", strings.Join(modgate.DecisionActions, ", "))
	}
	if sq.Tag != "" {
		if err := checkText("tag", sq.Tag, MaxTagRunes, false); err != nil {
			return res, err
		}
	}
	if err := checkText("q", sq.Text, 200, false); err != nil {
		return res, err
	}
	grams := queryGrams(sq.Text)
	if strings.TrimSpace(sq.Text) != "" && len(grams) == 0 {
		return res, invalid("text search needs at least two letters, digits or characters in a row")
	}
	if !sq.To.IsZero() && sq.To.Before(sq.From) {
		return res, invalid("to is before from")
	}
	if q.search == nil {
		return res, errors.New("review: no search index")
	}

	// Criteria the index answers; each is a union of subject filters.
	type crit struct {
		filters []string
		text    bool
	}
	var crits []crit
	t := keyPart(sq.Tenant)
	add := func(f ...string) { crits = append(crits, crit{filters: f}) }
	switch {
	case sq.Sender != "" && sq.Tenant != "":
		add("sd." + t + "." + keyPart(sq.Sender) + ".*")
	case sq.Sender != "":
		add("sd.*." + keyPart(sq.Sender) + ".*")
	}
	switch {
	case sq.Group != "" && sq.Tenant != "":
		add("gr." + t + "." + keyPart(sq.Group) + ".*")
	case sq.Group != "":
		add("gr.*." + keyPart(sq.Group) + ".*")
	}
	if sq.MessageID != "" {
		add("mi." + keyPart(sq.MessageID) + ".*")
	}
	if sq.Label != "" {
		add("lb." + sq.Label + ".*")
	}
	if sq.Decision != "" && sq.Decision != "none" {
		add("ac." + sq.Decision + ".*")
	}
	if sq.Reviewer != "" {
		add("rv." + keyPart(sq.Reviewer) + ".*")
	}
	if sq.Tag != "" {
		add("tg." + keyPart(strings.TrimSpace(sq.Tag)) + ".*")
	}
	for _, seg := range grams {
		for _, g := range seg {
			crits = append(crits, crit{filters: []string{"tx." + g + ".*.*"}, text: true})
		}
	}
	if sq.Tenant != "" && len(crits) == 0 {
		add("tn." + t + ".*")
	}
	from, to := sq.From, sq.To
	if len(crits) == 0 {
		// Nothing else narrows the search: the date range does (the last
		// defaultSearchDays days unless given).
		if from.IsZero() {
			from = q.now().Add(-defaultSearchDays * 24 * time.Hour)
			res.From = &from
		}
		end := to
		if end.IsZero() {
			end = q.now()
		}
		if end.Sub(from) > maxSearchDays*24*time.Hour {
			return res, invalid("a date range of more than %d days needs another criterion", maxSearchDays)
		}
		var days []string
		for d := from.UTC().Truncate(24 * time.Hour); !d.After(end); d = d.Add(24 * time.Hour) {
			days = append(days, "dy."+day(d)+".*")
		}
		add(days...)
	}

	// Enumerate and intersect, the text last: once the other criteria left
	// few candidates, reading their text is cheaper than listing the
	// postings of common bigrams. Text positions are kept per bigram.
	sort.SliceStable(crits, func(i, j int) bool { return !crits[i].text && crits[j].text })
	var cand map[string]bool
	gramPos := map[string]postingSet{}
	textByLoad := false
	for _, c := range crits {
		if c.text && cand != nil && len(cand) <= loadTextBelow {
			textByLoad = true
			break
		}
		ps, trunc, err := q.postings(ctx, c.filters...)
		if err != nil {
			return res, err
		}
		res.Truncated = res.Truncated || trunc
		if c.text {
			gramPos[c.filters[0]] = ps
		}
		if cand == nil {
			cand = make(map[string]bool, len(ps))
			for id := range ps {
				cand[id] = true
			}
		} else {
			for id := range cand {
				if _, ok := ps[id]; !ok {
					delete(cand, id)
				}
			}
		}
		if len(cand) == 0 {
			break
		}
	}
	if textByLoad {
		for id := range cand {
			c, err := q.load(ctx, id)
			if err != nil || !textMatches(c.MaskedText, sq.Text) {
				delete(cand, id)
			}
		}
		grams = nil // checked
	}

	// Check every candidate against the case as it is now.
	now := q.now()
	var hits []modgate.CaseSummary
	q.mu.RLock()
	for id := range cand {
		s := q.idx[id]
		if s == nil {
			continue
		}
		v := summaryView(s, now)
		if !matchSummary(&v, sq, from, to) || !matchText(id, grams, gramPos) {
			continue
		}
		hits = append(hits, v)
	}
	q.mu.RUnlock()
	sortByDecided := sq.Sort == "decided"
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i].Created, hits[j].Created
		if sortByDecided {
			a, b = decidedAt(&hits[i]), decidedAt(&hits[j])
		}
		if !a.Equal(b) {
			return a.After(b)
		}
		return hits[i].ID < hits[j].ID
	})
	res.Total = len(hits)
	if sq.Offset < len(hits) {
		hits = hits[sq.Offset:]
		if len(hits) > sq.Limit {
			hits = hits[:sq.Limit]
		}
		res.Cases = hits
	}
	return res, nil
}

func decidedAt(s *modgate.CaseSummary) time.Time {
	if s.Decision != nil {
		return s.Decision.At
	}
	return time.Time{}
}

// matchSummary checks a candidate against every field of the query.
func matchSummary(v *modgate.CaseSummary, sq SearchQuery, from, to time.Time) bool {
	switch {
	case sq.Tenant != "" && v.Tenant != sq.Tenant,
		sq.Sender != "" && v.SenderID != sq.Sender,
		sq.Group != "" && v.GroupID != sq.Group,
		sq.MessageID != "" && v.MessageID != sq.MessageID,
		sq.Label != "" && !slices.Contains(v.Labels, sq.Label),
		sq.Decision == "none" && v.Decision != nil,
		sq.Decision != "" && sq.Decision != "none" && (v.Decision == nil || v.Decision.Action != sq.Decision),
		sq.Reviewer != "" && (v.Decision == nil || v.Decision.Reviewer != sq.Reviewer),
		sq.Tag != "" && !slices.Contains(v.Tags, strings.TrimSpace(sq.Tag)),
		sq.State != "" && v.State != sq.State,
		sq.Lane != "" && v.Lane != sq.Lane,
		!from.IsZero() && v.Created.Before(from),
		!to.IsZero() && v.Created.After(to):
		return false
	}
	return true
}

// textMatches is matchText on the text itself: every indexable segment of
// the query occurs in the indexed part of the masked text (Latin letters
// folded).
func textMatches(masked, query string) bool {
	r := []rune(masked)
	if len(r) > textIndexRunes {
		r = r[:textIndexRunes]
	}
	for i := range r {
		r[i] = searchFold(r[i])
	}
	text := string(r)
	var seg []rune
	ok := true
	flush := func() {
		if len(seg) >= 2 && !strings.Contains(text, string(seg)) {
			ok = false
		}
		seg = seg[:0]
	}
	for _, c := range query {
		if indexable(c) {
			seg = append(seg, searchFold(c))
		} else {
			flush()
		}
	}
	flush()
	return ok
}

// matchText: every segment's bigrams occur one after another.
func matchText(id string, segs [][]string, pos map[string]postingSet) bool {
	for _, seg := range segs {
		first := pos["tx."+seg[0]+".*.*"][id]
		found := false
		for _, p := range first {
			ok := true
			for i := 1; i < len(seg) && ok; i++ {
				ok = slices.Contains(pos["tx."+seg[i]+".*.*"][id], p+i)
			}
			if ok {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

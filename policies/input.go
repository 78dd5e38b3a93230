package policies

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modgate/modgate"
)

// memoFeature lists the top-level input keys that are part of the canonical
// feature vector. A policy that reads any other input key (input.matches)
// sees per-message data, so its decisions are not memoised.
var memoFeature = map[string]bool{
	"labels": true, "subs": true, "detectors": true, "sender": true,
	"group": true, "tenant": true, "violations": true, "max_severity": true,
	"variants": true,
	"scores":   true,
	"window":   true, "flood": true, "velocity": true,
	// review is the input of data.modgate.consequence (the review side's
	// 3-2-1 question, see discipline.rego). Screening inputs never carry
	// it, so it cannot make two memoised screening decisions differ.
	"review": true,
}

// ScoreBands is how finely model scores reach the policies: a score is
// floored to a multiple of 1/ScoreBands (0.93 for 0.9371). Rego sees the
// floored value and the memo key holds the band, so both always agree; a
// threshold written with two decimals (data.json) means exactly what it
// says. Coarser bands would raise the memo hit rate but make thresholds
// like 0.95 impossible to express.
const ScoreBands = 100

// Band is the band of a score in [0,1] (NaN and out-of-range values are
// clamped).
func Band(p float64) int {
	if !(p > 0) {
		return 0
	}
	if p >= 1 {
		return ScoreBands
	}
	return int(p * ScoreBands)
}

// detectorKinds are the detector subcategories of package filters; a match
// with Source "detector" (or, without a source, one of these kinds) counts
// under input.detectors instead of the lexicon features.
var detectorKinds = map[string]bool{
	"phone": true, "landline": true, "qq": true, "wechat": true, "url": true,
	"email": true, "id_card": true, "bank_card": true, "account": true,
	"price": true, "header": true, "address": true, "lottery_tip": true, "spread_contact": true,
	"group_attack": true,
}

// Account buckets (input.sender.account).
const (
	AccountNew         = "new"
	AccountEstablished = "established"
	AccountUnknown     = "unknown"
)

type feat struct {
	key    string
	sub    string // subs only: the subcategory (key holds the label); named "label.sub" where read
	n, max int
}

// features is the canonical feature vector of one message.
type features struct {
	labels, subs, dets []feat // sorted by key
	scores             []feat // n = band; in model-label order (sorted)
	vars               []feat // per label: distinct terms found only as variants (homophones, look-alikes)
	account            string
	verified           bool
	groupKind, tenant  string
	vCount, vAds       int
	maxSev             int
	// conversation (bucketed): conv says whether the window was used;
	// parts is how many messages the text was assembled from.
	conv     bool
	parts    int
	flood    [3]int // groups, senders, sender_groups
	velocity [3]int // sender, sender_group, group
}

func isDetector(m *modgate.Match) bool {
	if m.Source != "" {
		return m.Source == modgate.SourceDetector
	}
	return detectorKinds[m.Subcategory] && (m.Category == modgate.LabelContact || m.Category == modgate.LabelPII || m.Category == modgate.LabelAds || m.Category == modgate.LabelGambling || m.Category == modgate.LabelAbuse)
}

// contained reports whether match i lies strictly inside another match of
// the same category: 一手货源 already says what 货源 would, so only the
// longer term counts.
func contained(ms []modgate.Match, i int) bool {
	a := &ms[i]
	for j := range ms {
		b := &ms[j]
		// A longer term of the same label says what the shorter one would,
		// unless the shorter one weighs more (彩金 solicit 3 inside 送彩金
		// bonus 1 still counts).
		if j == i || b.Category != a.Category || b.Source != a.Source || b.Severity < a.Severity {
			continue
		}
		if b.Start <= a.Start && a.End <= b.End && (b.End-b.Start) > (a.End-a.Start) {
			return true
		}
	}
	return false
}

// bump counts one term under key (and sub, for the "label.sub" section,
// which is never joined on the hot path).
func bump(fs []feat, key, sub string, sev int, count bool) []feat {
	for i := range fs {
		if fs[i].key == key && fs[i].sub == sub {
			if count {
				fs[i].n++
			}
			fs[i].max = max(fs[i].max, sev)
			return fs
		}
	}
	n := 0
	if count {
		n = 1
	}
	return append(fs, feat{key: key, sub: sub, n: n, max: sev})
}

func (e *Engine) features(in *Input, f *features) {
	msg, fd := in.Message, in.Findings
	f.account = AccountUnknown
	if msg != nil {
		if age := msg.Sender.AccountAgeDays; age != nil {
			f.account = AccountEstablished
			if *age < e.newAccountDays {
				f.account = AccountNew
			}
		}
		f.verified = msg.Sender.VerifiedOrg
		f.groupKind = msg.Group.Kind
		f.tenant = msg.Tenant
	}
	f.vCount, f.vAds = in.Violations.Count, in.Violations.Ads
	f.parts = 1
	if c := in.Conversation; c != nil {
		fc := &c.Facts
		f.conv, f.parts = true, max(Bucket(c.Parts), 1)
		f.flood = [3]int{Bucket(fc.FloodGroups), Bucket(fc.FloodSenders), Bucket(fc.FloodSenderGroups)}
		f.velocity = [3]int{floorStep(fc.SenderPerMinute, e.velSteps), floorStep(fc.SenderGroupPerMinute, e.velSteps),
			floorStep(fc.GroupPerMinute, e.velSteps)}
	}
	for i, l := range in.ScoreLabels {
		if i < len(in.Scores) {
			// One lookup: floors and kind bands (modelBands) keep the memo
			// from splitting on scores no rule can tell apart.
			f.scores = append(f.scores, feat{key: l, n: e.bands[l].band(Band(in.Scores[i]))})
		}
	}
	if fd == nil {
		return
	}
	ms := fd.Matches
	for i := range ms {
		m := &ms[i]
		f.maxSev = max(f.maxSev, m.Severity)
		if isDetector(m) {
			kind := m.Subcategory
			if kind == "" {
				kind = m.Category
			}
			f.dets = bump(f.dets, kind, "", m.Severity, true)
			if m.Variant == modgate.VariantSpread {
				f.dets = bump(f.dets, "spread_contact", "", m.Severity, true)
			}
			continue
		}
		if m.Category == "" || contained(ms, i) {
			continue
		}
		// Count distinct terms: a term repeated in the message counts once.
		dup := false
		for j := 0; j < i; j++ {
			p := &ms[j]
			if p.Term == m.Term && p.Category == m.Category && p.Subcategory == m.Subcategory && !isDetector(p) && !contained(ms, j) {
				dup = true
				break
			}
		}
		f.labels = bump(f.labels, m.Category, "", m.Severity, !dup)
		if m.Variant != "" {
			f.vars = bump(f.vars, m.Category, "", m.Severity, !dup)
		}
		// A term without a subcategory counts under "label." so the
		// severity rule for unsubcategorised terms can see it.
		f.subs = bump(f.subs, m.Category, m.Subcategory, m.Severity, !dup)
	}
	sortFeats(f.labels)
	sortFeats(f.subs)
	sortFeats(f.dets)
	sortFeats(f.vars)
}

// sortFeats orders by name; an insertion sort, as vectors hold a handful
// of features and sort.Slice allocated on every message.
func sortFeats(fs []feat) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && featLess(&fs[j], &fs[j-1]); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// featLess orders by (key, sub): any fixed order makes the memo key
// canonical, and it needs no "label.sub" string.
func featLess(a, b *feat) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.sub < b.sub
}

// appendKey writes the canonical memo key of f.
func (f *features) appendKey(b []byte) []byte {
	for k, sec := range [...][]feat{f.labels, f.subs, f.dets, f.vars, f.scores} {
		for _, x := range sec {
			b = append(b, x.key...)
			if k == 1 {
				b = append(b, '.')
				b = append(b, x.sub...)
			}
			b = append(b, 0)
			b = binary.AppendVarint(b, int64(x.n))
			b = binary.AppendVarint(b, int64(x.max))
			b = append(b, 1)
		}
		b = append(b, 2)
	}
	b = append(b, f.account...)
	b = append(b, 0)
	if f.verified {
		b = append(b, 'v')
	}
	b = append(b, 0)
	// Numbers as varints and strings length-prefixed: self-delimiting,
	// so no separators and no quoting pass.
	b = binary.AppendUvarint(b, uint64(len(f.groupKind)))
	b = append(b, f.groupKind...)
	b = binary.AppendUvarint(b, uint64(len(f.tenant)))
	b = append(b, f.tenant...)
	b = binary.AppendVarint(b, int64(f.vCount))
	b = binary.AppendVarint(b, int64(f.vAds))
	b = binary.AppendVarint(b, int64(f.maxSev))
	if f.conv {
		b = append(b, 3)
		for _, n := range [...]int{f.parts, f.flood[0], f.flood[1], f.flood[2], f.velocity[0], f.velocity[1], f.velocity[2]} {
			b = binary.AppendVarint(b, int64(n))
		}
	}
	return b
}

// Interned key terms: building the input allocates only the values.
var (
	kLabels      = ast.StringTerm("labels")
	kSubs        = ast.StringTerm("subs")
	kDetectors   = ast.StringTerm("detectors")
	kSender      = ast.StringTerm("sender")
	kAccount     = ast.StringTerm("account")
	kVerified    = ast.StringTerm("verified_org")
	kGroup       = ast.StringTerm("group")
	kKind        = ast.StringTerm("kind")
	kTenant      = ast.StringTerm("tenant")
	kViolations  = ast.StringTerm("violations")
	kCount       = ast.StringTerm("count")
	kAds         = ast.StringTerm("ads")
	kMaxSeverity = ast.StringTerm("max_severity")
	kScores      = ast.StringTerm("scores")
	kVariants    = ast.StringTerm("variants")
	kN           = ast.StringTerm("n")
	kMax         = ast.StringTerm("max")
	kMatches     = ast.StringTerm("matches")
	kTerm        = ast.StringTerm("term")
	kCategory    = ast.StringTerm("category")
	kSubcategory = ast.StringTerm("subcategory")
	kSeverity    = ast.StringTerm("severity")
	kStart       = ast.StringTerm("start")
	kEnd         = ast.StringTerm("end")
	kSource      = ast.StringTerm("source")
	kWindow      = ast.StringTerm("window")
	kParts       = ast.StringTerm("parts")
	kFlood       = ast.StringTerm("flood")
	kVelocity    = ast.StringTerm("velocity")
	kGroups      = ast.StringTerm("groups")
	kSenders     = ast.StringTerm("senders")
	kSenderGrps  = ast.StringTerm("sender_groups")
	kSenderRate  = ast.StringTerm("sender")
	kSenderGroup = ast.StringTerm("sender_group")
	kGroupRate   = ast.StringTerm("group")
	emptyObject  = ast.ObjectTerm()

	kAction      = ast.StringTerm("action")
	kReasons     = ast.StringTerm("reasons")
	kEnforcement = ast.StringTerm("enforcement")
	kRule        = ast.StringTerm("rule")
	kLabel       = ast.StringTerm("label")
	kMessage     = ast.StringTerm("message")

	accountTerms = map[string]*ast.Term{
		AccountNew: ast.StringTerm(AccountNew), AccountEstablished: ast.StringTerm(AccountEstablished),
		AccountUnknown: ast.StringTerm(AccountUnknown),
	}
	smallInts [64]*ast.Term
	// bandTerms[b] is the number b/ScoreBands ("0.93"), written exactly so
	// Rego compares it with a two-decimal threshold without rounding error.
	bandTerms [ScoreBands + 1]*ast.Term
)

func init() {
	for i := range smallInts {
		smallInts[i] = ast.InternedTerm(i)
	}
	for b := range bandTerms {
		bandTerms[b] = ast.NumberTerm(json.Number(strconv.FormatFloat(float64(b)/ScoreBands, 'f', -1, 64)))
	}
}

func scoreObject(fs []feat) *ast.Term {
	kv := make([][2]*ast.Term, len(fs))
	for i, x := range fs {
		kv[i] = [2]*ast.Term{ast.StringTerm(x.key), bandTerms[x.n]}
	}
	return ast.ObjectTerm(kv...)
}

func intTerm(i int) *ast.Term {
	if i >= 0 && i < len(smallInts) {
		return smallInts[i]
	}
	return ast.IntNumberTerm(i)
}

func featObject(fs []feat, subs bool) *ast.Term {
	kv := make([][2]*ast.Term, len(fs))
	for i, x := range fs {
		name := x.key
		if subs {
			name += "." + x.sub
		}
		kv[i] = [2]*ast.Term{ast.StringTerm(name), ast.ObjectTerm(
			ast.Item(kN, intTerm(x.n)), ast.Item(kMax, intTerm(x.max)))}
	}
	return ast.ObjectTerm(kv...)
}

func detObject(fs []feat) *ast.Term {
	kv := make([][2]*ast.Term, len(fs))
	for i, x := range fs {
		kv[i] = [2]*ast.Term{ast.StringTerm(x.key), intTerm(x.n)}
	}
	return ast.ObjectTerm(kv...)
}

// inputValue builds the OPA input directly as an AST value (no JSON round
// trip). Matches are only included when a rule reads them.
func (e *Engine) inputValue(f *features, in *Input) ast.Value {
	items := [][2]*ast.Term{
		{kLabels, featObject(f.labels, false)},
		{kSubs, featObject(f.subs, true)},
		{kDetectors, detObject(f.dets)},
		{kSender, ast.ObjectTerm(ast.Item(kAccount, accountTerms[f.account]), ast.Item(kVerified, ast.InternedTerm(f.verified)))},
		{kGroup, ast.ObjectTerm(ast.Item(kKind, ast.StringTerm(f.groupKind)))},
		{kTenant, ast.StringTerm(f.tenant)},
		{kViolations, ast.ObjectTerm(ast.Item(kCount, intTerm(f.vCount)), ast.Item(kAds, intTerm(f.vAds)))},
		{kMaxSeverity, intTerm(f.maxSev)},
		{kScores, scoreObject(f.scores)},
		{kVariants, featObject(f.vars, false)},
		{kWindow, ast.ObjectTerm(ast.Item(kParts, intTerm(f.parts)))},
	}
	if f.conv {
		items = append(items,
			[2]*ast.Term{kFlood, ast.ObjectTerm(ast.Item(kGroups, intTerm(f.flood[0])), ast.Item(kSenders, intTerm(f.flood[1])),
				ast.Item(kSenderGrps, intTerm(f.flood[2])))},
			[2]*ast.Term{kVelocity, ast.ObjectTerm(ast.Item(kSenderRate, intTerm(f.velocity[0])), ast.Item(kSenderGroup, intTerm(f.velocity[1])),
				ast.Item(kGroupRate, intTerm(f.velocity[2])))})
	} else {
		items = append(items, [2]*ast.Term{kFlood, emptyObject}, [2]*ast.Term{kVelocity, emptyObject})
	}
	if e.needMatches && in.Findings != nil {
		ms := in.Findings.Matches
		arr := make([]*ast.Term, len(ms))
		for i := range ms {
			m := &ms[i]
			arr[i] = ast.ObjectTerm(
				ast.Item(kTerm, ast.StringTerm(m.Term)),
				ast.Item(kCategory, ast.StringTerm(m.Category)),
				ast.Item(kSubcategory, ast.StringTerm(m.Subcategory)),
				ast.Item(kSeverity, intTerm(m.Severity)),
				ast.Item(kStart, intTerm(m.Start)),
				ast.Item(kEnd, intTerm(m.End)),
				ast.Item(kSource, ast.StringTerm(m.Source)),
			)
		}
		items = append(items, [2]*ast.Term{kMatches, ast.ArrayTerm(arr...)})
	}
	return ast.NewObject(items...)
}

// featVec is a features value with room for a typical message's vectors,
// pooled so the memo-hit path does not allocate them.
type featVec struct {
	f                       features
	lab, sub, det, sc, vars [8]feat
}

func (v *featVec) reset() *features {
	v.f = features{labels: v.lab[:0], subs: v.sub[:0], dets: v.det[:0], scores: v.sc[:0], vars: v.vars[:0]}
	return &v.f
}

var featPool = sync.Pool{New: func() any { return new(featVec) }}

var keyPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// ErrUndefined is returned when the policy set produced no decision.
var ErrUndefined = errors.New("policies: " + Query + " is undefined for this input")

// Decide evaluates the policy on what level 1 found. An evaluation error
// (e.g. a rule with conflicting outputs) affects only this message.
func (e *Engine) Decide(ctx context.Context, in Input) (Decision, error) {
	fp := featPool.Get().(*featVec)
	defer featPool.Put(fp)
	f := fp.reset()
	e.features(&in, f)

	var kp *[]byte
	if e.memo != nil {
		kp = keyPool.Get().(*[]byte)
		defer keyPool.Put(kp)
		*kp = f.appendKey((*kp)[:0])
		if d, ok := e.memo.get(*kp); ok {
			e.memoStats.hits.Add(1)
			return d.Clone(), nil
		}
		e.memoStats.misses.Add(1)
	}
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(e.inputValue(f, &in)))
	if err != nil {
		return Decision{}, fmt.Errorf("policies: eval: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return Decision{}, ErrUndefined
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return Decision{}, fmt.Errorf("policies: unexpected result type %T", rs[0].Expressions[0].Value)
	}
	d, err := decodeDecision(t.Value)
	if err != nil {
		return Decision{}, err
	}
	if e.memo != nil {
		e.memo.put(*kp, d)
		return d.Clone(), nil
	}
	return d, nil
}

func decodeDecision(v ast.Value) (Decision, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("policies: %s must be an object, got %s", Query, ast.ValueName(v))
	}
	var d Decision
	var err error
	if d.Action, err = str(obj, kAction); err != nil {
		return Decision{}, err
	}
	switch d.Action {
	case modgate.ActionAllow, modgate.ActionReview, modgate.ActionBlock:
	default:
		return Decision{}, fmt.Errorf("policies: %s.action must be allow, review or block, got %q", Query, d.Action)
	}
	if t := obj.Get(kEnforcement); t != nil {
		if d.Enforcement, err = str(obj, kEnforcement); err != nil {
			return Decision{}, err
		}
	}
	if t := obj.Get(kSeverity); t != nil {
		n, ok := t.Value.(ast.Number)
		if !ok {
			return Decision{}, fmt.Errorf("policies: %s.severity must be a number", Query)
		}
		i, ok := n.Int()
		if !ok {
			return Decision{}, fmt.Errorf("policies: %s.severity must be an integer", Query)
		}
		d.Severity = i
	}
	if t := obj.Get(kLabels); t != nil {
		if err := eachElem(t.Value, func(x *ast.Term) error {
			s, ok := x.Value.(ast.String)
			if !ok {
				return fmt.Errorf("policies: %s.labels must hold strings", Query)
			}
			d.Labels = append(d.Labels, string(s))
			return nil
		}); err != nil {
			return Decision{}, err
		}
	}
	if t := obj.Get(kReasons); t != nil {
		if err := eachElem(t.Value, func(x *ast.Term) error {
			r, ok := x.Value.(ast.Object)
			if !ok {
				return fmt.Errorf("policies: %s.reasons must hold objects", Query)
			}
			var reason modgate.Reason
			var err error
			if reason.Rule, err = str(r, kRule); err != nil {
				return err
			}
			reason.Label, _ = str(r, kLabel)
			reason.Message, _ = str(r, kMessage)
			d.Reasons = append(d.Reasons, reason)
			return nil
		}); err != nil {
			return Decision{}, err
		}
	}
	return d, nil
}

func eachElem(v ast.Value, fn func(*ast.Term) error) error {
	switch c := v.(type) {
	case *ast.Array:
		for i := 0; i < c.Len(); i++ {
			if err := fn(c.Elem(i)); err != nil {
				return err
			}
		}
		return nil
	case ast.Set:
		return eachElem(c.Sorted(), fn)
	}
	return fmt.Errorf("policies: expected an array or set, got %s", ast.ValueName(v))
}

func str(obj ast.Object, key *ast.Term) (string, error) {
	t := obj.Get(key)
	if t == nil {
		return "", fmt.Errorf("policies: decision field %v missing", key)
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("policies: decision field %v must be a string, got %s", key, ast.ValueName(t.Value))
	}
	return string(s), nil
}

// memoCounters count memo lookups (atomics: Decide runs concurrently).
type memoCounters struct{ hits, misses atomic.Int64 }

// MemoStats returns how many decisions came from the memo and how many
// were evaluated by OPA since the engine was built (both 0 without memo).
func (e *Engine) MemoStats() (hits, misses int64) {
	return e.memoStats.hits.Load(), e.memoStats.misses.Load()
}

// memoSize bounds the decision memo; when full it starts over, which is
// cheap and keeps the hot (clean, common-flood) vectors coming straight back.
const memoSize = 8192

type memo struct {
	mu  sync.RWMutex
	m   map[string]Decision
	cap int
}

func newMemo(n int) *memo { return &memo{m: make(map[string]Decision, n), cap: n} }

func (m *memo) get(key []byte) (Decision, bool) {
	m.mu.RLock()
	d, ok := m.m[string(key)]
	m.mu.RUnlock()
	return d, ok
}

func (m *memo) put(key []byte, d Decision) {
	m.mu.Lock()
	if len(m.m) >= m.cap {
		clear(m.m)
	}
	m.m[string(key)] = d
	m.mu.Unlock()
}

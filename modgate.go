// Package modgate holds the domain and wire types shared by every part of the
// gateway: the message under screening, what the filters found in it and the
// verdict the policies gave. Packages below it (filters, lexicons, policies,
// internal/...) depend on these types and never on each other.
package modgate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// Actions a verdict can carry.
const (
	ActionAllow  = "allow"
	ActionReview = "review"
	ActionBlock  = "block"
)

// Taxonomy labels. Operators may add their own categories in lexicons; these
// are the ones the shipped policies know.
const (
	LabelAds            = "ads"
	LabelContact        = "contact"
	LabelGambling       = "gambling"
	LabelPorn           = "porn"
	LabelAbuse          = "abuse"
	LabelFinance        = "finance"
	LabelMedical        = "medical"
	LabelInducedSharing = "induced_sharing"
	LabelPII            = "pii"
	LabelIllegal        = "illegal"
	LabelFraud          = "fraud"
	LabelPolitics       = "politics"
)

// LabelInfo describes one taxonomy label for people: its display names and
// the colour reviewers see it in. Taxonomy is the single source of the
// shipped labels: the lexicon parser, the policies (as data.taxonomy), the
// review API (GET /v1/review/meta) and the reviewer UI all read it.
type LabelInfo struct {
	Name   string `json:"name"`
	Zh     string `json:"zh"`
	En     string `json:"en"`
	Colour string `json:"colour"` // CSS background colour of chips and highlights
}

// Taxonomy lists the shipped labels in a stable order.
var Taxonomy = []LabelInfo{
	{LabelAds, "广告", "Ads", "#ffe0b2"},
	{LabelContact, "引流", "Contact drainage", "#bbdefb"},
	{LabelGambling, "赌博", "Gambling", "#e1bee7"},
	{LabelPorn, "色情", "Pornography", "#f8bbd0"},
	{LabelAbuse, "辱骂", "Abuse", "#ffcdd2"},
	{LabelFinance, "金融", "Finance", "#fff59d"},
	{LabelMedical, "医疗", "Medical", "#c8e6c9"},
	{LabelInducedSharing, "诱导分享", "Induced sharing", "#b2ebf2"},
	{LabelPII, "个人信息", "Personal data", "#d7ccc8"},
	{LabelIllegal, "违法", "Illegal", "#ef9a9a"},
	{LabelFraud, "诈骗", "Fraud", "#ffab91"},
	{LabelPolitics, "涉政", "Politics", "#b0bec5"},
}

// Labels is the shipped taxonomy in a stable order (the names of Taxonomy).
var Labels = func() []string {
	out := make([]string, len(Taxonomy))
	for i, l := range Taxonomy {
		out[i] = l.Name
	}
	return out
}()

// IsLabel reports whether s is one of the shipped taxonomy labels.
func IsLabel(s string) bool { return slices.Contains(Labels, s) }

// DefaultMaxTextBytes caps a message's text; larger texts are rejected.
const DefaultMaxTextBytes = 64 << 10

// Sender describes who sent a message.
type Sender struct {
	ID             string `json:"id,omitempty"`
	AccountAgeDays *int   `json:"account_age_days,omitempty"`
	VerifiedOrg    bool   `json:"verified_org,omitempty"`
}

// Group describes where a message was posted. Kind is free-form
// ("personal", "enterprise", "forum", ...).
type Group struct {
	ID   string `json:"id,omitempty"`
	Kind string `json:"kind,omitempty"`
}

// Message is a screening request. Only Text is required.
type Message struct {
	ID      string         `json:"id,omitempty"`
	Text    string         `json:"text"`
	Tenant  string         `json:"tenant,omitempty"`
	Sender  Sender         `json:"sender"`
	Group   Group          `json:"group"`
	Context map[string]any `json:"context,omitempty"`
}

// Match sources.
const (
	SourceLexicon  = "lexicon"
	SourceDetector = "detector"
	// SourceModel marks the n-grams that drove a classifier score the
	// policies acted on (Category is the rule's label, Subcategory the
	// model label, Term the normalised n-gram).
	SourceModel = "model"
)

// Match is one risky span. Start/End are half-open Unicode code-point offsets
// into the ORIGINAL message text and Text is that original substring (masked
// when the span is personal data).
//
// Category is a taxonomy label; Subcategory refines it ("promise",
// "solicit", "topic", "action", "reward", "cue"... for lexicon terms, the
// detector kind such as "phone", "qq", "wechat", "url", "email", "id_card",
// "bank_card" for detector hits). Policies combine subcategories: a finance
// "topic" alone is harmless, a "promise" is not.
type Match struct {
	Term        string `json:"term"`
	Category    string `json:"category"`
	Subcategory string `json:"subcategory,omitempty"`
	Severity    int    `json:"severity"`
	Start       int    `json:"start"`
	End         int    `json:"end"`
	Text        string `json:"text"`
	Source      string `json:"source,omitempty"`
	// Variant says why a lexicon term matched text that differs from it:
	// "pinyin" (same sound: 菜金 for 彩金, jia wei xin for 加微信) or
	// "shape" (look-alike character: 氷 for 水). Empty for a literal match.
	// On a detector's contact, "spread": written with a separator between
	// most of its characters (h t 6 6 9 9), to get past a filter.
	Variant string `json:"variant,omitempty"`
	// MessageID is set when the span lies in an EARLIER message of the
	// same sender (conversation-level screening assembled a term or
	// contact across messages): Start/End and Text then refer to that
	// message's masked text, not to this message. Empty for spans of the
	// screened message itself.
	MessageID string `json:"message_id,omitempty"`
}

// Match variants.
const (
	VariantPinyin = "pinyin"
	VariantShape  = "shape"
	VariantSpread = "spread"
)

// Severity levels used by lexicons and detectors.
const (
	SeveritySignal = 1 // harmless alone; policies combine signals
	SeverityReview = 2 // a human should look
	SeverityBlock  = 3 // block outright
)

// Findings is everything the filter step (level 1, first half) found in a
// message: the normalised text, the lexicon and detector matches (original
// offsets) and the text with personal data masked.
type Findings struct {
	Normalized string  `json:"normalized"`
	Matches    []Match `json:"matches"`
	MaskedText string  `json:"masked_text"`
}

// Reason is one rule that fired.
type Reason struct {
	Rule    string `json:"rule"`
	Label   string `json:"label"`
	Message string `json:"message"`
}

// Revision names exactly which policy set, lexicon set and model set
// decided (Model is "" when no models are loaded).
type Revision struct {
	Policy  string `json:"policy"`
	Lexicon string `json:"lexicon"`
	Model   string `json:"model"`
}

// Verdict is the answer to a screening request (the /v1/screen contract, docs/api.md).
type Verdict struct {
	ID         string   `json:"id,omitempty"`
	DecisionID string   `json:"decision_id"`
	Action     string   `json:"action"`
	Labels     []string `json:"labels"`
	Matches    []Match  `json:"matches"`
	Reasons    []Reason `json:"reasons"`
	// Scores are the calibrated probabilities of the classifier models,
	// one per model label ({"abuse": 0.04, "spam": 0.91}); empty when no
	// models are loaded. The policies decide what a score means.
	Scores     map[string]float64 `json:"scores"`
	MaskedText string             `json:"masked_text"`
	CaseID     string             `json:"case_id,omitempty"`
	Revision   Revision           `json:"revision"`
	// Severity is the highest severity among matches and rules (0 when clean).
	Severity int `json:"severity,omitempty"`
	// Enforcement is the policy's member-discipline recommendation
	// ("remove_member", "warn"), empty when none.
	Enforcement string `json:"enforcement,omitempty"`
	// Degraded is set when the engine was unavailable and fail_mode decided.
	Degraded bool `json:"degraded,omitempty"`
	// Conversation is ConversationUnavailable when the group's recent
	// window could not be consulted (NATS away): the message was screened
	// on its own. Empty when the window was used or is switched off.
	Conversation string `json:"conversation,omitempty"`
	// Context is the group's recent window around a review verdict
	// (masked), kept for the case; not sent to platforms.
	Context []ContextMessage `json:"-"`
	// Normalized is the normalised text; not sent to platforms, kept for
	// reviewers.
	Normalized string `json:"-"`
}

// PolicyDecision is the policies' answer for one message
// (policies.Decision).
type PolicyDecision struct {
	Action      string
	Labels      []string
	Reasons     []Reason
	Enforcement string
	Severity    int
}

// Clone copies the lists, so a caller cannot change a shared (memoised)
// decision.
func (d PolicyDecision) Clone() PolicyDecision {
	d.Labels = slices.Clone(d.Labels)
	d.Reasons = slices.Clone(d.Reasons)
	return d
}

// NewVerdict is the one place a verdict is assembled from what decided it:
// the engine path passes the policy decision and the filter's findings, the
// degraded path a bare action. Lists left nil become empty (the contract
// promises arrays, never null) and the severity is the highest of the
// decision and the matches.
func NewVerdict(id, decisionID string, d PolicyDecision, f Findings, rev Revision) Verdict {
	v := Verdict{
		ID: id, DecisionID: decisionID, Action: d.Action, Labels: d.Labels, Matches: f.Matches,
		Reasons: d.Reasons, MaskedText: f.MaskedText, Revision: rev, Severity: d.Severity,
		Enforcement: d.Enforcement, Normalized: f.Normalized, Scores: map[string]float64{},
	}
	if v.Labels == nil {
		v.Labels = []string{}
	}
	if v.Matches == nil {
		v.Matches = []Match{}
	}
	if v.Reasons == nil {
		v.Reasons = []Reason{}
	}
	for _, m := range v.Matches {
		v.Severity = max(v.Severity, m.Severity)
	}
	return v
}

// Violations is a sender's confirmed-violation record, fed to the policies
// for the 3-2-1 rule.
type Violations struct {
	Count int `json:"count"`
	Ads   int `json:"ads"`
}

// Screener screens messages. Implementations are safe for concurrent use.
type Screener interface {
	Screen(ctx context.Context, m Message) (Verdict, error)
}

// Term is one lexicon entry as written by compliance staff. Allow entries
// are phrases that suppress a blocked term found inside them (路口交通 keeps
// 口交 from firing).
type Term struct {
	Text        string `json:"text"`
	Category    string `json:"category"`
	Subcategory string `json:"subcategory,omitempty"`
	Severity    int    `json:"severity"`
	Note        string `json:"note,omitempty"`
	Allow       bool   `json:"allow,omitempty"`
	// Variants opts a term into variant matching (lexicon `@variants`):
	// "pinyin" (homophones and Latin pinyin; implies shape), "shape"
	// (look-alike characters), or "" for literal matching only.
	Variants string `json:"variants,omitempty"`
	// Boundary "word" (lexicon `@boundary word`) accepts a hit only where
	// the surrounding text does not make it part of a longer ordinary word
	// (出租 in 出租车, 日入 in 日入住). "" matches anywhere.
	Boundary string `json:"boundary,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
}

// Lexicon is a loaded lexicon set with its content revision (a hash of the
// files), which appears in every verdict.
type Lexicon struct {
	Terms    []Term
	Revision string
}

// Review lanes, highest priority first.
const (
	// LaneEscalated holds cases a reviewer escalated to the leads; only
	// leads (and admins) claim them.
	LaneEscalated = "escalated"
	LaneReports   = "reports"
	LaneHigh      = "high"
	// LaneAppeals holds decided cases whose decision was appealed; a
	// reviewer other than the one who decided reviews the appeal.
	LaneAppeals = "appeals"
	LaneNormal  = "normal"
	LanePatrol  = "patrol"
)

// LaneInfo describes one review lane: display names and the target age
// (SLA) of its oldest case. LaneSpecs is the single source of the lanes:
// the queue sizes its heaps from it, the SLA defaults come from it and the
// reviewer UI reads it through GET /v1/review/meta.
type LaneInfo struct {
	Name string        `json:"name"`
	Zh   string        `json:"zh"`
	En   string        `json:"en"`
	SLA  time.Duration `json:"-"`
	// LeadsOnly: only leads and admins claim cases of this lane.
	LeadsOnly bool `json:"leads_only,omitempty"`
}

// LaneSpecs lists the review lanes, highest priority first.
var LaneSpecs = []LaneInfo{
	{LaneEscalated, "升级", "Escalated", 2 * time.Hour, true},
	{LaneReports, "举报", "Reports", 30 * time.Minute, false},
	{LaneHigh, "高危", "High", time.Hour, false},
	{LaneAppeals, "申诉", "Appeals", 24 * time.Hour, false},
	{LaneNormal, "普通", "Normal", 4 * time.Hour, false},
	{LanePatrol, "巡检", "Patrol", 24 * time.Hour, false},
}

// LeadsOnlyLane reports whether only leads claim cases of lane.
func LeadsOnlyLane(lane string) bool {
	for _, l := range LaneSpecs {
		if l.Name == lane {
			return l.LeadsOnly
		}
	}
	return false
}

// Lanes lists the review lane names in priority order.
var Lanes = func() []string {
	out := make([]string, len(LaneSpecs))
	for i, l := range LaneSpecs {
		out[i] = l.Name
	}
	return out
}()

// Default NATS names. The subject prefix is configurable ("modgate" by
// default); stream names are fixed so the `nats` CLI finds them.
const (
	DefaultSubjectPrefix = "modgate"
	// StreamEscalations holds every case the screening path escalated
	// (review verdicts and patrol samples). Subjects: <prefix>.escalations.<lane>.
	// Publishes carry Nats-Msg-Id = CaseID so replays de-duplicate.
	StreamEscalations = "MODGATE_ESCALATIONS"
)

// Escalation is what the screening path publishes when a message needs a
// human: a review verdict or a patrol sample. The review queue consumes it
// and opens (or joins) the case.
type Escalation struct {
	CaseID  string  `json:"case_id"`
	Lane    string  `json:"lane"`
	Source  string  `json:"source"` // "screen" or "patrol"
	Message Message `json:"message"`
	Verdict Verdict `json:"verdict"`
	// Normalized is the normalised text the verdict was decided on: it goes
	// to reviewers with the case, never to the platform (Verdict keeps it
	// out of the /v1/screen answer).
	Normalized string `json:"normalized,omitempty"`
	// Context is the group's recent window at screening time (masked),
	// oldest first, with the messages that assembled a match marked.
	Context []ContextMessage `json:"context,omitempty"`
	At      time.Time        `json:"at"`
}

// CaseIDFor derives the case id of a message deterministically, so every
// replica, retry and report about the same message lands on the same case.
// fallback (e.g. the decision id) is used when the message has no id.
func CaseIDFor(tenant, messageID, fallback string) string {
	key := tenant + "\x00" + messageID
	if messageID == "" {
		key = "\x01" + fallback
	}
	sum := sha256.Sum256([]byte(key))
	return "c-" + hex.EncodeToString(sum[:10])
}

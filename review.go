package modgate

import "time"

// Review wire types: the case a reviewer works, the reports on it, the
// decision they take and the events the review queue publishes. Their JSON
// shapes are a contract with platforms (docs/review.md).

// CaseState is where a case is in its life.
type CaseState string

// Case states. A claimed case whose lease has expired is open again: readers
// report it as open and the sweeper writes that back.
const (
	CaseOpen     CaseState = "open"
	CaseClaimed  CaseState = "claimed"
	CaseDecided  CaseState = "decided"
	CaseAppealed CaseState = "appealed"
)

// Reviewer decision actions.
const (
	DecisionApprove      = "approve"
	DecisionRemove       = "remove"
	DecisionWarn         = "warn"
	DecisionRemoveMember = "remove_member"
	// DecisionCannotJudge closes a case the reviewer cannot judge (no text,
	// an image only): no violation, and the reporters' accuracy is not
	// touched.
	DecisionCannotJudge = "cannot_judge"
)

// Appeal outcomes: the actions a reviewer takes on a case in the appeals
// lane.
const (
	AppealUphold   = "uphold"
	AppealOverturn = "overturn"
)

// DecisionActions lists the valid decision actions.
var DecisionActions = []string{DecisionApprove, DecisionRemove, DecisionWarn, DecisionRemoveMember, DecisionCannotJudge}

// AppealActions lists the outcomes of an appeal review.
var AppealActions = []string{AppealUphold, AppealOverturn}

// DecisionKey binds a decision action to the reviewer UI's keyboard key;
// Confirm asks the reviewer to confirm before the decision is sent (a
// decision whose consequence removes the member asks too, whatever its
// key). Appeal marks the outcomes of an appeal review. The UI reads this
// list from GET /v1/review/meta.
type DecisionKey struct {
	Action  string `json:"action"`
	Key     string `json:"key"`
	Confirm bool   `json:"confirm,omitempty"`
	Appeal  bool   `json:"appeal,omitempty"`
}

// DecisionKeys lists the decision actions with their keys, in button order.
var DecisionKeys = []DecisionKey{
	{DecisionApprove, "a", false, false},
	{DecisionRemove, "r", false, false},
	{DecisionWarn, "w", false, false},
	{DecisionRemoveMember, "m", true, false},
	{DecisionCannotJudge, "i", false, false},
	{AppealUphold, "h", false, true},
	{AppealOverturn, "v", true, true},
}

// IsDecisionAction reports whether s is a valid decision action.
func IsDecisionAction(s string) bool {
	for _, a := range DecisionActions {
		if a == s {
			return true
		}
	}
	return false
}

// IsAppealAction reports whether s is an appeal outcome.
func IsAppealAction(s string) bool { return s == AppealUphold || s == AppealOverturn }

// DisciplineInput is what the review queue asks the policies before a
// decision: the action, the labels the decision carries and the member's
// confirmed violations before it.
type DisciplineInput struct {
	Action     string     `json:"action"`
	Labels     []string   `json:"labels"`
	Violations Violations `json:"violations"`
}

// Consequence is the policies' answer (data.modgate.consequence in
// policies/discipline.rego): whether the decision confirms a violation,
// the member's violations after it, and the enforcement it triggers
// ("remove_member", "warn" or "") with the rule that decided ("action",
// "ads", "violations", or "").
type Consequence struct {
	Violation   bool       `json:"violation"`
	Violations  Violations `json:"violations"`
	Enforcement string     `json:"enforcement"`
	Rule        string     `json:"rule,omitempty"`
}

// Reviewer roles, least to most privileged.
const (
	RoleReviewer = "reviewer"
	RoleLead     = "lead"
	RoleAdmin    = "admin"
)

// MaxNoteRunes caps a reviewer's decision note.
const MaxNoteRunes = 2000

// Lease is a reviewer's hold on a case. Token changes with every claim so a
// holder whose lease expired and was re-claimed cannot act on the new lease.
type Lease struct {
	Holder  string    `json:"holder"`
	Token   string    `json:"token"`
	Claimed time.Time `json:"claimed"`
	Expires time.Time `json:"expires"`
}

// Report is one member's report on a message.
type Report struct {
	MessageID  string    `json:"message_id"`
	ReporterID string    `json:"reporter_id"`
	Reason     string    `json:"reason"`
	Text       string    `json:"text,omitempty"`
	Tenant     string    `json:"tenant,omitempty"`
	Sender     string    `json:"sender,omitempty"`
	Group      string    `json:"group,omitempty"`
	Weight     float64   `json:"weight"`
	At         time.Time `json:"at"`
}

// ReportResult is the answer to a report.
type ReportResult struct {
	CaseID    string    `json:"case_id"`
	Duplicate bool      `json:"duplicate"`
	Reporters int       `json:"reporters"`
	Score     float64   `json:"score"`
	Lane      string    `json:"lane"`
	State     CaseState `json:"state"`
	Hidden    bool      `json:"hidden"`
}

// Decision is what a reviewer submits.
type Decision struct {
	Action string   `json:"action"`
	Labels []string `json:"labels,omitempty"`
	Note   string   `json:"note,omitempty"`
	// Expect, when not nil, is the enforcement the reviewer saw and
	// confirmed ("" for none): if the policies now answer another one (a
	// strike arrived meanwhile), the decision is refused unchanged.
	Expect *string `json:"expect,omitempty"`
	// HeldMS is how long the decision waited in the UI's undo window: it
	// is not handling time (capped at the configured window).
	HeldMS int64 `json:"held_ms,omitempty"`
	// Bulk marks a lead's bulk decision (audited as such).
	Bulk bool `json:"-"`
}

// DecisionRecord is a decision as stored on the case.
type DecisionRecord struct {
	Action      string    `json:"action"`
	Labels      []string  `json:"labels"`
	Note        string    `json:"note,omitempty"`
	Reviewer    string    `json:"reviewer"`
	At          time.Time `json:"at"`
	HandlingMS  int64     `json:"handling_ms"`
	Enforcement string    `json:"enforcement,omitempty"`
	Violation   bool      `json:"violation"`
	// Rule is the discipline rule behind Enforcement ("action", "ads",
	// "violations").
	Rule string `json:"rule,omitempty"`
	// Violations are the member's confirmed violations after the decision;
	// AdsOffence says the policies counted it as an advertising offence.
	Violations *Violations `json:"violations,omitempty"`
	AdsOffence bool        `json:"ads_offence,omitempty"`
	// Round counts the decisions of the case (0 for the first); a
	// reversal starts a new round.
	Round int  `json:"round,omitempty"`
	Bulk  bool `json:"bulk,omitempty"`
}

// Appeal is an appeal against a case's decision (POST /v1/appeals).
type Appeal struct {
	AppellantID string    `json:"appellant_id"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
	// Decided holds the outcome once a reviewer reviewed it.
	Outcome  string     `json:"outcome,omitempty"` // uphold | overturn
	Reviewer string     `json:"reviewer,omitempty"`
	Note     string     `json:"note,omitempty"`
	Decided  *time.Time `json:"decided,omitempty"`
	// OriginalReviewer decided the appealed decision: they may not review
	// the appeal.
	OriginalReviewer string `json:"original_reviewer"`
}

// LeadEscalation is a reviewer's escalation of a case to the leads.
type LeadEscalation struct {
	By       string    `json:"by"`
	Note     string    `json:"note,omitempty"`
	FromLane string    `json:"from_lane"`
	At       time.Time `json:"at"`
}

// TeamNote is a reviewer's note on a case, private to reviewers: it never
// reaches platform events.
type TeamNote struct {
	Author string    `json:"author"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Reversal kinds.
const (
	ReversalReviewer = "reviewer" // the decider (or a lead) took the decision back in the window
	ReversalAppeal   = "appeal"   // an appeal was overturned
)

// Reversal is a decision taken back.
type Reversal struct {
	Kind        string    `json:"kind"`
	By          string    `json:"by"`
	Reason      string    `json:"reason,omitempty"`
	Action      string    `json:"action"`                // the reversed decision
	Enforcement string    `json:"enforcement,omitempty"` // the reversed enforcement
	Round       int       `json:"round"`
	At          time.Time `json:"at"`
}

// CaseEvent is one line of a case's history.
type CaseEvent struct {
	Kind  string    `json:"kind"`
	Actor string    `json:"actor,omitempty"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
}

// Case is one message under review. Message.Text holds the original text and
// is only shown to roles allowed to see personal data; MaskedText is what
// reviewers see.
type Case struct {
	ID         string    `json:"id"`
	State      CaseState `json:"state"`
	Lane       string    `json:"lane"`
	Source     string    `json:"source"` // screen | patrol | report
	Priority   float64   `json:"priority"`
	Tenant     string    `json:"tenant,omitempty"`
	Message    Message   `json:"message"`
	MaskedText string    `json:"masked_text"`
	// Normalized is the text as the filter saw it (full/half width, case,
	// traditional→simplified, noise removed). Redact masks personal data
	// in it for roles that may not see the original.
	Normalized string   `json:"normalized,omitempty"`
	Verdict    *Verdict `json:"verdict,omitempty"`
	// Context is the group's recent window at screening time (masked like
	// MaskedText), oldest first; messages that assembled a match with this
	// one are marked. Empty for cases opened by reports alone.
	Context []ContextMessage `json:"context,omitempty"`
	Labels  []string         `json:"labels"`
	Reports []Report         `json:"reports,omitempty"`
	// TextMissing: the case was opened by reports without the message
	// text; TextRequested is when a reviewer asked the platform for it.
	TextMissing   bool       `json:"text_missing,omitempty"`
	TextRequested *time.Time `json:"text_requested,omitempty"`
	// IntakeScreened: Verdict came from screening a report's text on
	// intake; the gateway's own escalation of the message replaces it.
	IntakeScreened bool `json:"intake_screened,omitempty"`
	// Appeal, Escalation, Notes, Tags and Reversals: see their types.
	Appeal     *Appeal         `json:"appeal,omitempty"`
	Escalation *LeadEscalation `json:"escalation,omitempty"`
	Notes      []TeamNote      `json:"notes,omitempty"`
	Tags       []string        `json:"tags,omitempty"`
	Reversals  []Reversal      `json:"reversals,omitempty"`
	// ReportCount counts distinct reporters; Reports keeps the first ones.
	ReportCount int             `json:"report_count"`
	Score       float64         `json:"report_score,omitempty"`
	Hidden      bool            `json:"hidden_pending_review,omitempty"`
	Lease       *Lease          `json:"lease,omitempty"`
	Decision    *DecisionRecord `json:"decision,omitempty"`
	History     []CaseEvent     `json:"history"`
	// LastEvent is the kind of the newest history event.
	LastEvent string    `json:"last_event,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	SLA       time.Time `json:"sla_due"`
	Breached  bool      `json:"sla_breached"`
	// Published is set once the decision's events are on NATS; the sweeper
	// republishes decided cases without it (Nats-Msg-Id de-duplicates).
	Published bool `json:"published,omitempty"`
	// HiddenPublished is set once the hidden_pending_review event is on
	// NATS (the sweeper retries it too).
	HiddenPublished bool `json:"hidden_published,omitempty"`
	// FollowUp names events still to publish after an appeal outcome or a
	// reversal ("" when none); the sweeper retries them.
	FollowUp string `json:"follow_up,omitempty"`
	// Revision is the KV revision the case was read at (not stored).
	Revision uint64 `json:"revision"`
}

// DecisionEvent is published to <prefix>.decisions.<action> for the
// platform to act on.
type DecisionEvent struct {
	CaseID    string    `json:"case_id"`
	MessageID string    `json:"message_id,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	SenderID  string    `json:"sender_id,omitempty"`
	GroupID   string    `json:"group_id,omitempty"`
	Action    string    `json:"action"`
	Labels    []string  `json:"labels"`
	Reviewer  string    `json:"reviewer"`
	Note      string    `json:"note,omitempty"`
	Lane      string    `json:"lane"`
	Source    string    `json:"source"`
	Revision  Revision  `json:"revision"`
	At        time.Time `json:"at"`
}

// EnforcementEvent is published to <prefix>.enforcement.<action>
// (remove_member, warn, remove).
type EnforcementEvent struct {
	CaseID     string     `json:"case_id"`
	Action     string     `json:"action"`
	Tenant     string     `json:"tenant,omitempty"`
	SenderID   string     `json:"sender_id"`
	GroupID    string     `json:"group_id,omitempty"`
	MessageID  string     `json:"message_id,omitempty"`
	Reason     string     `json:"reason"`
	Violations Violations `json:"violations"`
	At         time.Time  `json:"at"`
}

// ReversalEvent is published to <prefix>.decisions.reversed when a
// decision is taken back (a reviewer within the reversal window, or an
// overturned appeal): the platform restores the message and, when the
// reversed enforcement removed the member, may re-admit them. The strike
// the decision counted is removed.
type ReversalEvent struct {
	CaseID        string     `json:"case_id"`
	MessageID     string     `json:"message_id,omitempty"`
	Tenant        string     `json:"tenant,omitempty"`
	SenderID      string     `json:"sender_id,omitempty"`
	GroupID       string     `json:"group_id,omitempty"`
	Kind          string     `json:"kind"` // reviewer | appeal
	Action        string     `json:"action"`
	Enforcement   string     `json:"enforcement,omitempty"`
	By            string     `json:"by"`
	Reason        string     `json:"reason,omitempty"`
	StrikeRemoved bool       `json:"strike_removed"`
	Violations    Violations `json:"violations"`
	At            time.Time  `json:"at"`
}

// AppealEvent is published to <prefix>.appeals.<opened|upheld|overturned>.
type AppealEvent struct {
	CaseID      string    `json:"case_id"`
	MessageID   string    `json:"message_id,omitempty"`
	Tenant      string    `json:"tenant,omitempty"`
	AppellantID string    `json:"appellant_id"`
	Outcome     string    `json:"outcome"` // opened | upheld | overturned
	Reviewer    string    `json:"reviewer,omitempty"`
	At          time.Time `json:"at"`
}

// TextRequestEvent is published to <prefix>.reports.text_requested when a
// reviewer needs the text of a reported message the gateway never saw:
// the platform answers by posting the report again with "text".
type TextRequestEvent struct {
	CaseID    string    `json:"case_id"`
	MessageID string    `json:"message_id,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	GroupID   string    `json:"group_id,omitempty"`
	Reviewer  string    `json:"reviewer"`
	At        time.Time `json:"at"`
}

// ReportOutcomeEvent is published to <prefix>.reports.outcome when a
// reported case is decided, once per reporter.
type ReportOutcomeEvent struct {
	CaseID     string    `json:"case_id"`
	MessageID  string    `json:"message_id,omitempty"`
	Tenant     string    `json:"tenant,omitempty"`
	ReporterID string    `json:"reporter_id"`
	Upheld     bool      `json:"upheld"`
	Action     string    `json:"action"`
	At         time.Time `json:"at"`
}

// HiddenEvent is published to <prefix>.reports.hidden when reports on a
// message pass the hide threshold: the platform should hide it pending review.
type HiddenEvent struct {
	CaseID    string    `json:"case_id"`
	MessageID string    `json:"message_id,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	GroupID   string    `json:"group_id,omitempty"`
	Reporters int       `json:"reporters"`
	Score     float64   `json:"score"`
	Action    string    `json:"action"` // always "hidden_pending_review"
	At        time.Time `json:"at"`
}

// Audit event kinds.
const (
	AuditEscalation     = "escalation"
	AuditClaim          = "claim"
	AuditExtend         = "extend"
	AuditRelease        = "release"
	AuditExpiry         = "expiry"
	AuditDecision       = "decision"
	AuditReport         = "report"
	AuditUnmaskView     = "unmask_view"
	AuditRevision       = "revision_change"
	AuditLogin          = "login"
	AuditSubjectExport  = "subject_export"
	AuditSubjectDelete  = "subject_delete"
	AuditHidden         = "hidden"
	AuditEnforcement    = "enforcement"
	AuditSessionRevoked = "logout"
	AuditAppeal         = "appeal"
	AuditAppealDecision = "appeal_decision"
	AuditReversal       = "reversal"
	AuditEscalateLead   = "escalate_lead"
	AuditNote           = "note"
	AuditTags           = "tags"
	AuditTextRequest    = "text_request"
	AuditBulkDecision   = "bulk_decision"
)

// AuditEvent is one entry of the append-only audit trail. Text is masked.
type AuditEvent struct {
	Kind     string            `json:"kind"`
	Actor    string            `json:"actor,omitempty"`
	CaseID   string            `json:"case_id,omitempty"`
	Tenant   string            `json:"tenant,omitempty"`
	SenderID string            `json:"sender_id,omitempty"`
	Action   string            `json:"action,omitempty"`
	Labels   []string          `json:"labels,omitempty"`
	Text     string            `json:"text,omitempty"`
	Detail   map[string]string `json:"detail,omitempty"`
	Revision *Revision         `json:"revision,omitempty"`
	At       time.Time         `json:"at"`
	// Seq is the audit stream sequence (set when read back).
	Seq uint64 `json:"seq,omitempty"`
}

// CaseSummary is a case as listed in the queue: no text beyond a masked
// preview.
type CaseSummary struct {
	ID           string          `json:"id"`
	State        CaseState       `json:"state"`
	Lane         string          `json:"lane"`
	Source       string          `json:"source"`
	Priority     float64         `json:"priority"`
	Tenant       string          `json:"tenant,omitempty"`
	MessageID    string          `json:"message_id,omitempty"`
	SenderID     string          `json:"sender_id,omitempty"`
	GroupID      string          `json:"group_id,omitempty"`
	Labels       []string        `json:"labels"`
	Preview      string          `json:"preview"`
	Reports      int             `json:"reports"`
	Hidden       bool            `json:"hidden_pending_review,omitempty"`
	Holder       string          `json:"holder,omitempty"`
	LeaseExpires *time.Time      `json:"lease_expires,omitempty"`
	Created      time.Time       `json:"created"`
	SLA          time.Time       `json:"sla_due"`
	Breached     bool            `json:"sla_breached"`
	AgeSeconds   float64         `json:"age_seconds"`
	Decision     *DecisionRecord `json:"decision,omitempty"`
	Tags         []string        `json:"tags,omitempty"`
	Notes        int             `json:"notes,omitempty"`
	// Appeal is "pending", "uphold" or "overturn" once the decision was
	// appealed.
	Appeal      string `json:"appeal,omitempty"`
	Reversed    int    `json:"reversed,omitempty"`
	TextMissing bool   `json:"text_missing,omitempty"`
	// TextRequested is when a reviewer asked the platform for the missing
	// text (claim-next leaves the case alone for a while after).
	TextRequested *time.Time `json:"text_requested,omitempty"`
	Revision      uint64     `json:"revision"`
	Published     bool       `json:"-"`
	HiddenPub     bool       `json:"-"`
	FollowUp      string     `json:"-"`
	// IndexSig fingerprints what the search index holds for the case;
	// TextSig its indexed text.
	IndexSig uint64 `json:"-"`
	TextSig  uint64 `json:"-"`
}

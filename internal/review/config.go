// Package review is levels 2 and 3 of modgate: the human-review queue, user
// reports, member strikes (the 3-2-1 rule), sessions and the audit trail.
// Every piece of state lives in NATS JetStream (streams and KV buckets) so
// several gateway replicas agree and a restart loses nothing; each Queue
// keeps only a read index that it rebuilds from a KV watch.
package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
)

// Fixed asset names, so the `nats` CLI finds them.
const (
	BucketCases     = "MODGATE_CASES"
	BucketReporters = "MODGATE_REPORTERS"
	BucketReportDup = "MODGATE_REPORT_DEDUP"
	BucketRate      = "MODGATE_RATE"
	BucketStrikes   = "MODGATE_STRIKES"
	BucketSessions  = "MODGATE_SESSIONS"
	// StreamSearch is the search index: one empty message per indexed
	// value of a case on <prefix>.search.<field>.<token>.<case>, at most one
	// per subject, so NATS answers "which cases have this sender / label /
	// text bigram" with a subject filter (see search.go).
	StreamSearch = "MODGATE_SEARCH"
	StreamEvents = "MODGATE_EVENTS"
	StreamAudit  = "MODGATE_AUDIT"
	// StreamDeadLetter keeps escalations that could not become cases
	// (subject <prefix>.deadletter.escalations), for an admin to inspect
	// and replay.
	StreamDeadLetter = "MODGATE_DEADLETTER"
	// ConsumerCases is the durable consumer on modgate.StreamEscalations
	// shared by every replica (work is split between them).
	ConsumerCases = "modgate-review-cases"
)

// Config tunes the queue. Zero values take the defaults below.
type Config struct {
	// Prefix is the subject prefix (modgate.DefaultSubjectPrefix).
	Prefix string
	// Replicas is the stream/bucket replica count (1 embedded, 3 in a cluster).
	Replicas int
	// Lease is how long a claim holds a case; MaxLease caps an extension.
	Lease    time.Duration
	MaxLease time.Duration
	// SLA is the target age per lane; older open cases are flagged.
	SLA map[string]time.Duration
	// ReportLaneScore is the weighted report score that moves a case into
	// the reports lane; HideScore the score that hides the message pending
	// review. A reporter's weight is (upheld+1)/(total+2): 0.5 for a new
	// reporter, near 0 for one whose reports are never upheld.
	ReportLaneScore float64
	HideScore       float64
	// ReportLimit reports per reporter per ReportWindow (across replicas).
	ReportLimit  int
	ReportWindow time.Duration
	// StrikeTTL is how long a confirmed violation counts.
	StrikeTTL time.Duration
	// RemoveAfterViolations / RemoveAfterAds: the 3-2-1 thresholds.
	RemoveAfterViolations int
	RemoveAfterAds        int
	// EventsMaxAge and AuditMaxAge are the stream retentions.
	EventsMaxAge time.Duration
	AuditMaxAge  time.Duration
	// SessionTTL is the idle timeout of a session; SessionMaxAge its
	// absolute lifetime.
	SessionTTL    time.Duration
	SessionMaxAge time.Duration
	// Workers process escalations concurrently.
	Workers int
	// MaxDeliver bounds how often the escalation consumer offers one
	// message; one that still cannot become a case goes to
	// StreamDeadLetter. RetryDelay is the first redelivery delay (doubling
	// up to 64×).
	MaxDeliver int
	RetryDelay time.Duration
	// DeadLetterMaxAge is how long dead letters are kept.
	DeadLetterMaxAge time.Duration
	// SweepInterval is how often expired leases are written back and
	// unpublished decisions republished.
	SweepInterval time.Duration
	// MaxStoredReports caps the reports kept on one case (the count goes on).
	MaxStoredReports int
	// MaxCaseBytes is the largest case stored as one KV value; larger ones
	// keep their text in BucketCaseBodies (0: the server's max_payload
	// less headroom; tests set it low).
	MaxCaseBytes int
	// Discipline answers what a decision triggers for the member (the
	// 3-2-1 rule in policies/discipline.rego, asked before every decision
	// and for the case view's consequence of each key). Required.
	Discipline Discipline
	// Screener screens the text of reports that open a case (the same
	// pipeline as /v1/screen: labels, matches, rules, masking). Without it
	// such cases carry only the reporters' reasons.
	Screener Screener
	// UndoWindow is how long the reviewer UI holds a decision before it
	// is sent (0: sent at once). The time a decision waited there is not
	// counted as handling time.
	UndoWindow time.Duration
	// ReversalWindow is how long the reviewer who decided (or a lead) may
	// take a decision back (default 10 minutes).
	ReversalWindow time.Duration
	// AppealLimit appeals per appellant per AppealWindow (default 5 a day).
	AppealLimit  int
	AppealWindow time.Duration
	// TextWait is how long a case whose text was asked of the platform
	// stays out of claim-next (default 15 minutes): the reviewer who asked
	// must not be handed it straight back; the text, when it comes, makes
	// it drawable at once, and after TextWait it comes back regardless.
	TextWait time.Duration
	// CreateEscalationStream creates modgate.StreamEscalations when absent
	// (the screening path normally does; tests and the first start rely on it).
	CreateEscalationStream bool
	// Clock tells the time of leases, SLAs, sessions, strikes and rate
	// windows (nil: the system clock; tests move a clock.Fake).
	Clock  clock.Clock
	Logger *slog.Logger
	// ForgetSender, when set, purges a sender's records from the
	// conversation window (the gateway wires internal/convo); a
	// subject-data deletion calls it and reports the count as
	// "window_records".
	ForgetSender func(ctx context.Context, sender string) (int, error)
}

// SLA is the configured target age of the oldest case in lane.
func (q *Queue) SLA(lane string) time.Duration { return q.cfg.SLA[lane] }

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = modgate.DefaultSubjectPrefix
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.MaxLease <= 0 {
		c.MaxLease = max(30*time.Minute, c.Lease)
	}
	sla := map[string]time.Duration{}
	for _, l := range modgate.LaneSpecs {
		sla[l.Name] = l.SLA
	}
	for k, v := range c.SLA {
		sla[k] = v
	}
	c.SLA = sla
	if c.ReportLaneScore <= 0 {
		c.ReportLaneScore = 0.5
	}
	if c.HideScore <= 0 {
		c.HideScore = 1.5
	}
	if c.ReportLimit <= 0 {
		c.ReportLimit = 30
	}
	if c.ReportWindow <= 0 {
		c.ReportWindow = time.Minute
	}
	if c.StrikeTTL <= 0 {
		c.StrikeTTL = 90 * 24 * time.Hour
	}
	if c.RemoveAfterViolations <= 0 {
		c.RemoveAfterViolations = 2
	}
	if c.RemoveAfterAds <= 0 {
		c.RemoveAfterAds = 1
	}
	if c.EventsMaxAge <= 0 {
		c.EventsMaxAge = 30 * 24 * time.Hour
	}
	if c.AuditMaxAge <= 0 {
		c.AuditMaxAge = 180 * 24 * time.Hour
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 30 * time.Minute
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = 12 * time.Hour
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 10
	}
	if c.MaxDeliver < 2 {
		c.MaxDeliver = 2
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.DeadLetterMaxAge <= 0 {
		c.DeadLetterMaxAge = 90 * 24 * time.Hour
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 5 * time.Second
	}
	if c.MaxStoredReports <= 0 {
		c.MaxStoredReports = 200
	}
	if c.UndoWindow < 0 {
		c.UndoWindow = 0
	}
	if c.ReversalWindow <= 0 {
		c.ReversalWindow = 10 * time.Minute
	}
	if c.AppealLimit <= 0 {
		c.AppealLimit = 5
	}
	if c.AppealWindow <= 0 {
		c.AppealWindow = 24 * time.Hour
	}
	if c.TextWait <= 0 {
		c.TextWait = 15 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	if c.Lease > c.MaxLease {
		return fmt.Errorf("review: lease %s exceeds max lease %s", c.Lease, c.MaxLease)
	}
	if c.Discipline == nil {
		return errors.New("review: Config.Discipline is required: decisions ask the policies (data.modgate.consequence) what they trigger")
	}
	if c.UndoWindow > time.Minute {
		return fmt.Errorf("review: undo window %s is longer than a minute", c.UndoWindow)
	}
	if c.HideScore < c.ReportLaneScore {
		return fmt.Errorf("review: hide score %.2f below reports-lane score %.2f", c.HideScore, c.ReportLaneScore)
	}
	return nil
}

// Errors callers map to HTTP statuses.
var (
	ErrNotFound       = errors.New("review: case not found")
	ErrAlreadyDecided = errors.New("review: case already decided")
	ErrNotHolder      = errors.New("review: case is not claimed by you")
	ErrClaimed        = errors.New("review: case is claimed by another reviewer")
	ErrEmpty          = errors.New("review: no case waiting")
	ErrRateLimited    = errors.New("review: report rate limit exceeded")
	ErrInvalid        = errors.New("review: invalid input")
	ErrContended      = errors.New("review: too much contention, retry")
	// ErrAppealsRateLimited: too many appeals by one appellant.
	ErrAppealsRateLimited = fmt.Errorf("%w: too many appeals from this appellant", ErrRateLimited)
	// ErrLeadsOnly: the case waits in a lane only leads may claim.
	ErrLeadsOnly = errors.New("review: only leads may claim escalated cases")
	// ErrSameReviewer: the reviewer who decided a case may not review its
	// appeal.
	ErrSameReviewer = errors.New("review: the reviewer who decided may not review the appeal")
	// ErrAppealed: the case already has an appeal.
	ErrAppealed = errors.New("review: the case was already appealed")
	// ErrNotDecided: the operation needs a decided case.
	ErrNotDecided = errors.New("review: the case is not decided")
	// ErrReversalWindow: the decision is older than the reversal window,
	// or was not taken by the caller.
	ErrReversalWindow = errors.New("review: the decision can no longer be taken back")
	// ErrConsequenceChanged: the decision's consequence differs from the
	// one the reviewer confirmed (see ConsequenceError).
	ErrConsequenceChanged = errors.New("review: the consequence of this decision changed")
)

// ConsequenceError carries the consequence a refused decision would now
// have (errors.Is(err, ErrConsequenceChanged)).
type ConsequenceError struct {
	Consequence modgate.Consequence
}

func (e *ConsequenceError) Error() string {
	return fmt.Sprintf("%v: it would now trigger %q", ErrConsequenceChanged, e.Consequence.Enforcement)
}

// Is makes errors.Is(err, ErrConsequenceChanged) true.
func (e *ConsequenceError) Is(target error) bool { return target == ErrConsequenceChanged }

// invalid wraps ErrInvalid with a message the API can show.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

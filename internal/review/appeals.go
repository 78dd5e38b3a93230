package review

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/modgate/modgate"
)

// Appeals and reversals: a decision taken back, by an overturned appeal or
// by the reviewer who took it (within ReversalWindow). Both remove the
// strike the decision counted and publish <prefix>.decisions.reversed; the
// events that follow are retried by the sweeper until they are out
// (Case.FollowUp), with message ids that make every retry a no-op.

// FollowUp kinds (Case.FollowUp).
const (
	followAppeal   = "appeal"   // an appeal was decided
	followReversal = "reversal" // a reviewer took the decision back
)

// AppealRequest is POST /v1/appeals.
type AppealRequest struct {
	CaseID      string `json:"case_id"`
	Reason      string `json:"reason"`
	AppellantID string `json:"appellant_id"`
}

// AppealResult answers an appeal.
type AppealResult struct {
	CaseID string            `json:"case_id"`
	State  modgate.CaseState `json:"state"`
	Lane   string            `json:"lane"`
}

// Appeal opens an appeal on a decided case of tenant ("" with an open
// API): the case goes to the appeals lane, where a reviewer other than the
// one who decided upholds or overturns the decision. One appeal per case;
// AppealLimit appeals per appellant per AppealWindow.
func (q *Queue) Appeal(ctx context.Context, tenant string, a AppealRequest) (AppealResult, error) {
	if err := checkID("appellant_id", a.AppellantID, true); err != nil {
		return AppealResult{}, err
	}
	if !validID(a.CaseID) {
		return AppealResult{}, invalid("case_id must be a case id (c-…)")
	}
	if err := checkText("reason", a.Reason, modgate.MaxNoteRunes, true); err != nil {
		return AppealResult{}, err
	}
	ok, err := q.limiter.Allow(ctx, "appeal", a.AppellantID, q.cfg.AppealLimit, q.cfg.AppealWindow)
	if err != nil {
		return AppealResult{}, err
	}
	if !ok {
		return AppealResult{}, ErrAppealsRateLimited
	}
	c, err := q.mutate(ctx, a.CaseID, func(c *modgate.Case, now time.Time) error {
		switch {
		case tenant != "" && c.Tenant != tenant:
			return ErrNotFound // another tenant's case does not exist for this key
		case c.Appeal != nil:
			return ErrAppealed
		case c.State != modgate.CaseDecided || c.Decision == nil:
			return ErrNotDecided
		}
		c.Appeal = &modgate.Appeal{AppellantID: a.AppellantID, Reason: a.Reason, At: now, OriginalReviewer: c.Decision.Reviewer}
		c.State, c.Lane, c.SLA, c.Lease = modgate.CaseAppealed, modgate.LaneAppeals, now.Add(q.cfg.SLA[modgate.LaneAppeals]), nil
		addHistory(c, modgate.AuditAppeal, "appellant:"+a.AppellantID, a.Reason, now)
		return nil
	})
	if err != nil {
		return AppealResult{}, err
	}
	ev := modgate.AppealEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant, AppellantID: a.AppellantID,
		Outcome: "opened", At: c.Appeal.At}
	if err := q.publishJSON(ctx, q.subject("appeals", "opened"), c.ID+":appeal-opened", ev); err != nil {
		q.log.Warn("review: appeal opened event", "case", c.ID, "err", err)
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditAppeal, Actor: "appellant:" + a.AppellantID, CaseID: c.ID,
		Tenant: c.Tenant, SenderID: c.Message.Sender.ID, Text: a.Reason, Action: c.Decision.Action})
	return AppealResult{CaseID: c.ID, State: c.State, Lane: c.Lane}, nil
}

// decideAppeal records the outcome of an appeal review on c (held by
// reviewer, who is not the original decider: ClaimAs refused them).
func (q *Queue) decideAppeal(c *modgate.Case, reviewer string, d modgate.Decision, now time.Time) error {
	if !modgate.IsAppealAction(d.Action) {
		return invalid("the case is under appeal: decide it with %s or %s", modgate.AppealUphold, modgate.AppealOverturn)
	}
	if c.Appeal.OriginalReviewer == reviewer {
		return ErrSameReviewer
	}
	at := now
	c.Appeal.Outcome, c.Appeal.Reviewer, c.Appeal.Note, c.Appeal.Decided = d.Action, reviewer, d.Note, &at
	if d.Action == modgate.AppealOverturn && c.Decision != nil {
		reason := d.Note
		if reason == "" {
			reason = c.Appeal.Reason
		}
		c.Reversals = append(c.Reversals, modgate.Reversal{Kind: modgate.ReversalAppeal, By: reviewer, Reason: reason,
			Action: c.Decision.Action, Enforcement: c.Decision.Enforcement, Round: c.Decision.Round, At: now})
	}
	c.State, c.Lease, c.FollowUp = modgate.CaseDecided, nil, followAppeal
	addHistory(c, modgate.AuditAppealDecision, reviewer, d.Action, now)
	return nil
}

// Reverse takes a decision back: by the reviewer who took it, within
// ReversalWindow (leads may reverse anyone's in the window). The strike
// goes, <prefix>.decisions.reversed is published, and the case is claimed
// by actor so they can decide it again at once (or release it).
func (q *Queue) Reverse(ctx context.Context, id, actor, role, reason string) (*modgate.Case, error) {
	if err := checkText("reason", reason, modgate.MaxNoteRunes, true); err != nil {
		return nil, err
	}
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		switch {
		case c.State != modgate.CaseDecided || c.Decision == nil:
			return ErrNotDecided
		case c.Appeal != nil:
			return ErrAppealed // an appeal decides now
		case c.Decision.Reviewer != actor && RoleRank(role) < RoleRank(modgate.RoleLead):
			return ErrReversalWindow
		case now.Sub(c.Decision.At) > q.cfg.ReversalWindow:
			return ErrReversalWindow
		case !c.Published || c.FollowUp != "":
			return ErrContended // its events are still going out: retry in a moment
		}
		d := c.Decision
		c.Reversals = append(c.Reversals, modgate.Reversal{Kind: modgate.ReversalReviewer, By: actor, Reason: reason,
			Action: d.Action, Enforcement: d.Enforcement, Round: d.Round, At: now})
		c.Decision, c.Published, c.FollowUp = nil, false, followReversal
		c.State = modgate.CaseClaimed
		c.Lease = &modgate.Lease{Holder: actor, Token: rand.Text(), Claimed: now, Expires: now.Add(q.cfg.Lease)}
		addHistory(c, modgate.AuditReversal, actor, reason, now)
		return nil
	})
	if err != nil {
		return c, err
	}
	return q.afterFollowUp(ctx, c)
}

// afterFollowUp publishes c's follow-up events and answers the case as
// stored; a failure is left to the sweeper.
func (q *Queue) afterFollowUp(ctx context.Context, c *modgate.Case) (*modgate.Case, error) {
	pc, err := q.publishFollowUp(ctx, c)
	if err != nil {
		q.log.Warn("review: follow-up events (the sweeper retries)", "case", c.ID, "err", err)
		return c, nil
	}
	return pc, nil
}

// publishFollowUp emits what follows an appeal outcome or a reversal: the
// strike removal, the reversal and appeal events and the audit entries,
// then clears Case.FollowUp. Idempotent: message ids per case and round,
// and strike removal by case and round.
func (q *Queue) publishFollowUp(ctx context.Context, c *modgate.Case) (*modgate.Case, error) {
	kind := c.FollowUp
	if kind == "" {
		return c, nil
	}
	batch := pubBatch{js: q.js}
	pub := batch.pub
	sender := c.Message.Sender.ID
	var rv *modgate.Reversal
	if n := len(c.Reversals); n > 0 && (kind == followReversal || c.Appeal != nil && c.Appeal.Outcome == modgate.AppealOverturn) {
		rv = &c.Reversals[n-1]
	}
	if rv != nil {
		var v modgate.Violations
		removed := false
		if sender != "" {
			var err error
			if v, removed, err = q.strikes.remove(ctx, c.Tenant, sender, c.ID, rv.Round); err != nil {
				return nil, err
			}
		}
		ev := modgate.ReversalEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant, SenderID: sender,
			GroupID: c.Message.Group.ID, Kind: rv.Kind, Action: rv.Action, Enforcement: rv.Enforcement, By: rv.By,
			Reason: rv.Reason, StrikeRemoved: removed, Violations: v, At: rv.At}
		mid := fmt.Sprintf("%s:reversed:%d", c.ID, rv.Round)
		if err := pub(q.eventMsg(q.subject("decisions", "reversed"), ev), mid); err != nil {
			return nil, err
		}
		am, err := q.auditMsg(&modgate.AuditEvent{Kind: modgate.AuditReversal, Actor: rv.By, CaseID: c.ID, Tenant: c.Tenant,
			SenderID: sender, Action: rv.Action, Text: rv.Reason, At: rv.At,
			Detail: map[string]string{"kind": rv.Kind, "enforcement": rv.Enforcement, "round": fmt.Sprint(rv.Round),
				"strike_removed": fmt.Sprint(removed)}})
		if err != nil {
			return nil, err
		}
		if err := pub(am, mid+":audit"); err != nil {
			return nil, err
		}
	}
	if kind == followAppeal && c.Appeal != nil && c.Appeal.Decided != nil {
		a := c.Appeal
		outcome := "upheld"
		if a.Outcome == modgate.AppealOverturn {
			outcome = "overturned"
		}
		ev := modgate.AppealEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant, AppellantID: a.AppellantID,
			Outcome: outcome, Reviewer: a.Reviewer, At: *a.Decided}
		if err := pub(q.eventMsg(q.subject("appeals", outcome), ev), c.ID+":appeal-decided"); err != nil {
			return nil, err
		}
		am, err := q.auditMsg(&modgate.AuditEvent{Kind: modgate.AuditAppealDecision, Actor: a.Reviewer, CaseID: c.ID,
			Tenant: c.Tenant, SenderID: sender, Action: a.Outcome, Text: a.Note, At: *a.Decided,
			Detail: map[string]string{"appellant": a.AppellantID, "original_reviewer": a.OriginalReviewer}})
		if err != nil {
			return nil, err
		}
		if err := pub(am, c.ID+":appeal-decided:audit"); err != nil {
			return nil, err
		}
	}
	if err := batch.wait(ctx); err != nil {
		return nil, err
	}
	return q.mutate(ctx, c.ID, func(x *modgate.Case, now time.Time) error {
		if x.FollowUp != kind {
			return errSkip
		}
		x.FollowUp = ""
		return nil
	})
}

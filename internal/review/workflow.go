package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modgate/modgate"
)

// The reviewer's other moves on a case: escalate it to the leads, ask the
// platform for a reported message's text, team notes and tags, and the
// leads' bulk decisions.

// MaxNotes caps the team notes kept on one case.
const MaxNotes = 100

// MaxTags caps the tags on one case; MaxTagRunes one tag's length.
const (
	MaxTags     = 16
	MaxTagRunes = 32
)

// EscalateToLeads moves a held case into the escalated lane with the
// reviewer's note; only leads claim it there. The case is released.
func (q *Queue) EscalateToLeads(ctx context.Context, id, reviewer, token, note string) (*modgate.Case, error) {
	if err := checkText("note", note, modgate.MaxNoteRunes, false); err != nil {
		return nil, err
	}
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if err := holderCheck(c, reviewer, token, now); err != nil {
			return err
		}
		if c.Lane == modgate.LaneEscalated {
			return invalid("the case is already escalated to the leads")
		}
		c.Escalation = &modgate.LeadEscalation{By: reviewer, Note: note, FromLane: c.Lane, At: now}
		c.Lane, c.SLA = modgate.LaneEscalated, now.Add(q.cfg.SLA[modgate.LaneEscalated])
		c.State, c.Lease = waiting(c), nil
		addHistory(c, modgate.AuditEscalateLead, reviewer, note, now)
		return nil
	})
	if err != nil {
		return c, err
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditEscalateLead, Actor: reviewer, CaseID: id, Tenant: c.Tenant,
		SenderID: c.Message.Sender.ID, Text: note, Detail: map[string]string{"from_lane": c.Escalation.FromLane}})
	return c, nil
}

// RequestText asks the platform for the text of a reported message the
// gateway never saw (<prefix>.reports.text_requested) and gives the case
// back to the queue; a report that brings the text fills it in and
// screens it.
func (q *Queue) RequestText(ctx context.Context, id, reviewer, token string) (*modgate.Case, error) {
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if err := holderCheck(c, reviewer, token, now); err != nil {
			return err
		}
		if !c.TextMissing {
			return invalid("the case has its text")
		}
		at := now
		c.TextRequested = &at
		c.State, c.Lease = waiting(c), nil
		addHistory(c, "text_requested", reviewer, "", now)
		return nil
	})
	if err != nil {
		return c, err
	}
	ev := modgate.TextRequestEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant, GroupID: c.Message.Group.ID,
		Reviewer: reviewer, At: *c.TextRequested}
	if err := q.publishJSON(ctx, q.subject("reports", "text_requested"), fmt.Sprintf("%s:textreq:%d", c.ID, c.TextRequested.UnixMilli()), ev); err != nil {
		return c, err
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditTextRequest, Actor: reviewer, CaseID: id, Tenant: c.Tenant})
	return c, nil
}

// AddNote adds a team note (private to reviewers) to a case; no lease
// needed.
func (q *Queue) AddNote(ctx context.Context, id, author, text string) (*modgate.Case, error) {
	if err := checkText("text", text, modgate.MaxNoteRunes, true); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if len(c.Notes) >= MaxNotes {
			return invalid("the case has %d notes, the limit", MaxNotes)
		}
		c.Notes = append(c.Notes, modgate.TeamNote{Author: author, Text: text, At: now})
		addHistory(c, modgate.AuditNote, author, "", now)
		return nil
	})
	if err != nil {
		return c, err
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditNote, Actor: author, CaseID: id, Tenant: c.Tenant, Text: text})
	return c, nil
}

// NormalizeTags checks and cleans a tag list: trimmed, 1..MaxTagRunes
// characters without control characters or dots-only, unique, at most
// MaxTags.
func NormalizeTags(tags []string) ([]string, error) {
	out := []string{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if err := checkText("tag", t, MaxTagRunes, true); err != nil {
			return nil, err
		}
		if strings.ContainsAny(t, "\n\t\r") {
			return nil, invalid("tag %q contains a line break or tab", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, invalid("%d tags, the limit is %d", len(out), MaxTags)
	}
	return out, nil
}

// SetTags replaces the tags of a case (private to reviewers; searchable).
func (q *Queue) SetTags(ctx context.Context, id, actor string, tags []string) (*modgate.Case, error) {
	tags, err := NormalizeTags(tags)
	if err != nil {
		return nil, err
	}
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if slices.Equal(c.Tags, tags) || len(c.Tags) == 0 && len(tags) == 0 {
			return errSkip
		}
		c.Tags = tags
		addHistory(c, modgate.AuditTags, actor, strings.Join(tags, ", "), now)
		return nil
	})
	if err != nil {
		return c, err
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditTags, Actor: actor, CaseID: id, Tenant: c.Tenant, Labels: nil,
		Detail: map[string]string{"tags": strings.Join(tags, ",")}})
	return c, nil
}

// BulkItem is one case of a bulk decision: its consequence and whether it
// was decided (Error says why not).
type BulkItem struct {
	CaseID      string               `json:"case_id"`
	OK          bool                 `json:"ok"`
	Error       string               `json:"error,omitempty"`
	Consequence *modgate.Consequence `json:"consequence,omitempty"`
}

// MaxBulk caps the cases of one bulk decision.
const MaxBulk = 200

// BulkDecide applies one decision to many cases for a lead: each case is
// claimed, decided (audited as a decision of its own, marked bulk) or, when
// that fails, released; cases held by someone else or already decided are
// reported, not touched. dryRun only computes each case's consequence (the
// confirmation shows how many members a bulk removal removes).
func (q *Queue) BulkDecide(ctx context.Context, lead, role string, ids []string, d modgate.Decision, dryRun bool) ([]BulkItem, error) {
	if RoleRank(role) < RoleRank(modgate.RoleLead) {
		return nil, ErrLeadsOnly
	}
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, invalid("case_ids: 1..%d cases", MaxBulk)
	}
	if !modgate.IsDecisionAction(d.Action) {
		return nil, invalid("bulk decisions take one of %s", strings.Join(modgate.DecisionActions, ", "))
	}
	d.Bulk, d.HeldMS = true, 0
	if err := ValidateDecision(d); err != nil {
		return nil, err
	}
	out := make([]BulkItem, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		it := BulkItem{CaseID: id}
		c, err := q.Get(ctx, id)
		if err == nil && c.State == modgate.CaseDecided {
			err = ErrAlreadyDecided
		}
		if err == nil && underAppeal(c) {
			err = invalid("the case is under appeal")
		}
		if err == nil {
			labels := c.Labels
			if d.Labels != nil {
				labels = d.Labels
			}
			var cs map[string]modgate.Consequence
			if cs, err = q.Consequences(ctx, c, labels); err == nil {
				cq := cs[d.Action]
				it.Consequence = &cq
			}
		}
		if err == nil && !dryRun {
			err = q.bulkOne(ctx, id, lead, role, d, it.Consequence)
		}
		it.OK = err == nil
		if err != nil {
			it.Error = strings.TrimPrefix(err.Error(), "review: ")
		}
		out = append(out, it)
	}
	if !dryRun {
		n := 0
		for _, it := range out {
			if it.OK {
				n++
			}
		}
		q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditBulkDecision, Actor: lead, Action: d.Action, Labels: d.Labels,
			Text: d.Note, Detail: map[string]string{"cases": fmt.Sprint(len(out)), "decided": fmt.Sprint(n)}})
	}
	return out, nil
}

// bulkOne claims and decides one case of a bulk decision, expecting the
// consequence the lead confirmed.
func (q *Queue) bulkOne(ctx context.Context, id, lead, role string, d modgate.Decision, cq *modgate.Consequence) error {
	c, err := q.ClaimAs(ctx, id, lead, role)
	if err != nil {
		return err
	}
	if cq != nil {
		exp := cq.Enforcement
		d.Expect = &exp
	}
	if _, err := q.Decide(ctx, id, lead, c.Lease.Token, d); err != nil {
		if _, rerr := q.Release(ctx, id, lead, c.Lease.Token, false); rerr != nil {
			q.log.Warn("review: release after a failed bulk decision", "case", id, "err", rerr)
		}
		return err
	}
	return nil
}

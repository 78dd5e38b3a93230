package review

import (
	"context"
	"fmt"
	"slices"

	"github.com/modgate/modgate"
)

// Discipline answers the review side's 3-2-1 question: what does this
// decision trigger for the member? The policy engine implements it
// (policies.Engine, and internal/screen.Screener with hot reload); the
// queue keeps no copy of the rule.
type Discipline interface {
	Consequence(ctx context.Context, in modgate.DisciplineInput) (modgate.Consequence, error)
}

// Screener screens a message through the filter and policy pipeline
// (internal/screen.Screener), for the text of reports.
type Screener interface {
	Screen(ctx context.Context, m modgate.Message) (modgate.Verdict, error)
}

// consequence asks the policies what action with labels triggers for
// the sender of c, whose violations before the decision are before.
func (q *Queue) consequence(ctx context.Context, action string, labels []string, before modgate.Violations) (modgate.Consequence, error) {
	if labels == nil {
		labels = []string{}
	}
	c, err := q.cfg.Discipline.Consequence(ctx, modgate.DisciplineInput{Action: action, Labels: labels, Violations: before})
	if err != nil {
		return c, fmt.Errorf("review: discipline: %w", err)
	}
	return c, nil
}

// Consequences is what each decision key would trigger on case c with
// labels (nil: the case's), for the case view: the reviewer sees the
// consequence before pressing the key. Cases without a sender have no
// member to discipline: enforcements are dropped.
func (q *Queue) Consequences(ctx context.Context, c *modgate.Case, labels []string) (map[string]modgate.Consequence, error) {
	if labels == nil {
		labels = c.Labels
	}
	var strikes []Strike
	sender := c.Message.Sender.ID
	if sender != "" {
		var err error
		if strikes, err = q.strikes.List(ctx, c.Tenant, sender); err != nil {
			return nil, err
		}
	}
	before := CountStrikes(strikes)
	out := make(map[string]modgate.Consequence, len(modgate.DecisionActions))
	for _, a := range modgate.DecisionActions {
		cq, err := q.consequence(ctx, a, labels, before)
		if err != nil {
			return nil, err
		}
		if sender == "" {
			cq.Enforcement, cq.Rule = "", ""
		}
		out[a] = cq
	}
	if underAppeal(c) && c.Decision != nil {
		// Overturning removes the decision's strike; upholding changes
		// nothing. No policy question: the strike simply goes.
		after := CountStrikes(slices.DeleteFunc(slices.Clone(strikes), func(s Strike) bool { return s.CaseID == c.ID }))
		out[modgate.AppealUphold] = modgate.Consequence{Violations: before}
		out[modgate.AppealOverturn] = modgate.Consequence{Violations: after}
	}
	return out, nil
}

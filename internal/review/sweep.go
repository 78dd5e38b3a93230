package review

import (
	"context"
	"time"

	"github.com/modgate/modgate"
)

// sweep writes expired leases back as open (and audits the expiry) and
// republishes the events of decisions whose publishing was interrupted.
// Every replica sweeps; CAS and message ids make the races harmless.
func (q *Queue) sweep(ctx context.Context) {
	defer q.wg.Done()
	t := time.NewTicker(q.cfg.SweepInterval)
	defer t.Stop()
	var lastDead time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			q.SweepOnce(ctx)
			if time.Since(lastDead) >= 5*time.Second {
				// Dead letters can come from any replica: count them for
				// /readyz and /metrics.
				q.refreshDeadCount(ctx)
				lastDead = time.Now()
			}
		}
	}
}

// SweepOnce runs one sweep pass.
func (q *Queue) SweepOnce(ctx context.Context) {
	now := q.now()
	var expired, unpublished, hidden, followUps []string
	q.mu.RLock()
	for id, s := range q.active {
		if s.State == modgate.CaseClaimed && s.LeaseExpires != nil && !now.Before(*s.LeaseExpires) {
			expired = append(expired, id)
		}
	}
	for id, s := range q.idx {
		if s.State == modgate.CaseDecided && !s.Published && s.Decision != nil && now.Sub(s.Decision.At) > 3*time.Second {
			unpublished = append(unpublished, id)
		}
		if s.Hidden && !s.HiddenPub {
			hidden = append(hidden, id)
		}
		if s.FollowUp != "" {
			followUps = append(followUps, id)
		}
	}
	q.mu.RUnlock()
	for _, id := range expired {
		if ctx.Err() != nil {
			return
		}
		var holder string
		c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
			if c.State != modgate.CaseClaimed || leaseValid(c, now) {
				return errSkip
			}
			holder = c.Lease.Holder
			c.State, c.Lease = waiting(c), nil
			addHistory(c, modgate.AuditExpiry, holder, "", now)
			return nil
		})
		if err == nil && holder != "" {
			q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditExpiry, Actor: holder, CaseID: id, Tenant: c.Tenant})
		}
	}
	for _, id := range hidden {
		if ctx.Err() != nil {
			return
		}
		c, err := q.load(ctx, id)
		if err != nil || !c.Hidden || c.HiddenPublished || now.Sub(c.Updated) < 3*time.Second {
			continue
		}
		if err := q.publishHidden(ctx, c); err != nil {
			q.log.Warn("review: republish hidden", "case", id, "err", err)
		}
	}
	for _, id := range followUps {
		if ctx.Err() != nil {
			return
		}
		c, err := q.load(ctx, id)
		if err != nil || c.FollowUp == "" || now.Sub(c.Updated) < 3*time.Second {
			continue
		}
		if _, err := q.publishFollowUp(ctx, c); err != nil {
			q.log.Warn("review: republish follow-up events", "case", id, "err", err)
		}
	}
	for _, id := range unpublished {
		if ctx.Err() != nil {
			return
		}
		c, err := q.load(ctx, id)
		if err != nil || c.State != modgate.CaseDecided || c.Published {
			continue
		}
		if _, err := q.publishDecision(ctx, c, nil); err != nil {
			q.log.Warn("review: republish decision", "case", id, "err", err)
		}
	}
}

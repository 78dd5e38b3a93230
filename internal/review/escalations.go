package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go/jetstream"
)

// startConsumer attaches to the durable escalation consumer. Every replica
// uses the same durable, so JetStream splits the work and redelivers what a
// dead replica did not ack.
func (q *Queue) startConsumer(ctx, runCtx context.Context) error {
	cons, err := q.js.CreateOrUpdateConsumer(ctx, modgate.StreamEscalations, jetstream.ConsumerConfig{
		Durable:       ConsumerCases,
		Description:   "modgate review: escalations to cases",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 4096,
		FilterSubject: q.cfg.Prefix + ".escalations.>",
		Replicas:      q.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("review: consumer %s on %s: %w", ConsumerCases, modgate.StreamEscalations, err)
	}
	for i := 0; i < q.cfg.Workers; i++ {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for {
				select {
				case <-runCtx.Done():
					return
				case m := <-q.work:
					q.handleEscalation(runCtx, m)
				}
			}
		}()
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case q.work <- m:
		case <-runCtx.Done():
		}
	}, jetstream.PullMaxMessages(512))
	if err != nil {
		return fmt.Errorf("review: consume escalations: %w", err)
	}
	q.consum = cc
	return nil
}

func (q *Queue) handleEscalation(ctx context.Context, m jetstream.Msg) {
	var esc modgate.Escalation
	if err := json.Unmarshal(m.Data(), &esc); err != nil {
		// Poison: redelivering cannot help.
		q.log.Warn("review: undecodable escalation dropped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	if _, err := q.Enqueue(ctx, esc); err != nil {
		if errors.Is(err, ErrInvalid) {
			q.log.Warn("review: invalid escalation dropped", "subject", m.Subject(), "err", err)
			_ = m.Term()
			return
		}
		q.log.Warn("review: escalation not stored, will be redelivered", "case", esc.CaseID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	_ = m.Ack()
}

// cleanText makes hostile text storable: valid UTF-8, capped in size on a
// rune boundary.
func cleanText(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// Enqueue materialises an escalation as a case (what the consumer does with
// every message; exported for tools and tests). It is idempotent: a
// redelivered escalation changes nothing. It reports whether it wrote.
func (q *Queue) Enqueue(ctx context.Context, esc modgate.Escalation) (bool, error) {
	if esc.CaseID == "" {
		esc.CaseID = modgate.CaseIDFor(esc.Message.Tenant, esc.Message.ID, esc.Verdict.DecisionID)
	}
	if !validID(esc.CaseID) {
		return false, invalid("case id %q", esc.CaseID)
	}
	lane := esc.Lane
	if esc.Source == "patrol" {
		lane = modgate.LanePatrol
	}
	if laneRank(lane) == len(modgate.Lanes) {
		lane = modgate.LaneNormal
	}
	now := time.Now().UTC()
	at := esc.At.UTC()
	if at.IsZero() || at.After(now) {
		at = now
	}
	msg := esc.Message
	msg.Text = cleanText(msg.Text, modgate.DefaultMaxTextBytes)
	v := esc.Verdict
	masked := cleanText(v.MaskedText, modgate.DefaultMaxTextBytes)
	if masked == "" {
		masked = MaskText(msg.Text)
	}
	labels := v.Labels
	if labels == nil {
		labels = []string{}
	}
	source := esc.Source
	if source == "" {
		source = "screen"
	}
	fresh := &modgate.Case{
		ID: esc.CaseID, State: modgate.CaseOpen, Lane: lane, Source: source, Priority: float64(v.Severity),
		Tenant: msg.Tenant, Message: msg, MaskedText: masked, Verdict: &v, Labels: labels,
		Created: at, SLA: at.Add(q.cfg.SLA[lane]),
	}
	addHistory(fresh, "escalated", source, lane, now)
	wrote := false
	for try := 0; try < 16; try++ {
		err := q.store(ctx, fresh)
		if err == nil {
			wrote = true
			break
		}
		if !errors.Is(err, errConflict) {
			return false, err
		}
		// The case exists: a redelivery (nothing to do) or a case a report
		// opened before the gateway's escalation arrived (merge).
		c, err := q.load(ctx, esc.CaseID)
		if errors.Is(err, ErrNotFound) {
			continue // deleted in between (subject-data request): create again
		}
		if err != nil {
			return false, err
		}
		if c.Verdict != nil {
			return false, nil
		}
		c.Verdict = &v
		if c.Message.Text == "" {
			c.Message.Text = msg.Text
		}
		c.Message.Sender, c.Message.Group, c.Message.Context = msg.Sender, msg.Group, msg.Context
		c.MaskedText = masked
		for _, l := range labels {
			if !contains(c.Labels, l) {
				c.Labels = append(c.Labels, l)
			}
		}
		if laneRank(lane) < laneRank(c.Lane) {
			c.Lane = lane
			c.SLA = c.Created.Add(q.cfg.SLA[lane])
		}
		addHistory(c, "escalated", source, lane, now)
		err = q.store(ctx, c)
		if err == nil {
			wrote = true
			break
		}
		if !errors.Is(err, errConflict) {
			return false, err
		}
	}
	if !wrote {
		return false, ErrContended
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditEscalation, Actor: source, CaseID: esc.CaseID,
		Tenant: msg.Tenant, SenderID: msg.Sender.ID, Action: v.Action, Labels: labels,
		Detail: map[string]string{"lane": lane, "decision_id": v.DecisionID}, Revision: &v.Revision, At: now})
	return true, nil
}

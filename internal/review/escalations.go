package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startConsumer attaches to the durable escalation consumer. Every replica
// uses the same durable, so JetStream splits the work and redelivers what a
// dead replica did not ack.
func (q *Queue) startConsumer(ctx, runCtx context.Context) error {
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
	return q.consume(ctx, runCtx)
}

// consumerConfig is the durable escalation consumer. MaxDeliver bounds the
// attempts: the handler moves a message it could not store by its last
// attempts to the dead-letter stream, so no message holds one of the
// MaxAckPending slots for ever.
func (q *Queue) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       ConsumerCases,
		Description:   "modgate review: escalations to cases",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    q.cfg.MaxDeliver,
		MaxAckPending: 4096,
		FilterSubject: q.cfg.Prefix + ".escalations.>",
		Replicas:      q.cfg.Replicas,
	}
}

// consume (re)creates the durable consumer and starts pulling from it
// unless a live pull is already running.
func (q *Queue) consume(ctx, runCtx context.Context) error {
	cons, err := q.js.CreateOrUpdateConsumer(ctx, modgate.StreamEscalations, q.consumerConfig())
	if err != nil {
		return fmt.Errorf("review: consumer %s on %s: %w", ConsumerCases, modgate.StreamEscalations, err)
	}
	q.consumMu.Lock()
	defer q.consumMu.Unlock()
	if q.consum != nil {
		select {
		case <-q.consum.Closed():
		default:
			return nil // still pulling; it re-issues its pulls after a reconnect
		}
	}
	if runCtx.Err() != nil {
		return nil
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

// Headers on a dead-lettered escalation.
const (
	HeaderDeadReason     = "Modgate-Dead-Reason"
	HeaderDeadSubject    = "Modgate-Dead-Subject"
	HeaderDeadSeq        = "Modgate-Dead-Stream-Seq"
	HeaderDeadDeliveries = "Modgate-Dead-Deliveries"
	HeaderDeadAt         = "Modgate-Dead-At"
)

func (q *Queue) handleEscalation(ctx context.Context, m jetstream.Msg) {
	var esc modgate.Escalation
	if err := json.Unmarshal(m.Data(), &esc); err != nil {
		// Poison: redelivering cannot help.
		q.deadLetter(ctx, m, fmt.Sprintf("undecodable escalation: %v", err))
		return
	}
	if _, err := q.Enqueue(ctx, esc); err != nil {
		if errors.Is(err, ErrInvalid) || errors.Is(err, nats.ErrMaxPayload) {
			q.deadLetter(ctx, m, err.Error())
			return
		}
		n := uint64(1)
		if md, merr := m.Metadata(); merr == nil {
			n = md.NumDelivered
		}
		// The last two attempts dead-letter on failure: if publishing the
		// dead letter fails on the first of them, the last tries again.
		if q.cfg.MaxDeliver > 0 && n+1 >= uint64(q.cfg.MaxDeliver) {
			q.deadLetter(ctx, m, fmt.Sprintf("not stored after %d attempts: %v", n, err))
			return
		}
		delay := q.cfg.RetryDelay << min(n-1, 6)
		q.log.Warn("review: escalation not stored, will be redelivered", "case", esc.CaseID, "attempt", n, "retry_in", delay, "err", err)
		_ = m.NakWithDelay(delay)
		return
	}
	_ = m.Ack()
}

// deadLetter copies an escalation that cannot become a case to the
// dead-letter stream (an admin lists and replays it through
// /v1/admin/dead-letters once the cause is fixed), then terminates it.
func (q *Queue) deadLetter(ctx context.Context, m jetstream.Msg, reason string) {
	subject, seq, deliveries := m.Subject(), uint64(0), uint64(0)
	if md, err := m.Metadata(); err == nil {
		seq, deliveries = md.Sequence.Stream, md.NumDelivered
	}
	if len(reason) > 1024 {
		reason = reason[:1024]
	}
	dl := nats.NewMsg(q.subject("deadletter", "escalations"))
	dl.Data = m.Data()
	dl.Header.Set(HeaderDeadReason, strings.ToValidUTF8(reason, "?"))
	dl.Header.Set(HeaderDeadSubject, subject)
	dl.Header.Set(HeaderDeadSeq, fmt.Sprint(seq))
	dl.Header.Set(HeaderDeadDeliveries, fmt.Sprint(deliveries))
	dl.Header.Set(HeaderDeadAt, time.Now().UTC().Format(time.RFC3339Nano))
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// One dead letter per stream message, however often this runs.
	if _, err := q.js.PublishMsg(pctx, dl, jetstream.WithMsgID(fmt.Sprintf("dead:%s:%d", modgate.StreamEscalations, seq))); err != nil {
		q.log.Error("review: dead-letter publish failed; the escalation is redelivered", "subject", subject, "seq", seq, "err", err)
		_ = m.NakWithDelay(q.cfg.RetryDelay)
		return
	}
	q.log.Error("review: escalation moved to the dead letters", "subject", subject, "seq", seq, "deliveries", deliveries, "reason", reason)
	q.deadCount.Add(1)
	_ = m.TermWithReason("dead-lettered: " + reason)
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

// Bounds of a case's conversation context: the gateway sends the group's
// window (20 messages of at most 1 KiB by default); anything beyond these
// is cut, never refused.
const (
	maxContextMessages = 50
	maxContextText     = 4 << 10
)

// cleanContext bounds a case's conversation context and makes its text
// storable; the newest messages are kept.
func cleanContext(in []modgate.ContextMessage) []modgate.ContextMessage {
	if len(in) == 0 {
		return nil
	}
	if len(in) > maxContextMessages {
		in = in[len(in)-maxContextMessages:]
	}
	out := make([]modgate.ContextMessage, len(in))
	for i, c := range in {
		c.ID = cleanText(c.ID, 256)
		c.SenderID = cleanText(c.SenderID, 256)
		c.Action = cleanText(c.Action, 16)
		if t := cleanText(c.Text, maxContextText); len(t) < len(c.Text) {
			c.Text, c.Truncated = t, true
		} else {
			c.Text = t
		}
		out[i] = c
	}
	return out
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
	if laneRank(lane) == len(modgate.Lanes) || lane == modgate.LaneEscalated || lane == modgate.LaneAppeals {
		lane = modgate.LaneNormal // reviewers and appellants put cases there, not the screening path
	}
	now := q.now().UTC()
	at := esc.At.UTC()
	if at.IsZero() || at.After(now) {
		at = now
	}
	msg := esc.Message
	msg.Text = cleanText(msg.Text, modgate.DefaultMaxTextBytes)
	v := esc.Verdict
	// The verdict's masking, completed for reviewers (landlines, cards in
	// any grouping, names and addresses next to contact cues).
	masked := MaskText(cleanText(v.MaskedText, modgate.DefaultMaxTextBytes))
	if masked == "" {
		masked = MaskText(msg.Text)
	}
	v.MaskedText = masked
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
		Normalized: cleanText(esc.Normalized, modgate.DefaultMaxTextBytes),
		Context:    cleanContext(esc.Context),
		Created:    at, SLA: at.Add(q.cfg.SLA[lane]),
	}
	addHistory(fresh, "escalated", source, lane, now)
	wrote, err := retryCAS(casTries, func(int) (bool, error) {
		err := q.store(ctx, fresh)
		if !errors.Is(err, errConflict) {
			return err == nil, err
		}
		// The case exists: a redelivery (nothing to do) or a case a report
		// opened before the gateway's escalation arrived (merge).
		c, err := q.load(ctx, esc.CaseID)
		if errors.Is(err, ErrNotFound) {
			return false, errConflict // deleted in between (subject-data request): create again
		}
		if err != nil {
			return false, err
		}
		if c.Verdict != nil && !c.IntakeScreened {
			return false, nil
		}
		c.Verdict, c.IntakeScreened = &v, false
		if c.Message.Text == "" {
			c.Message.Text = msg.Text
		}
		c.TextMissing = c.Message.Text == ""
		c.Message.Sender, c.Message.Group, c.Message.Context = msg.Sender, msg.Group, msg.Context
		c.MaskedText = masked
		c.Normalized = fresh.Normalized
		c.Context = fresh.Context
		for _, l := range labels {
			if !slices.Contains(c.Labels, l) {
				c.Labels = append(c.Labels, l)
			}
		}
		if laneRank(lane) < laneRank(c.Lane) && active(c.State) && !underAppeal(c) {
			c.Lane = lane
			c.SLA = c.Created.Add(q.cfg.SLA[lane])
		}
		addHistory(c, "escalated", source, lane, now)
		return true, q.store(ctx, c)
	})
	if err != nil || !wrote {
		return false, err
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditEscalation, Actor: source, CaseID: esc.CaseID,
		Tenant: msg.Tenant, SenderID: msg.Sender.ID, Action: v.Action, Labels: labels,
		Detail: map[string]string{"lane": lane, "decision_id": v.DecisionID}, Revision: &v.Revision, At: now})
	return true, nil
}

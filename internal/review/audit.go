package review

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func (q *Queue) auditMsg(ev *modgate.AuditEvent) (*nats.Msg, error) {
	if ev.Kind == "" || !validLabel(ev.Kind) {
		return nil, invalid("audit kind %q", ev.Kind)
	}
	if ev.At.IsZero() {
		ev.At = q.now().UTC()
	}
	// Audit text is masked by default: the trail outlives the cases.
	ev.Text = MaskText(cleanText(ev.Text, 4096))
	ev.Seq = 0
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("review: encode audit: %w", err)
	}
	return &nats.Msg{Subject: q.subject("audit", ev.Kind), Data: b}, nil
}

// Audit appends ev to the audit stream and waits for it to be stored. The
// server records revision changes through it.
func (q *Queue) Audit(ctx context.Context, ev modgate.AuditEvent) error {
	m, err := q.auditMsg(&ev)
	if err != nil {
		return err
	}
	if _, err := q.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("review: audit %s: %w", ev.Kind, err)
	}
	return nil
}

// auditAsync appends without waiting (bounded by the async publish window)
// on hot paths; a failure is logged.
func (q *Queue) auditAsync(ev modgate.AuditEvent) {
	m, err := q.auditMsg(&ev)
	if err == nil {
		_, err = q.js.PublishMsgAsync(m)
	}
	if err != nil {
		q.log.Error("review: audit not recorded", "kind", ev.Kind, "case", ev.CaseID, "err", err)
	}
}

// AuditRange calls fn for each audit event stored in [from, to], oldest
// first, optionally only of the given kinds, stopping after limit events
// (0 = no limit).
func (q *Queue) AuditRange(ctx context.Context, from, to time.Time, kinds []string, limit int, fn func(modgate.AuditEvent) error) error {
	st, err := q.js.Stream(ctx, StreamAudit)
	if err != nil {
		return fmt.Errorf("review: audit stream: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("review: audit stream info: %w", err)
	}
	if info.State.Msgs == 0 || info.State.LastTime.Before(from) || (!to.IsZero() && info.State.FirstTime.After(to)) {
		return nil
	}
	last := info.State.LastSeq
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &from}
	if from.IsZero() {
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	}
	for _, k := range kinds {
		if !validLabel(k) {
			return invalid("audit kind %q", k)
		}
		cfg.FilterSubjects = append(cfg.FilterSubjects, q.subject("audit", k))
	}
	cons, err := q.js.OrderedConsumer(ctx, StreamAudit, cfg)
	if err != nil {
		return fmt.Errorf("review: audit reader: %w", err)
	}
	n := 0
	for {
		batch, err := cons.Fetch(512, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			return fmt.Errorf("review: audit fetch: %w", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("review: audit metadata: %w", err)
			}
			if !to.IsZero() && md.Timestamp.After(to) {
				return nil
			}
			var ev modgate.AuditEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				continue
			}
			ev.Seq = md.Sequence.Stream
			if err := fn(ev); err != nil {
				return err
			}
			n++
			if limit > 0 && n >= limit {
				return nil
			}
			if md.Sequence.Stream >= last || md.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("review: audit fetch: %w", err)
		}
		if got == 0 {
			return nil
		}
	}
}

package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadLetter is one escalation in StreamDeadLetter.
type DeadLetter struct {
	Seq        uint64    `json:"seq"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason"`
	Subject    string    `json:"subject"`
	StreamSeq  uint64    `json:"stream_seq"`
	Deliveries uint64    `json:"deliveries"`
	CaseID     string    `json:"case_id,omitempty"`
	Bytes      int       `json:"bytes"`
}

// ErrNoDeadLetter means no dead letter has that sequence.
var ErrNoDeadLetter = errors.New("review: no such dead letter")

func (q *Queue) deadStream(ctx context.Context) (jetstream.Stream, error) {
	s, err := q.js.Stream(ctx, StreamDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("review: stream %s: %w", StreamDeadLetter, err)
	}
	return s, nil
}

func deadLetterOf(m *jetstream.RawStreamMsg) DeadLetter {
	d := DeadLetter{Seq: m.Sequence, At: m.Time, Bytes: len(m.Data)}
	if m.Header != nil {
		d.Reason = m.Header.Get(HeaderDeadReason)
		d.Subject = m.Header.Get(HeaderDeadSubject)
		d.StreamSeq, _ = strconv.ParseUint(m.Header.Get(HeaderDeadSeq), 10, 64)
		d.Deliveries, _ = strconv.ParseUint(m.Header.Get(HeaderDeadDeliveries), 10, 64)
	}
	var head struct {
		CaseID string `json:"case_id"`
	}
	if json.Unmarshal(m.Data, &head) == nil && validID(head.CaseID) {
		d.CaseID = head.CaseID
	}
	return d
}

// DeadLetters lists up to limit dead letters from sequence after+1 on, and
// the total kept.
func (q *Queue) DeadLetters(ctx context.Context, after uint64, limit int) ([]DeadLetter, uint64, error) {
	s, err := q.deadStream(ctx)
	if err != nil {
		return nil, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("review: stream %s: %w", StreamDeadLetter, err)
	}
	q.deadCount.Store(int64(info.State.Msgs))
	out := []DeadLetter{}
	seq := max(after+1, info.State.FirstSeq)
	for len(out) < limit && info.State.Msgs > 0 && seq <= info.State.LastSeq {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(q.subject("deadletter", ">")))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("review: read dead letter %d: %w", seq, err)
		}
		out = append(out, deadLetterOf(m))
		seq = m.Sequence + 1
	}
	return out, info.State.Msgs, nil
}

// DeadLetterCount is the number of dead letters as last seen (refreshed by
// the sweeper and by DeadLetters).
func (q *Queue) DeadLetterCount() int { return int(q.deadCount.Load()) }

func (q *Queue) refreshDeadCount(ctx context.Context) {
	s, err := q.js.Stream(ctx, StreamDeadLetter)
	if err != nil {
		return
	}
	if info, err := s.Info(ctx); err == nil {
		q.deadCount.Store(int64(info.State.Msgs))
	}
}

// ReplayDeadLetter publishes dead letter seq back to the escalation subject
// it came from (after the cause was fixed) and removes it from the
// dead-letter stream. The consumer then handles it like any escalation
// (idempotently: a case that exists meanwhile is not duplicated).
func (q *Queue) ReplayDeadLetter(ctx context.Context, actor string, seq uint64) (DeadLetter, error) {
	s, err := q.deadStream(ctx)
	if err != nil {
		return DeadLetter{}, err
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return DeadLetter{}, ErrNoDeadLetter
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("review: read dead letter %d: %w", seq, err)
	}
	d := deadLetterOf(m)
	// Back to where it came from, but never outside the escalation
	// subjects (the header is as hostile as the message).
	subject := d.Subject
	if prefix := q.cfg.Prefix + ".escalations."; !strings.HasPrefix(subject, prefix) || len(subject) == len(prefix) {
		subject = q.subject("escalations", modgate.LaneNormal)
	}
	out := nats.NewMsg(subject)
	out.Data = m.Data
	// A fresh message id: the original one is inside the duplicate window
	// and would be dropped as a duplicate.
	if _, err := q.js.PublishMsg(ctx, out, jetstream.WithMsgID(fmt.Sprintf("replay:%s:%d", StreamDeadLetter, seq))); err != nil {
		return d, fmt.Errorf("review: replay dead letter %d: %w", seq, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return d, fmt.Errorf("review: remove replayed dead letter %d: %w", seq, err)
	}
	q.refreshDeadCount(ctx)
	q.auditAsync(modgate.AuditEvent{Kind: "dead_letter_replay", Actor: actor, CaseID: d.CaseID,
		Detail: map[string]string{"seq": fmt.Sprint(seq), "reason": d.Reason}})
	return d, nil
}

// Reensure re-creates every stream, bucket and consumer the queue needs
// and restarts the escalation pull if it stopped. Call it after a NATS
// reconnect: a restarted server has lost the memory-storage buckets
// (MODGATE_RATE) and a replaced one everything. Idempotent.
func (q *Queue) Reensure(ctx context.Context) error {
	if err := q.ensureAssetsOnly(ctx); err != nil {
		return err
	}
	q.limiter.forget()
	if err := q.consume(ctx, q.runCtx); err != nil {
		return err
	}
	q.refreshDeadCount(ctx)
	return nil
}

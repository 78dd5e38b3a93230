package review

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/modgate/modgate"
)

// SubjectData is everything the review queue stores about one sender id
// (a PIPL data-subject request).
type SubjectData struct {
	SenderID string          `json:"sender_id"`
	Cases    []*modgate.Case `json:"cases"`
	Strikes  []SubjectStrike `json:"strikes"`
	Reporter *ReporterStats  `json:"reporter,omitempty"`
}

// SubjectStrike is a member record of one tenant.
type SubjectStrike struct {
	Tenant  string   `json:"tenant"`
	Strikes []Strike `json:"strikes"`
}

func (q *Queue) subjectCaseIDs(sender string) []string {
	q.mu.RLock()
	defer q.mu.RUnlock()
	var ids []string
	for id, s := range q.idx {
		if s.SenderID == sender {
			ids = append(ids, id)
		}
	}
	return ids
}

// ExportSubject collects the cases about the sender's messages (with the
// original text), their strike records in every tenant and, when they also
// reported messages, their reporter record. The export is audited.
func (q *Queue) ExportSubject(ctx context.Context, actor, sender string) (*SubjectData, error) {
	if err := checkID("sender", sender, true); err != nil {
		return nil, err
	}
	out := &SubjectData{SenderID: sender, Cases: []*modgate.Case{}, Strikes: []SubjectStrike{}}
	for _, id := range q.subjectCaseIDs(sender) {
		c, err := q.Get(ctx, id)
		if err != nil {
			continue // deleted meanwhile
		}
		out.Cases = append(out.Cases, c)
	}
	recs, err := q.strikes.records(ctx, sender)
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(recs)) {
		out.Strikes = append(out.Strikes, SubjectStrike{Tenant: recs[k].Tenant, Strikes: recs[k].Strikes})
	}
	if rs, rev, err := q.reporters.Stats(ctx, sender); err == nil && rev != 0 {
		out.Reporter = &rs
	}
	if err := q.Audit(ctx, modgate.AuditEvent{Kind: modgate.AuditSubjectExport, Actor: actor, SenderID: sender,
		Detail: map[string]string{"cases": fmt.Sprint(len(out.Cases)), "strike_records": fmt.Sprint(len(out.Strikes))}}); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSubject purges the sender's cases, strike records, reporter
// record (KV purge removes every revision) and, through
// Config.ForgetSender, the records of the conversation window. The audit trail keeps its
// masked entries: the Cybersecurity Law's log retention overrides erasure
// there; the deletion itself is audited. It returns what it removed.
func (q *Queue) DeleteSubject(ctx context.Context, actor, sender string) (map[string]int, error) {
	if err := checkID("sender", sender, true); err != nil {
		return nil, err
	}
	n := map[string]int{"cases": 0, "strike_records": 0, "reporter_records": 0}
	if q.cfg.ForgetSender != nil {
		// The conversation window first: it holds the sender's recent
		// messages (masked) for every replica.
		w, err := q.cfg.ForgetSender(ctx, sender)
		if err != nil {
			return n, fmt.Errorf("review: purge window records: %w", err)
		}
		n["window_records"] = w
	}
	for _, id := range q.subjectCaseIDs(sender) {
		if err := q.cases.Purge(ctx, id); err != nil {
			return n, fmt.Errorf("review: purge case %s: %w", id, err)
		}
		if err := q.dropBodies(ctx, id); err != nil {
			return n, err
		}
		if err := q.unindex(ctx, id); err != nil {
			return n, err
		}
		n["cases"]++
	}
	recs, err := q.strikes.records(ctx, sender)
	if err != nil {
		return n, err
	}
	for k := range recs {
		if err := q.strikes.purge(ctx, k); err != nil {
			return n, fmt.Errorf("review: purge strikes: %w", err)
		}
		n["strike_records"]++
	}
	if _, rev, err := q.reporters.Stats(ctx, sender); err == nil && rev != 0 {
		if err := q.reporters.purge(ctx, sender); err != nil {
			return n, fmt.Errorf("review: purge reporter: %w", err)
		}
		n["reporter_records"]++
	}
	if err := q.Audit(ctx, modgate.AuditEvent{Kind: modgate.AuditSubjectDelete, Actor: actor, SenderID: sender,
		Detail: map[string]string{"cases": fmt.Sprint(n["cases"]), "strike_records": fmt.Sprint(n["strike_records"]),
			"reporter_records": fmt.Sprint(n["reporter_records"]), "window_records": fmt.Sprint(n["window_records"])}}); err != nil {
		return n, err
	}
	return n, nil
}

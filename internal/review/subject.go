package review

import (
	"context"
	"encoding/json"
	"fmt"

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

func (q *Queue) subjectStrikeKeys(ctx context.Context, sender string) ([]string, error) {
	l, err := q.strikes.ListKeysFiltered(ctx, "m.*."+keyPart(sender))
	if err != nil {
		return nil, fmt.Errorf("review: list strikes: %w", err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
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
	keys, err := q.subjectStrikeKeys(ctx, sender)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		e, err := q.strikes.Get(ctx, k)
		if err != nil {
			continue
		}
		var rec strikeRecord
		if json.Unmarshal(e.Value(), &rec) == nil {
			out.Strikes = append(out.Strikes, SubjectStrike{Tenant: rec.Tenant, Strikes: rec.Strikes})
		}
	}
	if rs, rev, err := q.Reporter(ctx, sender); err == nil && rev != 0 {
		out.Reporter = &rs
	}
	if err := q.Audit(ctx, modgate.AuditEvent{Kind: modgate.AuditSubjectExport, Actor: actor, SenderID: sender,
		Detail: map[string]string{"cases": fmt.Sprint(len(out.Cases)), "strike_records": fmt.Sprint(len(out.Strikes))}}); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSubject purges the sender's cases, strike records and reporter
// record (KV purge removes every revision). The audit trail keeps its
// masked entries: the Cybersecurity Law's log retention overrides erasure
// there; the deletion itself is audited. It returns what it removed.
func (q *Queue) DeleteSubject(ctx context.Context, actor, sender string) (map[string]int, error) {
	if err := checkID("sender", sender, true); err != nil {
		return nil, err
	}
	n := map[string]int{"cases": 0, "strike_records": 0, "reporter_records": 0}
	for _, id := range q.subjectCaseIDs(sender) {
		if err := q.cases.Purge(ctx, id); err != nil {
			return n, fmt.Errorf("review: purge case %s: %w", id, err)
		}
		if err := q.dropBodies(ctx, id); err != nil {
			return n, err
		}
		n["cases"]++
	}
	keys, err := q.subjectStrikeKeys(ctx, sender)
	if err != nil {
		return n, err
	}
	for _, k := range keys {
		if err := q.strikes.Purge(ctx, k); err != nil {
			return n, fmt.Errorf("review: purge strikes: %w", err)
		}
		n["strike_records"]++
	}
	if _, rev, err := q.Reporter(ctx, sender); err == nil && rev != 0 {
		if err := q.reporters.Purge(ctx, "r."+keyPart(sender)); err != nil {
			return n, fmt.Errorf("review: purge reporter: %w", err)
		}
		n["reporter_records"]++
	}
	if err := q.Audit(ctx, modgate.AuditEvent{Kind: modgate.AuditSubjectDelete, Actor: actor, SenderID: sender,
		Detail: map[string]string{"cases": fmt.Sprint(n["cases"]), "strike_records": fmt.Sprint(n["strike_records"]),
			"reporter_records": fmt.Sprint(n["reporter_records"])}}); err != nil {
		return n, err
	}
	return n, nil
}

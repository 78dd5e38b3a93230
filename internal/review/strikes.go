package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go/jetstream"
)

// Strike is one confirmed violation of a member.
type Strike struct {
	CaseID string    `json:"case_id"`
	Ads    bool      `json:"ads"`
	Labels []string  `json:"labels,omitempty"`
	At     time.Time `json:"at"`
}

type strikeRecord struct {
	Tenant  string   `json:"tenant"`
	Sender  string   `json:"sender"`
	Strikes []Strike `json:"strikes"`
}

// maxStrikes caps the strikes kept per member.
const maxStrikes = 50

func strikeKey(tenant, sender string) string { return "m." + keyPart(tenant) + "." + keyPart(sender) }

// live drops strikes older than the TTL. The bucket's MaxAge removes whole
// records of members without a new strike for that long.
func (q *Queue) live(ss []Strike, now time.Time) []Strike {
	out := ss[:0:0]
	for _, s := range ss {
		if now.Sub(s.At) < q.cfg.StrikeTTL {
			out = append(out, s)
		}
	}
	return out
}

// strikeSnap is a strike record with the revision it was read at.
type strikeSnap struct {
	rec strikeRecord
	rev uint64
}

func (q *Queue) strikeRecord(ctx context.Context, key string) (strikeRecord, uint64, error) {
	var rec strikeRecord
	e, err := q.strikes.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return rec, 0, nil
	case err != nil:
		return rec, 0, fmt.Errorf("review: strikes: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return rec, 0, fmt.Errorf("review: decode strikes: %w", err)
	}
	return rec, e.Revision(), nil
}

// Strikes lists a member's unexpired confirmed violations ("how many and which").
func (q *Queue) Strikes(ctx context.Context, tenant, sender string) ([]Strike, error) {
	if sender == "" {
		return nil, nil
	}
	e, err := q.strikes.Get(ctx, strikeKey(tenant, sender))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("review: strikes: %w", err)
	}
	var rec strikeRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, fmt.Errorf("review: decode strikes: %w", err)
	}
	return q.live(rec.Strikes, time.Now()), nil
}

func countStrikes(ss []Strike) modgate.Violations {
	v := modgate.Violations{Count: len(ss)}
	for _, s := range ss {
		if s.Ads {
			v.Ads++
		}
	}
	return v
}

// Violations is the member's confirmed-violation count for the policy input
// (the screening path calls it for every message with a sender).
func (q *Queue) Violations(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
	ss, err := q.Strikes(ctx, tenant, sender)
	if err != nil {
		return modgate.Violations{}, err
	}
	return countStrikes(ss), nil
}

// recordStrike adds the strike of caseID once (idempotent) and returns the
// member's violations afterwards.
// pre, when not nil, is the record as read moments ago (Decide reads it
// for the enforcement rule); a stale one just costs a CAS retry.
func (q *Queue) recordStrike(ctx context.Context, tenant, sender, caseID string, ads bool, labels []string, at time.Time, pre *strikeSnap) (modgate.Violations, error) {
	key := strikeKey(tenant, sender)
	for try := 0; try < 16; try++ {
		var rec strikeRecord
		var rev uint64
		var err error
		if pre != nil && try == 0 {
			rec, rev = pre.rec, pre.rev
			rec.Strikes = append([]Strike(nil), rec.Strikes...)
		} else if rec, rev, err = q.strikeRecord(ctx, key); err != nil {
			return modgate.Violations{}, err
		}
		rec.Tenant, rec.Sender = tenant, sender
		rec.Strikes = q.live(rec.Strikes, time.Now())
		for _, s := range rec.Strikes {
			if s.CaseID == caseID {
				return countStrikes(rec.Strikes), nil
			}
		}
		rec.Strikes = append(rec.Strikes, Strike{CaseID: caseID, Ads: ads, Labels: labels, At: at})
		if len(rec.Strikes) > maxStrikes {
			// The rule needs a handful; keep the newest so the record stays small.
			rec.Strikes = rec.Strikes[len(rec.Strikes)-maxStrikes:]
		}
		b, _ := json.Marshal(rec)
		if rev == 0 {
			_, err = q.strikes.Create(ctx, key, b)
		} else {
			_, err = q.strikes.Update(ctx, key, b, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return modgate.Violations{}, fmt.Errorf("review: write strikes: %w", err)
		}
		return countStrikes(rec.Strikes), nil
	}
	return modgate.Violations{}, ErrContended
}

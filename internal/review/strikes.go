package review

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
)

// Strike is one confirmed violation of a member.
type Strike struct {
	CaseID string    `json:"case_id"`
	Ads    bool      `json:"ads"`
	Labels []string  `json:"labels,omitempty"`
	At     time.Time `json:"at"`
	// Round is the decision round of the case that counted it (a
	// reversal starts a new one).
	Round int `json:"round,omitempty"`
}

type strikeRecord struct {
	Tenant  string   `json:"tenant"`
	Sender  string   `json:"sender"`
	Strikes []Strike `json:"strikes"`
}

// maxStrikes caps the strikes kept per member.
const maxStrikes = 50

// Strikes keeps members' confirmed violations (MODGATE_STRIKES), one record
// per tenant and sender; a strike counts for ttl.
type Strikes struct {
	kv    KV
	ttl   time.Duration
	clock clock.Clock
}

// NewStrikes keeps records in kv; strikes count for ttl on clk (nil: the
// system clock).
func NewStrikes(kv KV, ttl time.Duration, clk clock.Clock) *Strikes {
	return &Strikes{kv: kv, ttl: ttl, clock: clock.Or(clk)}
}

func strikeKey(tenant, sender string) string { return "m." + keyPart(tenant) + "." + keyPart(sender) }

// live drops strikes older than the TTL. The bucket's MaxAge removes whole
// records of members without a new strike for that long.
func (s *Strikes) live(ss []Strike, now time.Time) []Strike {
	return slices.DeleteFunc(slices.Clone(ss), func(x Strike) bool { return now.Sub(x.At) >= s.ttl })
}

// strikeSnap is a strike record with the revision it was read at.
type strikeSnap struct {
	rec strikeRecord
	rev uint64
}

func (s *Strikes) record(ctx context.Context, key string) (strikeRecord, uint64, error) {
	rec, rev, err := getJSON[strikeRecord](ctx, s.kv, key)
	if err != nil {
		return rec, 0, fmt.Errorf("review: strikes: %w", err)
	}
	return rec, rev, nil
}

// List returns a member's unexpired confirmed violations ("how many and
// which").
func (s *Strikes) List(ctx context.Context, tenant, sender string) ([]Strike, error) {
	if sender == "" {
		return nil, nil
	}
	rec, _, err := s.record(ctx, strikeKey(tenant, sender))
	if err != nil {
		return nil, err
	}
	return s.live(rec.Strikes, s.clock.Now()), nil
}

// CountStrikes is the violation count of a member's live strikes.
func CountStrikes(ss []Strike) modgate.Violations {
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
func (s *Strikes) Violations(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
	ss, err := s.List(ctx, tenant, sender)
	if err != nil {
		return modgate.Violations{}, err
	}
	return CountStrikes(ss), nil
}

// add records the strike of caseID once (idempotent) and returns the
// member's violations afterwards. pre, when not nil, is the record as read
// moments ago (Decide reads it for the enforcement rule); a stale one just
// costs a compare-and-set retry.
func (s *Strikes) add(ctx context.Context, tenant, sender string, st Strike, pre *strikeSnap) (modgate.Violations, error) {
	key := strikeKey(tenant, sender)
	return retryCAS(casTries, func(try int) (modgate.Violations, error) {
		rec, rev := strikeRecord{}, uint64(0)
		if pre != nil && try == 0 {
			rec, rev = pre.rec, pre.rev
		} else {
			var err error
			if rec, rev, err = s.record(ctx, key); err != nil {
				return modgate.Violations{}, err
			}
		}
		rec.Tenant, rec.Sender = tenant, sender
		rec.Strikes = s.live(rec.Strikes, s.clock.Now())
		if slices.ContainsFunc(rec.Strikes, func(x Strike) bool { return x.CaseID == st.CaseID && x.Round == st.Round }) {
			return CountStrikes(rec.Strikes), nil
		}
		rec.Strikes = append(rec.Strikes, st)
		if len(rec.Strikes) > maxStrikes {
			// The rule needs a handful; keep the newest so the record stays small.
			rec.Strikes = rec.Strikes[len(rec.Strikes)-maxStrikes:]
		}
		b, err := jsonMarshal(rec)
		if err != nil {
			return modgate.Violations{}, err
		}
		if _, err := put(ctx, s.kv, key, b, rev); err != nil {
			return modgate.Violations{}, err
		}
		return CountStrikes(rec.Strikes), nil
	})
}

// remove takes back the strikes case caseID counted in rounds up to round
// (a reversed decision). It is idempotent and reports whether a strike
// went, with the member's violations afterwards.
func (s *Strikes) remove(ctx context.Context, tenant, sender, caseID string, round int) (modgate.Violations, bool, error) {
	key := strikeKey(tenant, sender)
	removed := false
	v, err := retryCAS(casTries, func(int) (modgate.Violations, error) {
		removed = false
		rec, rev, err := s.record(ctx, key)
		if err != nil {
			return modgate.Violations{}, err
		}
		live := s.live(rec.Strikes, s.clock.Now())
		kept := slices.DeleteFunc(slices.Clone(rec.Strikes), func(x Strike) bool { return x.CaseID == caseID && x.Round <= round })
		if len(kept) == len(rec.Strikes) || rev == 0 {
			return CountStrikes(live), nil
		}
		removed = true
		rec.Strikes = kept
		b, err := jsonMarshal(rec)
		if err != nil {
			return modgate.Violations{}, err
		}
		if _, err := put(ctx, s.kv, key, b, rev); err != nil {
			return modgate.Violations{}, err
		}
		return CountStrikes(s.live(kept, s.clock.Now())), nil
	})
	return v, removed, err
}

// records lists every tenant's record of sender (subject requests).
func (s *Strikes) records(ctx context.Context, sender string) (map[string]strikeRecord, error) {
	keys, err := s.kv.Keys(ctx, "m.*."+keyPart(sender))
	if err != nil {
		return nil, fmt.Errorf("review: list strikes: %w", err)
	}
	out := map[string]strikeRecord{}
	for _, k := range keys {
		if rec, rev, err := s.record(ctx, k); err == nil && rev != 0 {
			out[k] = rec
		}
	}
	return out, nil
}

// purge removes one record.
func (s *Strikes) purge(ctx context.Context, key string) error { return s.kv.Purge(ctx, key) }

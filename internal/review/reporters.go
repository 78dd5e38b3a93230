package review

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/modgate/modgate/internal/clock"
)

// Reporters keeps reporters' track records (MODGATE_REPORTERS) and the
// create-only markers that count each decided report once
// (MODGATE_REPORT_DEDUP).
type Reporters struct {
	kv, markers KV
	clock       clock.Clock
	mu          sync.Mutex
	cache       map[string]reporterCached
}

type reporterCached struct {
	s  ReporterStats
	at time.Time
}

// reporterCacheTTL: weights only change when a reported case is decided,
// so a few seconds of staleness cost nothing and save a round trip per
// report.
const reporterCacheTTL = 5 * time.Second

// NewReporters keeps records in kv and outcome markers in markers.
func NewReporters(kv, markers KV, clk clock.Clock) *Reporters {
	return &Reporters{kv: kv, markers: markers, clock: clock.Or(clk), cache: map[string]reporterCached{}}
}

func reporterKey(reporter string) string { return "r." + keyPart(reporter) }

// Stats returns a reporter's record and its revision (0: none yet).
func (r *Reporters) Stats(ctx context.Context, reporter string) (ReporterStats, uint64, error) {
	s, rev, err := getJSON[ReporterStats](ctx, r.kv, reporterKey(reporter))
	if err != nil {
		return s, 0, fmt.Errorf("review: reporter stats: %w", err)
	}
	s.Reporter = reporter
	return s, rev, nil
}

// cached is Stats through a short per-process cache.
func (r *Reporters) cached(ctx context.Context, reporter string) (ReporterStats, error) {
	now := r.clock.Now()
	r.mu.Lock()
	e, ok := r.cache[reporter]
	r.mu.Unlock()
	if ok && now.Sub(e.at) < reporterCacheTTL {
		return e.s, nil
	}
	s, _, err := r.Stats(ctx, reporter)
	if err != nil {
		return s, err
	}
	r.mu.Lock()
	if len(r.cache) > 50000 {
		clear(r.cache)
	}
	r.cache[reporter] = reporterCached{s: s, at: now}
	r.mu.Unlock()
	return s, nil
}

// outcome counts one decided report towards the reporter's accuracy, once
// per case and reporter (a create-only marker).
func (r *Reporters) outcome(ctx context.Context, caseID, reporter string, upheld bool) error {
	_, err := r.markers.Create(ctx, "o."+caseID+"."+hashKey(reporter), []byte{'1'})
	if errors.Is(err, errConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("review: outcome marker: %w", err)
	}
	_, err = updateJSON(ctx, r.kv, reporterKey(reporter), func(s *ReporterStats) error {
		s.Reporter = reporter
		s.Total++
		if upheld {
			s.Upheld++
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrContended) {
		return fmt.Errorf("review: reporter stats: %w", err)
	}
	return err
}

// purge removes a reporter's record (subject deletion).
func (r *Reporters) purge(ctx context.Context, reporter string) error {
	return r.kv.Purge(ctx, reporterKey(reporter))
}

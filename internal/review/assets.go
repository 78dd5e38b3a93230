package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/nats-io/nats.go/jetstream"
)

// ensureAssets creates the streams and buckets idempotently and keeps the
// handles. Existing streams keep their configuration except for the
// retention we own.
func (q *Queue) ensureAssets(ctx context.Context) error { return q.ensure(ctx, true) }

// ensureAssetsOnly re-creates what is missing without replacing the
// handles other goroutines use (they address assets by name, so the old
// handles work on re-created assets).
func (q *Queue) ensureAssetsOnly(ctx context.Context) error { return q.ensure(ctx, false) }

func (q *Queue) ensure(ctx context.Context, assign bool) error {
	c := q.cfg
	p := c.Prefix
	if c.CreateEscalationStream {
		if _, err := q.js.Stream(ctx, modgate.StreamEscalations); errors.Is(err, jetstream.ErrStreamNotFound) {
			// The gateway's own constructor, so tests run on the stream
			// production has.
			_, err = q.js.CreateStream(ctx, natsutil.EscalationsStreamConfig(natsutil.StreamOptions{Prefix: p, Replicas: c.Replicas}))
			if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				return fmt.Errorf("review: create stream %s: %w", modgate.StreamEscalations, err)
			}
		} else if err != nil {
			return fmt.Errorf("review: stream %s: %w", modgate.StreamEscalations, err)
		}
	}
	streams := []jetstream.StreamConfig{
		{
			Name: StreamEvents,
			Subjects: []string{p + ".decisions.>", p + ".enforcement.>",
				p + ".reports.>", p + ".appeals.>"},
			Retention:  jetstream.LimitsPolicy,
			Storage:    jetstream.FileStorage,
			Replicas:   c.Replicas,
			MaxAge:     c.EventsMaxAge,
			Duplicates: 10 * time.Minute,
		},
		{
			Name:      StreamAudit,
			Subjects:  []string{p + ".audit.>"},
			Retention: jetstream.LimitsPolicy,
			Storage:   jetstream.FileStorage,
			Replicas:  c.Replicas,
			MaxAge:    c.AuditMaxAge,
			// Append-only: nobody deletes or purges audit entries via the API.
			DenyDelete: true,
			DenyPurge:  true,
		},
		{
			Name:        StreamSearch,
			Description: "modgate review: search index, one subject per indexed value of a case",
			Subjects:    []string{p + ".search.>"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    c.Replicas,
			// A posting is there or not: one message per subject.
			MaxMsgsPerSubject: 1,
		},
		{
			Name:        StreamDeadLetter,
			Description: "modgate review: escalations that could not become cases",
			Subjects:    []string{p + ".deadletter.>"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    c.Replicas,
			MaxAge:      c.DeadLetterMaxAge,
			Duplicates:  10 * time.Minute,
		},
	}
	for _, sc := range streams {
		st, err := q.js.CreateOrUpdateStream(ctx, sc)
		if err != nil {
			return fmt.Errorf("review: stream %s: %w", sc.Name, err)
		}
		if sc.Name == StreamSearch && assign {
			q.search = st
		}
	}
	kvs := []jetstream.KeyValueConfig{
		{Bucket: BucketCases, Description: "modgate review cases"},
		{Bucket: BucketReporters, Description: "reporter accuracy (upheld/total)"},
		{Bucket: BucketReportDup, Description: "one report per reporter per case; outcome markers", TTL: c.EventsMaxAge},
		// Rate windows are short-lived: memory storage (a NATS restart resets them).
		{Bucket: BucketRate, Description: "report rate-limit windows", TTL: 2 * c.ReportWindow, Storage: jetstream.MemoryStorage},
		{Bucket: BucketStrikes, Description: "confirmed violations per member", TTL: c.StrikeTTL},
		{Bucket: BucketSessions, Description: "reviewer sessions", TTL: c.SessionTTL},
	}
	buckets := map[string]jetstream.KeyValue{}
	for _, kc := range kvs {
		kc.Replicas = c.Replicas
		if kc.Storage != jetstream.MemoryStorage {
			kc.Storage = jetstream.FileStorage
		}
		kv, err := q.js.CreateOrUpdateKeyValue(ctx, kc)
		if err != nil {
			return fmt.Errorf("review: bucket %s: %w", kc.Bucket, err)
		}
		buckets[kc.Bucket] = kv
	}
	if assign {
		q.cases = buckets[BucketCases]
		q.dedup = NATSKV(buckets[BucketReportDup])
		q.sessions = NewSessions(NATSKV(buckets[BucketSessions]), c.SessionTTL, c.SessionMaxAge, q.clock)
		q.limiter = NewLimiter(NATSKV(buckets[BucketRate]), q.clock)
		q.reporters = NewReporters(NATSKV(buckets[BucketReporters]), q.dedup, q.clock)
		q.strikes = NewStrikes(NATSKV(buckets[BucketStrikes]), c.StrikeTTL, q.clock)
	}
	obs, err := q.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: BucketCaseBodies,
		Description: "modgate review: text of cases too large for one KV value", Storage: jetstream.FileStorage, Replicas: c.Replicas})
	if err != nil {
		return fmt.Errorf("review: object store %s: %w", BucketCaseBodies, err)
	}
	if assign {
		q.bodies = obs
	}
	return nil
}

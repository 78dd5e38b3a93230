// Package presence tells each gateway replica how many replicas are alive,
// through a NATS KV bucket every replica heartbeats into. Per-tenant rate
// limits divide by that count, so the configured rate holds for the whole
// deployment rather than once per replica, without a NATS round trip on the
// screening path.
package presence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the KV bucket replicas heartbeat into (memory storage: after a
// NATS restart it refills within one heartbeat).
const Bucket = "MODGATE_REPLICAS"

// Config sets the heartbeat.
type Config struct {
	ID       string        // this replica's id (unique per process)
	Every    time.Duration // heartbeat period (default 2s)
	TTL      time.Duration // a replica silent this long is gone (default 3×Every)
	Replicas int           // JetStream replicas of the bucket (default 1)
	Logger   *slog.Logger
	// OnChange is called with the live replica count (≥ 1) whenever it changes.
	OnChange func(n int)
}

// Run heartbeats and counts replicas until ctx is done.
func Run(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	if cfg.ID == "" {
		return errors.New("presence: empty replica id")
	}
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 3 * cfg.Every
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	bucket := jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "live gateway replicas (heartbeats)",
		TTL: cfg.TTL, Storage: jetstream.MemoryStorage, Replicas: cfg.Replicas, History: 1,
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, bucket)
	if err != nil {
		return fmt.Errorf("presence: bucket %s: %w", Bucket, err)
	}
	last := 0
	tick := time.NewTicker(cfg.Every)
	defer tick.Stop()
	for {
		if n, err := beat(ctx, kv, cfg.ID); err != nil {
			if ctx.Err() == nil {
				cfg.Logger.Warn("presence: heartbeat failed; keeping the last replica count", "err", err, "replicas", last)
				// A restarted NATS server has lost the memory-storage
				// bucket: create it again (idempotent when it exists).
				if _, cerr := js.CreateOrUpdateKeyValue(ctx, bucket); cerr != nil {
					cfg.Logger.Warn("presence: re-create bucket", "err", cerr)
				}
			}
		} else if n != last {
			last = n
			if cfg.OnChange != nil {
				cfg.OnChange(n)
			}
		}
		select {
		case <-ctx.Done():
			// Leave at once so the others take over the whole rate.
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = kv.Delete(dctx, cfg.ID)
			cancel()
			return nil
		case <-tick.C:
		}
	}
}

// beat refreshes this replica's key and counts the live keys.
func beat(ctx context.Context, kv jetstream.KeyValue, id string) (int, error) {
	if _, err := kv.Put(ctx, id, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return 0, err
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for range lister.Keys() {
		n++
	}
	return max(n, 1), nil
}

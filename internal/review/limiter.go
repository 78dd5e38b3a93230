package review

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/modgate/modgate/internal/clock"
)

// Limiter counts events against fixed-window limits held in a KV bucket
// (MODGATE_RATE), so the limits hold across replicas: report floods,
// failed logins, wrong old passwords.
type Limiter struct {
	kv    KV
	clock clock.Clock
	mu    sync.Mutex
	cache map[string]rateEntry // last counter seen per window key
}

type rateEntry struct{ n, rev uint64 }

// NewLimiter counts in kv on clk (nil: the system clock).
func NewLimiter(kv KV, clk clock.Clock) *Limiter {
	return &Limiter{kv: kv, clock: clock.Or(clk), cache: map[string]rateEntry{}}
}

func (l *Limiter) key(scope, id string, window time.Duration) string {
	slot := l.clock.Now().UnixNano() / int64(window)
	return "w." + scope + "." + hashKey(id) + "." + fmt.Sprint(slot)
}

// Allow counts one event against the limit of scope and id in the current
// window. It returns false (and counts nothing) once the limit is reached.
// The last seen counter is cached, so the common case is one
// compare-and-set round trip.
func (l *Limiter) Allow(ctx context.Context, scope, id string, limit int, window time.Duration) (bool, error) {
	key := l.key(scope, id, window)
	l.mu.Lock()
	cached, haveCache := l.cache[key]
	l.mu.Unlock()
	return retryCAS(2*casTries, func(try int) (bool, error) {
		var n, rev uint64
		if haveCache && try == 0 {
			n, rev = cached.n, cached.rev
		} else {
			b, r, err := l.kv.Get(ctx, key)
			switch {
			case errors.Is(err, ErrNoKey):
			case err != nil:
				return false, fmt.Errorf("review: rate limit: %w", err)
			default:
				if len(b) == 8 {
					n = binary.BigEndian.Uint64(b)
				}
				rev = r
			}
		}
		if n >= uint64(limit) {
			return false, nil
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], n+1)
		newRev, err := put(ctx, l.kv, key, b[:], rev)
		if err != nil {
			return false, err
		}
		l.mu.Lock()
		if len(l.cache) > 50000 {
			clear(l.cache)
		}
		l.cache[key] = rateEntry{n: n + 1, rev: newRev}
		l.mu.Unlock()
		return true, nil
	})
}

// Count reads the current window of a limit Allow counts.
func (l *Limiter) Count(ctx context.Context, scope, id string, window time.Duration) (int, error) {
	b, _, err := l.kv.Get(ctx, l.key(scope, id, window))
	if errors.Is(err, ErrNoKey) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("review: rate limit: %w", err)
	}
	if len(b) != 8 {
		return 0, nil
	}
	return int(binary.BigEndian.Uint64(b)), nil
}

// forget drops the cached counters: after the bucket was lost (a NATS
// restart empties memory storage) their revisions mean nothing.
func (l *Limiter) forget() {
	l.mu.Lock()
	clear(l.cache)
	l.mu.Unlock()
}

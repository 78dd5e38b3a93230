package review

import (
	"context"
	"sync"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
)

// ViolationLookup finds a sender's confirmed violations (Queue.Violations).
type ViolationLookup func(ctx context.Context, tenant, sender string) (modgate.Violations, error)

// ViolationCache remembers senders' violation counts briefly for the
// screening path: the lookup is a JetStream KV read per message (it cost
// more CPU than the whole policy step under load), while a count only
// changes when a reviewer decides a case, so a few seconds of staleness is
// harmless. Bounded: the map is dropped when it reaches max entries.
type ViolationCache struct {
	ttl    time.Duration
	max    int
	clock  clock.Clock
	lookup ViolationLookup
	mu     sync.Mutex
	m      map[string]violationEntry
}

type violationEntry struct {
	v  modgate.Violations
	at time.Time
}

// NewViolationCache caches lookup for ttl (0: no caching), at most max
// senders, on clk (nil: the system clock).
func NewViolationCache(ttl time.Duration, max int, clk clock.Clock, lookup ViolationLookup) *ViolationCache {
	return &ViolationCache{ttl: ttl, max: max, clock: clock.Or(clk), lookup: lookup, m: map[string]violationEntry{}}
}

// Violations is the cached lookup (a ViolationLookup itself).
func (c *ViolationCache) Violations(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
	if c.ttl <= 0 {
		return c.lookup(ctx, tenant, sender)
	}
	key := tenant + "\x00" + sender
	now := c.clock.Now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.v, nil
	}
	v, err := c.lookup(ctx, tenant, sender)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[string]violationEntry, c.max/4)
	}
	c.m[key] = violationEntry{v: v, at: now}
	c.mu.Unlock()
	return v, nil
}

package review

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
)

func TestViolationCache(t *testing.T) {
	calls := 0
	count := 1
	lookup := func(_ context.Context, tenant, sender string) (modgate.Violations, error) {
		calls++
		if sender == "err" {
			return modgate.Violations{}, fmt.Errorf("nats down")
		}
		return modgate.Violations{Count: count}, nil
	}
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	c := NewViolationCache(50*time.Millisecond, 2, clk, lookup)
	if v, _ := c.Violations(ctx, "t", "u1"); v.Count != 1 {
		t.Fatalf("first get %v", v)
	}
	count = 2
	clk.Advance(49 * time.Millisecond)
	if v, _ := c.Violations(ctx, "t", "u1"); v.Count != 1 || calls != 1 {
		t.Fatalf("cached get %v after %d calls", v, calls)
	}
	clk.Advance(time.Millisecond)
	if v, _ := c.Violations(ctx, "t", "u1"); v.Count != 2 || calls != 2 {
		t.Fatalf("expired get %v after %d calls", v, calls)
	}
	if _, err := c.Violations(ctx, "t", "err"); err == nil {
		t.Fatal("lookup error swallowed")
	}
	if _, err := c.Violations(ctx, "t", "err"); err == nil || calls != 4 {
		t.Fatalf("errors must not be cached (calls %d)", calls)
	}
	c.Violations(ctx, "t", "u2")
	c.Violations(ctx, "t", "u3") // over max: the map is dropped, stays bounded
	if len(c.m) > 2 {
		t.Fatalf("cache grew to %d", len(c.m))
	}
	off := NewViolationCache(0, 10, clk, lookup)
	before := calls
	off.Violations(ctx, "t", "u1")
	off.Violations(ctx, "t", "u1")
	if calls != before+2 {
		t.Fatal("ttl 0 must not cache")
	}
}

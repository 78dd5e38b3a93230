package api

import (
	"context"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// The reviewer API's small stores, as interfaces: a gateway passes the
// review queue's (all in NATS, shared by the replicas); tests of the
// handlers that need no case workflow pass stores over review.MemoryKV.

// SessionStore keeps reviewer sessions (review.Sessions).
type SessionStore interface {
	Create(ctx context.Context, user, role string) (string, review.Session, error)
	Lookup(ctx context.Context, token string) (review.Session, error)
	Delete(ctx context.Context, token string) error
	DeleteUser(ctx context.Context, user string) error
}

// LoginLimiter throttles failed logins and wrong old passwords across
// replicas (review.Limiter).
type LoginLimiter interface {
	LoginAllowed(ctx context.Context, user, client string) (bool, error)
	LoginFailed(ctx context.Context, user, client string) error
	PasswordChangeAllowed(ctx context.Context, user string) (bool, error)
	PasswordChangeFailed(ctx context.Context, user string) error
}

// AuditLog records what reviewers do (review.Queue's audit stream).
type AuditLog interface {
	Audit(ctx context.Context, ev modgate.AuditEvent) error
}

// StrikeStore lists a member's confirmed violations (review.Strikes).
type StrikeStore interface {
	List(ctx context.Context, tenant, sender string) ([]review.Strike, error)
}

// withQueueStores fills the stores d leaves nil from the queue.
func (d ReviewDeps) withQueueStores() ReviewDeps {
	if q := d.Queue; q != nil {
		if d.Sessions == nil {
			d.Sessions = q.Sessions()
		}
		if d.Limiter == nil {
			d.Limiter = q.Limiter()
		}
		if d.Audit == nil {
			d.Audit = q
		}
		if d.Strikes == nil {
			d.Strikes = q.Strikes()
		}
	}
	return d
}

package reviewui

import (
	"context"
	"errors"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// ReviewSessions is the SessionStore backed by the review package: the
// users file checks passwords, sessions live in the NATS KV bucket the
// reviewer API reads (so a cookie made here authenticates /v1/review on
// every replica), and logins/logouts go to the audit trail.
type ReviewSessions struct {
	Queue *review.Queue
	Users *review.Users
}

// NewReviewSessions returns the session store for the UI.
func NewReviewSessions(q *review.Queue, users *review.Users) *ReviewSessions {
	return &ReviewSessions{Queue: q, Users: users}
}

// Login checks the password and opens a session.
func (s *ReviewSessions) Login(ctx context.Context, user, password string) (string, Identity, error) {
	// The same budget as the API's login (failed attempts per user and
	// client and per client, counted in NATS so replicas share it); the
	// handler puts the client address in ctx.
	client := review.ClientFrom(ctx)
	ok, err := s.Queue.Limiter().LoginAllowed(ctx, user, client)
	if err != nil {
		return "", Identity{}, err
	}
	if !ok {
		return "", Identity{}, ErrRateLimited
	}
	u, err := s.Users.Authenticate(user, password)
	if errors.Is(err, review.ErrBadCredentials) {
		_ = s.Queue.Limiter().LoginFailed(ctx, user, client)
		return "", Identity{}, ErrBadCredentials
	}
	if err != nil {
		return "", Identity{}, err
	}
	tok, sess, err := s.Queue.Sessions().Create(ctx, u.Name, u.Role)
	if err != nil {
		return "", Identity{}, err
	}
	s.audit(ctx, modgate.AuditLogin, u.Name)
	return tok, Identity{User: sess.User, Role: sess.Role, CSRF: sess.CSRF}, nil
}

// Lookup finds a live session. The role comes from the users file as it
// is now, so a demoted or removed user loses access at once.
func (s *ReviewSessions) Lookup(ctx context.Context, token string) (Identity, error) {
	sess, err := s.Queue.Sessions().Lookup(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	role := sess.Role
	if s.Users != nil {
		u, ok := s.Users.Lookup(sess.User)
		if !ok {
			return Identity{}, review.ErrNoSession
		}
		role = u.Role
	}
	return Identity{User: sess.User, Role: role, CSRF: sess.CSRF}, nil
}

// Logout ends the session.
func (s *ReviewSessions) Logout(ctx context.Context, token string) error {
	sess, err := s.Queue.Sessions().Lookup(ctx, token)
	if err := s.Queue.Sessions().Delete(ctx, token); err != nil {
		return err
	}
	if err == nil {
		s.audit(ctx, modgate.AuditSessionRevoked, sess.User)
	}
	return nil
}

func (s *ReviewSessions) audit(ctx context.Context, kind, user string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = s.Queue.Audit(ctx, modgate.AuditEvent{Kind: kind, Actor: user, Detail: map[string]string{"via": "review-ui"}, At: time.Now().UTC()})
}

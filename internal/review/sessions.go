package review

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modgate/modgate/internal/clock"
)

// Session is a logged-in reviewer. Bearer tokens and the UI's cookies share
// this store, so a session made on one replica works on every replica.
type Session struct {
	User    string    `json:"user"`
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
	Expires time.Time `json:"expires"` // absolute end
}

// ErrNoSession means the token is unknown, expired or revoked.
var ErrNoSession = errors.New("review: no such session")

// Sessions is the session store: bucket MODGATE_SESSIONS whose MaxAge is
// the idle timeout; keys are SHA-256 of the token, so the bucket never
// holds a usable token.
type Sessions struct {
	kv          KV
	ttl, maxAge time.Duration
	clock       clock.Clock
}

// NewSessions keeps sessions in kv: idle for ttl or older than maxAge, a
// session ends. clk is the clock (nil: the system clock).
func NewSessions(kv KV, ttl, maxAge time.Duration, clk clock.Clock) *Sessions {
	return &Sessions{kv: kv, ttl: ttl, maxAge: maxAge, clock: clock.Or(clk)}
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "s." + hex.EncodeToString(sum[:])
}

// Create starts a session and returns its token (shown once).
func (s *Sessions) Create(ctx context.Context, user, role string) (string, Session, error) {
	now := s.clock.Now().UTC()
	sess := Session{User: user, Role: role, CSRF: rand.Text(), Created: now, Seen: now, Expires: now.Add(s.maxAge)}
	token := rand.Text()
	b, _ := json.Marshal(sess)
	if _, err := s.kv.Create(ctx, sessionKey(token), b); err != nil {
		return "", Session{}, fmt.Errorf("review: create session: %w", err)
	}
	return token, sess, nil
}

// Lookup returns the session of token and refreshes its idle timer.
func (s *Sessions) Lookup(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrNoSession
	}
	key := sessionKey(token)
	sess, rev, err := getJSON[Session](ctx, s.kv, key)
	if err != nil {
		return Session{}, fmt.Errorf("review: session: %w", err)
	}
	if rev == 0 {
		return Session{}, ErrNoSession
	}
	now := s.clock.Now().UTC()
	if !now.Before(sess.Expires) || now.Sub(sess.Seen) >= s.ttl {
		_ = s.kv.Purge(ctx, key)
		return Session{}, ErrNoSession
	}
	// Rewriting resets the bucket's MaxAge clock; do it rarely.
	if now.Sub(sess.Seen) > s.ttl/8 {
		sess.Seen = now
		b, _ := json.Marshal(sess)
		_, _ = s.kv.Update(ctx, key, b, rev)
	}
	return sess, nil
}

// Delete ends a session (logout).
func (s *Sessions) Delete(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	if err := s.kv.Purge(ctx, sessionKey(token)); err != nil {
		return fmt.Errorf("review: delete session: %w", err)
	}
	return nil
}

// DeleteUser ends every session of user (password change, removal).
func (s *Sessions) DeleteUser(ctx context.Context, user string) error {
	keys, err := s.kv.Keys(ctx, ">")
	if err != nil {
		return fmt.Errorf("review: list sessions: %w", err)
	}
	for _, k := range keys {
		if sess, rev, err := getJSON[Session](ctx, s.kv, k); err == nil && rev != 0 && sess.User == user {
			_ = s.kv.Purge(ctx, k)
		}
	}
	return nil
}

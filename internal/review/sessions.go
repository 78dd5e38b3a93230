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

	"github.com/nats-io/nats.go/jetstream"
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
	kv          jetstream.KeyValue
	ttl, maxAge time.Duration
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "s." + hex.EncodeToString(sum[:])
}

// Create starts a session and returns its token (shown once).
func (s *Sessions) Create(ctx context.Context, user, role string) (string, Session, error) {
	now := time.Now().UTC()
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
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("review: session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(e.Value(), &sess); err != nil {
		return Session{}, fmt.Errorf("review: decode session: %w", err)
	}
	now := time.Now().UTC()
	if !now.Before(sess.Expires) || now.Sub(sess.Seen) >= s.ttl {
		_ = s.kv.Purge(ctx, key)
		return Session{}, ErrNoSession
	}
	// Rewriting resets the bucket's MaxAge clock; do it rarely.
	if now.Sub(sess.Seen) > s.ttl/8 {
		sess.Seen = now
		b, _ := json.Marshal(sess)
		_, _ = s.kv.Update(ctx, key, b, e.Revision())
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
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("review: list sessions: %w", err)
	}
	for k := range keys.Keys() {
		e, err := s.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var sess Session
		if json.Unmarshal(e.Value(), &sess) == nil && sess.User == user {
			_ = s.kv.Purge(ctx, k)
		}
	}
	return nil
}

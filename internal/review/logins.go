package review

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"
)

// Login throttling, counted in NATS so every replica shares it. Only failed
// attempts count, so reviewers behind one office address all log in fine.
//
//   - per user and client: LoginPairLimit failures a minute — guessing one
//     account from one place;
//   - per client: LoginClientLimit failures a minute and LoginClientHourly
//     an hour — password spraying across many names from one place.
//
// There is deliberately no limit per user across all clients: anyone could
// then lock a known user out by failing on purpose. An attacker can only
// lock the pair (user, their own address) and their own address, for at
// most a minute (an hour for sustained spraying).
const (
	LoginPairLimit    = 10
	LoginClientLimit  = 20
	LoginClientHourly = 100
	// PasswordChangeLimit wrong old passwords per user per 10 minutes.
	PasswordChangeLimit = 5
)

type loginWindow struct {
	scope  string
	limit  int
	window time.Duration
}

func loginWindows(user, client string) []struct {
	loginWindow
	id string
} {
	return []struct {
		loginWindow
		id string
	}{
		{loginWindow{"login-pair", LoginPairLimit, time.Minute}, user + "\x00" + client},
		{loginWindow{"login-client", LoginClientLimit, time.Minute}, client},
		{loginWindow{"login-client-h", LoginClientHourly, time.Hour}, client},
	}
}

// LoginAllowed reports whether user may try a password from client now.
func (l *Limiter) LoginAllowed(ctx context.Context, user, client string) (bool, error) {
	for _, w := range loginWindows(user, client) {
		n, err := l.Count(ctx, w.scope, w.id, w.window)
		if err != nil {
			return false, err
		}
		if n >= w.limit {
			return false, nil
		}
	}
	return true, nil
}

// LoginFailed counts a failed attempt.
func (l *Limiter) LoginFailed(ctx context.Context, user, client string) error {
	for _, w := range loginWindows(user, client) {
		if _, err := l.Allow(ctx, w.scope, w.id, 1<<30, w.window); err != nil {
			return err
		}
	}
	return nil
}

// PasswordChangeAllowed and PasswordChangeFailed throttle wrong old
// passwords on a password change (a stolen session must not become a
// password oracle).
func (l *Limiter) PasswordChangeAllowed(ctx context.Context, user string) (bool, error) {
	n, err := l.Count(ctx, "passwd", user, 10*time.Minute)
	return n < PasswordChangeLimit, err
}

// PasswordChangeFailed counts a wrong old password.
func (l *Limiter) PasswordChangeFailed(ctx context.Context, user string) error {
	_, err := l.Allow(ctx, "passwd", user, 1<<30, 10*time.Minute)
	return err
}

type clientKey struct{}

// WithClient stores the client address (see ClientAddr) in ctx, for
// session stores whose Login has no request.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// ClientFrom returns the client address stored by WithClient.
func ClientFrom(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// ClientAddr is the address a request came from: the peer address, or,
// when the peer is a proxy on a private or loopback address, the last
// X-Forwarded-For entry (the address that proxy saw; earlier entries are
// whatever the client claimed and are ignored).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip != nil && (ip.IsLoopback() || ip.IsPrivate()) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if p := net.ParseIP(strings.TrimSpace(last)); p != nil {
				return p.String()
			}
		}
	}
	return host
}

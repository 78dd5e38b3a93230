package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// TestCrossOriginRejectedOnCookieRoutes: a browser request from another
// origin is refused on every cookie-authenticated state-changing route,
// even when it carries a valid session cookie and CSRF token (the check
// used to be written but wired to nothing). Same-origin and header-less
// (server-to-server) requests pass.
func TestCrossOriginRejectedOnCookieRoutes(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	alice := e.login(t, "alice")
	root := e.login(t, "root")
	tests := []struct {
		name   string
		path   string
		who    LoginResponse
		hdr    []string
		status int
	}{
		{"review, cross-site", "/v1/review/claim-next", alice, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"review, same-site other origin", "/v1/review/claim-next", alice, []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"review, foreign Origin only", "/v1/review/claim-next", alice, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"review, same-origin", "/v1/review/claim-next", alice, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusNoContent},
		{"review, no browser headers", "/v1/review/claim-next", alice, nil, http.StatusNoContent},
		{"admin, cross-site", "/v1/admin/dead-letters/1/replay", root, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"admin, same-origin", "/v1/admin/dead-letters/1/replay", root, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusNotFound},
		{"logout, cross-site", "/v1/review/logout", alice, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := append([]string{"Cookie", SessionCookie + "=" + tc.who.Token, CSRFHeader, tc.who.CSRF}, tc.hdr...)
			r := e.do(t, "POST", tc.path, "", map[string]string{}, hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	// The session survived the rejected cross-site logout.
	if r := e.do(t, "GET", "/v1/review/me", alice.Token, nil); r.status != http.StatusOK {
		t.Fatalf("session after cross-site logout attempt: %d", r.status)
	}
}

// TestLoginThrottlePerClient: spraying one password across many names from
// one address is cut off (it used to be answered 401 every time), while the
// same user from another address still logs in, so nobody can lock a known
// user out by failing on purpose; the limits lift when their window ends.
// The clock is the test's, so no run straddles a window by chance.
func TestLoginThrottlePerClient(t *testing.T) {
	e := newMemoryEnv(t)
	from := func(ip string) []string { return []string{"X-Forwarded-For", "203.0.113.99, " + ip} }
	login := func(user, pw, ip string) int {
		return e.do(t, "POST", "/v1/review/login", "", map[string]string{"user": user, "password": pw}, from(ip)...).status
	}
	// Spraying: 50 names, one password, one client.
	statuses := map[int]int{}
	for i := 0; i < 50; i++ {
		statuses[login(fmt.Sprintf("user%02d", i), "Summer2024!", "10.0.0.9")]++
	}
	if statuses[http.StatusUnauthorized] != review.LoginClientLimit || statuses[http.StatusTooManyRequests] != 50-review.LoginClientLimit {
		t.Fatalf("spraying from one client: %v; want %d×401 then 429", statuses, review.LoginClientLimit)
	}
	// The sprayer is blocked even with a right password...
	if s := login("alice", "pw-alice-123", "10.0.0.9"); s != http.StatusTooManyRequests {
		t.Fatalf("sprayer's address with a right password: %d", s)
	}
	// ...but alice from her own address is not.
	if s := login("alice", "pw-alice-123", "10.0.0.10"); s != http.StatusOK {
		t.Fatalf("alice from another address: %d", s)
	}
	// Guessing alice's password from a third address locks only that pair.
	for i := 0; i < review.LoginPairLimit; i++ {
		if s := login("alice", fmt.Sprintf("guess-%d", i), "10.0.0.11"); s != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, s)
		}
	}
	if s := login("alice", "guess-x", "10.0.0.11"); s != http.StatusTooManyRequests {
		t.Fatalf("guess past the pair limit: %d", s)
	}
	if s := login("alice", "pw-alice-123", "10.0.0.10"); s != http.StatusOK {
		t.Fatalf("alice locked out by someone else's guesses: %d", s)
	}
	// Successful logins do not count: an office behind one address is fine.
	for i := 0; i < review.LoginClientLimit+5; i++ {
		if s := login("bob", "pw-bob-123", "10.0.0.12"); s != http.StatusOK {
			t.Fatalf("successful login %d from a shared address: %d", i, s)
		}
	}
	// A minute later the per-minute limits have lifted; the sprayer still
	// has most of the hourly budget spent.
	e.clock.Advance(time.Minute)
	if s := login("alice", "pw-alice-123", "10.0.0.11"); s != http.StatusOK {
		t.Fatalf("the pair after a minute: %d", s)
	}
	if s := login("alice", "pw-alice-123", "10.0.0.9"); s != http.StatusOK {
		t.Fatalf("the sprayer's address after a minute: %d", s)
	}
	// X-Forwarded-For is only believed from a proxy address: a client
	// connecting directly cannot rotate it (here the peer is loopback, a
	// proxy, so the last entry counts, not the first).
	if review.ClientAddr(&http.Request{RemoteAddr: "198.51.100.7:5555", Header: http.Header{"X-Forwarded-For": {"10.9.9.9"}}}) != "198.51.100.7" {
		t.Fatal("X-Forwarded-For believed from a public peer")
	}
}

// TestSessionIdleAndMaxAge: a session ends after 30 idle minutes, and after
// 12 hours however active it is; logins and logouts are audited.
func TestSessionIdleAndMaxAge(t *testing.T) {
	e := newMemoryEnv(t)
	idle := e.login(t, "alice").Token
	e.clock.Advance(29 * time.Minute)
	if r := e.do(t, "GET", "/v1/review/me", idle, nil); r.status != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", r.status)
	}
	e.clock.Advance(30 * time.Minute)
	if r := e.do(t, "GET", "/v1/review/me", idle, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("after 30 idle minutes: %d", r.status)
	}
	busy := e.login(t, "bob").Token
	for i := 0; i < 12*4-1; i++ { // up to 11h45
		e.clock.Advance(15 * time.Minute)
		if r := e.do(t, "GET", "/v1/review/me", busy, nil); r.status != http.StatusOK {
			t.Fatalf("active session after %v: %d", time.Duration(i+1)*15*time.Minute, r.status)
		}
	}
	e.clock.Advance(15 * time.Minute)
	if r := e.do(t, "GET", "/v1/review/me", busy, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("active session past 12 hours: %d", r.status)
	}
	if r := e.do(t, "POST", "/v1/review/logout", e.login(t, "lena").Token, nil); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d", r.status)
	}
	if got := fmt.Sprint(e.audit.kinds()); got != fmt.Sprint([]string{modgate.AuditLogin, modgate.AuditLogin, modgate.AuditLogin, modgate.AuditSessionRevoked}) {
		t.Fatalf("audited %s", got)
	}
}

// TestPasswordChangeThrottled: wrong old passwords on a password change are
// limited (30 in a row used to be answered 403 each, a password oracle for
// a stolen session).
func TestPasswordChangeThrottled(t *testing.T) {
	e := newMemoryEnv(t)
	tok := e.login(t, "bob").Token
	change := func(old string) int {
		return e.do(t, "POST", "/v1/review/users/me/password", tok, map[string]string{"old": old, "new": "fresh-password"}).status
	}
	statuses := map[int]int{}
	for i := 0; i < 30; i++ {
		statuses[change(fmt.Sprintf("wrong-%d", i))]++
	}
	if statuses[http.StatusForbidden] != review.PasswordChangeLimit || statuses[http.StatusTooManyRequests] != 30-review.PasswordChangeLimit {
		t.Fatalf("30 wrong old passwords: %v", statuses)
	}
	if s := change("pw-bob-123"); s != http.StatusTooManyRequests {
		t.Fatalf("right old password while throttled: %d", s)
	}
	// Other users are not affected.
	alice := e.login(t, "alice").Token
	if r := e.do(t, "POST", "/v1/review/users/me/password", alice, map[string]string{"old": "pw-alice-123", "new": "fresh-password"}); r.status != http.StatusOK {
		t.Fatalf("another user's change: %d %s", r.status, r.body)
	}
}

// TestReportsRejectInvalidUTF8: /v1/reports used to accept invalid UTF-8
// (encoding/json replaced it silently); it answers 400 invalid_utf8 like
// /v1/screen, and nothing is stored.
func TestReportsRejectInvalidUTF8(t *testing.T) {
	e := newReviewEnv(t, review.Config{})
	body := "{\"message_id\":\"m-1\",\"reporter_id\":\"r-1\",\"reason\":\"ads\",\"text\":\"\xff\xfe bad\"}"
	r := e.do(t, "POST", "/v1/reports", "", body)
	if r.status != http.StatusBadRequest || r.code(t) != CodeInvalidUTF8 {
		t.Fatalf("invalid UTF-8 report: %d %s", r.status, r.body)
	}
	if _, n := e.q.List(review.Filter{}); n != 0 {
		t.Fatalf("%d cases after a rejected report", n)
	}
	if r := e.do(t, "POST", "/v1/reports", "", `{"message_id":"m-1","reporter_id":"r-1","reason":"ads","text":"好"}`); r.status != http.StatusCreated {
		t.Fatalf("valid report: %d %s", r.status, r.body)
	}
}

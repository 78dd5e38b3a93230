package reviewui

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"

	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/policies"
)

// env is a real review queue on embedded NATS, a users file and the UI on
// 127.0.0.1.
type env struct {
	srv      *httptest.Server
	ui       *UI
	q        *review.Queue
	sessions *ReviewSessions
}

const testPassword = "correct horse battery"

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	ns, err := natsutil.StartEmbedded(natsutil.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pol, err := policies.Load(ctx, policies.Default, policies.Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := review.Open(ctx, nc, review.Config{CreateEscalationStream: true, Discipline: pol})
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	t.Cleanup(q.Close)
	users, err := review.OpenUsers(filepath.Join(t.TempDir(), "users.json"))
	if err != nil {
		t.Fatalf("users: %v", err)
	}
	for _, u := range [][2]string{{"alice", "reviewer"}, {"lena", "lead"}} {
		if err := users.AddUser(u[0], u[1], testPassword); err != nil {
			t.Fatalf("add user %s: %v", u[0], err)
		}
	}
	st := NewReviewSessions(q, users)
	cfg := Config{Sessions: st, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	ui, err := New(cfg)
	if err != nil {
		t.Fatalf("new ui: %v", err)
	}
	r := chi.NewRouter()
	r.Mount("/review", ui.Routes())
	srv := httptest.NewUnstartedServer(r)
	srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{srv: srv, ui: ui, q: q, sessions: st}
}

// client is a browser-like client: a cookie jar and no redirect following,
// so tests see the 303s.
func (e *env) client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var (
	reCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reMetaCSRF  = regexp.MustCompile(`data-csrf="([^"]+)"`)
)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// login signs in through the form and returns the page's CSRF token.
func (e *env) login(t *testing.T, c *http.Client, user string) string {
	t.Helper()
	_, body := get(t, c, e.srv.URL+"/review/login")
	m := reCSRFField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("login page has no csrf field")
	}
	res, _ := post(t, c, e.srv.URL+"/review/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {testPassword}},
		map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/review/" {
		t.Fatalf("login: status %d location %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = get(t, c, e.srv.URL+"/review/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("app after login: %d", res.StatusCode)
	}
	mm := reMetaCSRF.FindStringSubmatch(body)
	if mm == nil {
		t.Fatalf("app shell has no csrf meta")
	}
	return mm[1]
}

func sessionCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == DefaultCookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in response", DefaultCookieName)
	return nil
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t)
	tests := []struct {
		name, path string
		status     int
		ctype      string
	}{
		{"login page", "/review/login", 200, "text/html"},
		{"shell redirects to login", "/review/", 303, ""},
		{"no trailing slash", "/review", 303, ""},
		{"app script", "/review/static/app.js", 200, "text/javascript"},
		{"stylesheet", "/review/static/app.css", 200, "text/css"},
		{"vendored chart library", "/review/static/vendor/chart.umd.min.js", 200, "text/javascript"},
		{"unknown asset", "/review/static/nope.js", 404, "application/json"},
		{"traversal attempt", "/review/static/../ui.go", 404, ""},
		{"unknown page", "/review/nope", 404, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := get(t, c, e.srv.URL+tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("Content-Type %q, want %s", res.Header.Get("Content-Type"), tc.ctype)
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows unsafe code: %q", csp)
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestStaticRevalidation(t *testing.T) {
	e := newEnv(t, nil)
	res, body := get(t, e.client(t), e.srv.URL+"/review/static/app.js")
	etag := res.Header.Get("ETag")
	if etag == "" || !strings.Contains(body, "use strict") {
		t.Fatalf("no etag or wrong body")
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/review/static/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d, want 304", res2.StatusCode)
	}
}

// TestNoInlineCode guards the CSP: templates and scripts must not need
// 'unsafe-inline', and the app must never build HTML from strings.
func TestNoInlineCode(t *testing.T) {
	for _, name := range []string{"templates/app.html", "templates/login.html"} {
		b, err := assets.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if regexp.MustCompile(`<script[^>]*>[^<]+</script>`).MatchString(s) {
			t.Errorf("%s has an inline script", name)
		}
		if regexp.MustCompile(`(?i)\s(style|on[a-z]+)=`).MatchString(s) {
			t.Errorf("%s has an inline style or event attribute", name)
		}
	}
	js, _ := assets.ReadFile("static/app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t)
	csrf := e.login(t, c, "alice")

	// The session cookie is HttpOnly, SameSite=Strict and covers /v1 too.
	u, _ := url.Parse(e.srv.URL)
	var tok string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == DefaultCookieName {
			tok = ck.Value
		}
	}
	if tok == "" {
		t.Fatal("no session cookie in jar")
	}
	sess, err := e.q.Sessions().Lookup(context.Background(), tok)
	if err != nil || sess.User != "alice" || sess.CSRF != csrf {
		t.Fatalf("session %+v err %v; page csrf %q", sess, err, csrf)
	}

	// Logout without the token, or cross-site, keeps the session.
	for _, tc := range []struct {
		name string
		form url.Values
		hdr  map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"csrf": {"x" + csrf}}, nil},
		{"cross-site with token", url.Values{"csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin with token", url.Values{"csrf": {csrf}}, map[string]string{"Origin": "http://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := post(t, c, e.srv.URL+"/review/logout", tc.form, tc.hdr)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", res.StatusCode)
			}
			if _, err := e.q.Sessions().Lookup(context.Background(), tok); err != nil {
				t.Fatalf("session ended by a rejected logout: %v", err)
			}
		})
	}

	res, _ := post(t, c, e.srv.URL+"/review/logout", url.Values{"csrf": {csrf}}, map[string]string{"Origin": e.srv.URL})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if ck := sessionCookie(t, res); ck.MaxAge >= 0 {
		t.Errorf("logout did not delete the cookie: %+v", ck)
	}
	if _, err := e.q.Sessions().Lookup(context.Background(), tok); err == nil {
		t.Fatal("session still valid after logout")
	}
	if res, _ := get(t, c, e.srv.URL+"/review/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("app after logout: %d, want redirect to login", res.StatusCode)
	}
}

func TestLoginRejects(t *testing.T) {
	t.Parallel() // login delays: mostly waiting
	e := newEnv(t, nil)
	tests := []struct {
		name      string
		user, pwd string
		badCSRF   bool
		hdr       map[string]string
		status    int
	}{
		{"wrong password", "alice", "nope-nope-nope", false, nil, 401},
		{"unknown user", "mallory", testPassword, false, nil, 401},
		{"empty password", "alice", "", false, nil, 401},
		{"missing csrf", "alice", testPassword, true, nil, 403},
		{"cross-site post", "alice", testPassword, false, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site other origin", "alice", testPassword, false, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"foreign origin", "alice", testPassword, false, map[string]string{"Origin": "http://127.0.0.1:1"}, 403},
		{"null origin", "alice", testPassword, false, map[string]string{"Origin": "null"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(t)
			_, body := get(t, c, e.srv.URL+"/review/login")
			csrf := reCSRFField.FindStringSubmatch(body)[1]
			if tc.badCSRF {
				csrf = ""
			}
			res, body := post(t, c, e.srv.URL+"/review/login", url.Values{"csrf": {csrf}, "user": {tc.user}, "password": {tc.pwd}}, tc.hdr)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if !strings.Contains(body, `id="login-error"`) {
				t.Errorf("no error shown on the login page")
			}
			for _, ck := range res.Cookies() {
				if ck.Name == DefaultCookieName && ck.Value != "" {
					t.Errorf("a session cookie was set on a failed login")
				}
			}
		})
	}
	t.Run("rate limited after 10 attempts", func(t *testing.T) {
		attempt := func(pwd string) int {
			c := e.client(t)
			_, body := get(t, c, e.srv.URL+"/review/login")
			csrf := reCSRFField.FindStringSubmatch(body)[1]
			res, _ := post(t, c, e.srv.URL+"/review/login", url.Values{"csrf": {csrf}, "user": {"lena"}, "password": {pwd}}, nil)
			return res.StatusCode
		}
		// The limit is 10 per user per minute window (a fixed window in
		// NATS); 21 attempts put 11 in one window even across a boundary.
		limited := false
		for i := 0; i < 21 && !limited; i++ {
			switch st := attempt("wrong-password"); st {
			case http.StatusTooManyRequests:
				limited = true
			case http.StatusUnauthorized:
			default:
				t.Fatalf("attempt %d: status %d", i+1, st)
			}
		}
		if !limited {
			t.Fatal("21 wrong passwords were never rate limited")
		}
		window := time.Now().Unix() / 60
		st := attempt(testPassword) // even the right password waits
		if st != http.StatusTooManyRequests && time.Now().Unix()/60 == window {
			t.Fatalf("right password while limited: status %d, want 429", st)
		}
	})
	t.Run("oversized form", func(t *testing.T) {
		c := e.client(t)
		res, _ := post(t, c, e.srv.URL+"/review/login", url.Values{"user": {"alice"}, "password": {strings.Repeat("x", 20000)}}, nil)
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", res.StatusCode)
		}
	})
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secure bool
	}{{"plain http", false}, {"behind TLS", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Secure = tc.secure })
			c := e.client(t)
			_, body := get(t, c, e.srv.URL+"/review/login")
			csrf := reCSRFField.FindStringSubmatch(body)[1]
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/review/login",
				strings.NewReader(url.Values{"csrf": {csrf}, "user": {"alice"}, "password": {testPassword}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			// The jar drops Secure cookies over http; send the pre-login cookie by hand.
			req.AddCookie(&http.Cookie{Name: loginCSRFCookie, Value: csrf})
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("login status %d", res.StatusCode)
			}
			ck := sessionCookie(t, res)
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure != tc.secure {
				t.Fatalf("cookie attributes %+v", ck)
			}
		})
	}
}

func TestShellCarriesIdentity(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Events = true })
	c := e.client(t)
	e.login(t, c, "lena")
	_, body := get(t, c, e.srv.URL+"/review/")
	for _, want := range []string{`data-user="lena"`, `data-role="lead"`, `data-events="true"`, `data-api="/v1/review"`, `lang="zh-CN"`} {
		if !strings.Contains(body, want) {
			t.Errorf("shell lacks %s", want)
		}
	}
	_, body = get(t, c, e.srv.URL+"/review/?lang=en")
	if !strings.Contains(body, `lang="en"`) {
		t.Errorf("lang=en not honoured")
	}
}

func TestNewRequiresSessions(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without Sessions succeeded")
	}
}

// TestStrings checks that every interface string the app asks for exists
// in Chinese and English.
func TestStrings(t *testing.T) {
	i18n, _ := assets.ReadFile("static/i18n.js")
	app, _ := assets.ReadFile("static/app.js")
	src := string(i18n)
	zhAt, enAt := strings.Index(src, "zh: {"), strings.Index(src, "en: {")
	if zhAt < 0 || enAt < zhAt {
		t.Fatal("i18n.js: no zh/en blocks")
	}
	keyRe := regexp.MustCompile(`'([a-z_]+\.[A-Za-z_]+)':`)
	keys := func(block string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keyRe.FindAllStringSubmatch(block, -1) {
			m[k[1]] = true
		}
		return m
	}
	zh, en := keys(src[zhAt:enAt]), keys(src[enAt:])
	for k := range zh {
		if !en[k] {
			t.Errorf("%s has no English text", k)
		}
	}
	for k := range en {
		if !zh[k] {
			t.Errorf("%s has no Chinese text", k)
		}
	}
	used := regexp.MustCompile(`\bt\('([a-z_]+\.[A-Za-z_]+)'`).FindAllStringSubmatch(string(app), -1)
	if len(used) < 50 {
		t.Fatalf("found only %d t('...') calls", len(used))
	}
	for _, u := range used {
		if !zh[u[1]] {
			t.Errorf("app.js uses %s, which i18n.js lacks", u[1])
		}
	}
}

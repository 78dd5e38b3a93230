// Package reviewui serves the reviewer web app under /review: the app shell,
// its embedded static assets (no CDN, works offline), and the login/logout
// form posts that turn the users file accounts into cookie sessions on top of
// the review package's session store. Everything else the page does goes
// through the reviewer JSON API (/v1/review); this package adds no backend of
// its own beyond sessions, CSRF and security headers.
package reviewui

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

//go:embed static templates
var assets embed.FS

// Identity is who a session belongs to.
type Identity struct {
	User string
	Role string // reviewer | lead | admin
	// CSRF is the session's synchronizer token, when the store keeps one;
	// otherwise the UI derives one from the session token.
	CSRF string
}

// ErrBadCredentials is what a SessionStore returns for a wrong user name or
// password; the login page shows a generic message for it.
var ErrBadCredentials = errors.New("reviewui: bad credentials")

// ErrRateLimited is what a SessionStore returns when too many logins were
// tried for a user name.
var ErrRateLimited = errors.New("reviewui: too many login attempts")

// SessionStore is the part of the review package's session store the UI
// needs: check a password and open a session, look one up, end it.
type SessionStore interface {
	Login(ctx context.Context, user, password string) (token string, id Identity, err error)
	Lookup(ctx context.Context, token string) (Identity, error)
	Logout(ctx context.Context, token string) error
}

// Config configures the UI.
type Config struct {
	// Sessions opens, finds and ends sessions (required).
	Sessions SessionStore
	// BasePath is where Routes is mounted ("/review").
	BasePath string
	// APIBase is the reviewer API prefix the page calls ("/v1/review").
	APIBase string
	// AdminBase is the admin API prefix for the policy view ("/v1/admin").
	AdminBase string
	// CookieName must be the cookie the reviewer API authenticates
	// ("modgate_session").
	CookieName string
	// Secure marks cookies Secure (set it when served behind TLS). When
	// false, a request that arrived over TLS still gets Secure cookies.
	Secure bool
	// CSRFKey is mixed into CSRF tokens; replicas must share it. Empty is
	// fine: the token is then bound only to the (secret) session token.
	CSRFKey []byte
	// Events tells the page whether the API has a server-sent events
	// stream at APIBase+"/events"; otherwise it polls.
	Events bool
	// PollInterval is how often the page polls when Events is false.
	PollInterval time.Duration
	// Logger receives login failures and store errors (never passwords).
	Logger *slog.Logger
}

// UI is the reviewer web app.
type UI struct {
	cfg    Config
	static *staticFiles
	shell  *template.Template
	login  *template.Template
	log    *slog.Logger
}

// New builds the UI; it fails when Sessions is missing or an embedded asset
// is broken.
func New(cfg Config) (*UI, error) {
	if cfg.Sessions == nil {
		return nil, errors.New("reviewui: Config.Sessions is required")
	}
	if cfg.BasePath == "" {
		cfg.BasePath = "/review"
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	if cfg.APIBase == "" {
		cfg.APIBase = "/v1/review"
	}
	if cfg.AdminBase == "" {
		cfg.AdminBase = "/v1/admin"
	}
	if cfg.CookieName == "" {
		cfg.CookieName = DefaultCookieName
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 4 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("reviewui: static assets: %w", err)
	}
	st, err := loadStatic(sub)
	if err != nil {
		return nil, err
	}
	shell, err := template.ParseFS(assets, "templates/app.html")
	if err != nil {
		return nil, fmt.Errorf("reviewui: parse app.html: %w", err)
	}
	login, err := template.ParseFS(assets, "templates/login.html")
	if err != nil {
		return nil, fmt.Errorf("reviewui: parse login.html: %w", err)
	}
	return &UI{cfg: cfg, static: st, shell: shell, login: login, log: cfg.Logger}, nil
}

// DefaultCookieName is the session cookie shared with the reviewer API.
const DefaultCookieName = "modgate_session"

// Routes returns the router to mount at BasePath. The server wires it next
// to the reviewer API (same queue, same users file), e.g. in cmd/modgate:
//
//	api.MountReview(r, deps)
//	ui, err := reviewui.New(reviewui.Config{
//		Sessions: reviewui.NewReviewSessions(deps.Queue, deps.Users),
//		Events:   true, // the API serves GET /v1/review/events (SSE)
//	})
//	if err != nil { return err }
//	r.Mount("/review", ui.Routes())
func (u *UI) Routes() chi.Router {
	r := chi.NewRouter()
	// HTML answers are compressed on the fly; static assets are stored
	// compressed (static.go).
	r.Use(SecurityHeaders, middleware.Compress(5))
	r.Get("/", u.serveShell)
	r.Get("/login", u.serveLogin)
	r.Post("/login", u.handleLogin)
	r.Post("/logout", u.handleLogout)
	r.Get("/static/*", u.static.serve)
	r.Head("/static/*", u.static.serve)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such page")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
	})
	return r
}

// ContentSecurityPolicy is sent with every UI response: scripts and styles
// only from our own origin, nothing inline, no eval, no framing, no plugins.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders sets the headers every reviewer page needs: message text
// is attacker-controlled, so the browser must refuse inline script even if
// something slipped through escaping.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

type shellData struct {
	Base, API, Admin string
	CSRF             string
	User, Role       string
	Lang             string
	Events           bool
	PollMS           int64
}

// serveShell renders the single-page app for a logged-in user, or sends the
// browser to the login page.
func (u *UI) serveShell(w http.ResponseWriter, r *http.Request) {
	tok, id, ok := u.session(r)
	if !ok {
		http.Redirect(w, r, u.cfg.BasePath+"/login", http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	d := shellData{
		Base: u.cfg.BasePath, API: u.cfg.APIBase, Admin: u.cfg.AdminBase,
		CSRF: u.csrfOf(tok, id), User: id.User, Role: id.Role,
		Lang: langOf(r), Events: u.cfg.Events, PollMS: u.cfg.PollInterval.Milliseconds(),
	}
	if err := u.shell.Execute(w, d); err != nil {
		u.log.Error("reviewui: render app", "err", err)
	}
}

// session returns the caller's session token and identity when the cookie
// names a live session.
func (u *UI) session(r *http.Request) (string, Identity, bool) {
	c, err := r.Cookie(u.cfg.CookieName)
	if err != nil || c.Value == "" {
		return "", Identity{}, false
	}
	id, err := u.cfg.Sessions.Lookup(r.Context(), c.Value)
	if err != nil {
		return "", Identity{}, false
	}
	return c.Value, id, true
}

// secure says whether cookies get the Secure flag: configured, direct TLS,
// or TLS ended at a proxy that says so (the same rule as the reviewer API).
func (u *UI) secure(r *http.Request) bool {
	return u.cfg.Secure || r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// langOf picks the interface language: the page's toggle stores it in a
// plain cookie; Chinese is the default.
func langOf(r *http.Request) string {
	switch r.URL.Query().Get("lang") {
	case "en", "zh":
		return r.URL.Query().Get("lang")
	}
	if c, err := r.Cookie("modgate_lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

// writeError writes the gateway's JSON error envelope (same shape as
// internal/api, which this package must not import).
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

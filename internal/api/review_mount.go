package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// ReviewDeps is what the reviewer API, the reports intake and the users API
// need.
type ReviewDeps struct {
	// Queue runs the case workflow (nil: only login, sessions, users and
	// the metadata are served, as in tests of those).
	Queue *review.Queue
	Users *review.Users
	// Sessions, Limiter, Audit and Strikes default to the queue's.
	Sessions SessionStore
	Limiter  LoginLimiter
	Audit    AuditLog
	Strikes  StrikeStore
	// Keys guards POST /v1/reports with tenant keys (nil: open).
	Keys   *Keys
	Logger *slog.Logger
	// CookieName is the UI session cookie (default "modgate_session").
	CookieName string
}

// MountReview mounts /v1/review (reviewer API and users) and /v1/reports.
// With Config.Mount: Mount: func(r chi.Router, s *Server) { deps.Keys = s.Keys(); MountReview(r, deps) }.
func MountReview(r chi.Router, d ReviewDeps) {
	d = d.withQueueStores()
	rr := NewReviewResource(d)
	r.With(CrossOrigin).Mount("/v1/review", rr.Routes())
	// Admins signed in to the reviewer UI may use /v1/admin (policy view).
	d.Keys.SetAdminSessions(func(next http.Handler) http.Handler {
		return rr.Authenticate(RequireRole(modgate.RoleAdmin)(next))
	})
	if d.Queue == nil {
		return
	}
	mountDeadLetters(r, d.Queue, d.Keys, d.Logger)
	rep := NewReportsResource(d.Queue, d.Logger)
	ap := NewAppealsResource(d.Queue, d.Logger)
	if d.Keys != nil {
		r.With(d.Keys.RequireTenant).Mount("/v1/reports", rep.Routes())
		r.With(d.Keys.RequireTenant).Mount("/v1/appeals", ap.Routes())
	} else {
		r.Mount("/v1/reports", rep.Routes())
		r.Mount("/v1/appeals", ap.Routes())
	}
}

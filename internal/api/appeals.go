package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate/internal/review"
)

// AppealsResource is POST /v1/appeals: a member appeals a decision
// (through the platform, with its tenant key).
type AppealsResource struct {
	q   *review.Queue
	log *slog.Logger
}

// NewAppealsResource builds the appeals intake.
func NewAppealsResource(q *review.Queue, log *slog.Logger) *AppealsResource {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AppealsResource{q: q, log: log}
}

// Routes is the router to mount at /v1/appeals.
func (ar *AppealsResource) Routes() chi.Router {
	r := chi.NewRouter()
	r.Post("/", ar.create)
	return r
}

func (ar *AppealsResource) create(w http.ResponseWriter, r *http.Request) {
	var req review.AppealRequest
	if !decodeBody(w, r, 64<<10, &req) {
		return
	}
	// A tenant key limits the appeal to its tenant's cases.
	res, err := ar.q.Appeal(r.Context(), PrincipalFrom(r.Context()).Tenant, req)
	if err != nil {
		queueError(w, ar.log, err)
		return
	}
	WriteJSON(w, http.StatusCreated, res)
}

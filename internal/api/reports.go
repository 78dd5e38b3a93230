package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// ReportsResource is POST /v1/reports: member reports from the platform.
type ReportsResource struct {
	q   *review.Queue
	log *slog.Logger
}

// NewReportsResource builds the reports intake.
func NewReportsResource(q *review.Queue, log *slog.Logger) *ReportsResource {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ReportsResource{q: q, log: log}
}

// Routes is the router to mount at /v1/reports.
func (rr *ReportsResource) Routes() chi.Router {
	r := chi.NewRouter()
	r.Post("/", rr.create)
	return r
}

type reportRequest struct {
	MessageID  string `json:"message_id"`
	ReporterID string `json:"reporter_id"`
	Reason     string `json:"reason"`
	Text       string `json:"text"`
	Tenant     string `json:"tenant"`
	Sender     string `json:"sender"`
	Group      string `json:"group"`
}

func (rr *ReportsResource) create(w http.ResponseWriter, r *http.Request) {
	var req reportRequest
	// Text is capped at modgate.DefaultMaxTextBytes; JSON escaping can
	// triple it.
	if !decodeBody(w, r, 4*modgate.DefaultMaxTextBytes, &req) {
		return
	}
	rep := modgate.Report{MessageID: req.MessageID, ReporterID: req.ReporterID, Reason: req.Reason,
		Text: req.Text, Tenant: req.Tenant, Sender: req.Sender, Group: req.Group}
	// A tenant key decides the tenant; the body cannot report into another.
	if p := PrincipalFrom(r.Context()); p.Tenant != "" {
		rep.Tenant = p.Tenant
	}
	res, err := rr.q.Report(r.Context(), rep)
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	WriteJSON(w, status, res)
}

package api

import (
	"bytes"
	"encoding/json"
	"errors"
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
	MessageID  string      `json:"message_id"`
	ReporterID string      `json:"reporter_id"`
	Reason     string      `json:"reason"`
	Text       string      `json:"text"`
	Tenant     string      `json:"tenant"`
	Sender     senderField `json:"sender"`
	Group      groupField  `json:"group"`
}

// senderField is a report's "sender": an object as in /v1/screen
// ({"id": ...}), or, deprecated, the id as a string.
type senderField struct{ modgate.Sender }

func (f *senderField) UnmarshalJSON(b []byte) error { return idOrObject(b, &f.ID, &f.Sender) }

// groupField is a report's "group": an object as in /v1/screen, or,
// deprecated, the id as a string.
type groupField struct{ modgate.Group }

func (f *groupField) UnmarshalJSON(b []byte) error { return idOrObject(b, &f.ID, &f.Group) }

// idOrObject decodes a JSON string into id, or an object (no unknown
// fields) into obj.
func idOrObject(b []byte, id *string, obj any) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, id)
	case len(b) > 0 && b[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		return dec.Decode(obj)
	case string(b) == "null":
		return nil
	}
	return errors.New("want an object like {\"id\":\"...\"} (or the id as a string)")
}

func (rr *ReportsResource) create(w http.ResponseWriter, r *http.Request) {
	var req reportRequest
	// Text is capped at modgate.DefaultMaxTextBytes; JSON escaping can
	// triple it.
	if !decodeBody(w, r, 4*modgate.DefaultMaxTextBytes, &req) {
		return
	}
	rep := modgate.Report{MessageID: req.MessageID, ReporterID: req.ReporterID, Reason: req.Reason,
		Text: req.Text, Tenant: req.Tenant, Sender: req.Sender.ID, Group: req.Group.ID}
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

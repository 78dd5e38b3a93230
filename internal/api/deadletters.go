package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate/internal/review"
)

// DeadLettersResource is /v1/admin/dead-letters: escalations the review
// queue could not turn into cases (poison messages, or cases that failed
// every bounded retry), kept in the MODGATE_DEADLETTER stream for an admin
// to inspect and replay once the cause is fixed.
type DeadLettersResource struct {
	q   *review.Queue
	log *slog.Logger
}

// DeadLettersResponse lists dead letters.
type DeadLettersResponse struct {
	Total       uint64              `json:"total"`
	DeadLetters []review.DeadLetter `json:"dead_letters"`
	// Next is the "after" value of the next page (0: no more).
	Next uint64 `json:"next,omitempty"`
}

// ReplayResponse is the dead letter just published again.
type ReplayResponse struct {
	Replayed review.DeadLetter `json:"replayed"`
}

func (d *DeadLettersResource) list(w http.ResponseWriter, r *http.Request) {
	after, limit := uint64(0), 100
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			WriteError(w, http.StatusBadRequest, CodeBadRequest, "after must be a sequence number")
			return
		}
		after = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			WriteError(w, http.StatusBadRequest, CodeBadRequest, "limit must be 1..1000")
			return
		}
		limit = n
	}
	dls, total, err := d.q.DeadLetters(r.Context(), after, limit)
	if err != nil {
		d.log.Error("dead letters", "err", err)
		WriteError(w, http.StatusServiceUnavailable, CodeNotReady, "the dead-letter stream cannot be read now")
		return
	}
	resp := DeadLettersResponse{Total: total, DeadLetters: dls}
	if len(dls) == limit {
		resp.Next = dls[len(dls)-1].Seq
	}
	WriteJSON(w, http.StatusOK, resp)
}

func (d *DeadLettersResource) replay(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(chi.URLParam(r, "seq"), 10, 64)
	if err != nil || seq == 0 {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "seq must be a dead letter's sequence number")
		return
	}
	actor := "admin-key"
	if v := ReviewerFrom(r.Context()); v.Name != "" {
		actor = v.Name
	}
	dl, err := d.q.ReplayDeadLetter(r.Context(), actor, seq)
	if errors.Is(err, review.ErrNoDeadLetter) {
		WriteError(w, http.StatusNotFound, CodeNotFound, "no dead letter with that sequence")
		return
	}
	if err != nil {
		d.log.Error("replay dead letter", "seq", seq, "err", err)
		WriteError(w, http.StatusServiceUnavailable, CodeNotReady, "the dead letter could not be replayed now; retry")
		return
	}
	WriteJSON(w, http.StatusOK, ReplayResponse{Replayed: dl})
}

// mountDeadLetters adds the admin dead-letter routes (admin key, or an
// admin's UI session, like the rest of /v1/admin).
func mountDeadLetters(r chi.Router, q *review.Queue, keys *Keys, log *slog.Logger) {
	d := &DeadLettersResource{q: q, log: log}
	if log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	r.Group(func(r chi.Router) {
		r.Use(CrossOrigin, keys.RequireAdmin, noStore)
		r.Get("/v1/admin/dead-letters", d.list)
		r.Post("/v1/admin/dead-letters/{seq}/replay", d.replay)
	})
}

package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// The reviewer workflow beyond claim and decide: escalation to the leads,
// text requests, team notes and tags, reversals, search and history, and
// the leads' bulk decisions.

type escalateRequest struct {
	Token string `json:"token"`
	Note  string `json:"note"`
}

func (rr *ReviewResource) escalate(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 64<<10, func(ctx context.Context, id string, v Reviewer, req *escalateRequest) (*modgate.Case, error) {
		return rr.q.EscalateToLeads(ctx, id, v.Name, req.Token, req.Note)
	})(w, r)
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (rr *ReviewResource) requestText(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 4<<10, func(ctx context.Context, id string, v Reviewer, req *tokenRequest) (*modgate.Case, error) {
		return rr.q.RequestText(ctx, id, v.Name, req.Token)
	})(w, r)
}

type noteRequest struct {
	Text string `json:"text"`
}

func (rr *ReviewResource) addNote(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 64<<10, func(ctx context.Context, id string, v Reviewer, req *noteRequest) (*modgate.Case, error) {
		return rr.q.AddNote(ctx, id, v.Name, req.Text)
	})(w, r)
}

type tagsRequest struct {
	Tags []string `json:"tags"`
}

func (rr *ReviewResource) setTags(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 16<<10, func(ctx context.Context, id string, v Reviewer, req *tagsRequest) (*modgate.Case, error) {
		if req.Tags == nil {
			return nil, &apiError{http.StatusBadRequest, CodeBadRequest, "tags is required (an empty list removes them)"}
		}
		return rr.q.SetTags(ctx, id, v.Name, req.Tags)
	})(w, r)
}

type reverseRequest struct {
	Reason string `json:"reason"`
}

// reverse takes a decision back (its reviewer, or a lead, within the
// reversal window); the case comes back claimed by the caller.
func (rr *ReviewResource) reverse(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 64<<10, func(ctx context.Context, id string, v Reviewer, req *reverseRequest) (*modgate.Case, error) {
		return rr.q.Reverse(ctx, id, v.Name, v.Role, req.Reason)
	})(w, r)
}

// searchQuery reads the search parameters.
func searchQuery(r *http.Request) (review.SearchQuery, error) {
	qs := r.URL.Query()
	sq := review.SearchQuery{Tenant: qs.Get("tenant"), Sender: qs.Get("sender"), Group: qs.Get("group"),
		MessageID: qs.Get("message_id"), Label: qs.Get("label"), Decision: qs.Get("decision"),
		Reviewer: qs.Get("reviewer"), Tag: qs.Get("tag"), State: modgate.CaseState(qs.Get("state")),
		Lane: qs.Get("lane"), Text: qs.Get("q")}
	var err error
	if sq.Limit, err = intParam(qs, "limit", 50, 1, 200); err != nil {
		return sq, err
	}
	if sq.Offset, err = intParam(qs, "offset", 0, 0, 100_000); err != nil {
		return sq, err
	}
	if s := qs.Get("from"); s != "" {
		if sq.From, err = parseTime(s); err != nil {
			return sq, err
		}
	}
	if s := qs.Get("to"); s != "" {
		if sq.To, err = parseTime(s); err != nil {
			return sq, err
		}
		if len(s) == len("2006-01-02") {
			sq.To = sq.To.Add(24*time.Hour - time.Nanosecond) // a date means the whole day
		}
	}
	if sq.Lane != "" && !slices.Contains(modgate.Lanes, sq.Lane) {
		return sq, fmt.Errorf("lane must be one of %s", strings.Join(modgate.Lanes, ", "))
	}
	switch sq.State {
	case "", modgate.CaseOpen, modgate.CaseClaimed, modgate.CaseDecided, modgate.CaseAppealed:
	default:
		return sq, fmt.Errorf("state must be open, claimed, decided or appealed")
	}
	return sq, nil
}

func (rr *ReviewResource) search(w http.ResponseWriter, r *http.Request) {
	sq, err := searchQuery(r)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	res, err := rr.q.Search(r.Context(), sq)
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

// MyDecisions is the caller's decisions, newest first, with how long each
// may still be taken back.
type MyDecisions struct {
	review.SearchResult
	ReversalSeconds int64 `json:"reversal_seconds"`
}

func (rr *ReviewResource) myDecisions(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	limit, err := intParam(qs, "limit", 50, 1, 200)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	offset, err := intParam(qs, "offset", 0, 0, 100_000)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	v := ReviewerFrom(r.Context())
	res, err := rr.q.Search(r.Context(), review.SearchQuery{Reviewer: v.Name, Sort: "decided", Limit: limit, Offset: offset})
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	WriteJSON(w, http.StatusOK, MyDecisions{SearchResult: res, ReversalSeconds: int64(rr.q.Config().ReversalWindow / time.Second)})
}

// SenderPage is everything about one sender: their confirmed violations
// and every case of their messages.
type SenderPage struct {
	Tenant     string             `json:"tenant"`
	Sender     string             `json:"sender"`
	Violations modgate.Violations `json:"violations"`
	Strikes    []review.Strike    `json:"strikes"`
	review.SearchResult
}

func (rr *ReviewResource) senderPage(w http.ResponseWriter, r *http.Request) {
	sender := chi.URLParam(r, "sender")
	qs := r.URL.Query()
	tenant := qs.Get("tenant")
	limit, err := intParam(qs, "limit", 50, 1, 200)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	offset, err := intParam(qs, "offset", 0, 0, 100_000)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	res, err := rr.q.Search(r.Context(), review.SearchQuery{Sender: sender, Tenant: tenant, Limit: limit, Offset: offset})
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	ss, vi, err := rr.strikesOf(r.Context(), tenant, sender)
	if err != nil {
		rr.internal(w, "strikes", err)
		return
	}
	WriteJSON(w, http.StatusOK, SenderPage{Tenant: tenant, Sender: sender, Violations: vi, Strikes: ss, SearchResult: res})
}

type bulkRequest struct {
	CaseIDs []string `json:"case_ids"`
	Action  string   `json:"action"`
	Labels  []string `json:"labels"`
	Note    string   `json:"note"`
	// DryRun only answers each case's consequence.
	DryRun bool `json:"dry_run"`
}

// BulkResponse is the outcome (or, for a dry run, the consequence) per case.
type BulkResponse struct {
	Results []review.BulkItem `json:"results"`
	Decided int               `json:"decided"`
	// Removals counts the cases whose decision removes the member.
	Removals int  `json:"removals"`
	DryRun   bool `json:"dry_run"`
}

func (rr *ReviewResource) bulkDecide(w http.ResponseWriter, r *http.Request) {
	var req bulkRequest
	if !decodeBody(w, r, 256<<10, &req) {
		return
	}
	v := ReviewerFrom(r.Context())
	out, err := rr.q.BulkDecide(r.Context(), v.Name, v.Role, req.CaseIDs,
		modgate.Decision{Action: req.Action, Labels: req.Labels, Note: req.Note}, req.DryRun)
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	resp := BulkResponse{Results: out, DryRun: req.DryRun}
	for _, it := range out {
		if it.OK && !req.DryRun {
			resp.Decided++
		}
		if it.OK && it.Consequence != nil && it.Consequence.Enforcement == modgate.DecisionRemoveMember {
			resp.Removals++
		}
	}
	WriteJSON(w, http.StatusOK, resp)
}

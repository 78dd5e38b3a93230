package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// ReviewResource is the reviewer API under /v1/review. Every route but
// login needs a session: `Authorization: Bearer <token>` or the UI's
// session cookie (then unsafe methods also need X-CSRF-Token).
type ReviewResource struct {
	q           *review.Queue
	sessions    SessionStore
	limiter     LoginLimiter
	audit       AuditLog
	strikeStore StrikeStore
	users       *review.Users
	log         *slog.Logger
	cookie      string
}

// NewReviewResource builds the reviewer API.
func NewReviewResource(d ReviewDeps) *ReviewResource {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := d.CookieName
	if c == "" {
		c = SessionCookie
	}
	d = d.withQueueStores()
	return &ReviewResource{q: d.Queue, sessions: d.Sessions, limiter: d.Limiter, audit: d.Audit, strikeStore: d.Strikes,
		users: d.Users, log: log, cookie: c}
}

// SessionCookie is the default name of the UI session cookie.
const SessionCookie = "modgate_session"

// CSRFHeader must carry the session's CSRF token on cookie-authenticated
// POST/PUT/PATCH/DELETE requests.
const CSRFHeader = "X-CSRF-Token"

// Routes is the router to mount at /v1/review.
func (rr *ReviewResource) Routes() chi.Router {
	r := chi.NewRouter()
	r.Use(noStore)
	r.Post("/login", rr.login)
	r.Group(func(r chi.Router) {
		r.Use(rr.Authenticate)
		// The event stream is flushed frame by frame: not compressed.
		r.Get("/events", rr.events)
		// Reviewers' JSON (case lists, search pages) is; the screening
		// path is not (small answers, CPU on the hot path).
		r.Group(func(r chi.Router) { rr.compressedRoutes(r) })
	})
	return r
}

// compressedRoutes are the authenticated routes whose answers go gzip'd.
func (rr *ReviewResource) compressedRoutes(r chi.Router) {
	r.Use(middleware.Compress(5))
	{
		r.Post("/logout", rr.logout)
		r.Get("/me", rr.me)
		r.Get("/meta", rr.meta)
		r.Get("/cases", rr.listCases)
		r.Get("/cases/{id}", rr.getCase)
		r.Get("/cases/{id}/consequences", rr.consequences)
		r.Post("/claim-next", rr.claimNext)
		r.Post("/cases/{id}/claim", rr.claim)
		r.Post("/cases/{id}/extend", rr.extend)
		r.Post("/cases/{id}/release", rr.release)
		r.Post("/cases/{id}/decide", rr.decide)
		r.Post("/cases/{id}/escalate", rr.escalate)
		r.Post("/cases/{id}/request-text", rr.requestText)
		r.Post("/cases/{id}/notes", rr.addNote)
		r.Put("/cases/{id}/tags", rr.setTags)
		r.Post("/cases/{id}/reverse", rr.reverse)
		r.Get("/search", rr.search)
		r.Get("/my-decisions", rr.myDecisions)
		r.Get("/senders/{sender}", rr.senderPage)
		r.Get("/members/strikes", rr.memberStrikes)
		r.Get("/stats", rr.stats)
		r.Group(func(r chi.Router) {
			r.Use(RequireRole(modgate.RoleLead))
			r.Post("/cases/{id}/unmask", rr.unmask)
			r.Post("/bulk-decide", rr.bulkDecide)
			r.Get("/decisions.csv", rr.decisionsCSV)
			r.Get("/audit", rr.auditJSON)
			r.Get("/audit.csv", rr.auditCSV)
		})
		r.Group(func(r chi.Router) {
			r.Use(RequireRole(modgate.RoleAdmin))
			r.Get("/subjects/{sender}", rr.subjectExport)
			r.Delete("/subjects/{sender}", rr.subjectDelete)
		})
		ur := NewUsersResource(rr.users, rr.sessions, rr.limiter)
		ur.Cookie = rr.cookie
		r.Mount("/users", ur.Routes())
	}
}

func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// ---- auth -------------------------------------------------------------------

type reviewerKey struct{}

// Reviewer is the authenticated reviewer of a request.
type Reviewer struct {
	Name  string
	Role  string
	Token string
	// Cookie is true when the session came from the cookie (CSRF applies).
	Cookie bool
}

// ReviewerFrom returns the request's reviewer (zero when unauthenticated).
func ReviewerFrom(ctx context.Context) Reviewer {
	v, _ := ctx.Value(reviewerKey{}).(Reviewer)
	return v
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Authenticate resolves the bearer token or session cookie against the
// NATS session store and the users file (so a removed user or a changed
// role takes effect at once).
func (rr *ReviewResource) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, fromBearer := bearer(r)
		cookie := false
		if !fromBearer {
			if c, err := r.Cookie(rr.cookie); err == nil && c.Value != "" {
				tok, cookie = c.Value, true
			}
		}
		if tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="modgate-review"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "log in first: POST /v1/review/login, then Authorization: Bearer <token>")
			return
		}
		sess, err := rr.sessions.Lookup(r.Context(), tok)
		if errors.Is(err, review.ErrNoSession) {
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "session expired or unknown; log in again")
			return
		}
		if err != nil {
			rr.internal(w, "session lookup", err)
			return
		}
		role := sess.Role
		if rr.users != nil {
			u, ok := rr.users.Lookup(sess.User)
			if !ok {
				_ = rr.sessions.Delete(r.Context(), tok)
				WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "user no longer exists")
				return
			}
			role = u.Role
		}
		if cookie && !isSafeMethod(r.Method) && !tokensEqual(r.Header.Get(CSRFHeader), sess.CSRF) {
			WriteError(w, http.StatusForbidden, CodeForbidden, "missing or wrong "+CSRFHeader+" header")
			return
		}
		ctx := context.WithValue(r.Context(), reviewerKey{}, Reviewer{Name: sess.User, Role: role, Token: tok, Cookie: cookie})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// tokensEqual compares a presented token with the expected one in
// constant time; an empty token never matches.
func tokensEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// RequireRole lets only reviewers with at least role through.
func RequireRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if review.RoleRank(ReviewerFrom(r.Context()).Role) < review.RoleRank(role) {
				WriteError(w, http.StatusForbidden, CodeForbidden, "this needs the "+role+" role")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// LoginResponse carries the session token (shown once) and the CSRF token
// cookie clients must echo in X-CSRF-Token.
type LoginResponse struct {
	Token   string    `json:"token"`
	User    string    `json:"user"`
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

func (rr *ReviewResource) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !decodeBody(w, r, 4<<10, &req) {
		return
	}
	if req.User == "" || req.Password == "" {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "user and password are required")
		return
	}
	if rr.users == nil {
		WriteError(w, http.StatusServiceUnavailable, CodeNotReady, "no users file configured")
		return
	}
	// Slow down guessing across replicas: failed attempts are counted per
	// user and client, and per client (password spraying); see
	// review.LoginAllowed for why not per user alone.
	client := review.ClientAddr(r)
	ok, err := rr.limiter.LoginAllowed(r.Context(), req.User, client)
	if err != nil {
		rr.internal(w, "login rate limit", err)
		return
	}
	if !ok {
		w.Header().Set("Retry-After", "60")
		WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "too many failed logins from this address; wait a minute")
		return
	}
	u, err := rr.users.Authenticate(req.User, req.Password)
	if err != nil {
		if ferr := rr.limiter.LoginFailed(r.Context(), req.User, client); ferr != nil {
			rr.log.Warn("review api: count failed login", "err", ferr)
		}
		rr.log.Warn("review api: login failed", "user", req.User, "client", client)
		WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "wrong user name or password")
		return
	}
	tok, sess, err := rr.sessions.Create(r.Context(), u.Name, u.Role)
	if err != nil {
		rr.internal(w, "create session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: rr.cookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: isTLS(r), Expires: sess.Expires})
	_ = rr.audit.Audit(r.Context(), modgate.AuditEvent{Kind: modgate.AuditLogin, Actor: u.Name})
	WriteJSON(w, http.StatusOK, LoginResponse{Token: tok, User: u.Name, Role: u.Role, CSRF: sess.CSRF, Expires: sess.Expires})
}

func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (rr *ReviewResource) logout(w http.ResponseWriter, r *http.Request) {
	v := ReviewerFrom(r.Context())
	if err := rr.sessions.Delete(r.Context(), v.Token); err != nil {
		rr.internal(w, "logout", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: rr.cookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: isTLS(r), MaxAge: -1})
	rr.audit.Audit(r.Context(), modgate.AuditEvent{Kind: modgate.AuditSessionRevoked, Actor: v.Name})
	w.WriteHeader(http.StatusNoContent)
}

func (rr *ReviewResource) me(w http.ResponseWriter, r *http.Request) {
	v := ReviewerFrom(r.Context())
	WriteJSON(w, http.StatusOK, MeResponse{User: v.Name, Role: v.Role})
}

// MeResponse names the signed-in reviewer.
type MeResponse struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// ---- helpers ------------------------------------------------------------------

// decodeBody reads one JSON object of at most max bytes; unknown fields and
// trailing data are errors. An empty body decodes as {}.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			WriteError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send Content-Type: application/json")
			return false
		}
	}
	body := http.MaxBytesReader(w, r.Body, max)
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("body exceeds %d bytes", max))
			return false
		}
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "could not read body")
		return false
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD:
	// refuse it, as /v1/screen does.
	if !utf8.Valid(b) {
		WriteError(w, http.StatusBadRequest, CodeInvalidUTF8, "request body is not valid UTF-8")
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		b = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		WriteError(w, http.StatusBadRequest, CodeInvalidJSON, "invalid JSON: "+err.Error())
		return false
	}
	if dec.More() {
		WriteError(w, http.StatusBadRequest, CodeInvalidJSON, "invalid JSON: data after the object")
		return false
	}
	return true
}

func (rr *ReviewResource) internal(w http.ResponseWriter, what string, err error) {
	rr.log.Error("review api: "+what, "err", err)
	WriteError(w, http.StatusInternalServerError, CodeInternal, "internal error ("+what+")")
}

// queueError maps review errors to statuses; state is unchanged in every
// error case.
func queueError(w http.ResponseWriter, log *slog.Logger, err error) {
	switch {
	case errors.Is(err, review.ErrNotFound):
		WriteError(w, http.StatusNotFound, CodeNotFound, "no such case")
	case errors.Is(err, review.ErrAlreadyDecided):
		WriteError(w, http.StatusConflict, CodeConflict, "the case is already decided")
	case errors.Is(err, review.ErrNotHolder):
		WriteError(w, http.StatusConflict, CodeConflict, "you do not hold a lease on this case (claim it first; leases expire)")
	case errors.Is(err, review.ErrClaimed):
		WriteError(w, http.StatusConflict, CodeConflict, "another reviewer holds this case")
	case errors.As(err, new(*review.ConsequenceError)):
		var ce *review.ConsequenceError
		errors.As(err, &ce)
		WriteErrorDetails(w, http.StatusConflict, CodeConsequenceChanged,
			"the decision would now trigger "+consequenceName(ce.Consequence.Enforcement)+"; nothing was saved: look and confirm again",
			ce.Consequence)
	case errors.Is(err, review.ErrLeadsOnly):
		WriteError(w, http.StatusForbidden, CodeForbidden, "only leads and admins may take escalated cases or decide in bulk")
	case errors.Is(err, review.ErrSameReviewer):
		WriteError(w, http.StatusConflict, CodeConflict, "you decided this case: another reviewer must review the appeal")
	case errors.Is(err, review.ErrAppealed):
		WriteError(w, http.StatusConflict, CodeConflict, "the case was appealed: the appeal decides")
	case errors.Is(err, review.ErrNotDecided):
		WriteError(w, http.StatusConflict, CodeConflict, "the case is not decided")
	case errors.Is(err, review.ErrReversalWindow):
		WriteError(w, http.StatusConflict, CodeConflict, "the decision can no longer be taken back (only its reviewer or a lead, within the reversal window)")
	case errors.Is(err, review.ErrAppealsRateLimited):
		w.Header().Set("Retry-After", "3600")
		WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "too many appeals from this appellant; try later")
	case errors.Is(err, review.ErrInvalid):
		WriteError(w, http.StatusBadRequest, CodeBadRequest, strings.TrimPrefix(err.Error(), review.ErrInvalid.Error()+": "))
	case errors.Is(err, review.ErrRateLimited):
		w.Header().Set("Retry-After", "60")
		WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "too many reports from this reporter; try later")
	case errors.Is(err, review.ErrContended):
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusServiceUnavailable, CodeNotReady, "busy, retry")
	default:
		log.Error("review api", "err", err)
		WriteError(w, http.StatusInternalServerError, CodeInternal, "internal error")
	}
}

// CaseResponse wraps a case. Violations, SenderCases and Consequences are
// filled on GET /cases/{id} (and the unmask answer) only.
type CaseResponse struct {
	Case        *modgate.Case         `json:"case"`
	Unmasked    bool                  `json:"unmasked"`
	Violations  *modgate.Violations   `json:"violations,omitempty"`
	Strikes     []review.Strike       `json:"strikes,omitempty"`
	SenderCases []modgate.CaseSummary `json:"sender_cases,omitempty"`
	// Consequences is what each decision key would trigger for the member
	// (from the policies), so the reviewer sees it before pressing.
	Consequences map[string]modgate.Consequence `json:"consequences,omitempty"`
	// ReversibleUntil is set on a decided case the caller may still take
	// back (POST /cases/{id}/reverse).
	ReversibleUntil *time.Time `json:"reversible_until,omitempty"`
}

// CodeConsequenceChanged: a decision's consequence differs from the one
// the reviewer confirmed (409, details: the new consequence).
const CodeConsequenceChanged = "consequence_changed"

func consequenceName(e string) string {
	if e == "" {
		return "no enforcement"
	}
	return e
}

// view hides what the caller may not see: the original text (unless
// unmasked), and other reviewers' lease tokens.
func view(c *modgate.Case, v Reviewer, unmasked bool) CaseResponse {
	if !unmasked {
		review.Redact(c)
	}
	if c.Lease != nil && c.Lease.Holder != v.Name {
		l := *c.Lease
		l.Token = ""
		c.Lease = &l
	}
	return CaseResponse{Case: c, Unmasked: unmasked}
}

// ---- cases ---------------------------------------------------------------------

// CaseList is a page of cases.
type CaseList struct {
	Cases  []modgate.CaseSummary `json:"cases"`
	Total  int                   `json:"total"`
	Offset int                   `json:"offset"`
	Limit  int                   `json:"limit"`
}

func parseDurationParam(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want seconds or a duration like 10m")
	}
	return d, nil
}

func intParam(q map[string][]string, name string, def, min, max int) (int, error) {
	s := ""
	if v := q[name]; len(v) > 0 {
		s = v[0]
	}
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%s must be an integer in %d..%d", name, min, max)
	}
	return n, nil
}

func (rr *ReviewResource) listCases(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	f := review.Filter{Lane: qs.Get("lane"), State: modgate.CaseState(qs.Get("state")), Label: qs.Get("label"),
		Tenant: qs.Get("tenant"), Holder: qs.Get("holder")}
	if f.Lane != "" && !slices.Contains(modgate.Lanes, f.Lane) {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "lane must be one of "+strings.Join(modgate.Lanes, ", "))
		return
	}
	switch f.State {
	case "", modgate.CaseOpen, modgate.CaseClaimed, modgate.CaseDecided, modgate.CaseAppealed:
	default:
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "state must be open, claimed, decided or appealed")
		return
	}
	var err error
	if f.MinAge, err = parseDurationParam(qs.Get("min_age")); err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "min_age: "+err.Error())
		return
	}
	if f.Limit, err = intParam(qs, "limit", 50, 1, 500); err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	if f.Offset, err = intParam(qs, "offset", 0, 0, 1<<30); err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	cases, total := rr.q.List(f)
	if cases == nil {
		cases = []modgate.CaseSummary{}
	}
	WriteJSON(w, http.StatusOK, CaseList{Cases: cases, Total: total, Offset: f.Offset, Limit: f.Limit})
}

func (rr *ReviewResource) getCase(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("unmask") {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "unmasking needs a reason: POST /v1/review/cases/{id}/unmask {\"reason\": \"...\"} (leads and admins)")
		return
	}
	c, err := rr.q.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	rr.writeCase(w, r, c, false)
}

// writeCase answers a case with what the case view needs: the sender's
// record and other cases, and the consequence of every key.
func (rr *ReviewResource) writeCase(w http.ResponseWriter, r *http.Request, c *modgate.Case, unmasked bool) {
	v := ReviewerFrom(r.Context())
	cs, err := rr.q.Consequences(r.Context(), c, nil)
	if err != nil {
		rr.internal(w, "consequences", err)
		return
	}
	resp := view(c, v, unmasked)
	resp.Consequences = cs
	if d := c.Decision; d != nil && c.State == modgate.CaseDecided && c.Appeal == nil &&
		(d.Reviewer == v.Name || review.RoleRank(v.Role) >= review.RoleRank(modgate.RoleLead)) {
		if until := d.At.Add(rr.q.Config().ReversalWindow); time.Now().Before(until) {
			resp.ReversibleUntil = &until
		}
	}
	if sender := c.Message.Sender.ID; sender != "" {
		ss, vi, err := rr.strikesOf(r.Context(), c.Tenant, sender)
		if err != nil {
			rr.internal(w, "strikes", err)
			return
		}
		resp.Violations, resp.Strikes = &vi, ss
		others, _ := rr.q.List(review.Filter{Sender: sender, Tenant: c.Tenant, Limit: 11})
		for _, o := range others {
			if o.ID != c.ID && len(resp.SenderCases) < 10 {
				resp.SenderCases = append(resp.SenderCases, o)
			}
		}
	}
	WriteJSON(w, http.StatusOK, resp)
}

type unmaskRequest struct {
	Reason string `json:"reason"`
}

// unmask shows a lead the original text; the reason is recorded in the
// audit trail before the data leaves.
func (rr *ReviewResource) unmask(w http.ResponseWriter, r *http.Request) {
	var req unmaskRequest
	if !decodeBody(w, r, 8<<10, &req) {
		return
	}
	reason := strings.TrimSpace(req.Reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 500 {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "reason: say why in 2 to 500 characters; it is recorded in the audit trail")
		return
	}
	c, err := rr.q.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	v := ReviewerFrom(r.Context())
	if err := rr.audit.Audit(r.Context(), modgate.AuditEvent{Kind: modgate.AuditUnmaskView, Actor: v.Name,
		CaseID: c.ID, Tenant: c.Tenant, SenderID: c.Message.Sender.ID, Text: reason}); err != nil {
		rr.internal(w, "audit unmask", err)
		return
	}
	rr.writeCase(w, r, c, true)
}

// ConsequencesResponse is what each key would trigger with given labels.
type ConsequencesResponse struct {
	Consequences map[string]modgate.Consequence `json:"consequences"`
}

func (rr *ReviewResource) consequences(w http.ResponseWriter, r *http.Request) {
	c, err := rr.q.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	var labels []string
	if qs := r.URL.Query(); qs.Has("labels") {
		labels = []string{}
		for _, l := range strings.Split(qs.Get("labels"), ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
		if err := review.ValidateDecision(modgate.Decision{Action: modgate.DecisionApprove, Labels: labels}); err != nil {
			queueError(w, rr.log, err)
			return
		}
	}
	cs, err := rr.q.Consequences(r.Context(), c, labels)
	if err != nil {
		rr.internal(w, "consequences", err)
		return
	}
	WriteJSON(w, http.StatusOK, ConsequencesResponse{Consequences: cs})
}

type claimNextRequest struct {
	Lanes []string `json:"lanes"`
}

func (rr *ReviewResource) claimNext(w http.ResponseWriter, r *http.Request) {
	var req claimNextRequest
	if !decodeBody(w, r, 4<<10, &req) {
		return
	}
	v := ReviewerFrom(r.Context())
	c, err := rr.q.ClaimNextAs(r.Context(), v.Name, v.Role, req.Lanes)
	if errors.Is(err, review.ErrEmpty) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	WriteJSON(w, http.StatusOK, view(c, v, false))
}

// caseAction is the handler of an action on one case: it decodes a JSON
// body of at most max bytes into a T, runs do as the caller and answers
// with the case as the caller may see it. do refuses a request itself by
// returning an *apiError.
func caseAction[T any](rr *ReviewResource, max int64, do func(ctx context.Context, id string, v Reviewer, req *T) (*modgate.Case, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req T
		if !decodeBody(w, r, max, &req) {
			return
		}
		v := ReviewerFrom(r.Context())
		c, err := do(r.Context(), chi.URLParam(r, "id"), v, &req)
		var ae *apiError
		switch {
		case errors.As(err, &ae):
			ae.write(w)
		case err != nil:
			queueError(w, rr.log, err)
		default:
			WriteJSON(w, http.StatusOK, view(c, v, false))
		}
	}
}

func (rr *ReviewResource) claim(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 1<<10, func(ctx context.Context, id string, v Reviewer, _ *struct{}) (*modgate.Case, error) {
		return rr.q.ClaimAs(ctx, id, v.Name, v.Role)
	})(w, r)
}

type extendRequest struct {
	Token   string `json:"token"`
	Seconds int    `json:"seconds"`
}

func (rr *ReviewResource) extend(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 4<<10, func(ctx context.Context, id string, v Reviewer, req *extendRequest) (*modgate.Case, error) {
		if req.Seconds < 0 || req.Seconds > 24*3600 {
			return nil, &apiError{http.StatusBadRequest, CodeBadRequest, "seconds must be in 0..86400 (0 = the default lease)"}
		}
		return rr.q.Extend(ctx, id, v.Name, req.Token, time.Duration(req.Seconds)*time.Second)
	})(w, r)
}

type releaseRequest struct {
	Token string `json:"token"`
	// Force lets a lead release someone else's lease.
	Force bool `json:"force"`
}

func (rr *ReviewResource) release(w http.ResponseWriter, r *http.Request) {
	caseAction(rr, 4<<10, func(ctx context.Context, id string, v Reviewer, req *releaseRequest) (*modgate.Case, error) {
		if req.Force && review.RoleRank(v.Role) < review.RoleRank(modgate.RoleLead) {
			return nil, &apiError{http.StatusForbidden, CodeForbidden, "only leads and admins may release another reviewer's case"}
		}
		return rr.q.Release(ctx, id, v.Name, req.Token, req.Force)
	})(w, r)
}

type decideRequest struct {
	Action string    `json:"action"`
	Labels *[]string `json:"labels"`
	Note   string    `json:"note"`
	Token  string    `json:"token"`
	// Expect is the enforcement the reviewer saw and confirmed.
	Expect *string `json:"expect,omitempty"`
	// HeldMS is how long the UI held the decision in its undo window.
	HeldMS int64 `json:"held_ms,omitempty"`
}

func (rr *ReviewResource) decide(w http.ResponseWriter, r *http.Request) {
	// A 2000-character note is at most 8 KB of UTF-8 (24 KB escaped).
	caseAction(rr, 64<<10, func(ctx context.Context, id string, v Reviewer, req *decideRequest) (*modgate.Case, error) {
		d := modgate.Decision{Action: req.Action, Note: req.Note, Expect: req.Expect, HeldMS: req.HeldMS}
		if req.Labels != nil {
			d.Labels = append([]string{}, (*req.Labels)...)
		}
		return rr.q.Decide(ctx, id, v.Name, req.Token, d)
	})(w, r)
}

func (rr *ReviewResource) memberStrikes(w http.ResponseWriter, r *http.Request) {
	tenant, sender := r.URL.Query().Get("tenant"), r.URL.Query().Get("sender")
	if sender == "" || len(sender) > 256 || len(tenant) > 256 {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "sender is required (tenant optional), each at most 256 bytes")
		return
	}
	ss, vi, err := rr.strikesOf(r.Context(), tenant, sender)
	if err != nil {
		rr.internal(w, "strikes", err)
		return
	}
	WriteJSON(w, http.StatusOK, StrikesResponse{Tenant: tenant, Sender: sender, Violations: vi, Strikes: ss})
}

// strikesOf is a member's live strikes (never nil: the pages list them as
// an array) and their count.
func (rr *ReviewResource) strikesOf(ctx context.Context, tenant, sender string) ([]review.Strike, modgate.Violations, error) {
	ss, err := rr.strikeStore.List(ctx, tenant, sender)
	if err != nil {
		return nil, modgate.Violations{}, err
	}
	if ss == nil {
		ss = []review.Strike{}
	}
	return ss, review.CountStrikes(ss), nil
}

// StrikesResponse is a member's unexpired confirmed violations.
type StrikesResponse struct {
	Tenant     string             `json:"tenant"`
	Sender     string             `json:"sender"`
	Violations modgate.Violations `json:"violations"`
	Strikes    []review.Strike    `json:"strikes"`
}

func (rr *ReviewResource) stats(w http.ResponseWriter, r *http.Request) {
	var since time.Time
	if s := r.URL.Query().Get("since"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			WriteError(w, http.StatusBadRequest, CodeBadRequest, "since: "+err.Error())
			return
		}
		since = t
	}
	WriteJSON(w, http.StatusOK, rr.q.Stats(r.Context(), since))
}

// parseTime accepts RFC 3339 or a date (UTC midnight).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)", s)
}

// events streams case changes (from the NATS KV watch, so changes made by
// every replica) as Server-Sent Events: `event: case` with a CaseChange.
func (rr *ReviewResource) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // long-lived despite the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch, cancel := rr.q.Subscribe()
	defer cancel()
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case c := <-ch:
			b, _ := json.Marshal(c)
			if _, err := fmt.Fprintf(w, "event: case\nid: %d\ndata: %s\n\n", c.Revision, b); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// ---- subject-data requests (PIPL) ------------------------------------------------

func (rr *ReviewResource) subjectExport(w http.ResponseWriter, r *http.Request) {
	v := ReviewerFrom(r.Context())
	d, err := rr.q.ExportSubject(r.Context(), v.Name, chi.URLParam(r, "sender"))
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="subject-export.json"`)
	WriteJSON(w, http.StatusOK, d)
}

func (rr *ReviewResource) subjectDelete(w http.ResponseWriter, r *http.Request) {
	v := ReviewerFrom(r.Context())
	n, err := rr.q.DeleteSubject(r.Context(), v.Name, chi.URLParam(r, "sender"))
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	WriteJSON(w, http.StatusOK, SubjectDeleteResponse{Deleted: n})
}

// SubjectDeleteResponse counts what a subject-data deletion purged, by kind.
type SubjectDeleteResponse struct {
	Deleted map[string]int `json:"deleted"`
}

// ReviewMeta is what the reviewer UI needs to know about the taxonomy, the
// lanes and the decision keys. Go is the single source: the UI keeps no
// copy of these lists.
type ReviewMeta struct {
	Labels  []modgate.LabelInfo   `json:"labels"`
	Lanes   []LaneMeta            `json:"lanes"`
	Actions []modgate.DecisionKey `json:"actions"`
	// UndoMS is the deployment's undo window (0: decisions go at once);
	// ReversalSeconds how long a decision may be taken back.
	UndoMS          int64 `json:"undo_ms"`
	ReversalSeconds int64 `json:"reversal_seconds"`
}

// LaneMeta is one review lane with its configured SLA.
type LaneMeta struct {
	modgate.LaneInfo
	SLASeconds int64 `json:"sla_seconds"`
}

func (rr *ReviewResource) meta(w http.ResponseWriter, r *http.Request) {
	m := ReviewMeta{Labels: modgate.Taxonomy, Actions: modgate.DecisionKeys}
	if rr.q != nil {
		m.UndoMS = rr.q.Config().UndoWindow.Milliseconds()
		m.ReversalSeconds = int64(rr.q.Config().ReversalWindow / time.Second)
	}
	for _, l := range modgate.LaneSpecs {
		sla := l.SLA
		if rr.q != nil {
			sla = rr.q.SLA(l.Name)
		}
		m.Lanes = append(m.Lanes, LaneMeta{LaneInfo: l, SLASeconds: int64(sla / time.Second)})
	}
	WriteJSON(w, http.StatusOK, m)
}

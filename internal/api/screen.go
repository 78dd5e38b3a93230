package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/screen"
)

// EscalationHeader tells the client where a review case went: "published"
// (acknowledged by JetStream) or "spooled" (on the gateway's local spool,
// replayed to JetStream when NATS is back).
const EscalationHeader = "X-Modgate-Escalation"

// apiError is a request error with its HTTP status.
type apiError struct {
	Status int
	Code   string
	Msg    string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Msg }

func (e *apiError) write(w http.ResponseWriter) { WriteError(w, e.Status, e.Code, e.Msg) }

// ScreenResponse is the /v1/screen answer: the verdict, plus where its case
// went when it escalated.
type ScreenResponse struct {
	*modgate.Verdict
	Escalation Outcome `json:"escalation,omitempty"`
}

// BatchRequest is the /v1/screen/batch body.
type BatchRequest struct {
	Messages []json.RawMessage `json:"messages"`
}

// BatchItem is one batch result: a verdict, or an error for that message.
type BatchItem struct {
	*modgate.Verdict
	Escalation Outcome      `json:"escalation,omitempty"`
	Error      *ErrorDetail `json:"error,omitempty"`
}

// BatchResponse holds one result per message, in request order.
type BatchResponse struct {
	Results []BatchItem `json:"results"`
}

// requireJSON answers 415 unless the body is declared JSON.
func requireJSON(w http.ResponseWriter, r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return true
	}
	WriteError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type must be application/json")
	return false
}

// readBody reads at most limit bytes; more is a 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("request body over %d bytes", limit)}
		}
		return nil, &apiError{http.StatusBadRequest, CodeBadRequest, "reading request body failed"}
	}
	return body, nil
}

// DecodeMessage parses one screening request. It rejects invalid UTF-8
// (encoding/json would silently replace it), malformed JSON, wrong field
// types, a missing/empty text and a text over maxText bytes; unknown fields
// are ignored.
func DecodeMessage(body []byte, maxText int) (modgate.Message, *apiError) {
	var m modgate.Message
	if !utf8.Valid(body) {
		return m, &apiError{http.StatusBadRequest, CodeInvalidUTF8, "request body is not valid UTF-8"}
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return modgate.Message{}, jsonError(err)
	}
	return m, checkMessage(&m, maxText)
}

// Field limits of a screening request besides the text. Every field is
// bounded so that no request can make an escalation (or the case built
// from it) too large for NATS; ids land in logs, subjects and keys, so
// control characters are refused too.
const (
	MaxIDBytes      = 256     // id, tenant, sender.id, group.id
	MaxKindBytes    = 64      // group.kind
	MaxContextBytes = 8 << 10 // context, as encoded JSON
)

func checkMessage(m *modgate.Message, maxText int) *apiError {
	if strings.TrimSpace(m.Text) == "" {
		return &apiError{http.StatusBadRequest, CodeMissingText, "text is required (and not only whitespace)"}
	}
	if len(m.Text) > maxText {
		return &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("text is %d bytes; the limit is %d", len(m.Text), maxText)}
	}
	if strings.ContainsRune(m.Text, utf8.RuneError) && !utf8.ValidString(m.Text) {
		return &apiError{http.StatusBadRequest, CodeInvalidUTF8, "text is not valid UTF-8"}
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"id", m.ID, MaxIDBytes}, {"tenant", m.Tenant, MaxIDBytes}, {"sender.id", m.Sender.ID, MaxIDBytes},
		{"group.id", m.Group.ID, MaxIDBytes}, {"group.kind", m.Group.Kind, MaxKindBytes}} {
		if e := checkField(f.name, f.v, f.max); e != nil {
			return e
		}
	}
	if m.Context != nil {
		b, err := json.Marshal(m.Context)
		if err != nil {
			return &apiError{http.StatusBadRequest, CodeBadRequest, "context cannot be encoded"}
		}
		if len(b) > MaxContextBytes {
			return &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("context is %d bytes as JSON; the limit is %d", len(b), MaxContextBytes)}
		}
	}
	return nil
}

// checkField bounds one identifier-like field.
func checkField(name, v string, max int) *apiError {
	if len(v) > max {
		return &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("%s is %d bytes; the limit is %d", name, len(v), max)}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return &apiError{http.StatusBadRequest, CodeBadRequest, name + " must not contain control characters"}
		}
	}
	if !utf8.ValidString(v) {
		return &apiError{http.StatusBadRequest, CodeInvalidUTF8, name + " is not valid UTF-8"}
	}
	return nil
}

// escalationError answers a review verdict whose case could not be stored.
func escalationError(err error) *apiError {
	if errors.Is(err, ErrTooLarge) {
		return &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge,
			"the review case for this message is too large for the queue (NATS max_payload); shorten the text or its fields"}
	}
	return &apiError{http.StatusServiceUnavailable, CodeNotReady, "the review case could not be stored; retry (the case id is stable)"}
}

// jsonError names what is wrong without echoing the (possibly personal) input.
func jsonError(err error) *apiError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &apiError{http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("malformed JSON at byte %d", se.Offset)}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return &apiError{http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("request must be a JSON object, got %s", te.Value)}
		}
		return &apiError{http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("field %q: expected %s, got %s", field, te.Type, te.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{http.StatusBadRequest, CodeInvalidJSON, "truncated JSON"}
	}
	return &apiError{http.StatusBadRequest, CodeInvalidJSON, "malformed JSON"}
}

func (s *Server) notReady(w http.ResponseWriter) bool {
	if s.draining.Load() {
		WriteError(w, http.StatusServiceUnavailable, CodeNotReady, "gateway is shutting down")
		return true
	}
	return false
}

// screenOne screens m and applies fail_mode when the engine cannot decide.
// Input the engine rejects comes back as an apiError; so does a request
// whose client went away (nothing to answer, nothing to escalate).
func (s *Server) screenOne(ctx context.Context, m *modgate.Message) (modgate.Verdict, *apiError) {
	v, err := s.cfg.Engine.Screen(ctx, *m)
	if err != nil {
		switch {
		case errors.Is(err, screen.ErrEmptyText):
			return v, &apiError{http.StatusBadRequest, CodeMissingText, "text is required (and not only whitespace)"}
		case errors.Is(err, screen.ErrInvalidUTF8):
			return v, &apiError{http.StatusBadRequest, CodeInvalidUTF8, "text is not valid UTF-8"}
		case errors.Is(err, screen.ErrTooLarge):
			return v, &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge, "text is over the size limit"}
		case ctx.Err() != nil:
			return v, &apiError{http.StatusServiceUnavailable, CodeNotReady, "request cancelled"}
		}
		// Anything else means the engine could not decide: fail_mode answers.
		s.log.Error("engine failed; fail_mode decides", "fail_mode", s.cfg.FailMode, "err", err, "message_id", m.ID, "tenant", m.Tenant)
		action := modgate.ActionReview
		if s.cfg.FailMode == FailOpen {
			action = modgate.ActionAllow
		}
		v = modgate.NewVerdict(m.ID, fmt.Sprintf("degraded-%016x%016x", rand.Uint64(), rand.Uint64()),
			modgate.PolicyDecision{Action: action}, modgate.Findings{}, s.cfg.Engine.Revision())
		v.Degraded = true
	}
	s.m.verdict(&v)
	return v, nil
}

// escalation builds the case for a review verdict (or patrol sample).
func escalation(m *modgate.Message, v *modgate.Verdict, source string) *modgate.Escalation {
	lane := modgate.LaneNormal
	switch {
	case source == "patrol":
		lane = modgate.LanePatrol
	case v.Severity >= modgate.SeverityBlock:
		lane = modgate.LaneHigh
	}
	v.CaseID = modgate.CaseIDFor(m.Tenant, m.ID, v.DecisionID)
	return &modgate.Escalation{CaseID: v.CaseID, Lane: lane, Source: source, Message: *m, Verdict: *v,
		Normalized: v.Normalized, Context: v.Context, At: time.Now().UTC()}
}

func (s *Server) patrol() bool {
	return s.cfg.PatrolRate > 0 && rand.Float64() < s.cfg.PatrolRate
}

// samplePatrol sends a copy of an allow verdict to the patrol lane without
// waiting; the response does not carry its case id.
func (s *Server) samplePatrol(m *modgate.Message, v modgate.Verdict) {
	s.cfg.Escalator.EscalateAsync(escalation(m, &v, "patrol"))
}

func (s *Server) screen(w http.ResponseWriter, r *http.Request) {
	if s.notReady(w) || !requireJSON(w, r) {
		return
	}
	body, aerr := readBody(w, r, s.cfg.MaxBodyBytes)
	if aerr != nil {
		aerr.write(w)
		return
	}
	m, aerr := DecodeMessage(body, s.cfg.MaxTextBytes)
	if aerr != nil {
		aerr.write(w)
		return
	}
	if p := PrincipalFrom(r.Context()); p.Authenticated {
		m.Tenant = p.Tenant
	}
	if !s.allow(m.Tenant, 1) {
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded for this tenant")
		return
	}
	v, aerr := s.screenOne(r.Context(), &m)
	if aerr != nil {
		aerr.write(w)
		return
	}
	resp := ScreenResponse{Verdict: &v}
	switch {
	case v.Action == modgate.ActionReview:
		out, err := s.cfg.Escalator.Escalate(r.Context(), escalation(&m, &v, "screen"))
		if err != nil {
			escalationError(err).write(w)
			return
		}
		resp.Escalation = out
		w.Header().Set(EscalationHeader, string(out))
	case v.Action == modgate.ActionAllow && s.patrol():
		s.samplePatrol(&m, v)
	}
	WriteJSON(w, http.StatusOK, resp)
}

func (s *Server) screenBatch(w http.ResponseWriter, r *http.Request) {
	if s.notReady(w) || !requireJSON(w, r) {
		return
	}
	body, aerr := readBody(w, r, s.cfg.MaxBatchBytes)
	if aerr != nil {
		aerr.write(w)
		return
	}
	if !utf8.Valid(body) {
		WriteError(w, http.StatusBadRequest, CodeInvalidUTF8, "request body is not valid UTF-8")
		return
	}
	// Fast path: one decode of the whole batch. Only when it fails (a wrong
	// type somewhere) decode item by item, to say which items are bad.
	var typed struct {
		Messages []modgate.Message `json:"messages"`
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &typed); err != nil {
		var req BatchRequest
		if err := json.Unmarshal(body, &req); err != nil {
			jsonError(err).write(w)
			return
		}
		raws = req.Messages
		typed.Messages = nil
	}
	n := len(typed.Messages)
	if raws != nil {
		n = len(raws)
	}
	if n == 0 {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "messages must be a non-empty array")
		return
	}
	if n > s.cfg.MaxBatch {
		WriteError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("batch has %d messages; the limit is %d", n, s.cfg.MaxBatch))
		return
	}
	p := PrincipalFrom(r.Context())
	msgs := typed.Messages
	if msgs == nil {
		msgs = make([]modgate.Message, n)
	}
	items := make([]BatchItem, n)
	verdicts := make([]modgate.Verdict, n)
	ok := make([]bool, n)
	tenant := ""
	for i := range msgs {
		if raws != nil {
			if err := json.Unmarshal(raws[i], &msgs[i]); err != nil {
				e := jsonError(err)
				items[i].Error = &ErrorDetail{Code: e.Code, Message: e.Msg}
				continue
			}
		}
		m := &msgs[i]
		if e := checkMessage(m, s.cfg.MaxTextBytes); e != nil {
			items[i].Error = &ErrorDetail{Code: e.Code, Message: e.Msg}
			continue
		}
		if p.Authenticated {
			m.Tenant = p.Tenant
		}
		tenant = m.Tenant
		ok[i] = true
	}
	// The bucket is charged per message; in open mode the batch is charged
	// to the last item's tenant.
	if !s.allow(tenant, n) {
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded for this tenant")
		return
	}
	s.screenParallel(r.Context(), msgs, verdicts, ok, items)

	var escs []*modgate.Escalation
	var escIdx []int
	for i := range msgs {
		if !ok[i] {
			continue
		}
		items[i].Verdict = &verdicts[i]
		switch {
		case verdicts[i].Action == modgate.ActionReview:
			escs = append(escs, escalation(&msgs[i], &verdicts[i], "screen"))
			escIdx = append(escIdx, i)
		case verdicts[i].Action == modgate.ActionAllow && s.patrol():
			s.samplePatrol(&msgs[i], verdicts[i])
		}
	}
	if len(escs) > 0 {
		outs, errs := s.cfg.Escalator.EscalateMany(r.Context(), escs)
		spooled := false
		for j, i := range escIdx {
			if outs[j] == "" {
				items[i].Verdict = nil
				e := escalationError(errs[j])
				items[i].Error = &ErrorDetail{Code: e.Code, Message: e.Msg}
				continue
			}
			items[i].Escalation = outs[j]
			spooled = spooled || outs[j] == OutcomeSpooled
		}
		if spooled {
			w.Header().Set(EscalationHeader, string(OutcomeSpooled))
		}
	}
	WriteJSON(w, http.StatusOK, BatchResponse{Results: items})
}

// screenParallel screens the valid messages on up to GOMAXPROCS goroutines.
func (s *Server) screenParallel(ctx context.Context, msgs []modgate.Message, out []modgate.Verdict, ok []bool, items []BatchItem) {
	one := func(i int) {
		v, aerr := s.screenOne(ctx, &msgs[i])
		if aerr != nil {
			ok[i] = false
			items[i].Error = &ErrorDetail{Code: aerr.Code, Message: aerr.Msg}
			return
		}
		out[i] = v
	}
	workers := runtime.GOMAXPROCS(0)
	if len(msgs) < 16 || workers == 1 {
		for i := range msgs {
			if ok[i] {
				one(i)
			}
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (len(msgs) + workers - 1) / workers
	for lo := 0; lo < len(msgs); lo += chunk {
		hi := min(lo+chunk, len(msgs))
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if ok[i] {
					one(i)
				}
			}
		}(lo, hi)
	}
	wg.Wait()
}

package api

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, HealthResponse{Status: "ok"})
}

// Ready states of /readyz.
const (
	StatusReady    = "ready"
	StatusDegraded = "degraded" // serving (200), but an operator must look
	StatusNotReady = "not_ready"
)

// HealthResponse is /healthz: the process is up.
type HealthResponse struct {
	Status string `json:"status"`
}

// ReadyResponse is the /readyz body: 200 when ready or degraded, 503 when
// not ready.
type ReadyResponse struct {
	Status           string           `json:"status"`
	Engine           RevisionResponse `json:"engine"`
	NATS             string           `json:"nats"`
	SpoolPending     int              `json:"spool_pending"`
	SpoolDeadLetters int              `json:"spool_dead_letters"`
	// Problems make the gateway not ready; Degraded ones leave it serving.
	Problems []string `json:"problems,omitempty"`
	Degraded []string `json:"degraded,omitempty"`
}

// fallbackEngine is implemented by an engine that can serve a saved
// last-good build while its files are broken (internal/screen).
type fallbackEngine interface {
	Fallback() string
}

// readyz: ready = engine loaded and NATS connected and not shutting down.
// A failed reload, an engine started from its last good build, dead letters
// and the like leave the gateway serving: status "degraded", still 200.
// Directory paths are shown to admin keys only (the endpoint is public).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	pending, dead := s.cfg.Escalator.SpoolCounts()
	resp := ReadyResponse{Status: StatusReady, Engine: s.revision(), NATS: "connected",
		SpoolPending: pending, SpoolDeadLetters: dead}
	rev := s.cfg.Engine.Revision()
	if rev.Policy == "" && rev.Lexicon == "" {
		resp.Problems = append(resp.Problems, "engine not loaded")
	}
	if s.cfg.NATSReady != nil {
		if err := s.cfg.NATSReady(); err != nil {
			resp.NATS = err.Error()
			resp.Problems = append(resp.Problems, "nats: "+err.Error())
		}
	}
	if s.draining.Load() {
		resp.Problems = append(resp.Problems, "shutting down")
	}
	if f, ok := s.cfg.Engine.(fallbackEngine); ok {
		if msg := f.Fallback(); msg != "" {
			resp.Degraded = append(resp.Degraded, msg)
		}
	}
	if resp.Engine.LastReloadError != nil {
		resp.Degraded = append(resp.Degraded, "engine: "+*resp.Engine.LastReloadError)
	}
	if n := resp.SpoolDeadLetters; n > 0 {
		resp.Degraded = append(resp.Degraded, plural(n, "escalation")+" NATS cannot take are kept in the spool's dead-letter log (modgate spool list)")
	}
	if s.cfg.Degraded != nil {
		resp.Degraded = append(resp.Degraded, s.cfg.Degraded()...)
	}
	if !s.isAdmin(r) {
		hide := s.hidePaths
		resp.Engine.PolicyDir, resp.Engine.LexiconDir = "", ""
		if resp.Engine.LastReloadError != nil {
			msg := hide(*resp.Engine.LastReloadError)
			resp.Engine.LastReloadError = &msg
		}
		for i := range resp.Degraded {
			resp.Degraded[i] = hide(resp.Degraded[i])
		}
	}
	status := http.StatusOK
	switch {
	case len(resp.Problems) > 0:
		resp.Status = StatusNotReady
		status = http.StatusServiceUnavailable
	case len(resp.Degraded) > 0:
		resp.Status = StatusDegraded
	}
	WriteJSON(w, status, resp)
}

// isAdmin reports whether the request carries an admin key.
func (s *Server) isAdmin(r *http.Request) bool {
	tok, ok := bearer(r)
	if !ok || s.cfg.Keys.Empty() {
		return false
	}
	_, _, admin := s.cfg.Keys.lookup(tok)
	return admin
}

// hidePaths replaces the watched directories in msg by their last element,
// so a file:line error still says which file without showing the host's
// layout.
func (s *Server) hidePaths(msg string) string {
	for _, d := range []string{s.cfg.PolicyDir, s.cfg.LexiconDir} {
		if d == "" {
			continue
		}
		forms := []string{d}
		if abs, err := filepath.Abs(d); err == nil && abs != d {
			forms = append(forms, abs)
		}
		for _, f := range forms {
			msg = strings.ReplaceAll(msg, f, filepath.Base(filepath.Clean(f)))
		}
	}
	return msg
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

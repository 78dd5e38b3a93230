package api

import (
	_ "embed"
	"net/http"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ReadyResponse is the /readyz body (200 ready, 503 not).
type ReadyResponse struct {
	Status       string           `json:"status"`
	Engine       RevisionResponse `json:"engine"`
	NATS         string           `json:"nats"`
	SpoolPending int              `json:"spool_pending"`
	Problems     []string         `json:"problems,omitempty"`
}

// readyz: ready = engine loaded and NATS connected and not shutting down.
// A failed reload is reported but does not make the gateway unready: the
// previous engine keeps serving.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	resp := ReadyResponse{Status: "ready", Engine: s.revision(), NATS: "connected",
		SpoolPending: s.cfg.Escalator.cfg.Spool.Pending()}
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
	status := http.StatusOK
	if len(resp.Problems) > 0 {
		resp.Status = "not_ready"
		status = http.StatusServiceUnavailable
	}
	WriteJSON(w, status, resp)
}

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPI)
}

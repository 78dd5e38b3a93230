package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/time/rate"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/escalate"
)

// Engine is what the gateway needs from the screening engine
// (internal/screen.Screener implements it).
type Engine interface {
	modgate.Screener
	Revision() modgate.Revision
	// LastError is the last failed reload (nil when the last one worked).
	LastError() error
	// Reload rebuilds the engine from its directories; on failure the old
	// engine keeps serving.
	Reload(ctx context.Context) error
	// TryFile builds (without installing) an engine with one file replaced.
	TryFile(ctx context.Context, kind, name string, content []byte) error
}

// Fail modes: what /v1/screen answers when the engine cannot decide.
const (
	FailOpen   = "open"   // allow, degraded=true
	FailClosed = "closed" // review (escalated), degraded=true
)

// Config configures a Server. Engine, Escalator and Metrics are required.
type Config struct {
	Engine    Engine
	Escalator *escalate.Escalator
	Metrics   *Metrics
	Keys      *Keys
	Logger    *slog.Logger

	// NATSReady reports NATS connectivity for /readyz (nil: not checked).
	NATSReady func() error
	// Degraded lists conditions that leave the gateway serving but need an
	// operator (dead-lettered escalations...), shown by /readyz.
	Degraded func() []string

	MaxBodyBytes   int64   // single /v1/screen body cap (default 256 KiB)
	MaxTextBytes   int     // text cap (default modgate.DefaultMaxTextBytes)
	MaxBatch       int     // messages per batch (default 1000)
	MaxBatchBytes  int64   // batch body cap (default 8 MiB)
	MaxUploadBytes int64   // admin upload cap (default 8 MiB)
	PatrolRate     float64 // share of allow verdicts sampled to patrol (default 0.01; negative disables)
	FailMode       string  // open | closed (default closed)
	RateLimit      float64 // requests (messages) per second per tenant; 0 = unlimited
	RateBurst      int     // bucket size (default 2×RateLimit)

	// PolicyDir and LexiconDir are the watched directories admin uploads are
	// written into ("" = embedded defaults; uploads then fail with 409).
	PolicyDir, LexiconDir string

	// Mount lets other resources (reviewer API, reports) add routes. It runs
	// after the built-in routes are registered.
	Mount func(r chi.Router, s *Server)
}

// Server is the gateway's HTTP API.
type Server struct {
	cfg       Config
	log       *slog.Logger
	m         *Metrics
	router    chi.Router
	limiters  sync.Map     // tenant -> *rate.Limiter
	rateShare atomic.Int32 // live replicas sharing the rate (0 or 1: alone)
	nlim      atomic.Int64
	overflow  *rate.Limiter
	uploadMu  sync.Mutex
	draining  atomic.Bool
}

// maxLimiters bounds per-tenant limiter state; tenants beyond it share one
// bucket (in open mode tenants come from request bodies).
const maxLimiters = 10000

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Escalator == nil || cfg.Metrics == nil {
		return nil, errors.New("api: server needs an engine, an escalator and metrics")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 256 << 10
	}
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = modgate.DefaultMaxTextBytes
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = 8 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 8 << 20
	}
	switch cfg.FailMode {
	case "":
		cfg.FailMode = FailClosed
	case FailOpen, FailClosed:
	default:
		return nil, fmt.Errorf("api: fail_mode %q: want open or closed", cfg.FailMode)
	}
	if cfg.PatrolRate > 1 {
		return nil, fmt.Errorf("api: patrol rate %v: want 0..1", cfg.PatrolRate)
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("api: rate limit %v: want >= 0", cfg.RateLimit)
	}
	if cfg.RateLimit > 0 && cfg.RateBurst <= 0 {
		cfg.RateBurst = int(2*cfg.RateLimit) + 1
	}
	if cfg.Keys == nil {
		cfg.Keys = &Keys{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, m: cfg.Metrics}
	if cfg.RateLimit > 0 {
		s.overflow = rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.RateBurst)
	}
	s.m.SetRevision(cfg.Engine.Revision())
	s.routes()
	return s, nil
}

// Handler is the root handler.
func (s *Server) Handler() http.Handler { return s.router }

// Routes is the root router, for walking every route (the OpenAPI test).
func (s *Server) Routes() chi.Routes { return s.router }

// Keys returns the key set (for resources mounted through Config.Mount).
func (s *Server) Keys() *Keys { return s.cfg.Keys }

// SetDraining makes /readyz fail and new screening requests get 503 while
// the process shuts down.
func (s *Server) SetDraining() { s.draining.Store(true) }

func (s *Server) routes() {
	r := chi.NewRouter()
	r.Use(s.m.instrument, s.recoverer)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, http.StatusNotFound, CodeNotFound, "no such endpoint")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, http.StatusMethodNotAllowed, CodeBadRequest, "method not allowed")
	})
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", s.m.Handler())
	r.Get("/openapi.json", serveOpenAPI)
	r.Group(func(r chi.Router) {
		r.Use(s.cfg.Keys.RequireTenant)
		r.Post("/v1/screen", s.screen)
		r.Post("/v1/screen/batch", s.screenBatch)
	})
	r.Route("/v1/admin", func(r chi.Router) {
		r.Use(CrossOrigin, s.cfg.Keys.RequireAdmin)
		r.Get("/revision", s.adminRevision)
		r.Get("/files", s.adminFiles)
		r.Get("/files/{kind}/{file}", s.adminFile)
		r.Put("/policies/{file}", s.adminUpload(kindPolicy))
		r.Put("/lexicons/{file}", s.adminUpload(kindLexicon))
	})
	if s.cfg.Mount != nil {
		s.cfg.Mount(r, s)
	}
	s.router = r
}

// recoverer turns a handler panic into a 500 without the message text.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "route", r.URL.Path, "panic", fmt.Sprint(v))
				WriteError(w, http.StatusInternalServerError, CodeInternal, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// SetRateShare tells the server how many replicas share the configured
// per-tenant rate: each replica then allows rate/n, so the limit holds for
// the whole deployment (the live count comes from internal/presence).
func (s *Server) SetRateShare(n int) {
	if n < 1 {
		n = 1
	}
	s.rateShare.Store(int32(n))
	if s.cfg.RateLimit <= 0 {
		return
	}
	r, b := s.shareOfRate()
	now := time.Now()
	s.limiters.Range(func(_, v any) bool {
		l := v.(*rate.Limiter)
		l.SetLimitAt(now, r)
		l.SetBurstAt(now, b)
		return true
	})
	s.overflow.SetLimitAt(now, r)
	s.overflow.SetBurstAt(now, b)
}

// RateShare is the number of replicas the rate is currently divided by.
func (s *Server) RateShare() int { return max(int(s.rateShare.Load()), 1) }

// shareOfRate is this replica's part of the per-tenant rate and burst.
func (s *Server) shareOfRate() (rate.Limit, int) {
	n := max(int(s.rateShare.Load()), 1)
	return rate.Limit(s.cfg.RateLimit / float64(n)), max(s.cfg.RateBurst/n, 1)
}

// allow takes n tokens from the tenant's bucket.
func (s *Server) allow(tenant string, n int) bool {
	if s.cfg.RateLimit <= 0 {
		return true
	}
	if v, ok := s.limiters.Load(tenant); ok {
		return v.(*rate.Limiter).AllowN(time.Now(), n)
	}
	if s.nlim.Load() >= maxLimiters {
		return s.overflow.AllowN(time.Now(), n)
	}
	r, b := s.shareOfRate()
	v, loaded := s.limiters.LoadOrStore(tenant, rate.NewLimiter(r, b))
	if !loaded {
		s.nlim.Add(1)
	}
	return v.(*rate.Limiter).AllowN(time.Now(), n)
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/convo"
	"github.com/modgate/modgate/internal/datadir"
	"github.com/modgate/modgate/internal/escalate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/presence"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/internal/spool"
	reviewui "github.com/modgate/modgate/review-ui"
)

// Main is a running gateway: screening engine, NATS (embedded or external),
// spool, escalation publisher and HTTP server. Tests run it in-process.
type Main struct {
	Config Config
	Logger *slog.Logger

	Screener  *screen.Screener
	NATS      *natsutil.Embedded // nil with an external server
	Conn      *nats.Conn
	JS        jetstream.JetStream
	Spool     *spool.Spool
	Metrics   *api.Metrics
	Escalator *escalate.Escalator
	API       *api.Server
	Queue     *review.Queue // nil when review is off
	Convo     *convo.Store  // nil when conversation screening is off
	Users     *review.Users

	listener net.Listener
	natsURL  string
	closers  closeStack
	closed   bool
	reensure chan struct{} // kicked on every NATS reconnect
	// queue is Queue for the screening path's strike lookups: the engine
	// starts before NATS, so it sees violations once the queue is open.
	queue atomic.Pointer[review.Queue]
}

// NewMain returns a gateway for cfg; Run starts it.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Main{Config: cfg, Logger: logger}
}

// Addr is the HTTP address actually listened on.
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// NATSURL is the URL the gateway's NATS connection uses.
func (m *Main) NATSURL() string { return m.natsURL }

// Run starts every part and returns once the HTTP server is accepting
// connections. On error everything already started is closed.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	cfg := m.Config
	// One gateway per data directory: two embedded JetStream servers on one
	// store, or two writers on one spool, would corrupt both.
	lock, err := datadir.Acquire(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.closers.push(func(context.Context) error { return lock.Unlock() })
	keys, err := m.loadKeys()
	if err != nil {
		return err
	}
	m.Metrics = api.NewMetrics()
	policyDir := resolveDir(cfg.PolicyDir, "./policies", ".rego")
	lexiconDir := resolveDir(cfg.LexiconDir, "./lexicons", ".txt")
	modelDir, noModels := resolveDir(cfg.ModelDir, "./models", ".mgm"), cfg.ModelDir == "none"
	if noModels {
		modelDir = ""
	}
	if err := m.startEngine(ctx, policyDir, lexiconDir, modelDir, noModels); err != nil {
		return err
	}
	if err := m.startNATS(ctx); err != nil {
		return err
	}
	if err := m.openConversation(ctx); err != nil {
		return err
	}
	mount, err := m.openReview(ctx)
	if err != nil {
		return err
	}
	if err := m.startEscalator(); err != nil {
		return err
	}
	m.API, err = api.New(api.Config{
		Engine: m.Screener, Escalator: m.Escalator, Metrics: m.Metrics, Keys: keys, Logger: m.Logger.With("component", "api"),
		NATSReady: m.natsReady, Degraded: m.degraded,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxTextBytes: cfg.MaxTextBytes, MaxBatch: cfg.MaxBatch,
		MaxBatchBytes: cfg.MaxBatchBytes, PatrolRate: cfg.PatrolRate, FailMode: cfg.FailMode,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, PolicyDir: policyDir, LexiconDir: lexiconDir,
		Mount: mount,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.startBackground(policyDir != "" || lexiconDir != "" || modelDir != "")
	if err := m.serveHTTP(keys); err != nil {
		return err
	}
	if err := m.servePprof(); err != nil {
		return err
	}
	m.Logger.Info("modgate serving", "addr", m.Addr(), "nats", natsutil.Redact(m.natsURL), "stream", modgate.StreamEscalations,
		"subjects", natsutil.EscalationSubject(cfg.SubjectPrefix, ">"), "fail_mode", cfg.FailMode, "patrol_rate", cfg.PatrolRate)
	return m.writeReadyFile()
}

// loadKeys reads the API keys; without any, the API may only listen on
// loopback.
func (m *Main) loadKeys() (*api.Keys, error) {
	cfg, log := m.Config, m.Logger
	keys := &api.Keys{}
	if cfg.KeysFile != "" {
		if err := keys.LoadKeysFile(cfg.KeysFile); err != nil {
			return nil, err
		}
	}
	if err := keys.AddTenantKeys(cfg.APIKeys); err != nil {
		return nil, fmt.Errorf("serve: api_keys: %w", err)
	}
	keys.AddAdminKeys(cfg.AdminKey)
	if keys.Empty() {
		if !isLoopback(cfg.Addr) {
			return nil, fmt.Errorf("serve: no API keys configured and addr %q is not loopback: refusing to serve an open API on the network (set MODGATE_API_KEYS/MODGATE_ADMIN_KEY or --keys-file, or listen on 127.0.0.1)", cfg.Addr)
		}
		log.Warn("!!! NO API KEYS CONFIGURED: the API is OPEN to anyone on this machine (loopback only). Configure keys before exposing it.", "addr", cfg.Addr)
		return keys, nil
	}
	nt, na := keys.Counts()
	log.Info("api keys loaded", "tenant_keys", nt, "admin_keys", na)
	if na == 0 {
		log.Warn("no admin key configured: /v1/admin answers 401/403")
	}
	return keys, nil
}

// startEngine builds the screening engine. Reloads report to the metrics
// through the screener's callback.
func (m *Main) startEngine(ctx context.Context, policyDir, lexiconDir, modelDir string, noModels bool) error {
	cfg, log := m.Config, m.Logger
	violations := review.NewViolationCache(time.Duration(cfg.StrikesCacheTTL), 100000, nil,
		func(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
			if q := m.queue.Load(); q != nil {
				return q.Strikes().Violations(ctx, tenant, sender)
			}
			return modgate.Violations{}, nil
		})
	var err error
	m.Screener, err = screen.NewContext(ctx, screen.Config{
		PolicyDir: policyDir, LexiconDir: lexiconDir, ModelDir: modelDir, NoModels: noModels, MaxTextBytes: cfg.MaxTextBytes,
		Logger: log.With("component", "screen"), Engine: cfg.Matcher,
		Violations: violations.Violations,
		// A restart with a broken file in a watched folder serves the last
		// engine that built and passed its tests (degraded in /readyz).
		LastGoodDir: filepath.Join(cfg.DataDir, "engine-last-good"),
		OnReload:    m.Metrics.EngineReloaded,
	})
	if err != nil {
		return fmt.Errorf("serve: engine: %w", err)
	}
	m.registerMemoMetrics()
	rev := m.Screener.Revision()
	if fb := m.Screener.Fallback(); fb != "" {
		log.Error("DEGRADED: "+fb, "err", m.Screener.LastError())
	}
	log.Info("engine loaded", "policy_dir", dirLabel(policyDir), "lexicon_dir", dirLabel(lexiconDir), "model_dir", dirLabel(modelDir),
		"policy", rev.Policy, "lexicon", rev.Lexicon, "model", rev.Model)
	return nil
}

// startNATS starts the embedded server (without --nats-url), connects and
// ensures the escalation streams.
func (m *Main) startNATS(ctx context.Context) error {
	cfg, log := m.Config, m.Logger
	m.reensure = make(chan struct{}, 1)
	m.natsURL = cfg.NATSURL
	if m.natsURL == "" {
		host, port, err := net.SplitHostPort(cfg.NATSListen)
		if err != nil {
			return fmt.Errorf("serve: nats_listen %q: %w", cfg.NATSListen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("serve: nats_listen %q: bad port", cfg.NATSListen)
		}
		if !isLoopback(cfg.NATSListen) {
			log.Warn("embedded NATS listens beyond loopback without auth: anyone who can reach it can read and publish cases", "nats_listen", cfg.NATSListen)
		}
		m.NATS, err = natsutil.StartEmbedded(natsutil.EmbeddedConfig{
			Host: host, Port: p, StoreDir: cfg.DataDir, // nats-server keeps its files under <data_dir>/jetstream
			SyncAlways: cfg.NATSSyncAlways, Logger: log.With("component", "nats-server"),
		})
		if err != nil {
			return fmt.Errorf("serve: embedded nats: %w", err)
		}
		m.closers.push(func(context.Context) error { m.NATS.Shutdown(); return nil })
		m.natsURL = m.NATS.ClientURL()
		log.Info("embedded NATS with JetStream started", "url", m.natsURL, "store", filepath.Join(cfg.DataDir, "jetstream"))
	}
	var err error
	m.Conn, err = natsutil.Connect(m.natsURL, natsutil.ConnectOptions{
		Name: "modgate-gateway", Logger: log.With("component", "nats"),
		OnReconnect: func() {
			select {
			case m.reensure <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	conn := m.Conn
	m.closers.push(func(context.Context) error {
		defer conn.Close()
		if err := conn.FlushTimeout(2 * time.Second); err != nil && conn.IsConnected() {
			return fmt.Errorf("serve: nats flush: %w", err)
		}
		return nil
	})
	m.JS, err = jetstream.New(m.Conn)
	if err != nil {
		return fmt.Errorf("serve: jetstream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.ensureStreams(sctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// openConversation opens the conversation window (MODGATE_CONVO) and
// hands it to the screener. Records name this replica so it skips its own
// when they come back from the stream.
func (m *Main) openConversation(ctx context.Context) error {
	cfg, log := m.Config, m.Logger
	if !cfg.Conversation {
		return nil
	}
	fileStorage := false
	switch cfg.ConversationStorage {
	case "", "memory":
	case "file":
		fileStorage = true
	default:
		return fmt.Errorf("serve: conversation_storage %q: want memory or file", cfg.ConversationStorage)
	}
	if cfg.ConversationWindow < 0 || cfg.ConversationMaxGroups < 0 || cfg.ConversationMaxAge < 0 || cfg.ConversationStreamBytes < 0 {
		return errors.New("serve: conversation_window, conversation_max_age, conversation_max_groups and conversation_stream_bytes must not be negative")
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := convo.Open(cctx, convo.Config{
		URL: m.natsURL, Prefix: cfg.SubjectPrefix, Replicas: cfg.StreamReplicas, FileStorage: fileStorage,
		WindowSize: cfg.ConversationWindow, WindowAge: time.Duration(cfg.ConversationMaxAge),
		MaxGroups: cfg.ConversationMaxGroups, MaxBytes: cfg.ConversationStreamBytes, Origin: replicaID(), Logger: log.With("component", "convo"),
	})
	if err != nil {
		return fmt.Errorf("serve: conversation window: %w", err)
	}
	m.Convo = st
	m.closers.push(func(context.Context) error { m.Screener.SetConversation(nil); st.Close(); return nil })
	m.Screener.SetConversation(st)
	m.registerConversationMetrics(st)
	return nil
}

// registerConversationMetrics exposes the window's state and the decision
// memo's hit rate (which the window's counts must not spoil) in /metrics.
func (m *Main) registerConversationMetrics(st *convo.Store) {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	m.Metrics.Registry.MustRegister(
		gauge("modgate_conversation_available", "1 when the conversation window is current (NATS connected, stream read), 0 when messages are screened one by one.",
			func() float64 {
				if st.Available() {
					return 1
				}
				return 0
			}),
		gauge("modgate_conversation_groups", "Groups in this replica's window.", func() float64 { return float64(st.Stats().Groups) }),
		gauge("modgate_conversation_records", "Messages in this replica's window.", func() float64 { return float64(st.Stats().Records) }),
		gauge("modgate_conversation_clusters", "Near-duplicate clusters this replica counts floods in.", func() float64 { return float64(st.Stats().Clusters) }),
		counter("modgate_conversation_published_total", "Window records this replica published.", func() float64 { return float64(st.Stats().Published) }),
		counter("modgate_conversation_publish_errors_total", "Window records this replica could not publish (NATS away).", func() float64 { return float64(st.Stats().PublishErrors) }),
		counter("modgate_conversation_applied_total", "Window records of other replicas this replica applied.", func() float64 { return float64(st.Stats().Applied) }),
	)
}

// registerMemoMetrics exposes the decision memo's hits and misses (the
// conversation counts enter its key: the hit rate shows what they cost).
func (m *Main) registerMemoMetrics() {
	memo := func(hits bool) func() float64 {
		return func() float64 {
			e := m.Screener.Engine()
			if e == nil {
				return 0
			}
			h, miss := e.Policy().MemoStats()
			if hits {
				return float64(h)
			}
			return float64(miss)
		}
	}
	m.Metrics.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "modgate_policy_memo_hits_total",
			Help: "Decisions answered from the decision memo (since the engine serving was built)."}, memo(true)),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "modgate_policy_memo_misses_total",
			Help: "Decisions evaluated by OPA (since the engine serving was built)."}, memo(false)),
	)
}

// openReview opens the review queue and the users file and returns what
// mounts the reviewer API and web app (nil with review off).
func (m *Main) openReview(ctx context.Context) (func(chi.Router, *api.Server), error) {
	cfg, log := m.Config, m.Logger
	if !cfg.Review {
		return nil, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	rcfg := review.Config{
		Prefix: cfg.SubjectPrefix, Replicas: cfg.StreamReplicas, Lease: time.Duration(cfg.ReviewLease),
		// The 3-2-1 rule and report screening come from the serving
		// engine, hot reloads included.
		Discipline: m.Screener, Screener: m.Screener,
		UndoWindow: time.Duration(cfg.ReviewUndo), ReversalWindow: time.Duration(cfg.ReviewReversal),
		AppealLimit: cfg.AppealLimit,
		Logger:      log.With("component", "review"),
	}
	if m.Convo != nil {
		rcfg.ForgetSender = m.Convo.Forget
	}
	q, err := review.Open(rctx, m.Conn, rcfg)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("serve: review queue: %w", err)
	}
	m.Queue = q
	m.closers.push(func(context.Context) error { q.Close(); return nil })
	m.queue.Store(q)
	m.Metrics.DeadLettersFrom(q.DeadLetterCount)
	m.Users, err = review.OpenUsers(cfg.Users)
	if err != nil {
		return nil, fmt.Errorf("serve: users: %w", err)
	}
	users, rlog := m.Users, log.With("component", "review-api")
	ui, err := reviewui.New(reviewui.Config{
		Sessions: reviewui.NewReviewSessions(q, users),
		Events:   true, // the reviewer API serves GET /v1/review/events (SSE)
		Logger:   log.With("component", "review-ui"),
	})
	if err != nil {
		return nil, fmt.Errorf("serve: review ui: %w", err)
	}
	return func(r chi.Router, s *api.Server) {
		api.MountReview(r, api.ReviewDeps{Queue: q, Users: users, Keys: s.Keys(), Logger: rlog})
		r.With(api.CrossOrigin).Mount("/review", ui.Routes())
	}, nil
}

// startEscalator opens the spool and the publisher that moves review
// verdicts into JetStream (or the spool while NATS is away).
func (m *Main) startEscalator() error {
	cfg, log := m.Config, m.Logger
	if cfg.SpoolMaxBytes < 0 {
		return fmt.Errorf("serve: spool_max_bytes %d: want >= 0", cfg.SpoolMaxBytes)
	}
	sp, err := spool.OpenOptions(filepath.Join(cfg.DataDir, "spool"), spool.Options{MaxBytes: cfg.SpoolMaxBytes})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.Spool = sp
	m.closers.push(func(context.Context) error { return sp.Close() })
	if n := sp.DeadCount(); n > 0 {
		log.Error("the spool keeps dead letters: escalations NATS could not take; list them with `modgate spool list`", "dead_letters", n)
	}
	if sp.Truncated > 0 {
		log.Warn("spool had a torn tail from a crash; cut it off", "bytes", sp.Truncated)
	}
	if n := sp.Pending(); n > 0 {
		log.Info("spool holds escalations from a previous run; replaying", "pending", n)
	}
	esc, err := escalate.New(escalate.Config{
		Conn: m.Conn, Prefix: cfg.SubjectPrefix, Spool: sp, AckTimeout: time.Duration(cfg.EscalationTimeout),
		Metrics: m.Metrics, Logger: log.With("component", "escalations"),
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.Escalator = esc
	m.closers.push(esc.Close) // flush in-flight publishes (after the replay loop stopped)
	return nil
}

func (m *Main) natsReady() error {
	if !m.Conn.IsConnected() {
		return errors.New(strings.ToLower(m.Conn.Status().String()))
	}
	return nil
}

func (m *Main) degraded() []string {
	var out []string
	if q := m.Queue; q != nil {
		if n := q.DeadLetterCount(); n > 0 {
			out = append(out, fmt.Sprintf("%d escalations could not become cases and are kept in the %s stream (GET /v1/admin/dead-letters)", n, review.StreamDeadLetter))
		}
	}
	if c := m.Convo; c != nil && !c.Available() {
		out = append(out, "the conversation window is unavailable: messages are screened one by one (verdicts say \"conversation\": \"unavailable\")")
	}
	return out
}

// startBackground runs the loops that live as long as the gateway: spool
// replay, file watch, NATS re-ensure and the replica heartbeat.
func (m *Main) startBackground(watched bool) {
	cfg, log := m.Config, m.Logger
	bgctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	m.closers.push(func(context.Context) error { cancel(); bg.Wait(); return nil })
	bg.Go(func() { m.Escalator.Run(bgctx) })
	if cfg.Watch && watched {
		bg.Go(func() {
			if err := m.Screener.Watch(bgctx); err != nil && bgctx.Err() == nil {
				log.Error("file watcher stopped; hot reload is off", "err", err)
			}
		})
	}
	bg.Go(func() { m.reensureLoop(bgctx) })
	// Replicas announce themselves; they share the per-tenant rate (each
	// allows rate/live replicas).
	gw := m.API
	bg.Go(func() {
		err := presence.Run(bgctx, m.JS, presence.Config{
			ID: replicaID(), Every: time.Duration(cfg.ReplicaHeartbeat), Replicas: cfg.StreamReplicas,
			Logger: log.With("component", "presence"), OnChange: gw.SetRateShare,
		})
		if err != nil && bgctx.Err() == nil {
			log.Error("replica heartbeat stopped; rate limits apply per replica", "err", err)
		}
	})
	m.Escalator.Kick() // replay anything left from a previous run right away
}

// serveHTTP listens and serves the API; its closer drains in-flight
// requests first of all.
func (m *Main) serveHTTP(keys *api.Keys) error {
	cfg, log := m.Config, m.Logger
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	if keys.Empty() && !isLoopback(ln.Addr().String()) {
		ln.Close()
		return fmt.Errorf("serve: no API keys and %s is not loopback", ln.Addr())
	}
	m.listener = ln
	srv := &http.Server{
		Handler:           m.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	m.closers.push(func(ctx context.Context) error {
		m.API.SetDraining()
		defer func() { <-done }()
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("serve: http shutdown: %w", err)
		}
		return nil
	})
	return nil
}

// servePprof serves net/http/pprof on a loopback address when asked.
func (m *Main) servePprof() error {
	addr := m.Config.PprofAddr
	if addr == "" {
		return nil
	}
	if !isLoopback(addr) {
		return fmt.Errorf("serve: pprof_addr %q must be a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	m.closers.push(func(context.Context) error { _ = srv.Close(); return nil })
	m.Logger.Info("pprof serving", "addr", ln.Addr().String())
	return nil
}

// writeReadyFile tells scripts and tests where the gateway listens.
func (m *Main) writeReadyFile() error {
	path := m.Config.ReadyFile
	if path == "" {
		return nil
	}
	b, _ := json.Marshal(map[string]string{"http": m.Addr(), "nats": natsutil.Redact(m.natsURL)})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("serve: ready file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("serve: ready file: %w", err)
	}
	return nil
}

func dirLabel(d string) string {
	if d == "" {
		return "(embedded defaults)"
	}
	return d
}

func (m *Main) ensureStreams(ctx context.Context) error {
	cfg := m.Config
	return natsutil.EnsureStreams(ctx, m.JS, natsutil.StreamOptions{
		Prefix: cfg.SubjectPrefix, Replicas: cfg.StreamReplicas,
		DuplicateWindow: time.Duration(cfg.DedupeWindow), MaxAge: time.Duration(cfg.EscalationMaxAge),
	})
}

// reensureLoop re-creates every NATS asset after each reconnect: a
// restarted server has lost the memory-storage buckets (MODGATE_RATE,
// MODGATE_REPLICAS), a replaced one everything, and nothing else would
// bring them back until the gateway restarted. JetStream may need a moment
// after the reconnect, so failures are retried with backoff; once the
// assets are back the spool is replayed.
func (m *Main) reensureLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.reensure:
		}
		delay := 100 * time.Millisecond
		for attempt := 1; ; attempt++ {
			err := m.reensureOnce(ctx)
			if err == nil {
				m.Logger.Info("nats assets re-ensured after reconnect", "attempts", attempt)
				m.Escalator.Kick()
				break
			}
			if ctx.Err() != nil {
				return
			}
			m.Logger.Warn("re-ensuring nats assets after reconnect failed; retrying", "err", err, "attempt", attempt, "retry_in", delay)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, 5*time.Second)
		}
	}
}

func (m *Main) reensureOnce(ctx context.Context) error {
	if !m.Conn.IsConnected() {
		return errors.New("not connected")
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.ensureStreams(rctx); err != nil {
		return err
	}
	if m.Queue != nil {
		if err := m.Queue.Reensure(rctx); err != nil {
			return err
		}
	}
	return nil
}

// Close shuts down gracefully, in the reverse order of start: stop
// accepting and drain in-flight requests, stop the background loops, flush
// pending publishes, then close the spool, the queue, NATS and the data
// directory lock. Safe to call twice.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	timeout := time.Duration(m.Config.ShutdownTimeout)
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := m.closers.close(ctx)
	if err == nil {
		m.Logger.Info("modgate stopped")
	}
	return err
}

// closeStack holds the closers of what Run started; close runs them last
// first and keeps going past errors.
type closeStack []func(context.Context) error

func (s *closeStack) push(f func(context.Context) error) { *s = append(*s, f) }

func (s *closeStack) close(ctx context.Context) error {
	var errs []error
	for i := len(*s) - 1; i >= 0; i-- {
		if err := (*s)[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	*s = nil
	return errors.Join(errs...)
}

var _ screen.Conversation = (*convo.Store)(nil)

// replicaID names this process among the replicas: host and pid, plus
// randomness so a restarted process with a reused pid is a new replica.
func replicaID() string {
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
}

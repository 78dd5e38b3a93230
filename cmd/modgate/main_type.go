package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/datadir"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/presence"
	"github.com/modgate/modgate/internal/review"
	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/internal/spool"
	reviewui "github.com/modgate/modgate/review-ui"
)

// Duration is a time.Duration written as "2s", "24h" in files, env and flags.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config is every `modgate serve` setting. Precedence: defaults < config
// file (--config / MODGATE_CONFIG, YAML or JSON) < environment (MODGATE_*)
// < flags. The `flag` tag names the flag (and, upper-cased with a MODGATE_
// prefix, the environment variable); `flag:"-"` marks env/file-only secrets.
type Config struct {
	Addr              string   `yaml:"addr" json:"addr" flag:"addr" help:"HTTP listen address; without API keys it must be a loopback address"`
	DataDir           string   `yaml:"data_dir" json:"data_dir" flag:"data-dir" help:"data directory (embedded JetStream store under jetstream/, escalation spool under spool/)"`
	NATSURL           string   `yaml:"nats_url" json:"nats_url" flag:"nats-url" help:"external NATS server or cluster (comma-separated URLs); empty runs an embedded server"`
	NATSListen        string   `yaml:"nats_listen" json:"nats_listen" flag:"nats-listen" help:"embedded NATS listen address (port -1 = random); keep it on loopback, it has no auth"`
	NATSSyncAlways    bool     `yaml:"nats_sync_always" json:"nats_sync_always" flag:"nats-sync-always" help:"embedded JetStream fsyncs every write (survives power loss, slower)"`
	SubjectPrefix     string   `yaml:"subject_prefix" json:"subject_prefix" flag:"subject-prefix" help:"NATS subject prefix (<prefix>.escalations.<lane>)"`
	StreamReplicas    int      `yaml:"stream_replicas" json:"stream_replicas" flag:"stream-replicas" help:"JetStream replicas for modgate streams (1 embedded, 3 in a cluster)"`
	DedupeWindow      Duration `yaml:"dedupe_window" json:"dedupe_window" flag:"dedupe-window" help:"JetStream duplicate window: spooled cases replayed within it are stored once"`
	EscalationMaxAge  Duration `yaml:"escalation_max_age" json:"escalation_max_age" flag:"escalation-max-age" help:"how long escalations stay in the MODGATE_ESCALATIONS stream"`
	PolicyDir         string   `yaml:"policy_dir" json:"policy_dir" flag:"policy-dir" help:"watched Rego policy directory; empty = ./policies when it has *.rego files, else the embedded defaults; \"embedded\" forces the defaults"`
	LexiconDir        string   `yaml:"lexicon_dir" json:"lexicon_dir" flag:"lexicon-dir" help:"watched lexicon directory; empty = ./lexicons when it has *.txt files, else the embedded defaults; \"embedded\" forces the defaults"`
	ModelDir          string   `yaml:"model_dir" json:"model_dir" flag:"model-dir" help:"watched classifier model directory (*.mgm); empty = ./models when it has *.mgm files, else the embedded models; \"embedded\" forces them, \"none\" runs without models"`
	Matcher           string   `yaml:"matcher" json:"matcher" flag:"matcher" help:"lexicon matcher engine (compact or cloudflare)"`
	Watch             bool     `yaml:"watch" json:"watch" flag:"watch" help:"hot-reload policies and lexicons when their files change"`
	KeysFile          string   `yaml:"keys_file" json:"keys_file" flag:"keys-file" help:"API keys file (YAML/JSON: tenants[{tenant,sha256|key}], admin[{sha256|key}])"`
	APIKeys           string   `yaml:"api_keys" json:"api_keys" flag:"-" help:"tenant keys as tenant=key,tenant2=key2 (env/file only)"`
	AdminKey          string   `yaml:"admin_key" json:"admin_key" flag:"-" help:"admin key(s), comma-separated (env/file only)"`
	LogFormat         string   `yaml:"log_format" json:"log_format" flag:"log-format" help:"log format: text or json"`
	LogLevel          string   `yaml:"log_level" json:"log_level" flag:"log-level" help:"log level: debug, info, warn, error"`
	MaxBodyBytes      int64    `yaml:"max_body_bytes" json:"max_body_bytes" flag:"max-body-bytes" help:"max /v1/screen body size (413 above)"`
	MaxTextBytes      int      `yaml:"max_text_bytes" json:"max_text_bytes" flag:"max-text-bytes" help:"max message text size in bytes (413 above)"`
	MaxBatch          int      `yaml:"max_batch" json:"max_batch" flag:"max-batch" help:"max messages per /v1/screen/batch call"`
	MaxBatchBytes     int64    `yaml:"max_batch_bytes" json:"max_batch_bytes" flag:"max-batch-bytes" help:"max /v1/screen/batch body size"`
	PatrolRate        float64  `yaml:"patrol_rate" json:"patrol_rate" flag:"patrol-rate" help:"share of allow verdicts sampled into the patrol lane (0..1)"`
	FailMode          string   `yaml:"fail_mode" json:"fail_mode" flag:"fail-mode" help:"answer when the engine cannot decide: closed (review, escalated) or open (allow); both set degraded=true"`
	RateLimit         float64  `yaml:"rate_limit" json:"rate_limit" flag:"rate-limit" help:"messages per second per tenant (token bucket); 0 = unlimited"`
	RateBurst         int      `yaml:"rate_burst" json:"rate_burst" flag:"rate-burst" help:"token bucket size (default 2x rate limit)"`
	EscalationTimeout Duration `yaml:"escalation_timeout" json:"escalation_timeout" flag:"escalation-timeout" help:"how long a review verdict waits for the JetStream ack before the case is spooled"`
	SpoolMaxBytes     int64    `yaml:"spool_max_bytes" json:"spool_max_bytes" flag:"spool-max-bytes" help:"cap on the escalation spool on disk; past it a review verdict whose case NATS cannot take is answered 503 (not stored) instead of filling the disk; 0 = no cap"`
	ShutdownTimeout   Duration `yaml:"shutdown_timeout" json:"shutdown_timeout" flag:"shutdown-timeout" help:"grace period to drain requests and flush publishes on SIGINT/SIGTERM"`
	Review            bool     `yaml:"review" json:"review" flag:"review" help:"run the review queue (cases, reports, /v1/review, /v1/reports) in this process"`
	Users             string   `yaml:"users" json:"users" flag:"users" help:"reviewer users file (managed with modgate user ...)"`
	ReviewLease       Duration `yaml:"review_lease" json:"review_lease" flag:"review-lease" help:"how long a reviewer's claim holds a case"`
	ReplicaHeartbeat  Duration `yaml:"replica_heartbeat" json:"replica_heartbeat" flag:"replica-heartbeat" help:"how often a replica announces itself in NATS; per-tenant rate limits are divided among the live replicas"`
	StrikesCacheTTL   Duration `yaml:"strikes_cache_ttl" json:"strikes_cache_ttl" flag:"strikes-cache-ttl" help:"cache a sender's confirmed-violation count this long (0 = look it up in NATS for every message)"`
	PprofAddr         string   `yaml:"pprof_addr" json:"pprof_addr" flag:"pprof-addr" help:"serve net/http/pprof on this loopback address (empty = off)"`
	ReadyFile         string   `yaml:"ready_file" json:"ready_file" flag:"ready-file" help:"when set, write {\"http\":ADDR,\"nats\":URL} here once serving (for scripts and tests)"`
}

// DefaultConfig is what `modgate serve` runs with no configuration.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./data",
		NATSListen:        "127.0.0.1:4222",
		SubjectPrefix:     modgate.DefaultSubjectPrefix,
		StreamReplicas:    1,
		DedupeWindow:      Duration(natsutil.DefaultDuplicateWindow),
		EscalationMaxAge:  Duration(natsutil.DefaultEscalationMaxAge),
		Matcher:           "",
		Watch:             true,
		LogFormat:         "text",
		LogLevel:          "info",
		MaxBodyBytes:      256 << 10,
		MaxTextBytes:      modgate.DefaultMaxTextBytes,
		MaxBatch:          1000,
		MaxBatchBytes:     8 << 20,
		PatrolRate:        0.01,
		FailMode:          api.FailClosed,
		EscalationTimeout: Duration(2 * time.Second),
		SpoolMaxBytes:     1 << 30,
		ShutdownTimeout:   Duration(15 * time.Second),
		Review:            true,
		Users:             "users.yaml",
		ReviewLease:       Duration(5 * time.Minute),
		ReplicaHeartbeat:  Duration(2 * time.Second),
		StrikesCacheTTL:   Duration(10 * time.Second),
	}
}

// configField is one Config field with its flag and env names.
type configField struct {
	flag, env, help string
	index           int
}

func configFields() []configField {
	t := reflect.TypeOf(Config{})
	out := make([]configField, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		yamlName := strings.Split(f.Tag.Get("yaml"), ",")[0]
		out = append(out, configField{
			flag:  f.Tag.Get("flag"),
			env:   "MODGATE_" + strings.ToUpper(yamlName),
			help:  f.Tag.Get("help"),
			index: i,
		})
	}
	return out
}

// fieldValue adapts a Config field to flag.Value.
type fieldValue struct{ v reflect.Value }

func (f fieldValue) String() string {
	if !f.v.IsValid() {
		return ""
	}
	if s, ok := f.v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(f.v.Interface())
}

func (f fieldValue) IsBoolFlag() bool { return f.v.IsValid() && f.v.Kind() == reflect.Bool }

func (f fieldValue) Set(s string) error {
	switch f.v.Addr().Interface().(type) {
	case *Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration like 2s or 24h")
		}
		f.v.SetInt(int64(d))
		return nil
	}
	switch f.v.Kind() {
	case reflect.String:
		f.v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		f.v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		f.v.SetInt(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		f.v.SetFloat(x)
	default:
		return fmt.Errorf("unsupported setting type %s", f.v.Kind())
	}
	return nil
}

// LoadConfig applies the config file, the environment and the flags (in
// that order) over the defaults. getenv is os.Getenv in production.
func LoadConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, *flag.FlagSet, error) {
	cfg := DefaultConfig()
	shown := DefaultConfig() // flags bind here; only explicitly set ones are applied last
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (YAML or JSON; env MODGATE_CONFIG)")
	fields := configFields()
	sv := reflect.ValueOf(&shown).Elem()
	for _, f := range fields {
		if f.flag == "" || f.flag == "-" {
			continue
		}
		fs.Var(fieldValue{sv.Field(f.index)}, f.flag, f.help+" (env "+f.env+")")
	}
	fs.Usage = func() { serveUsage(fs, fields) }
	if err := fs.Parse(args); err != nil {
		return cfg, fs, err
	}
	if fs.NArg() > 0 {
		return cfg, fs, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	path := *configPath
	if path == "" {
		path = getenv("MODGATE_CONFIG")
	}
	if path != "" {
		if err := loadConfigFile(path, &cfg); err != nil {
			return cfg, fs, err
		}
	}
	cv := reflect.ValueOf(&cfg).Elem()
	for _, f := range fields {
		if s := getenv(f.env); s != "" {
			if err := (fieldValue{cv.Field(f.index)}).Set(s); err != nil {
				return cfg, fs, fmt.Errorf("serve: env %s: %w", f.env, err)
			}
		}
	}
	var ferr error
	fs.Visit(func(fl *flag.Flag) {
		for _, f := range fields {
			if f.flag == fl.Name {
				if err := (fieldValue{cv.Field(f.index)}).Set(fl.Value.String()); err != nil && ferr == nil {
					ferr = fmt.Errorf("serve: flag --%s: %w", fl.Name, err)
				}
			}
		}
	})
	return cfg, fs, ferr
}

func loadConfigFile(path string, cfg *Config) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("serve: config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f) // YAML is a superset of JSON
	dec.KnownFields(true)     // a typo in a setting is an error, not a silent default
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("serve: config %s: %w", path, err)
	}
	return nil
}

func serveUsage(fs *flag.FlagSet, fields []configField) {
	w := fs.Output()
	fmt.Fprintln(w, "Usage: modgate serve [flags]")
	fmt.Fprintln(w, "\nRuns the screening API with an embedded NATS JetStream server (or --nats-url).")
	fmt.Fprintln(w, "Settings come from defaults < config file < MODGATE_* environment < flags.")
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nEnvironment/config-file only (secrets stay out of the process list):")
	for _, f := range fields {
		if f.flag == "-" {
			fmt.Fprintf(w, "  %s\n    \t%s\n", f.env, f.help)
		}
	}
	fmt.Fprintln(w, "\nNATS: stream "+modgate.StreamEscalations+", subjects <prefix>.escalations.{reports,high,normal,patrol}.")
	fmt.Fprintln(w, "Without any API key the server only listens on loopback. See docs/api.md.")
}

// isLoopback reports whether a listen address only accepts local clients.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolveDir applies the "empty = ./dir when it has files with ext" rule.
func resolveDir(dir, def, ext string) string {
	switch dir {
	case "embedded":
		return ""
	case "":
		m, _ := filepath.Glob(filepath.Join(def, "*"+ext))
		if len(m) > 0 {
			return def
		}
		return ""
	}
	return dir
}

// NewLogger builds the slog logger the config asks for.
func NewLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("serve: log_level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch cfg.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("serve: log_format %q: want text or json", cfg.LogFormat)
}

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
	Escalator *api.Escalator
	API       *api.Server
	Queue     *review.Queue // nil when review is off
	Users     *review.Users

	httpSrv  *http.Server
	pprofSrv *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	bg       sync.WaitGroup
	natsURL  string
	closed   bool
	lock     *datadir.Lock
	reensure chan struct{} // kicked on every NATS reconnect
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
	log := m.Logger

	// One gateway per data directory: two embedded JetStream servers on one
	// store, or two writers on one spool, would corrupt both.
	m.lock, err = datadir.Acquire(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.reensure = make(chan struct{}, 1)

	keys := &api.Keys{}
	if cfg.KeysFile != "" {
		if err := keys.LoadKeysFile(cfg.KeysFile); err != nil {
			return err
		}
	}
	if err := keys.AddTenantKeys(cfg.APIKeys); err != nil {
		return fmt.Errorf("serve: api_keys: %w", err)
	}
	keys.AddAdminKeys(cfg.AdminKey)
	if keys.Empty() {
		if !isLoopback(cfg.Addr) {
			return fmt.Errorf("serve: no API keys configured and addr %q is not loopback: refusing to serve an open API on the network (set MODGATE_API_KEYS/MODGATE_ADMIN_KEY or --keys-file, or listen on 127.0.0.1)", cfg.Addr)
		}
		log.Warn("!!! NO API KEYS CONFIGURED: the API is OPEN to anyone on this machine (loopback only). Configure keys before exposing it.", "addr", cfg.Addr)
	} else {
		nt, na := keys.Counts()
		log.Info("api keys loaded", "tenant_keys", nt, "admin_keys", na)
		if na == 0 {
			log.Warn("no admin key configured: /v1/admin answers 401/403")
		}
	}

	// The strike store lives in the review queue, which needs NATS; the
	// engine starts first and sees violations once the queue is open.
	var queue atomic.Pointer[review.Queue]
	violations := newStrikesCache(time.Duration(cfg.StrikesCacheTTL), 100000,
		func(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
			if q := queue.Load(); q != nil {
				return q.Violations(ctx, tenant, sender)
			}
			return modgate.Violations{}, nil
		}).get
	policyDir := resolveDir(cfg.PolicyDir, "./policies", ".rego")
	lexiconDir := resolveDir(cfg.LexiconDir, "./lexicons", ".txt")
	modelDir, noModels := resolveDir(cfg.ModelDir, "./models", ".mgm"), cfg.ModelDir == "none"
	if noModels {
		modelDir = ""
	}
	m.Screener, err = screen.NewContext(ctx, screen.Config{
		PolicyDir: policyDir, LexiconDir: lexiconDir, ModelDir: modelDir, NoModels: noModels, MaxTextBytes: cfg.MaxTextBytes,
		Logger: log.With("component", "screen"), Engine: cfg.Matcher,
		Violations: violations,
		// A restart with a broken file in a watched folder serves the last
		// engine that built and passed its tests (degraded in /readyz).
		LastGoodDir: filepath.Join(cfg.DataDir, "engine-last-good"),
	})
	if err != nil {
		return fmt.Errorf("serve: engine: %w", err)
	}
	rev := m.Screener.Revision()
	if fb := m.Screener.Fallback(); fb != "" {
		log.Error("DEGRADED: "+fb, "err", m.Screener.LastError())
	}
	log.Info("engine loaded", "policy_dir", dirLabel(policyDir), "lexicon_dir", dirLabel(lexiconDir), "model_dir", dirLabel(modelDir),
		"policy", rev.Policy, "lexicon", rev.Lexicon, "model", rev.Model)

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
		m.natsURL = m.NATS.ClientURL()
		log.Info("embedded NATS with JetStream started", "url", m.natsURL, "store", filepath.Join(cfg.DataDir, "jetstream"))
	}
	var esc *api.Escalator
	m.Conn, err = natsutil.Connect(m.natsURL, natsutil.ConnectOptions{
		Name: "modgate-gateway", Logger: log.With("component", "nats"),
		OnReconnect: func() {
			if esc != nil {
				esc.Kick()
			}
			select {
			case m.reensure <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.JS, err = jetstream.New(m.Conn)
	if err != nil {
		return fmt.Errorf("serve: jetstream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = m.ensureStreams(sctx)
	cancel()
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	mount := mountExtra
	if cfg.Review {
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		m.Queue, err = review.Open(rctx, m.Conn, review.Config{
			Prefix: cfg.SubjectPrefix, Replicas: cfg.StreamReplicas, Lease: time.Duration(cfg.ReviewLease),
			Logger: log.With("component", "review"),
		})
		cancel()
		if err != nil {
			return fmt.Errorf("serve: review queue: %w", err)
		}
		queue.Store(m.Queue)
		m.Users, err = review.OpenUsers(cfg.Users)
		if err != nil {
			return fmt.Errorf("serve: users: %w", err)
		}
		q, users, rlog := m.Queue, m.Users, log.With("component", "review-api")
		ui, err := reviewui.New(reviewui.Config{
			Sessions: reviewui.NewReviewSessions(q, users),
			Events:   true, // the reviewer API serves GET /v1/review/events (SSE)
			Logger:   log.With("component", "review-ui"),
		})
		if err != nil {
			return fmt.Errorf("serve: review ui: %w", err)
		}
		mount = func(r chiRouter, s *api.Server) {
			api.MountReview(r, api.ReviewDeps{Queue: q, Users: users, Keys: s.Keys(), Logger: rlog})
			r.With(api.CrossOrigin).Mount("/review", ui.Routes())
			if mountExtra != nil {
				mountExtra(r, s)
			}
		}
	}

	if cfg.SpoolMaxBytes < 0 {
		return fmt.Errorf("serve: spool_max_bytes %d: want >= 0", cfg.SpoolMaxBytes)
	}
	m.Spool, err = spool.OpenOptions(filepath.Join(cfg.DataDir, "spool"), spool.Options{MaxBytes: cfg.SpoolMaxBytes})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if n := m.Spool.DeadCount(); n > 0 {
		log.Error("the spool keeps dead letters: escalations NATS could not take; list them with `modgate spool list`", "dead_letters", n)
	}
	if m.Spool.Truncated > 0 {
		log.Warn("spool had a torn tail from a crash; cut it off", "bytes", m.Spool.Truncated)
	}
	if n := m.Spool.Pending(); n > 0 {
		log.Info("spool holds escalations from a previous run; replaying", "pending", n)
	}
	m.Metrics = api.NewMetrics()
	esc, err = api.NewEscalator(api.EscalatorConfig{
		Conn: m.Conn, Prefix: cfg.SubjectPrefix, Spool: m.Spool, AckTimeout: time.Duration(cfg.EscalationTimeout),
		Metrics: m.Metrics, Logger: log.With("component", "escalations"),
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.Escalator = esc
	conn := m.Conn
	m.API, err = api.New(api.Config{
		Engine: m.Screener, Escalator: esc, Metrics: m.Metrics, Keys: keys, Logger: log.With("component", "api"),
		NATSReady: func() error {
			if !conn.IsConnected() {
				return fmt.Errorf("%s", strings.ToLower(conn.Status().String()))
			}
			return nil
		},
		Degraded: func() []string {
			if q := m.Queue; q != nil {
				if n := q.DeadLetterCount(); n > 0 {
					return []string{fmt.Sprintf("%d escalations could not become cases and are kept in the %s stream (GET /v1/admin/dead-letters)", n, review.StreamDeadLetter)}
				}
			}
			return nil
		},
		MaxBodyBytes: cfg.MaxBodyBytes, MaxTextBytes: cfg.MaxTextBytes, MaxBatch: cfg.MaxBatch,
		MaxBatchBytes: cfg.MaxBatchBytes, PatrolRate: cfg.PatrolRate, FailMode: cfg.FailMode,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, PolicyDir: policyDir, LexiconDir: lexiconDir,
		Mount: mount,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	m.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	if keys.Empty() && !isLoopback(m.listener.Addr().String()) {
		return fmt.Errorf("serve: no API keys and %s is not loopback", m.listener.Addr())
	}
	m.httpSrv = &http.Server{
		Handler:           m.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.PprofAddr != "" {
		if !isLoopback(cfg.PprofAddr) {
			return fmt.Errorf("serve: pprof_addr %q must be a loopback address", cfg.PprofAddr)
		}
		pln, err := net.Listen("tcp", cfg.PprofAddr)
		if err != nil {
			return fmt.Errorf("serve: pprof: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		m.pprofSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = m.pprofSrv.Serve(pln) }()
		log.Info("pprof serving", "addr", pln.Addr().String())
	}
	bgctx, cancelBG := context.WithCancel(context.Background())
	m.cancel = cancelBG
	srv, ln := m.httpSrv, m.listener
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	m.bg.Add(1)
	go func() { defer m.bg.Done(); esc.Run(bgctx) }()
	if cfg.Watch && (policyDir != "" || lexiconDir != "" || modelDir != "") {
		m.bg.Add(1)
		go func() {
			defer m.bg.Done()
			if err := m.Screener.Watch(bgctx); err != nil && bgctx.Err() == nil {
				log.Error("file watcher stopped; hot reload is off", "err", err)
			}
		}()
	}
	m.bg.Add(1)
	go func() { defer m.bg.Done(); m.watchRevision(bgctx) }()
	m.bg.Add(1)
	go func() { defer m.bg.Done(); m.reensureLoop(bgctx) }()
	esc.Kick() // replay anything left from a previous run right away

	{
		// Replicas announce themselves; they share the per-tenant rate
		// (each allows rate/live replicas).
		gw := m.API
		m.bg.Add(1)
		go func() {
			defer m.bg.Done()
			err := presence.Run(bgctx, m.JS, presence.Config{
				ID: replicaID(), Every: time.Duration(cfg.ReplicaHeartbeat), Replicas: cfg.StreamReplicas,
				Logger: log.With("component", "presence"), OnChange: gw.SetRateShare,
			})
			if err != nil && bgctx.Err() == nil {
				log.Error("replica heartbeat stopped; rate limits apply per replica", "err", err)
			}
		}()
	}

	log.Info("modgate serving", "addr", m.Addr(), "nats", natsutil.Redact(m.natsURL), "stream", modgate.StreamEscalations,
		"subjects", natsutil.EscalationSubject(cfg.SubjectPrefix, ">"), "fail_mode", cfg.FailMode, "patrol_rate", cfg.PatrolRate)
	if cfg.ReadyFile != "" {
		b, _ := json.Marshal(map[string]string{"http": m.Addr(), "nats": natsutil.Redact(m.natsURL)})
		tmp := cfg.ReadyFile + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return fmt.Errorf("serve: ready file: %w", err)
		}
		if err := os.Rename(tmp, cfg.ReadyFile); err != nil {
			return fmt.Errorf("serve: ready file: %w", err)
		}
	}
	return nil
}

// mountExtra adds resources owned by other parts of the gateway (reviewer
// API, reports); see serve_mount.go when present.
var mountExtra func(r chiRouter, s *api.Server)

func dirLabel(d string) string {
	if d == "" {
		return "(embedded defaults)"
	}
	return d
}

// watchRevision keeps the revision gauge current after watcher reloads and
// counts reload failures the watcher reports.
func (m *Main) watchRevision(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.Metrics.SetRevision(m.Screener.Revision())
		if m.Queue != nil {
			m.Metrics.SetDeadLetters(m.Queue.DeadLetterCount())
		}
		msg := ""
		if err := m.Screener.LastError(); err != nil {
			msg = err.Error()
		}
		if msg != "" && msg != lastErr {
			m.Metrics.ReloadFailed()
			m.Logger.Error("policy/lexicon reload failed; the previous engine keeps serving", "err", msg)
		}
		lastErr = msg
	}
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
// after the reconnect, so failures are retried with backoff.
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
				if m.Escalator != nil {
					m.Escalator.Kick()
				}
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

// Close shuts down gracefully: stop accepting, drain in-flight requests,
// flush pending publishes, close NATS and the spool. Safe to call twice.
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
	var errs []error
	if m.API != nil {
		m.API.SetDraining()
	}
	if m.httpSrv != nil {
		if err := m.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("serve: http shutdown: %w", err))
		}
	} else if m.listener != nil {
		m.listener.Close()
	}
	if m.pprofSrv != nil {
		_ = m.pprofSrv.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.Escalator != nil {
		if err := m.Escalator.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	m.bg.Wait()
	if m.Queue != nil {
		m.Queue.Close()
	}
	if m.Conn != nil {
		if err := m.Conn.FlushTimeout(2 * time.Second); err != nil && m.Conn.IsConnected() {
			errs = append(errs, fmt.Errorf("serve: nats flush: %w", err))
		}
		m.Conn.Close()
	}
	if m.NATS != nil {
		m.NATS.Shutdown()
	}
	if m.Spool != nil {
		if err := m.Spool.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := m.lock.Unlock(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		m.Logger.Info("modgate stopped")
	}
	return errors.Join(errs...)
}

// strikesCache remembers senders' violation counts briefly: the lookup is a
// JetStream KV read per message (it cost more CPU than the whole policy step
// under load), while a count only changes when a reviewer decides a case,
// so a few seconds of staleness is harmless. Bounded: the map is dropped
// when it reaches max entries.
type strikesCache struct {
	ttl    time.Duration
	max    int
	lookup func(ctx context.Context, tenant, sender string) (modgate.Violations, error)
	mu     sync.Mutex
	m      map[string]strikesEntry
}

type strikesEntry struct {
	v  modgate.Violations
	at time.Time
}

func newStrikesCache(ttl time.Duration, max int, lookup func(ctx context.Context, tenant, sender string) (modgate.Violations, error)) *strikesCache {
	return &strikesCache{ttl: ttl, max: max, lookup: lookup, m: map[string]strikesEntry{}}
}

func (c *strikesCache) get(ctx context.Context, tenant, sender string) (modgate.Violations, error) {
	if c.ttl <= 0 {
		return c.lookup(ctx, tenant, sender)
	}
	key := tenant + "\x00" + sender
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.v, nil
	}
	v, err := c.lookup(ctx, tenant, sender)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[string]strikesEntry, c.max/4)
	}
	c.m[key] = strikesEntry{v: v, at: now}
	c.mu.Unlock()
	return v, nil
}

// replicaID names this process among the replicas (host and pid, plus
// randomness so a restarted process with a reused pid is a new replica).
func replicaID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
}

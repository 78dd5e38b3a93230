package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/convo"
	"github.com/modgate/modgate/internal/natsutil"
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

// UnmarshalYAML parses a duration in a config file, naming the line of a
// bad one.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 2s or 24h", n.Line, n.Value)
	}
	return nil
}

// MarshalText writes the Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config is every `modgate serve` setting. Precedence: defaults < config
// file (--config / MODGATE_CONFIG, YAML or JSON) < environment (MODGATE_*)
// < flags. The `flag` tag names the flag (and, upper-cased with a MODGATE_
// prefix, the environment variable); `flag:"-"` marks env/file-only secrets.
type Config struct {
	Addr                    string   `yaml:"addr" json:"addr" flag:"addr" help:"HTTP listen address; without API keys it must be a loopback address"`
	DataDir                 string   `yaml:"data_dir" json:"data_dir" flag:"data-dir" help:"data directory (embedded JetStream store under jetstream/, escalation spool under spool/)"`
	NATSURL                 string   `yaml:"nats_url" json:"nats_url" flag:"nats-url" help:"external NATS server or cluster (comma-separated URLs); empty runs an embedded server"`
	NATSListen              string   `yaml:"nats_listen" json:"nats_listen" flag:"nats-listen" help:"embedded NATS listen address (port -1 = random); keep it on loopback, it has no auth"`
	NATSSyncAlways          bool     `yaml:"nats_sync_always" json:"nats_sync_always" flag:"nats-sync-always" help:"embedded JetStream fsyncs every write (survives power loss, slower)"`
	SubjectPrefix           string   `yaml:"subject_prefix" json:"subject_prefix" flag:"subject-prefix" help:"NATS subject prefix (<prefix>.escalations.<lane>)"`
	StreamReplicas          int      `yaml:"stream_replicas" json:"stream_replicas" flag:"stream-replicas" help:"JetStream replicas for modgate streams (1 embedded, 3 in a cluster)"`
	DedupeWindow            Duration `yaml:"dedupe_window" json:"dedupe_window" flag:"dedupe-window" help:"JetStream duplicate window: spooled cases replayed within it are stored once"`
	EscalationMaxAge        Duration `yaml:"escalation_max_age" json:"escalation_max_age" flag:"escalation-max-age" help:"how long escalations stay in the MODGATE_ESCALATIONS stream"`
	PolicyDir               string   `yaml:"policy_dir" json:"policy_dir" flag:"policy-dir" help:"watched Rego policy directory; empty = ./policies when it has *.rego files, else the embedded defaults; \"embedded\" forces the defaults"`
	LexiconDir              string   `yaml:"lexicon_dir" json:"lexicon_dir" flag:"lexicon-dir" help:"watched lexicon directory; empty = ./lexicons when it has *.txt files, else the embedded defaults; \"embedded\" forces the defaults"`
	ModelDir                string   `yaml:"model_dir" json:"model_dir" flag:"model-dir" help:"watched classifier model directory (*.mgm); empty = ./models when it has *.mgm files, else the embedded models; \"embedded\" forces them, \"none\" runs without models"`
	Matcher                 string   `yaml:"matcher" json:"matcher" flag:"matcher" help:"lexicon matcher engine (compact or cloudflare)"`
	Watch                   bool     `yaml:"watch" json:"watch" flag:"watch" help:"hot-reload policies and lexicons when their files change"`
	KeysFile                string   `yaml:"keys_file" json:"keys_file" flag:"keys-file" help:"API keys file (YAML/JSON: tenants[{tenant,sha256|key}], admin[{sha256|key}])"`
	APIKeys                 string   `yaml:"api_keys" json:"api_keys" flag:"-" help:"tenant keys as tenant=key,tenant2=key2 (env/file only)"`
	AdminKey                string   `yaml:"admin_key" json:"admin_key" flag:"-" help:"admin key(s), comma-separated (env/file only)"`
	LogFormat               string   `yaml:"log_format" json:"log_format" flag:"log-format" help:"log format: text or json"`
	LogLevel                string   `yaml:"log_level" json:"log_level" flag:"log-level" help:"log level: debug, info, warn, error"`
	MaxBodyBytes            int64    `yaml:"max_body_bytes" json:"max_body_bytes" flag:"max-body-bytes" help:"max /v1/screen body size (413 above)"`
	MaxTextBytes            int      `yaml:"max_text_bytes" json:"max_text_bytes" flag:"max-text-bytes" help:"max message text size in bytes (413 above)"`
	MaxBatch                int      `yaml:"max_batch" json:"max_batch" flag:"max-batch" help:"max messages per /v1/screen/batch call"`
	MaxBatchBytes           int64    `yaml:"max_batch_bytes" json:"max_batch_bytes" flag:"max-batch-bytes" help:"max /v1/screen/batch body size"`
	PatrolRate              float64  `yaml:"patrol_rate" json:"patrol_rate" flag:"patrol-rate" help:"share of allow verdicts sampled into the patrol lane (0..1)"`
	FailMode                string   `yaml:"fail_mode" json:"fail_mode" flag:"fail-mode" help:"answer when the engine cannot decide: closed (review, escalated) or open (allow); both set degraded=true"`
	RateLimit               float64  `yaml:"rate_limit" json:"rate_limit" flag:"rate-limit" help:"messages per second per tenant (token bucket); 0 = unlimited"`
	RateBurst               int      `yaml:"rate_burst" json:"rate_burst" flag:"rate-burst" help:"token bucket size (default 2x rate limit)"`
	EscalationTimeout       Duration `yaml:"escalation_timeout" json:"escalation_timeout" flag:"escalation-timeout" help:"how long a review verdict waits for the JetStream ack before the case is spooled"`
	SpoolMaxBytes           int64    `yaml:"spool_max_bytes" json:"spool_max_bytes" flag:"spool-max-bytes" help:"cap on the escalation spool on disk; past it a review verdict whose case NATS cannot take is answered 503 (not stored) instead of filling the disk; 0 = no cap"`
	ShutdownTimeout         Duration `yaml:"shutdown_timeout" json:"shutdown_timeout" flag:"shutdown-timeout" help:"grace period to drain requests and flush publishes on SIGINT/SIGTERM"`
	Review                  bool     `yaml:"review" json:"review" flag:"review" help:"run the review queue (cases, reports, /v1/review, /v1/reports) in this process"`
	Users                   string   `yaml:"users" json:"users" flag:"users" help:"reviewer users file (managed with modgate user ...)"`
	ReviewLease             Duration `yaml:"review_lease" json:"review_lease" flag:"review-lease" help:"how long a reviewer's claim holds a case"`
	ReviewUndo              Duration `yaml:"review_undo" json:"review_undo" flag:"review-undo" help:"how long the reviewer app holds a decision with an Undo before sending it (0 = send at once; at most 1m); not counted as handling time"`
	ReviewReversal          Duration `yaml:"review_reversal" json:"review_reversal" flag:"review-reversal" help:"how long the reviewer who decided (or a lead) may take a decision back from My decisions"`
	AppealLimit             int      `yaml:"appeal_limit" json:"appeal_limit" flag:"appeal-limit" help:"appeals per appellant per day (POST /v1/appeals)"`
	ReplicaHeartbeat        Duration `yaml:"replica_heartbeat" json:"replica_heartbeat" flag:"replica-heartbeat" help:"how often a replica announces itself in NATS; per-tenant rate limits are divided among the live replicas"`
	StrikesCacheTTL         Duration `yaml:"strikes_cache_ttl" json:"strikes_cache_ttl" flag:"strikes-cache-ttl" help:"cache a sender's confirmed-violation count this long (0 = look it up in NATS for every message)"`
	Conversation            bool     `yaml:"conversation" json:"conversation" flag:"conversation" help:"conversation-level screening: keep each group's recent messages (masked) in NATS to catch contacts split across messages, the same text flooding many groups and senders flooding a group"`
	ConversationWindow      int      `yaml:"conversation_window" json:"conversation_window" flag:"conversation-window" help:"messages kept per group in the window (N)"`
	ConversationMaxAge      Duration `yaml:"conversation_max_age" json:"conversation_max_age" flag:"conversation-max-age" help:"how long a message stays in the window (T; also the MODGATE_CONVO stream's max age)"`
	ConversationMaxGroups   int      `yaml:"conversation_max_groups" json:"conversation_max_groups" flag:"conversation-max-groups" help:"groups each replica keeps in memory (least recently active go first); bounds its memory"`
	ConversationStorage     string   `yaml:"conversation_storage" json:"conversation_storage" flag:"conversation-storage" help:"storage of the MODGATE_CONVO stream: memory (a NATS restart empties the window) or file"`
	ConversationStreamBytes int64    `yaml:"conversation_stream_bytes" json:"conversation_stream_bytes" flag:"conversation-stream-bytes" help:"size cap of the MODGATE_CONVO stream (oldest batches go first; it only serves replicas that start or reconnect); count it against JetStream's max_memory_store with memory storage"`
	PprofAddr               string   `yaml:"pprof_addr" json:"pprof_addr" flag:"pprof-addr" help:"serve net/http/pprof on this loopback address (empty = off)"`
	ReadyFile               string   `yaml:"ready_file" json:"ready_file" flag:"ready-file" help:"when set, write {\"http\":ADDR,\"nats\":URL} here once serving (for scripts and tests)"`
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
		ReviewUndo:        Duration(4 * time.Second),
		ReviewReversal:    Duration(10 * time.Minute),
		AppealLimit:       5,
		ReplicaHeartbeat:  Duration(2 * time.Second),
		StrikesCacheTTL:   Duration(10 * time.Second),

		Conversation:            true,
		ConversationWindow:      convo.DefaultWindowSize,
		ConversationMaxAge:      Duration(convo.DefaultWindowAge),
		ConversationMaxGroups:   convo.DefaultMaxGroups,
		ConversationStorage:     "memory",
		ConversationStreamBytes: convo.DefaultMaxBytes,
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
	for _, f := range fields {
		if f.flag == "matcher" {
			fs.Var(fieldValue{sv.Field(f.index)}, "engine", "deprecated alias of --matcher")
		}
	}
	fs.Bool("print-config", false, "print the effective configuration (secrets redacted) as YAML and exit")
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
		name := fl.Name
		if name == "engine" {
			name = "matcher"
		}
		for _, f := range fields {
			if f.flag == name {
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
		return fmt.Errorf("serve: config %s: %s", path, configError(err))
	}
	return nil
}

// yamlUnknownField is how the YAML decoder reports a key Config lacks; its
// text names the Go type, which means nothing to an operator.
var yamlUnknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)

// yamlTypeName is the Go type the decoder names in a type mismatch
// ("cannot unmarshal !!str `x` into main.Duration").
var yamlTypeName = regexp.MustCompile(` into [\w.]+`)

// configError rewrites decoder errors in the operator's words: the line and
// the setting, never the Go type behind them.
func configError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, fmt.Sprintf("line %s: unknown setting %q (modgate serve --help lists them)", m[1], m[2]))
			continue
		}
		msgs = append(msgs, yamlTypeName.ReplaceAllString(e, " into this setting"))
	}
	return strings.Join(msgs, "; ")
}

// printConfig writes the effective configuration as YAML (a valid config
// file) with secrets redacted: env/file-only settings and the password in
// a NATS URL.
func printConfig(w io.Writer, cfg Config) error {
	v := reflect.ValueOf(&cfg).Elem()
	for _, f := range configFields() {
		if f.flag == "-" && v.Field(f.index).String() != "" {
			v.Field(f.index).SetString(redacted)
		}
	}
	cfg.NATSURL = natsutil.Redact(cfg.NATSURL)
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("serve: print config: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// redacted replaces a secret in printed configuration.
const redacted = "REDACTED"

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

// Package natsutil starts the embedded NATS server with JetStream, connects
// clients with reconnects and creates the gateway's streams idempotently.
// The gateway and the tests of every NATS-using package share it so that all
// of them run against a real server configured the same way.
package natsutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
)

// EmbeddedConfig configures the in-process NATS server.
type EmbeddedConfig struct {
	// Host and Port to listen on. Port -1 picks a random free port; the
	// first Start remembers it so Restart comes back on the same port.
	Host string
	Port int
	// StoreDir is the JetStream file-store directory (required).
	StoreDir string
	// SyncAlways fsyncs every JetStream write (slower; survives power loss,
	// not just process crashes which the page cache already survives).
	SyncAlways bool
	// ServerName names the server in logs and cluster metadata.
	ServerName string
	// MaxPayload is the largest message the server takes (0: the NATS
	// default, 1 MiB). Tests lower it to exercise the size limits.
	MaxPayload int32
	// Logger receives the server's log lines (nil: silent).
	Logger *slog.Logger
}

// Embedded is an in-process NATS server that can be stopped and restarted on
// the same port and store directory (tests use that to simulate an outage).
type Embedded struct {
	mu  sync.Mutex
	cfg EmbeddedConfig
	srv *server.Server
}

// StartEmbedded starts a NATS server with JetStream and waits until it
// accepts connections.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("natsutil: embedded server needs a store directory")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = -1
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "modgate-embedded"
	}
	e := &Embedded{cfg: cfg}
	if err := e.start(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Embedded) start() error {
	if err := os.MkdirAll(e.cfg.StoreDir, 0o750); err != nil {
		return fmt.Errorf("natsutil: store dir: %w", err)
	}
	if e.cfg.Port > 0 {
		// nats-server only logs a bind failure and then never becomes
		// ready; probe the port first for a clear, immediate error.
		ln, err := net.Listen("tcp", net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port)))
		if err != nil {
			return fmt.Errorf("natsutil: embedded server: %w", err)
		}
		ln.Close()
	}
	opts := &server.Options{
		ServerName: e.cfg.ServerName,
		Host:       e.cfg.Host,
		Port:       e.cfg.Port,
		JetStream:  true,
		StoreDir:   e.cfg.StoreDir,
		NoSigs:     true, // the gateway owns signal handling
		NoLog:      e.cfg.Logger == nil,
		SyncAlways: e.cfg.SyncAlways,
		MaxPayload: e.cfg.MaxPayload,
		// Leave JetStream memory/disk limits to the server's defaults (a
		// share of the machine), which suits one box.
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("natsutil: new server: %w", err)
	}
	if e.cfg.Logger != nil {
		srv.SetLoggerV2(&slogAdapter{l: e.cfg.Logger}, false, false, false)
	}
	go srv.Start()
	if !srv.ReadyForConnections(15 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("natsutil: server on %s:%d not ready", e.cfg.Host, e.cfg.Port)
	}
	if e.cfg.Port <= 0 {
		// Remember the random port so Restart keeps client URLs valid.
		if addr, ok := srv.Addr().(*net.TCPAddr); ok {
			e.cfg.Port = addr.Port
		}
	}
	e.srv = srv
	return nil
}

// ClientURL is the nats:// URL clients connect to.
func (e *Embedded) ClientURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return "nats://" + net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
}

// Shutdown stops the server and waits for it to finish.
func (e *Embedded) Shutdown() {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped server again on the same port and store directory;
// JetStream recovers its streams (and their de-duplication state) from disk.
func (e *Embedded) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return errors.New("natsutil: restart: server is running")
	}
	return e.start()
}

// ConnectOptions tune Connect.
type ConnectOptions struct {
	Name   string
	Logger *slog.Logger
	// OnReconnect is called after the connection is re-established.
	OnReconnect func()
	// OnDisconnect is called when the connection drops (not on Close).
	OnDisconnect func()
	// NoEcho keeps the server from delivering this connection's own
	// publishes to its own subscriptions.
	NoEcho bool
}

// Connect dials url (a comma-separated list for a cluster) and keeps
// reconnecting forever. Publishes fail fast while disconnected (no reconnect
// buffer) so the gateway can spool escalations instead of holding them in a
// memory buffer that a crash would lose.
func Connect(url string, o ConnectOptions) (*nats.Conn, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := o.Name
	if name == "" {
		name = "modgate"
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(false),
		nats.ReconnectBufSize(-1),
		nats.PingInterval(5 * time.Second),
		nats.MaxPingsOutstanding(2),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own Close
				log.Warn("nats disconnected", "err", err)
				if o.OnDisconnect != nil {
					o.OnDisconnect()
				}
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "url", c.ConnectedUrlRedacted())
			if o.OnReconnect != nil {
				o.OnReconnect()
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) { log.Info("nats connection closed") }),
	}
	if o.NoEcho {
		opts = append(opts, nats.NoEcho())
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsutil: connect %s: %w", redact(url), err)
	}
	return nc, nil
}

// Redact drops credentials from a NATS URL (list) for logs and messages.
func Redact(url string) string { return redact(url) }

// redact drops user info from each URL of a comma-separated list.
func redact(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if at := strings.LastIndexByte(p, '@'); at >= 0 {
			scheme := ""
			if k := strings.Index(p, "://"); k >= 0 && k < at {
				scheme = p[:k+3]
			}
			p = scheme + "***@" + p[at+1:]
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// Stream defaults for the escalations stream.
const (
	// DefaultDuplicateWindow is how long JetStream remembers a Nats-Msg-Id.
	// It must cover the longest NATS outage whose spooled escalations are
	// replayed, so a case published before the outage (ack lost) and again
	// from the spool is stored once.
	DefaultDuplicateWindow = 24 * time.Hour
	// DefaultEscalationMaxAge bounds how long escalations stay in the stream.
	DefaultEscalationMaxAge = 30 * 24 * time.Hour
)

// StreamOptions tune the escalations stream.
type StreamOptions struct {
	Prefix          string        // subject prefix, default modgate.DefaultSubjectPrefix
	Replicas        int           // 1 embedded, 3 in a cluster
	DuplicateWindow time.Duration // default DefaultDuplicateWindow
	MaxAge          time.Duration // default DefaultEscalationMaxAge
}

// EscalationsStreamConfig is the configuration of modgate.StreamEscalations:
// subjects <prefix>.escalations.>, limits retention on file storage.
func EscalationsStreamConfig(o StreamOptions) jetstream.StreamConfig {
	if o.Prefix == "" {
		o.Prefix = modgate.DefaultSubjectPrefix
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = DefaultDuplicateWindow
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultEscalationMaxAge
	}
	if o.DuplicateWindow > o.MaxAge {
		o.DuplicateWindow = o.MaxAge
	}
	return jetstream.StreamConfig{
		Name:        modgate.StreamEscalations,
		Description: "modgate: cases escalated by screening (review verdicts, patrol samples)",
		Subjects:    []string{EscalationSubject(o.Prefix, ">")},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		Duplicates:  o.DuplicateWindow,
		MaxAge:      o.MaxAge,
		Discard:     jetstream.DiscardOld,
	}
}

// EscalationSubject is <prefix>.escalations.<lane>.
func EscalationSubject(prefix, lane string) string {
	if prefix == "" {
		prefix = modgate.DefaultSubjectPrefix
	}
	return prefix + ".escalations." + lane
}

// EnsureStreams creates or updates the gateway's streams.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	cfg := EscalationsStreamConfig(o)
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("natsutil: stream %s: %w", cfg.Name, err)
	}
	return nil
}

// slogAdapter routes nats-server logs into slog.
type slogAdapter struct{ l *slog.Logger }

// Notices (banner, listen address) are debug: the gateway logs what matters.
func (a *slogAdapter) Noticef(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Fatalf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Errorf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Debugf(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Tracef(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }

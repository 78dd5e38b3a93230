// Package escalate makes review verdicts durable: it publishes each
// escalation to JetStream and falls back to the fsync'd local spool when
// JetStream does not acknowledge, replaying the spool when NATS is back.
package escalate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/spool"
)

// Metrics receives the escalator's counts (api.Metrics in the gateway).
type Metrics interface {
	Escalation(lane, outcome string)
	SetSpoolPending(n int)
	SetSpoolDead(n int)
}

// Config configures the escalation publisher.
type Config struct {
	Conn   *nats.Conn
	Prefix string
	Spool  *spool.Spool
	// AckTimeout bounds how long a review verdict waits for JetStream
	// before the case is spooled instead (default 2s).
	AckTimeout time.Duration
	// AsyncWindow bounds in-flight async (patrol) publishes (default 4096).
	AsyncWindow int
	// ReplayInterval is how often the spool is checked (default 1s).
	ReplayInterval time.Duration
	Metrics        Metrics
	Logger         *slog.Logger
}

// Escalator publishes escalations to JetStream with Nats-Msg-Id = CaseID and
// falls back to the fsync'd spool when JetStream does not acknowledge; a
// replay loop moves spooled cases into JetStream when NATS is back. The
// stream's duplicate window (natsutil.DefaultDuplicateWindow) makes a case
// that was stored but whose ack was lost, then replayed, appear once.
type Escalator struct {
	cfg     Config
	jsSync  jetstream.JetStream // acked publishes (review verdicts, batches)
	jsAsync jetstream.JetStream // fire-and-forget patrol samples
	log     *slog.Logger
	m       Metrics
	kick    chan struct{}
	closed  chan struct{}
	once    sync.Once
}

// spoolRecord is what the spool stores: enough to republish verbatim.
type spoolRecord struct {
	Subject string          `json:"subject"`
	MsgID   string          `json:"msg_id"`
	Lane    string          `json:"lane"`
	Data    json.RawMessage `json:"data"`
}

// New builds the publisher. Conn, Spool and Metrics are required.
func New(cfg Config) (*Escalator, error) {
	if cfg.Conn == nil || cfg.Spool == nil || cfg.Metrics == nil {
		return nil, errors.New("escalate: the escalator needs a NATS connection, a spool and metrics")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = modgate.DefaultSubjectPrefix
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 2 * time.Second
	}
	if cfg.AsyncWindow <= 0 {
		cfg.AsyncWindow = 4096
	}
	if cfg.ReplayInterval <= 0 {
		cfg.ReplayInterval = time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Escalator{cfg: cfg, log: log, m: cfg.Metrics, kick: make(chan struct{}, 1), closed: make(chan struct{})}
	var err error
	e.jsSync, err = jetstream.New(cfg.Conn, jetstream.WithPublishAsyncMaxPending(cfg.AsyncWindow),
		jetstream.WithPublishAsyncTimeout(2*cfg.AckTimeout)) // futures we stopped waiting for get cleaned up
	if err != nil {
		return nil, fmt.Errorf("escalate: jetstream: %w", err)
	}
	e.jsAsync, err = jetstream.New(cfg.Conn,
		jetstream.WithPublishAsyncMaxPending(cfg.AsyncWindow),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, msg *nats.Msg, err error) {
			e.spoolMsg(msg, "async publish: "+err.Error())
		}))
	if err != nil {
		return nil, fmt.Errorf("escalate: jetstream: %w", err)
	}
	e.m.SetSpoolPending(cfg.Spool.Pending())
	e.m.SetSpoolDead(cfg.Spool.DeadCount())
	return e, nil
}

// Outcome of an escalation: published to JetStream or spooled locally.
type Outcome string

// Outcomes, also the outcome label of modgate_escalations_total.
const (
	Published Outcome = "published"
	Spooled   Outcome = "spooled"
	Failed    Outcome = "failed"
	Replayed  Outcome = "replayed"
	// Rejected: too large for NATS, refused with 413 (never acknowledged).
	Rejected Outcome = "rejected"
	// DeadLettered: a spooled record NATS can never take, moved to the
	// spool's dead-letter log.
	DeadLettered Outcome = "dead_lettered"
)

// count records one outcome.
func (e *Escalator) count(lane string, o Outcome) { e.m.Escalation(lane, string(o)) }

// SpoolCounts is how many escalations wait in the spool and how many it
// keeps as dead letters.
func (e *Escalator) SpoolCounts() (pending, dead int) {
	return e.cfg.Spool.Pending(), e.cfg.Spool.DeadCount()
}

// ErrTooLarge means the encoded escalation cannot be carried by the
// connected NATS server (its max_payload): no retry can ever deliver it, so
// it is refused at the edge (413) instead of being acknowledged.
var ErrTooLarge = errors.New("escalate: escalation too large for NATS")

// headerRoom is what a publish needs beside the data (the Nats-Msg-Id
// header and framing), kept free under max_payload.
const headerRoom = 1024

// MaxPayload is the largest encoded escalation the connected server takes.
func (e *Escalator) MaxPayload() int64 {
	return e.cfg.Conn.MaxPayload() - headerRoom
}

func (e *Escalator) msg(esc *modgate.Escalation) (*nats.Msg, error) {
	data, err := json.Marshal(esc)
	if err != nil {
		return nil, fmt.Errorf("escalate: encode escalation: %w", err)
	}
	max := e.MaxPayload()
	for int64(len(data)) > max && len(esc.Context) > 0 {
		// The conversation context is a courtesy to the reviewer: a message
		// that fits on its own is never refused because of its neighbours.
		esc.Context = shedContext(esc.Context)
		if data, err = json.Marshal(esc); err != nil {
			return nil, fmt.Errorf("escalate: encode escalation: %w", err)
		}
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %d bytes encoded, the server takes %d", ErrTooLarge, len(data), max)
	}
	m := nats.NewMsg(natsutil.EscalationSubject(e.cfg.Prefix, esc.Lane))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, esc.CaseID)
	return m, nil
}

// shedContext drops one message from a case's conversation context: the
// oldest one that took no part in a match, else the oldest; nil when only
// the case's own message is left.
func shedContext(in []modgate.ContextMessage) []modgate.ContextMessage {
	drop := -1
	for i, c := range in {
		if c.Current {
			continue
		}
		if drop < 0 {
			drop = i
		}
		if !c.Assembling {
			drop = i
			break
		}
	}
	if drop < 0 {
		return nil
	}
	return slices.Delete(slices.Clone(in), drop, drop+1)
}

// permanentPublishError reports publish errors no retry can cure: the
// message is over the server's or the stream's size limit. Everything else
// (timeouts, no responders, a stream not yet re-created after a NATS
// restart) is worth retrying.
func permanentPublishError(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrTooLarge) || errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
}

// Escalate makes the case durable before returning: acknowledged by
// JetStream, or else fsync'd into the spool. It fails only when both fail.
func (e *Escalator) Escalate(ctx context.Context, esc *modgate.Escalation) (Outcome, error) {
	m, err := e.msg(esc)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			e.count(esc.Lane, Rejected)
		}
		return "", err
	}
	if e.cfg.Conn.IsConnected() {
		pctx, cancel := context.WithTimeout(ctx, e.cfg.AckTimeout)
		_, perr := e.jsSync.PublishMsg(pctx, m)
		cancel()
		if perr == nil {
			e.count(esc.Lane, Published)
			return Published, nil
		}
		if permanentPublishError(perr) {
			// Spooling it would only move the failure to the replay loop.
			e.count(esc.Lane, Rejected)
			return "", fmt.Errorf("%w: %v", ErrTooLarge, perr)
		}
		err = perr
	} else {
		err = nats.ErrConnectionClosed
		if e.cfg.Conn.Status() == nats.RECONNECTING {
			err = nats.ErrConnectionReconnecting
		}
	}
	return e.spoolOrFail(m, esc.Lane, err)
}

func (e *Escalator) spoolOrFail(m *nats.Msg, lane string, cause error) (Outcome, error) {
	rec, err := json.Marshal(spoolRecord{Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader), Lane: lane, Data: m.Data})
	if err == nil {
		err = e.cfg.Spool.Append(rec)
	}
	if err != nil {
		e.count(lane, Failed)
		e.log.Error("escalation lost: publish and spool failed", "case_id", m.Header.Get(jetstream.MsgIDHeader), "publish_err", cause, "spool_err", err)
		return "", fmt.Errorf("escalate: escalation: publish: %v; spool: %w", cause, err)
	}
	e.count(lane, Spooled)
	e.m.SetSpoolPending(e.cfg.Spool.Pending())
	e.log.Warn("escalation spooled", "case_id", m.Header.Get(jetstream.MsgIDHeader), "lane", lane, "cause", cause)
	return Spooled, nil
}

func (e *Escalator) spoolMsg(m *nats.Msg, cause string) {
	lane := laneOf(m.Subject)
	_, _ = e.spoolOrFail(m, lane, errors.New(cause))
}

func laneOf(subject string) string {
	for i := len(subject) - 1; i >= 0; i-- {
		if subject[i] == '.' {
			return subject[i+1:]
		}
	}
	return subject
}

// EscalateMany escalates several cases concurrently (one async publish each,
// then waits for every ack) and returns one outcome per case; an empty
// outcome has its error at the same index (ErrTooLarge, or publish and
// spool both failed).
func (e *Escalator) EscalateMany(ctx context.Context, escs []*modgate.Escalation) ([]Outcome, []error) {
	out := make([]Outcome, len(escs))
	errs := make([]error, len(escs))
	msgs := make([]*nats.Msg, len(escs))
	futs := make([]jetstream.PubAckFuture, len(escs))
	connected := e.cfg.Conn.IsConnected()
	for i, esc := range escs {
		m, err := e.msg(esc)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				e.count(esc.Lane, Rejected)
			}
			errs[i] = err
			continue
		}
		msgs[i] = m
		if connected {
			f, err := e.jsSync.PublishMsgAsync(m)
			if err == nil {
				futs[i] = f
			}
		}
	}
	wctx, cancel := context.WithTimeout(ctx, e.cfg.AckTimeout)
	defer cancel()
	for i, f := range futs {
		if msgs[i] == nil {
			continue
		}
		var cause error = nats.ErrConnectionReconnecting
		if f != nil {
			cause = waitAck(wctx, f)
			if cause == nil {
				out[i] = Published
				e.count(escs[i].Lane, Published)
				continue
			}
			if permanentPublishError(cause) {
				e.count(escs[i].Lane, Rejected)
				errs[i] = fmt.Errorf("%w: %v", ErrTooLarge, cause)
				continue
			}
		}
		out[i], errs[i] = e.spoolOrFail(msgs[i], escs[i].Lane, cause)
	}
	return out, errs
}

// waitAck prefers a result that is already there over the deadline, so an
// acked publish is never spooled just because the deadline passed meanwhile.
func waitAck(ctx context.Context, f jetstream.PubAckFuture) error {
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return err
	default:
	}
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// EscalateAsync publishes without waiting (patrol samples). A failed or
// timed-out publish is spooled by the async error handler.
func (e *Escalator) EscalateAsync(esc *modgate.Escalation) {
	m, err := e.msg(esc)
	if err != nil {
		// A patrol sample is never acknowledged to the client: dropping
		// one that cannot be carried loses no promise.
		e.log.Warn("patrol sample dropped", "case_id", esc.CaseID, "err", err)
		e.count(esc.Lane, Rejected)
		return
	}
	if !e.cfg.Conn.IsConnected() {
		_, _ = e.spoolOrFail(m, esc.Lane, nats.ErrConnectionReconnecting)
		return
	}
	if _, err := e.jsAsync.PublishMsgAsync(m, jetstream.WithStallWait(50*time.Millisecond)); err != nil {
		_, _ = e.spoolOrFail(m, esc.Lane, err)
		return
	}
	e.count(esc.Lane, Published)
}

// Kick asks the replay loop to try the spool now (e.g. on NATS reconnect).
func (e *Escalator) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Run replays the spool into JetStream until ctx is done.
func (e *Escalator) Run(ctx context.Context) {
	t := time.NewTicker(e.cfg.ReplayInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.closed:
			return
		case <-t.C:
		case <-e.kick:
		}
		if e.cfg.Spool.Pending() == 0 || !e.cfg.Conn.IsConnected() {
			e.m.SetSpoolDead(e.cfg.Spool.DeadCount())
			continue
		}
		if n, err := e.Replay(ctx); err != nil {
			e.log.Warn("spool replay stopped", "replayed", n, "err", err)
		} else if n > 0 {
			e.log.Info("spool replayed", "replayed", n)
		}
	}
}

// Replay publishes every spooled escalation (acked, with its original
// Nats-Msg-Id) and removes it from the spool. A record that can never be
// published (unreadable, or over the server's max_payload) is moved to the
// spool's dead-letter log and the replay goes on with the rest; any other
// error stops it (NATS is down: keep the order, retry later).
func (e *Escalator) Replay(ctx context.Context) (int, error) {
	n, err := e.cfg.Spool.Drain(func(b []byte) error {
		var rec spoolRecord
		if err := json.Unmarshal(b, &rec); err != nil || rec.Subject == "" {
			e.log.Error("spool record unreadable; moved to the dead letters", "err", err)
			e.count("unknown", DeadLettered)
			return spool.Permanent(fmt.Errorf("escalate: unreadable spool record: %v", err))
		}
		if max := e.MaxPayload(); int64(len(rec.Data)) > max {
			e.log.Error("spooled escalation over max_payload; moved to the dead letters", "case_id", rec.MsgID, "bytes", len(rec.Data), "max", max)
			e.count(rec.Lane, DeadLettered)
			return spool.Permanent(fmt.Errorf("escalate: case %s: %d bytes, the server takes %d", rec.MsgID, len(rec.Data), max))
		}
		m := nats.NewMsg(rec.Subject)
		m.Data = rec.Data
		m.Header.Set(jetstream.MsgIDHeader, rec.MsgID)
		pctx, cancel := context.WithTimeout(ctx, e.cfg.AckTimeout)
		defer cancel()
		if _, err := e.jsSync.PublishMsg(pctx, m); err != nil {
			if permanentPublishError(err) {
				e.log.Error("spooled escalation refused by NATS; moved to the dead letters", "case_id", rec.MsgID, "err", err)
				e.count(rec.Lane, DeadLettered)
				return spool.Permanent(fmt.Errorf("escalate: case %s: %w", rec.MsgID, err))
			}
			return fmt.Errorf("escalate: replay %s: %w", rec.MsgID, err)
		}
		e.count(rec.Lane, Replayed)
		return nil
	})
	e.m.SetSpoolPending(e.cfg.Spool.Pending())
	e.m.SetSpoolDead(e.cfg.Spool.DeadCount())
	return n, err
}

// Close waits (bounded by ctx) for in-flight async publishes; whatever is
// not acknowledged by then is spooled by the error handler or stays in the
// spool for the next start.
func (e *Escalator) Close(ctx context.Context) error {
	e.once.Do(func() { close(e.closed) })
	var err error
	for _, js := range []jetstream.JetStream{e.jsAsync, e.jsSync} {
		if js.PublishAsyncPending() == 0 {
			continue
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			err = fmt.Errorf("escalate: flush escalations: %w", ctx.Err())
		}
	}
	return err
}

package convo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	fastjson "github.com/goccy/go-json"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
)

func floatBits(f float64) uint64     { return math.Float64bits(f) }
func floatFromBits(b uint64) float64 { return math.Float64frombits(b) }

// Record is one screened message as published to the stream. Text is the
// verdict's masked text, never the original. Field names are short: every
// replica decodes every record.
type Record struct {
	Origin    string  `json:"o"`
	ID        string  `json:"id,omitempty"`
	Tenant    string  `json:"t,omitempty"`
	Group     string  `json:"g,omitempty"`
	Sender    string  `json:"s,omitempty"`
	At        int64   `json:"at"` // unix nanoseconds
	Text      string  `json:"x"`
	Truncated bool    `json:"tr,omitempty"`
	Chars     int     `json:"n"`
	Action    string  `json:"a"`
	Sig       sigJSON `json:"f,omitempty"`
}

// sigJSON is a signature on the wire: its 32 hashes as 128 bytes,
// base64 (shorter and cheaper than 32 numbers).
type sigJSON []uint32

// UnmarshalJSON decodes the base64 form; anything else is no signature.
func (s *sigJSON) UnmarshalJSON(b []byte) error {
	*s = nil
	if len(b) < 2 || b[0] != '"' {
		return nil
	}
	raw, err := base64.StdEncoding.AppendDecode(make([]byte, 0, 4*sigLen), b[1:len(b)-1])
	if err != nil || len(raw) != 4*sigLen {
		return nil
	}
	out := make([]uint32, sigLen)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	*s = out
	return nil
}

// MarshalJSON is the base64 form.
func (s sigJSON) MarshalJSON() ([]byte, error) { return appendSig(nil, s), nil }

func appendSig(b []byte, sig []uint32) []byte {
	var raw [4 * sigLen]byte
	for i := range sig[:min(len(sig), sigLen)] {
		binary.LittleEndian.PutUint32(raw[4*i:], sig[i])
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, raw[:4*min(len(sig), sigLen)])
	return append(b, '"')
}

// appendJSON encodes r as JSON (the fields in declaration order, origin
// first: a replica recognises its own records by that prefix). Hand
// written: every screened message is encoded once.
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"o":`...)
	b = appendJSONString(b, r.Origin)
	for _, f := range [...]struct{ k, v string }{{"id", r.ID}, {"t", r.Tenant}, {"g", r.Group}, {"s", r.Sender}} {
		if f.v != "" {
			b = append(b, ',', '"')
			b = append(b, f.k...)
			b = append(b, '"', ':')
			b = appendJSONString(b, f.v)
		}
	}
	b = append(b, `,"at":`...)
	b = strconv.AppendInt(b, r.At, 10)
	b = append(b, `,"x":`...)
	b = appendJSONString(b, r.Text)
	if r.Truncated {
		b = append(b, `,"tr":true`...)
	}
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(r.Chars), 10)
	b = append(b, `,"a":`...)
	b = appendJSONString(b, r.Action)
	if len(r.Sig) > 0 {
		b = append(b, `,"f":`...)
		b = appendSig(b, r.Sig)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string (invalid UTF-8 replaced).
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// forgetMsg is the body of a <prefix>.convo.forget.<sender> message.
type forgetMsg struct {
	Sender string `json:"sender"`
}

// StreamConfig is the MODGATE_CONVO stream for cfg: batches of records
// and forget markers, kept for the window's age (T) within MaxBytes.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	storage := jetstream.MemoryStorage
	if cfg.FileStorage {
		storage = jetstream.FileStorage
	}
	return jetstream.StreamConfig{
		Name:        Stream,
		Description: "modgate: recent messages of every group (masked), for conversation-level screening",
		Subjects:    []string{cfg.Prefix + ".convo.>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     storage,
		Replicas:    cfg.Replicas,
		MaxAge:      cfg.WindowAge,
		MaxBytes:    cfg.MaxBytes,
		Discard:     jetstream.DiscardOld,
		Duplicates:  min(cfg.WindowAge, 2*time.Minute),
	}
}

// BatchSubject is <prefix>.convo.batch.<origin>: the record batches of
// one replica.
func BatchSubject(prefix, origin string) string { return prefix + ".convo.batch." + token(origin) }

// Open builds a Store on its own NATS connection to cfg.URL (made with
// NoEcho: the server does not deliver this replica's records back to it).
// It ensures the stream, subscribes to every replica's records as they
// are published, reads the window kept in the stream, and starts the
// sweeper. The window is unavailable until that read has caught up, and
// while the connection is down; after a reconnect the records published
// meanwhile are read from the stream.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, ErrNoNATS
	}
	s := New(cfg)
	s.ready.Store(false)
	nc, err := natsutil.Connect(cfg.URL, natsutil.ConnectOptions{Name: "modgate-convo", Logger: s.log, NoEcho: true,
		OnDisconnect: func() { s.discAt.Store(s.now()) }, OnReconnect: s.reconnected})
	if err != nil {
		return nil, fmt.Errorf("convo: %w", err)
	}
	s.nc = nc
	s.batchSubj = BatchSubject(s.cfg.Prefix, s.cfg.Origin)
	if s.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("convo: jetstream: %w", err)
	}
	// Live records first, then the stream: nothing falls in between
	// (a record seen twice is applied once).
	if s.sub, err = nc.Subscribe(s.cfg.Prefix+".convo.>", func(m *nats.Msg) { s.handle(m.Data) }); err != nil {
		nc.Close()
		return nil, fmt.Errorf("convo: subscribe: %w", err)
	}
	_ = s.sub.SetPendingLimits(1<<20, 256<<20)
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		nc.Close()
		return nil, fmt.Errorf("convo: subscribe: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel, s.runCtx = cancel, runCtx
	first := s.Ensure(ctx)
	if first != nil {
		// The window is optional: the gateway serves without it (messages
		// screened one by one) and keeps trying.
		s.log.Error("convo: the conversation window's stream cannot be created; screening message by message until it can", "err", first)
	}
	s.wg.Go(func() {
		for delay, err := time.Second, first; err != nil; delay = min(2*delay, 30*time.Second) {
			select {
			case <-runCtx.Done():
				return
			case <-time.After(delay):
			}
			ectx, ecancel := context.WithTimeout(runCtx, 10*time.Second)
			if err = s.Ensure(ectx); err != nil && runCtx.Err() == nil {
				s.log.Warn("convo: creating the stream failed; retrying", "err", err, "retry_in", min(2*delay, 30*time.Second))
			}
			ecancel()
		}
		if err := s.replay(runCtx, time.Time{}); err != nil && runCtx.Err() == nil {
			s.log.Warn("convo: reading the window from the stream failed; it fills from live records", "err", err)
		}
		s.ready.Store(true)
	})
	s.wg.Go(func() { s.sweepLoop(runCtx) })
	s.wg.Go(func() { s.flushLoop(runCtx) })
	return s, nil
}

// Ensure creates or updates the stream (safe to call at any time).
func (s *Store) Ensure(ctx context.Context) error {
	if s.js == nil {
		return nil
	}
	if _, err := s.js.CreateOrUpdateStream(ctx, StreamConfig(s.cfg)); err != nil {
		return fmt.Errorf("convo: stream %s: %w", Stream, err)
	}
	return nil
}

// reconnected re-ensures the stream (a restarted server may have lost a
// memory stream) and reads what other replicas published while this one
// was cut off.
func (s *Store) reconnected() {
	if s.closed.Load() || s.runCtx == nil {
		return
	}
	since := time.Unix(0, s.discAt.Load()).Add(-5 * time.Second)
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(s.runCtx, 30*time.Second)
		defer cancel()
		if err := s.Ensure(ctx); err != nil {
			s.log.Warn("convo: re-ensuring the stream after a reconnect failed", "err", err)
			return
		}
		if err := s.replay(ctx, since); err != nil && ctx.Err() == nil {
			s.log.Warn("convo: catching up after a reconnect failed", "err", err)
		}
	})
}

// replay applies the stream's records from `since` (zero: all of them)
// up to its end as it was when the replay started.
func (s *Store) replay(ctx context.Context, since time.Time) error {
	st, err := s.js.Stream(ctx, Stream)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.Msgs == 0 {
		return nil
	}
	last := info.State.LastSeq
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.cfg.Prefix + ".convo.>"}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if !since.IsZero() {
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := st.OrderedConsumer(ctx, cc)
	if err != nil {
		return err
	}
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		got, done := 0, false
		for m := range batch.Messages() {
			got++
			s.handle(m.Data())
			if md, err := m.Metadata(); err == nil && (md.Sequence.Stream >= last || md.NumPending == 0) {
				done = true
			}
		}
		if done || got == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// handle applies a batch of records (JSON lines) or a forget marker,
// from the live subscription or the stream.
func (s *Store) handle(data []byte) {
	if bytes.HasPrefix(data, []byte(`{"sender":`)) {
		var f forgetMsg
		if fastjson.Unmarshal(data, &f) == nil && f.Sender != "" {
			s.forgetLocal(f.Sender)
		}
		return
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) > 0 {
			s.handleRecord(line)
		}
	}
}

func (s *Store) handleRecord(data []byte) {
	if bytes.HasPrefix(data, s.origin) && len(data) > len(s.origin) && data[len(s.origin)] == ',' {
		s.stats.skipped.Add(1) // our own record (replayed): applied at Commit
		return
	}
	var r Record
	if err := fastjson.Unmarshal(data, &r); err != nil {
		s.stats.decodeErrors.Add(1)
		return
	}
	if len(r.Sig) != 0 && len(r.Sig) != sigLen {
		r.Sig = nil
	}
	if r.Text, r.Truncated = modgate.CutUTF8(r.Text, s.cfg.MaxTextBytes); r.Truncated {
		r.Text = string(bytes.ToValidUTF8([]byte(r.Text), nil))
	}
	s.apply(&r)
	s.stats.applied.Add(1)
}

// Batching: records are published in batches (JSON lines) at most
// batchDelay after the first one, or as soon as a batch reaches
// batchBytes. One NATS message per batch instead of per record is what
// keeps the window's cost small: the server parses, stores and delivers
// each message, and on one machine it shares the cores with the gateway.
// A flusher goroutine publishes, so screening only ever appends to a
// buffer; if NATS falls behind by maxPending, new records are dropped
// (counted) rather than held or waited for.
const (
	batchDelay = 2 * time.Millisecond
	batchBytes = 32 << 10
	maxPending = 512 << 10 // stays under NATS's default max_payload (1 MiB)
)

// publish queues a record for the next batch; it never waits on NATS.
func (s *Store) publish(r *Record) {
	if s.nc == nil {
		return
	}
	s.batchMu.Lock()
	if len(s.batch) >= maxPending {
		s.batchMu.Unlock()
		s.publishFailed(1, errors.New("convo: publishing is behind; record dropped"))
		return
	}
	first := len(s.batch) == 0
	s.batch = r.appendJSON(s.batch)
	s.batch = append(s.batch, '\n')
	s.batchN++
	full := len(s.batch) >= batchBytes
	s.batchMu.Unlock()
	if first || full {
		select {
		case s.kick <- full:
		default:
		}
	}
}

// flushLoop publishes the batches: batchDelay after the first record of a
// batch, at once when one is full, and what is left when the Store closes.
func (s *Store) flushLoop(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	var out []byte
	for {
		select {
		case <-ctx.Done():
			s.flush(&out)
			return
		case full := <-s.kick:
			if !full {
				t.Reset(batchDelay)
				select {
				case <-t.C:
				case <-s.kick: // filled up meanwhile
					t.Stop()
				case <-ctx.Done():
					t.Stop()
				}
			}
			s.flush(&out)
		}
	}
}

// flush swaps the pending batch out and publishes it (out is the spare
// buffer, reused).
func (s *Store) flush(out *[]byte) {
	s.batchMu.Lock()
	b, n := s.batch, s.batchN
	s.batch, s.batchN = (*out)[:0], 0
	s.batchMu.Unlock()
	*out = b
	if len(b) == 0 {
		return
	}
	// Publish copies the batch into the connection's buffer.
	if err := s.nc.Publish(s.batchSubj, b); err != nil {
		s.publishFailed(n, err)
		return
	}
	s.stats.published.Add(int64(n))
	s.stats.batches.Add(1)
}

func (s *Store) publishFailed(n int, err error) {
	s.stats.publishErrors.Add(int64(n))
	s.pubErrMu.Lock()
	defer s.pubErrMu.Unlock()
	if time.Since(s.pubErrAt) > 10*time.Second {
		s.pubErrAt = time.Now()
		s.log.Warn("convo: publishing window records failed; other replicas miss this one's messages meanwhile", "err", err)
	}
}

// Forget removes a sender's records from the stream (every tenant and
// group) and tells every replica to drop them from its view (PIPL
// deletion). The stream is keyed by group, so this reads it through once
// (at most T of every group's window; records of the sender are deleted
// by sequence as they are found). It returns how many it deleted.
func (s *Store) Forget(ctx context.Context, sender string) (int, error) {
	if s.js == nil {
		return s.forgetLocal(sender), nil
	}
	st, err := s.js.Stream(ctx, Stream)
	if err != nil {
		return 0, fmt.Errorf("convo: forget: %w", err)
	}
	n, err := s.deleteSender(ctx, st, sender)
	if err != nil {
		return n, err
	}
	b, _ := fastjson.Marshal(forgetMsg{Sender: sender})
	if _, err := s.js.Publish(ctx, ForgetSubject(s.cfg.Prefix, sender), b); err != nil {
		return n, fmt.Errorf("convo: forget: tell the replicas: %w", err)
	}
	s.forgetLocal(sender)
	s.stats.forgotten.Add(1)
	return n, nil
}

// deleteSender reads the stream up to its last sequence at the start;
// every batch holding records of the sender is replaced by a copy without
// them (published first, so no other record is ever missing), then
// deleted. It returns how many records it removed.
func (s *Store) deleteSender(ctx context.Context, st jetstream.Stream, sender string) (int, error) {
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("convo: forget: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return 0, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.cfg.Prefix + ".convo.batch.>"}, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, fmt.Errorf("convo: forget: scan: %w", err)
	}
	// A batch can hold the sender's records only if it holds the sender
	// id as a JSON string.
	needle := appendJSONString([]byte(`"s":`), sender)
	var probe struct {
		Sender string `json:"s"`
	}
	n := 0
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return n, fmt.Errorf("convo: forget: scan: %w", err)
		}
		got, done := 0, false
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			if md.Sequence.Stream >= last || md.NumPending == 0 {
				done = true
			}
			data := m.Data()
			if !bytes.Contains(data, needle) {
				continue
			}
			var kept []byte
			removed := 0
			for _, line := range bytes.Split(data, []byte{'\n'}) {
				if len(line) == 0 {
					continue
				}
				probe.Sender = ""
				if fastjson.Unmarshal(line, &probe) == nil && probe.Sender == sender {
					removed++
					continue
				}
				kept = append(append(kept, line...), '\n')
			}
			if removed == 0 {
				continue
			}
			if len(kept) > 0 {
				if _, err := s.js.Publish(ctx, m.Subject(), kept); err != nil {
					return n, fmt.Errorf("convo: forget: rewrite batch %d: %w", md.Sequence.Stream, err)
				}
			}
			if err := st.SecureDeleteMsg(ctx, md.Sequence.Stream); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return n, fmt.Errorf("convo: forget: delete batch %d: %w", md.Sequence.Stream, err)
			}
			n += removed
		}
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return n, fmt.Errorf("convo: forget: scan: %w", err)
		}
		if done || got == 0 {
			return n, nil
		}
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("convo: forget: %w", err)
		}
	}
}

func (s *Store) sweepLoop(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Close stops the subscription, the sweeper and any catch-up, flushes
// the records not yet sent and closes the connection.
func (s *Store) Close() {
	if s.closed.Swap(true) {
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.sub != nil {
		_ = s.sub.Unsubscribe()
	}
	s.wg.Wait() // the flusher publishes what is pending as it stops
	if s.nc != nil {
		_ = s.nc.FlushTimeout(2 * time.Second)
		s.nc.Close()
	}
}

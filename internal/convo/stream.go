package convo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func floatBits(f float64) uint64     { return math.Float64bits(f) }
func floatFromBits(b uint64) float64 { return math.Float64frombits(b) }

// Record is one screened message as published to the stream. Text is the
// verdict's masked text, never the original. Field names are short: every
// replica decodes every record.
type Record struct {
	Origin    string   `json:"o"`
	ID        string   `json:"id,omitempty"`
	Tenant    string   `json:"t,omitempty"`
	Group     string   `json:"g,omitempty"`
	Sender    string   `json:"s,omitempty"`
	At        int64    `json:"at"` // unix nanoseconds
	Text      string   `json:"x"`
	Truncated bool     `json:"tr,omitempty"`
	Chars     int      `json:"n"`
	Action    string   `json:"a"`
	Sig       []uint32 `json:"f,omitempty"`
}

// forgetMsg is the body of a <prefix>.convo.forget.<sender> message.
type forgetMsg struct {
	Sender string `json:"sender"`
}

// StreamConfig is the MODGATE_CONVO stream for cfg.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              Stream,
		Description:       "modgate: recent messages of every group (masked), for conversation-level screening",
		Subjects:          []string{cfg.Prefix + ".convo.>"},
		Retention:         jetstream.LimitsPolicy,
		Storage:           cfg.Storage,
		Replicas:          cfg.Replicas,
		MaxAge:            cfg.WindowAge,
		MaxMsgsPerSubject: int64(cfg.WindowSize),
		MaxBytes:          cfg.MaxBytes,
		Discard:           jetstream.DiscardOld,
		Duplicates:        min(cfg.WindowAge, 2*time.Minute),
	}
}

// Open builds a Store on cfg.Conn: it ensures the stream, starts the
// consumer that reads the records of every replica (from the start of the
// window), and the sweeper. The window is unavailable until the consumer
// has caught up with the stream.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Conn == nil {
		return nil, ErrNoNATS
	}
	s := New(cfg)
	s.ready.Store(false)
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("convo: jetstream: %w", err)
	}
	s.js = js
	if err := s.Ensure(ctx); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Go(func() { s.sweepLoop(runCtx) })
	return s, nil
}

// Ensure creates or updates the stream and (re)starts the consumer when
// it is not reading the stream as it now exists (first call, or a NATS
// server that came back without it). Safe to call after every reconnect.
func (s *Store) Ensure(ctx context.Context) error {
	if s.js == nil {
		return nil
	}
	sc := StreamConfig(s.cfg)
	st, err := s.js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return fmt.Errorf("convo: stream %s: %w", Stream, err)
	}
	info := st.CachedInfo()
	s.consMu.Lock()
	defer s.consMu.Unlock()
	if s.closed.Load() {
		return nil
	}
	if s.cons != nil && info.Created.Equal(s.created) {
		select {
		case <-s.cons.Closed():
		default:
			return nil // reading this stream already
		}
	}
	if s.cons != nil {
		s.cons.Stop()
		s.cons = nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: sc.Subjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("convo: consumer on %s: %w", Stream, err)
	}
	if info.State.Msgs == 0 {
		s.ready.Store(true)
	} else {
		s.ready.Store(false)
	}
	cc, err := cons.Consume(s.handle, jetstream.PullMaxMessages(1024),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				s.log.Debug("convo: consumer", "err", err)
			}
		}))
	if err != nil {
		return fmt.Errorf("convo: consume %s: %w", Stream, err)
	}
	s.cons, s.created = cc, info.Created
	return nil
}

// handle applies one record of the stream (or a forget marker).
func (s *Store) handle(m jetstream.Msg) {
	if !s.ready.Load() {
		if md, err := m.Metadata(); err == nil && md.NumPending == 0 {
			defer s.ready.Store(true)
		}
	}
	data := m.Data()
	if bytes.HasPrefix(data, s.origin) && len(data) > len(s.origin) && data[len(s.origin)] == ',' {
		s.stats.skipped.Add(1) // our own record: applied at Commit
		return
	}
	if bytes.HasPrefix(data, []byte(`{"sender":`)) {
		var f forgetMsg
		if json.Unmarshal(data, &f) == nil && f.Sender != "" {
			s.forgetLocal(f.Sender)
		}
		return
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		s.stats.decodeErrors.Add(1)
		return
	}
	if len(r.Sig) != 0 && len(r.Sig) != sigLen {
		r.Sig = nil
	}
	if r.Text, r.Truncated = capText(r.Text, s.cfg.MaxTextBytes); r.Truncated {
		r.Text = string(bytes.ToValidUTF8([]byte(r.Text), nil))
	}
	s.apply(&r)
	s.stats.applied.Add(1)
}

// publish sends a record to the stream without waiting (core NATS
// publish: the stream stores it, nothing acknowledges). While NATS is
// away the record stays in this replica's view only.
func (s *Store) publish(r *Record) {
	if s.cfg.Conn == nil {
		return
	}
	b, err := json.Marshal(r)
	if err == nil {
		err = s.cfg.Conn.Publish(MsgSubject(s.cfg.Prefix, r.Tenant, r.Group, r.Sender), b)
	}
	if err != nil {
		s.stats.publishErrors.Add(1)
		s.pubErrMu.Lock()
		if time.Since(s.pubErrAt) > 10*time.Second {
			s.pubErrAt = time.Now()
			s.log.Warn("convo: publishing window records failed; other replicas miss this one's messages meanwhile", "err", err)
		}
		s.pubErrMu.Unlock()
		return
	}
	s.stats.published.Add(1)
}

// Forget purges a sender's records from the stream (every tenant and
// group) and tells every replica to drop them from its view (PIPL
// deletion). It returns how many records the stream held.
func (s *Store) Forget(ctx context.Context, sender string) (int, error) {
	if s.js == nil {
		return s.forgetLocal(sender), nil
	}
	st, err := s.js.Stream(ctx, Stream)
	if err != nil {
		return 0, fmt.Errorf("convo: forget: %w", err)
	}
	subj := s.cfg.Prefix + ".convo.msg.*.*." + token(sender)
	n := 0
	if info, err := st.Info(ctx, jetstream.WithSubjectFilter(subj)); err == nil {
		for _, c := range info.State.Subjects {
			n += int(c)
		}
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
		return 0, fmt.Errorf("convo: forget: purge: %w", err)
	}
	b, _ := json.Marshal(forgetMsg{Sender: sender})
	if _, err := s.js.Publish(ctx, ForgetSubject(s.cfg.Prefix, sender), b); err != nil {
		return n, fmt.Errorf("convo: forget: tell the replicas: %w", err)
	}
	s.forgetLocal(sender)
	s.stats.forgotten.Add(1)
	return n, nil
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

// Close stops the consumer and the sweeper.
func (s *Store) Close() {
	if s.closed.Swap(true) {
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.consMu.Lock()
	if s.cons != nil {
		s.cons.Stop()
		s.cons = nil
	}
	s.consMu.Unlock()
	s.wg.Wait()
}

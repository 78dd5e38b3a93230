// Package screen is level 1 of the review mechanism as one library call: it
// runs the filter (normalise, match lexicons, detect contacts and personal
// data) and the Rego policies on a message and returns the full verdict.
//
// A Screener holds one immutable Engine (a filters.Filter and a
// policies.Engine built together) behind an atomic pointer. Reload builds a
// complete new engine from the policy and lexicon folders and swaps it in
// only when everything compiled and the policy tests passed; otherwise the
// old engine keeps serving and the error is kept for the health and admin
// endpoints. Watch reloads on file changes.
package screen

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/policies"
)

// Screening errors for bad input; test with errors.Is. They are the filter's
// own sentinels, so code written against either package maps them alike.
var (
	ErrInvalidUTF8 = filters.ErrInvalidUTF8
	ErrEmptyText   = filters.ErrEmptyText
	ErrTooLarge    = filters.ErrTooLarge
)

var (
	// ErrNoEngine is returned when no engine was ever built successfully
	// (New fails in that case, so only a zero Screener sees it).
	ErrNoEngine = errors.New("screen: no engine loaded")
)

// Config says where the policies and lexicons live and how to build the
// filter. Empty dirs mean the defaults embedded in the binary.
type Config struct {
	PolicyDir  string
	LexiconDir string
	// ModelDir holds the classifier models (*.mgm); empty means the models
	// embedded in the binary. NoModels runs without any (scores empty).
	ModelDir string
	NoModels bool
	// MaxTextBytes caps a message's text (default modgate.DefaultMaxTextBytes).
	MaxTextBytes int
	Logger       *slog.Logger
	// Engine selects the matcher ("compact" default, "cloudflare").
	Engine string
	// Debounce is how long Watch waits for a burst of file events to settle
	// before reloading (default 200ms).
	Debounce time.Duration
	// Violations, when set, looks up a sender's confirmed violations for the
	// 3-2-1 rule on every Screen call (the review queue's strike store
	// provides it). A lookup error does not fail screening: the message is
	// screened as if the sender had no record, and the error is logged.
	Violations func(ctx context.Context, tenant, senderID string) (modgate.Violations, error)
	// SkipPolicyTests skips running *_test.rego at each reload. Only for
	// benchmarks and tools that load many times; a server should run them.
	SkipPolicyTests bool
	// NoMemo turns off the policy engine's decision memo (benchmarks
	// compare both; a server should keep it).
	NoMemo bool
	// LastGoodDir, when set, keeps a copy of the files of the last engine
	// built from the folders; if the folders do not build at start, that
	// engine serves instead (see Fallback).
	LastGoodDir string
	// OnReload, when set, is called after every reload attempt with the
	// revision then serving and the attempt's error (nil on success), so
	// metrics and logs follow reloads without polling.
	OnReload func(rev modgate.Revision, err error)
	// Conversation, when set, is the groups' recent window: each message
	// is also screened joined with its sender's preceding short messages,
	// and the policies see flood and velocity counts (nil: off).
	Conversation Conversation
}

// Screener screens messages with the current engine. Safe for concurrent use.
type Screener struct {
	cfg Config
	log *slog.Logger
	cur atomic.Pointer[Engine]
	// conv is the conversation window (Config.Conversation or
	// SetConversation); nil holder or nil Conversation: off.
	conv atomic.Pointer[convRef]

	reloadMu sync.Mutex // serialises builds so swaps happen in order
	mu       sync.Mutex // guards lastErr, lastAttempt, fallback
	lastErr  error
	lastTry  time.Time
	fallback string // why the saved last good engine serves ("" = the folders do)
}

var _ modgate.Screener = (*Screener)(nil)

// New builds the first engine. Unlike Reload it fails when the engine cannot
// be built, since there is nothing old to keep serving.
func New(cfg Config) (*Screener, error) {
	return NewContext(context.Background(), cfg)
}

// NewContext is New with a context for the first build.
func NewContext(ctx context.Context, cfg Config) (*Screener, error) {
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = modgate.DefaultMaxTextBytes
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Screener{cfg: cfg, log: cfg.Logger}
	s.SetConversation(cfg.Conversation)
	if err := s.Reload(ctx); err != nil {
		if err := s.startFromLastGood(ctx, err); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Engine returns the engine currently serving (nil before the first build).
func (s *Screener) Engine() *Engine { return s.cur.Load() }

// Revision names the policy and lexicon sets currently serving.
func (s *Screener) Revision() modgate.Revision {
	if e := s.cur.Load(); e != nil {
		return e.rev
	}
	return modgate.Revision{}
}

// LastError is the error of the most recent reload attempt, nil when it
// succeeded (or nothing changed). The old engine kept serving meanwhile.
func (s *Screener) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Status is a snapshot for health and admin endpoints.
type Status struct {
	Revision    modgate.Revision `json:"revision"`
	LoadedAt    time.Time        `json:"loaded_at"`
	Terms       int              `json:"terms"`
	LastAttempt time.Time        `json:"last_attempt"`
	LastError   string           `json:"last_error,omitempty"`
	Fallback    string           `json:"fallback,omitempty"`
	// StaleModels lists models trained under another text normaliser than
	// this build's: they still score, but should be retrained.
	StaleModels []string `json:"stale_models,omitempty"`
}

// Status reports what is serving and how the last reload went.
func (s *Screener) Status() Status {
	var st Status
	if e := s.cur.Load(); e != nil {
		st.Revision, st.LoadedAt, st.Terms = e.rev, e.loadedAt, e.filter.Len()
		st.StaleModels = e.stale
	}
	s.mu.Lock()
	st.LastAttempt = s.lastTry
	if s.lastErr != nil {
		st.LastError = s.lastErr.Error()
	}
	st.Fallback = s.fallback
	s.mu.Unlock()
	return st
}

// Screen screens one message. When Config.Violations is set, the sender's
// confirmed violations are looked up and passed to the policy.
func (s *Screener) Screen(ctx context.Context, m modgate.Message) (modgate.Verdict, error) {
	var v modgate.Violations
	if s.cfg.Violations != nil && m.Sender.ID != "" {
		if err := s.checkText(m.Text); err != nil {
			return modgate.Verdict{}, err
		}
		got, err := s.cfg.Violations(ctx, m.Tenant, m.Sender.ID)
		if err != nil {
			// Screening must not stop because the strike store is slow or
			// down; the member-discipline rule just sees a clean record.
			s.log.Warn("screen: violations lookup failed; screening without them", "tenant", m.Tenant, "err", err)
		} else {
			v = got
		}
	}
	return s.ScreenWith(ctx, m, v)
}

// ScreenWith screens one message with the sender's confirmed-violation
// record given by the caller.
func (s *Screener) ScreenWith(ctx context.Context, m modgate.Message, v modgate.Violations) (modgate.Verdict, error) {
	// UTF-8 is checked by the filter, in the pass that normalises the text.
	if err := s.checkShape(m.Text); err != nil {
		return modgate.Verdict{}, err
	}
	e := s.cur.Load()
	if e == nil {
		return modgate.Verdict{}, ErrNoEngine
	}
	return e.screen(ctx, &m, v, s.conversation())
}

type convRef struct{ c Conversation }

// SetConversation installs (or, with nil, removes) the conversation window
// used from the next message on: the gateway opens it once NATS is up,
// after the engine.
func (s *Screener) SetConversation(c Conversation) { s.conv.Store(&convRef{c}) }

func (s *Screener) conversation() Conversation {
	if r := s.conv.Load(); r != nil {
		return r.c
	}
	return nil
}

// checkText rejects hostile or useless input before any work is done.
func (s *Screener) checkText(text string) error {
	// checkShape first keeps the error order (size, UTF-8, empty): a text
	// with a byte that is not UTF-8 is never blank.
	if err := s.checkShape(text); err != nil {
		return err
	}
	if !utf8.ValidString(text) {
		return ErrInvalidUTF8
	}
	return nil
}

// checkShape is checkText without the UTF-8 pass.
func (s *Screener) checkShape(text string) error {
	if len(text) > s.cfg.MaxTextBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(text), s.cfg.MaxTextBytes)
	}
	if strings.TrimSpace(text) == "" {
		return ErrEmptyText
	}
	return nil
}

// maxInlineModels is how many model scores screen keeps on the stack.
const maxInlineModels = 8

// screen runs the whole pipeline on one engine, so filter, models and
// policy always come from the same revision even while a reload swaps
// engines.
func (e *Engine) screen(ctx context.Context, m *modgate.Message, v modgate.Violations, conv Conversation) (modgate.Verdict, error) {
	sc, err := e.filter.ScanKeep(m.Text)
	defer sc.Release()
	if err != nil {
		return modgate.Verdict{}, fmt.Errorf("screen: filter: %w", err)
	}
	f := sc.Findings
	in := policies.Input{Message: m, Findings: &f, Violations: v}
	// The window keeps pointers to what it is given; it gets its own
	// copies, so a message screened without a window allocates none.
	var cs *convState
	if conv != nil {
		cs = &convState{m: *m}
		if cs.view, cs.avail = conv.Observe(&cs.m, f.Normalized, e.policy.Conversation()); cs.avail {
			cs.pc = policies.Conversation{Parts: 1, Facts: cs.view.Facts}
			in.Conversation = &cs.pc
		}
	}
	var scoreBuf [maxInlineModels]float64
	var extraBuf [16]float32
	if n := e.models.Len(); n > 0 {
		scores := scoreBuf[:0]
		if n > len(scoreBuf) {
			scores = make([]float64, n)
		}
		scores = scores[:n]
		extras := extraBuf[:0]
		if k := len(e.models.Extras()); k > len(extraBuf) {
			extras = make([]float32, k)
		} else {
			extras = extras[:k]
		}
		ModelExtras(e.models.Extras(), &f, extras)
		e.models.Score(f.Normalized, extras, scores)
		in.ScoreLabels, in.Scores = e.models.Labels(), scores
	}
	d, err := e.policy.Decide(ctx, in)
	if err != nil {
		return modgate.Verdict{}, fmt.Errorf("screen: policy: %w", err)
	}
	var j *joined
	if cs != nil && cs.avail && len(cs.view.Prior) > 0 {
		if jo, ok := e.screenJoined(ctx, &cs.m, &in, cs.view.Prior); ok && rank(jo.decision.Action) > rank(d.Action) {
			d, j = adoptJoined(d, &f, &jo), &jo
		}
	}
	vd := modgate.NewVerdict(m.ID, NewDecisionID(), d, f, e.rev)
	for i, l := range in.ScoreLabels {
		// Four decimals: more is noise to a reader, and the policies
		// saw two (policies.Band).
		vd.Scores[l] = math.Round(in.Scores[i]*1e4) / 1e4
	}
	switch vd.Action {
	case modgate.ActionAllow, modgate.ActionReview, modgate.ActionBlock:
	default:
		return modgate.Verdict{}, fmt.Errorf("screen: policy returned unknown action %q", vd.Action)
	}
	if len(in.ScoreLabels) > 0 && len(vd.Reasons) > 0 {
		vd.Matches = e.explain(&sc, vd.Reasons, vd.Matches)
	}
	if cs != nil {
		vd = cs.commit(conv, vd, j)
	}
	return vd, nil
}

// convState is one message's conversation-window state, on the heap only
// when a window is in use.
type convState struct {
	m     modgate.Message
	view  modgate.ConversationView
	pc    policies.Conversation
	avail bool
}

// commit adds the window's part to the verdict (its case context, or that
// the window was unavailable) and records the message in the window.
func (cs *convState) commit(conv Conversation, vd modgate.Verdict, j *joined) modgate.Verdict {
	if !cs.avail {
		vd.Conversation = modgate.ConversationUnavailable
	} else if vd.Action == modgate.ActionReview {
		vd.Context = caseContext(conv.Window(&cs.m), &cs.m, &vd, j, time.Now().UTC())
	}
	conv.Commit(&cs.m, &vd, &cs.view)
	return vd
}

// explainTop is how many n-grams explain one flagged score.
const explainTop = 3

// explain adds, for every model whose rule fired (reason model.<label>.…),
// the n-grams that raised its score most, as matches with Source "model"
// on ORIGINAL-text spans, so a reviewer sees why. Spans that touch masked
// personal data are left out (their text would unmask it).
func (e *Engine) explain(sc *filters.Scanned, reasons []modgate.Reason, ms []modgate.Match) []modgate.Match {
	var doneBuf [maxInlineModels]string
	done := doneBuf[:0]
	for _, r := range reasons {
		rest, ok := strings.CutPrefix(r.Rule, "model.")
		if !ok {
			continue
		}
		label, tier, _ := strings.Cut(rest, ".")
		if tier == "kind" || slices.Contains(done, label) {
			// A kind model (model.fraud.kind) only names what another
			// model flagged; that model's n-grams are the evidence, and
			// a second walk would mostly repeat them.
			continue
		}
		done = append(done, label)
		for _, c := range e.models.Explain(label, sc.Normalized, explainTop) {
			start, end := sc.Orig(c.Start, c.End)
			if start >= end || touchesMasked(ms, start, end) {
				continue
			}
			ms = append(ms, modgate.Match{
				Term:        c.Gram,
				Category:    r.Label,
				Subcategory: label,
				Start:       start,
				End:         end,
				Text:        sc.OrigText(start, end),
				Source:      modgate.SourceModel,
			})
		}
	}
	return ms
}

// touchesMasked reports whether [start,end) overlaps a detector match
// whose text the filter masks (phone, id_card, bank_card, email).
func touchesMasked(ms []modgate.Match, start, end int) bool {
	for i := range ms {
		m := &ms[i]
		if m.Source != modgate.SourceDetector {
			continue
		}
		switch m.Subcategory {
		case "phone", "id_card", "bank_card", "email":
		default:
			continue
		}
		if start < m.End && m.Start < end {
			return true
		}
	}
	return false
}

// randBuf hands out crypto-random bytes from a 4 KiB buffer: one
// getrandom call per 409 decision ids instead of one per message. Each
// byte is handed out once.
type randBuf struct {
	b   [4096]byte
	off int
}

var randPool = sync.Pool{New: func() any { return &randBuf{off: 4096} }}

// NewDecisionID returns a 128-bit identifier as 32 hex digits: 48 bits of
// Unix milliseconds then 80 random bits, so ids sort by time (like a ULID)
// and never collide in practice across replicas.
func NewDecisionID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ms)
	copy(b[:6], t[2:])
	rb := randPool.Get().(*randBuf)
	if rb.off+10 > len(rb.b) {
		_, _ = rand.Read(rb.b[:]) // crypto/rand.Read never fails (Go ≥1.24)
		rb.off = 0
	}
	copy(b[6:], rb.b[rb.off:rb.off+10])
	rb.off += 10
	randPool.Put(rb)
	var dst [32]byte
	hex.Encode(dst[:], b[:])
	return string(dst[:])
}

// Consequence answers the review side's 3-2-1 question (what a reviewer's
// decision triggers for the member) with the policies currently serving,
// so a hot-reloaded data.json applies to decisions and verdicts alike.
func (s *Screener) Consequence(ctx context.Context, in modgate.DisciplineInput) (modgate.Consequence, error) {
	e := s.cur.Load()
	if e == nil {
		return modgate.Consequence{}, ErrNoEngine
	}
	return e.policy.Consequence(ctx, in)
}

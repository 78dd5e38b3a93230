package review

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	fastjson "github.com/goccy/go-json"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/clock"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Queue is one replica's handle on the shared review queue. Any number of
// Queues (processes) may share one NATS system: all writes are KV
// compare-and-set, so two reviewers never hold the same case.
type Queue struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	// jsIndex publishes the search postings with its own async window, so
	// a burst of new cases never holds up decision events.
	jsIndex jetstream.JetStream
	log     *slog.Logger

	// The cases bucket is read through a watch (the index), so it stays a
	// JetStream bucket; the small stores work on any KV.
	cases     jetstream.KeyValue
	search    jetstream.Stream // the search index (search.go)
	bodies    jetstream.ObjectStore
	dedup     KV // create-only markers: one report per reporter and case
	sessions  *Sessions
	limiter   *Limiter
	reporters *Reporters
	strikes   *Strikes
	clock     clock.Clock

	refMu sync.Mutex
	refs  map[string]bodyRef // case id -> body object of the version last read or written

	mu       sync.RWMutex
	idx      map[string]*modgate.CaseSummary // every case, from the KV watch
	active   map[string]*modgate.CaseSummary // open or claimed
	inflight map[string]struct{}             // claim attempts in this process
	lanes    lanes                           // claim order per lane
	written  map[string]writtenCase          // own last writes (see cachedCase)
	subs     map[int]chan CaseChange
	nextSub  int

	lostClaims atomic.Int64 // claim-next candidates lost to another reviewer

	ready     chan struct{}
	cancel    context.CancelFunc
	runCtx    context.Context
	wg        sync.WaitGroup
	consumMu  sync.Mutex
	consum    jetstream.ConsumeContext
	work      chan jetstream.Msg
	deadCount atomic.Int64 // messages in the dead-letter stream (refreshed by the sweeper)
}

// CaseChange is a live update fed from the cases bucket watch.
type CaseChange struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"` // last history event: escalated, claim, release, expiry, decision, report; or "deleted"
	State    modgate.CaseState `json:"state"`
	Lane     string            `json:"lane"`
	Holder   string            `json:"holder,omitempty"`
	Revision uint64            `json:"revision"`
	At       time.Time         `json:"at"`
}

// Open connects the queue to NATS: creates the assets, rebuilds the index
// from the cases bucket, starts the escalation consumer and the sweeper.
// Close stops them (it does not close nc).
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return nil, fmt.Errorf("review: jetstream: %w", err)
	}
	jsIndex, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(16384))
	if err != nil {
		return nil, fmt.Errorf("review: jetstream: %w", err)
	}
	q := &Queue{
		cfg: cfg, nc: nc, js: js, jsIndex: jsIndex, log: cfg.Logger, clock: clock.Or(cfg.Clock),
		idx:      map[string]*modgate.CaseSummary{},
		active:   map[string]*modgate.CaseSummary{},
		inflight: map[string]struct{}{},
		written:  map[string]writtenCase{},
		subs:     map[int]chan CaseChange{},
		refs:     map[string]bodyRef{},
		ready:    make(chan struct{}),
		work:     make(chan jetstream.Msg, 256),
		lanes:    lanes{h: make([]laneHeap, len(modgate.Lanes))},
	}
	if err := q.ensureAssets(ctx); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	q.cancel, q.runCtx = cancel, runCtx
	w, err := q.cases.WatchAll(runCtx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("review: watch cases: %w", err)
	}
	q.wg.Add(1)
	go q.watch(runCtx, w)
	select {
	case <-q.ready:
	case <-ctx.Done():
		q.Close()
		return nil, fmt.Errorf("review: initial case index: %w", ctx.Err())
	}
	if err := q.startConsumer(ctx, runCtx); err != nil {
		q.Close()
		return nil, err
	}
	q.wg.Add(1)
	go q.sweep(runCtx)
	q.wg.Add(1)
	go func() { defer q.wg.Done(); q.repairIndex(runCtx) }()
	return q, nil
}

// Close stops the consumer, the watch and the sweeper. Leases held through
// this Queue stay in NATS and expire as usual.
func (q *Queue) Close() {
	q.consumMu.Lock()
	if q.consum != nil {
		q.consum.Stop()
	}
	q.consumMu.Unlock()
	q.cancel()
	q.wg.Wait()
	for _, js := range []jetstream.JetStream{q.js, q.jsIndex} {
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(2 * time.Second):
		}
	}
}

// Config returns the effective configuration.
func (q *Queue) Config() Config { return q.cfg }

// Sessions is the reviewer session store.
func (q *Queue) Sessions() *Sessions { return q.sessions }

// Limiter holds the report, login and password-change limits.
func (q *Queue) Limiter() *Limiter { return q.limiter }

// Strikes is the member strike store (the 3-2-1 rule).
func (q *Queue) Strikes() *Strikes { return q.strikes }

// Reporters holds the reporters' track records.
func (q *Queue) Reporters() *Reporters { return q.reporters }

// now is the queue's clock (leases, SLAs, history).
func (q *Queue) now() time.Time { return q.clock.Now() }

// ---- index ----------------------------------------------------------------

func (q *Queue) watch(ctx context.Context, w jetstream.KeyWatcher) {
	defer q.wg.Done()
	defer func() { _ = w.Stop() }()
	readyOnce := sync.OnceFunc(func() { close(q.ready) })
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				readyOnce()
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				q.remove(e.Key(), e.Revision())
				continue
			}
			// This replica's own writes are in the index already.
			q.mu.RLock()
			old, ok := q.idx[e.Key()]
			q.mu.RUnlock()
			if ok && old.Revision >= e.Revision() {
				continue
			}
			// Decode only what the index needs: cheaper than the whole case.
			var c caseHead
			if err := fastjson.Unmarshal(e.Value(), &c); err != nil {
				q.log.Warn("review: undecodable case in bucket", "key", e.Key(), "err", err)
				continue
			}
			full := c.toCase()
			full.Revision = e.Revision()
			q.apply(full)
		}
	}
}

// caseHead is the part of a stored case the index reads.
type caseHead struct {
	ID       string            `json:"id"`
	State    modgate.CaseState `json:"state"`
	Lane     string            `json:"lane"`
	Source   string            `json:"source"`
	Priority float64           `json:"priority"`
	Tenant   string            `json:"tenant"`
	Message  struct {
		ID     string         `json:"id"`
		Sender modgate.Sender `json:"sender"`
		Group  modgate.Group  `json:"group"`
	} `json:"message"`
	MaskedText  string                  `json:"masked_text"`
	Labels      []string                `json:"labels"`
	ReportCount int                     `json:"report_count"`
	Hidden      bool                    `json:"hidden_pending_review"`
	Lease       *modgate.Lease          `json:"lease"`
	Decision    *modgate.DecisionRecord `json:"decision"`
	LastEvent   string                  `json:"last_event"`
	Created     time.Time               `json:"created"`
	Updated     time.Time               `json:"updated"`
	SLA         time.Time               `json:"sla_due"`
	Published   bool                    `json:"published"`
	HiddenPub   bool                    `json:"hidden_published"`
	TextMissing bool                    `json:"text_missing"`
	TextReq     *time.Time              `json:"text_requested"`
	Appeal      *modgate.Appeal         `json:"appeal"`
	Tags        []string                `json:"tags"`
	Notes       []struct{}              `json:"notes"`
	Reversals   []modgate.Reversal      `json:"reversals"`
	FollowUp    string                  `json:"follow_up"`
}

func (h *caseHead) toCase() *modgate.Case {
	return &modgate.Case{ID: h.ID, State: h.State, Lane: h.Lane, Source: h.Source, Priority: h.Priority,
		Tenant: h.Tenant, Message: modgate.Message{ID: h.Message.ID, Sender: h.Message.Sender, Group: h.Message.Group},
		MaskedText: h.MaskedText, Labels: h.Labels, ReportCount: h.ReportCount, Hidden: h.Hidden, Lease: h.Lease,
		Decision: h.Decision, LastEvent: h.LastEvent, Created: h.Created, Updated: h.Updated, SLA: h.SLA, Published: h.Published, HiddenPublished: h.HiddenPub,
		TextMissing: h.TextMissing, TextRequested: h.TextReq, Appeal: h.Appeal, Tags: h.Tags, Notes: make([]modgate.TeamNote, len(h.Notes)), Reversals: h.Reversals, FollowUp: h.FollowUp}
}

func summarize(c *modgate.Case) *modgate.CaseSummary {
	s := &modgate.CaseSummary{
		ID: c.ID, State: c.State, Lane: c.Lane, Source: c.Source, Priority: c.Priority,
		Tenant: c.Tenant, MessageID: c.Message.ID, SenderID: c.Message.Sender.ID,
		GroupID: c.Message.Group.ID, Labels: c.Labels, Preview: preview(MaskText(truncateRunes(c.MaskedText, 400)), 120),
		Reports: c.ReportCount, Hidden: c.Hidden, Created: c.Created, SLA: c.SLA,
		Decision: c.Decision, Revision: c.Revision, Published: c.Published, HiddenPub: c.HiddenPublished,
		Tags: c.Tags, Notes: len(c.Notes), Reversed: len(c.Reversals), TextMissing: c.TextMissing, FollowUp: c.FollowUp,
		IndexSig: indexSig(c), TextSig: textSig(c.MaskedText),
	}
	if c.Appeal != nil {
		s.Appeal = "pending"
		if c.Appeal.Outcome != "" {
			s.Appeal = c.Appeal.Outcome
		}
	}
	if c.TextMissing {
		s.TextRequested = c.TextRequested
	}
	if c.Lease != nil && c.State == modgate.CaseClaimed {
		s.Holder = c.Lease.Holder
		exp := c.Lease.Expires
		s.LeaseExpires = &exp
	}
	return s
}

func preview(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// apply puts a case read from NATS into the index unless the index already
// has a newer revision (local writes land before the watch echoes them).
func (q *Queue) apply(c *modgate.Case) {
	s := summarize(c)
	q.mu.Lock()
	old, ok := q.idx[c.ID]
	if ok && old.Revision >= s.Revision {
		q.mu.Unlock()
		return
	}
	q.idx[c.ID] = s
	if active(s.State) {
		q.active[c.ID] = s
		q.pushLocked(s)
	} else {
		delete(q.active, c.ID)
	}
	ch := CaseChange{ID: c.ID, Kind: c.LastEvent, State: c.State, Lane: c.Lane, Holder: s.Holder, Revision: c.Revision, At: c.Updated}
	q.notifyLocked(ch)
	q.mu.Unlock()
}

func (q *Queue) remove(id string, rev uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if old, ok := q.idx[id]; ok && old.Revision > rev {
		return
	}
	delete(q.idx, id)
	delete(q.active, id)
	q.notifyLocked(CaseChange{ID: id, Kind: "deleted", Revision: rev, At: q.now().UTC()})
}

func (q *Queue) notifyLocked(ch CaseChange) {
	for _, s := range q.subs {
		select {
		case s <- ch:
		default: // a slow listener misses updates rather than stalling the index
		}
	}
}

// Subscribe returns live case changes (from the KV watch, so changes made
// by every replica arrive) until cancel is called.
func (q *Queue) Subscribe() (<-chan CaseChange, func()) {
	ch := make(chan CaseChange, 256)
	q.mu.Lock()
	id := q.nextSub
	q.nextSub++
	q.subs[id] = ch
	q.mu.Unlock()
	return ch, func() {
		q.mu.Lock()
		delete(q.subs, id)
		q.mu.Unlock()
	}
}

// ---- reading --------------------------------------------------------------

// validID reports whether id can be a case key.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

func (q *Queue) load(ctx context.Context, id string) (*modgate.Case, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	e, err := q.cases.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("review: get case %s: %w", id, err)
	}
	c, ref, err := q.decodeCase(ctx, id, e.Value())
	if err != nil {
		return nil, err
	}
	c.Revision = e.Revision()
	q.noteRef(id, c.Revision, ref)
	return c, nil
}

// bodyRef is the body object of one stored revision of a case.
type bodyRef struct {
	rev uint64
	ref string
}

func (q *Queue) noteRef(id string, rev uint64, ref string) {
	q.refMu.Lock()
	defer q.refMu.Unlock()
	if ref == "" {
		delete(q.refs, id)
		return
	}
	if len(q.refs) > 20000 {
		clear(q.refs)
	}
	q.refs[id] = bodyRef{rev: rev, ref: ref}
}

// replacedRef is the body the revision rev of case id pointed at, if known.
func (q *Queue) replacedRef(id string, rev uint64) string {
	q.refMu.Lock()
	defer q.refMu.Unlock()
	if r, ok := q.refs[id]; ok && r.rev == rev {
		return r.ref
	}
	return ""
}

// effective turns an expired claim back into waiting and sets the SLA flag.
func (q *Queue) effective(c *modgate.Case, now time.Time) {
	if c.State == modgate.CaseClaimed && (c.Lease == nil || !now.Before(c.Lease.Expires)) {
		c.State = waiting(c)
		c.Lease = nil
	}
	c.Breached = active(c.State) && now.After(c.SLA)
}

// underAppeal: the case's decision was appealed and the appeal is not
// decided yet.
func underAppeal(c *modgate.Case) bool { return c.Appeal != nil && c.Appeal.Outcome == "" }

// waiting is the state of a case nobody holds: appealed while its appeal
// waits, open otherwise.
func waiting(c *modgate.Case) modgate.CaseState {
	if underAppeal(c) {
		return modgate.CaseAppealed
	}
	return modgate.CaseOpen
}

// active: a case in the queue (claimable now or held).
func active(st modgate.CaseState) bool {
	return st == modgate.CaseOpen || st == modgate.CaseClaimed || st == modgate.CaseAppealed
}

// claimable: a case nobody holds and nobody decided.
func claimable(st modgate.CaseState) bool {
	return st == modgate.CaseOpen || st == modgate.CaseAppealed
}

// Get returns the case as stored, with expired leases shown as open. The
// original text is in c.Message.Text: callers mask it for roles that may
// not see personal data (see Redact).
func (q *Queue) Get(ctx context.Context, id string) (*modgate.Case, error) {
	c, err := q.load(ctx, id)
	if err != nil {
		return nil, err
	}
	q.effective(c, q.now())
	return c, nil
}

// Redact removes personal data a reviewer may not see: the original text,
// and masks (MaskText) the normalised text, the masked text (completing
// what the verdict masked, for cases stored before), match texts, and
// every free text people typed (reports, notes, appeals, escalations).
// MaskedText keeps the same code-point length as the original so match
// offsets still line up; a match's text is the masked text at its offsets.
func Redact(c *modgate.Case) {
	c.Message.Text = ""
	c.Normalized = MaskText(c.Normalized)
	c.MaskedText = MaskText(c.MaskedText)
	if c.Message.Context != nil {
		c.Message.Context = nil
	}
	for i := range c.Reports {
		c.Reports[i].Text = MaskText(c.Reports[i].Text)
	}
	if c.Verdict != nil {
		v := *c.Verdict
		v.MaskedText = c.MaskedText
		v.Matches = slices.Clone(v.Matches)
		shown := []rune(c.MaskedText)
		for i, m := range v.Matches {
			if m.Start >= 0 && m.End <= len(shown) && m.Start < m.End {
				v.Matches[i].Text = string(shown[m.Start:m.End])
			} else {
				v.Matches[i].Text = MaskText(m.Text)
			}
		}
		c.Verdict = &v
	}
	c.Notes = slices.Clone(c.Notes)
	for i := range c.Notes {
		c.Notes[i].Text = MaskText(c.Notes[i].Text)
	}
	if c.Decision != nil {
		d := *c.Decision
		d.Note = MaskText(d.Note)
		c.Decision = &d
	}
	if c.Appeal != nil {
		a := *c.Appeal
		a.Reason, a.Note = MaskText(a.Reason), MaskText(a.Note)
		c.Appeal = &a
	}
	if c.Escalation != nil {
		e := *c.Escalation
		e.Note = MaskText(e.Note)
		c.Escalation = &e
	}
	c.History = slices.Clone(c.History)
	for i := range c.History {
		c.History[i].Note = MaskText(c.History[i].Note)
	}
	c.Reversals = slices.Clone(c.Reversals)
	for i := range c.Reversals {
		c.Reversals[i].Reason = MaskText(c.Reversals[i].Reason)
	}
}

func summaryView(s *modgate.CaseSummary, now time.Time) modgate.CaseSummary {
	v := *s
	if v.State == modgate.CaseClaimed && (v.LeaseExpires == nil || !now.Before(*v.LeaseExpires)) {
		v.State, v.Holder, v.LeaseExpires = modgate.CaseOpen, "", nil
		if v.Appeal == "pending" {
			v.State = modgate.CaseAppealed
		}
	}
	if active(v.State) {
		v.AgeSeconds = now.Sub(v.Created).Seconds()
		v.Breached = now.After(v.SLA)
	} else if v.Decision != nil {
		v.AgeSeconds = v.Decision.At.Sub(v.Created).Seconds()
	}
	return v
}

// Filter selects cases in List.
type Filter struct {
	Lane   string
	State  modgate.CaseState
	Label  string
	Tenant string
	Holder string
	Sender string
	MinAge time.Duration
	Limit  int
	Offset int
}

// List returns the matching cases in claim order (lane priority, priority,
// age) and the total number matching.
func (q *Queue) List(f Filter) ([]modgate.CaseSummary, int) {
	now := q.now()
	q.mu.RLock()
	var out []modgate.CaseSummary
	for _, s := range q.idx {
		v := summaryView(s, now)
		if f.Lane != "" && v.Lane != f.Lane || f.State != "" && v.State != f.State ||
			f.Tenant != "" && v.Tenant != f.Tenant || f.Holder != "" && v.Holder != f.Holder ||
			f.Sender != "" && v.SenderID != f.Sender {
			continue
		}
		if f.Label != "" && !slices.Contains(v.Labels, f.Label) {
			continue
		}
		if f.MinAge > 0 && now.Sub(v.Created) < f.MinAge {
			continue
		}
		out = append(out, v)
	}
	q.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return less(&out[i], &out[j]) })
	total := len(out)
	if f.Offset >= len(out) {
		return []modgate.CaseSummary{}, total
	}
	out = out[f.Offset:]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total
}

func laneRank(l string) int {
	for i, x := range modgate.Lanes {
		if x == l {
			return i
		}
	}
	return len(modgate.Lanes)
}

// less is the claim order: lane, then priority (report score or severity),
// then age.
func less(a, b *modgate.CaseSummary) bool {
	if ra, rb := laneRank(a.Lane), laneRank(b.Lane); ra != rb {
		return ra < rb
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.ID < b.ID
}

// ---- writing --------------------------------------------------------------

const maxHistory = 200

func addHistory(c *modgate.Case, kind, actor, note string, at time.Time) {
	c.History = append(c.History, modgate.CaseEvent{Kind: kind, Actor: actor, At: at, Note: note})
	c.LastEvent = kind
	if len(c.History) > maxHistory {
		// Keep the first event (how the case arrived); the audit stream has all.
		c.History = append(c.History[:1], c.History[len(c.History)-maxHistory+1:]...)
	}
	c.Updated = at
}

// store writes c with compare-and-set on c.Revision (0 = create) and
// updates the index. It returns errConflict when someone else wrote first.
func (q *Queue) store(ctx context.Context, c *modgate.Case) error {
	b, value, ref, err := q.encodeCase(ctx, c)
	if err != nil {
		return err
	}
	old := q.replacedRef(c.ID, c.Revision)
	// What the index holds of the case before this write (read before it:
	// the watch may apply the write's echo before store returns).
	q.mu.RLock()
	prev := q.idx[c.ID]
	q.mu.RUnlock()
	var rev uint64
	if c.Revision == 0 {
		rev, err = q.cases.Create(ctx, c.ID, value)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return errConflict
		}
	} else {
		rev, err = q.cases.Update(ctx, c.ID, value, c.Revision)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return errConflict
		}
	}
	if err != nil {
		return fmt.Errorf("review: write case %s: %w", c.ID, err)
	}
	if old != "" && old != ref {
		q.dropBody(ctx, old)
	}
	q.noteRef(c.ID, rev, ref)
	c.Revision = rev
	if prev == nil || prev.IndexSig != indexSig(c) {
		q.indexCase(c, prev)
	}
	q.apply(c)
	q.mu.Lock()
	if c.State == modgate.CaseDecided {
		delete(q.written, c.ID)
	} else {
		if len(q.written) > 20000 {
			clear(q.written)
		}
		q.written[c.ID] = writtenCase{rev: rev, b: b}
	}
	q.mu.Unlock()
	return nil
}

// writtenCase is the last version of an active case this replica wrote.
type writtenCase struct {
	rev uint64
	b   []byte
}

// cachedCase returns this replica's own last write of id when the index
// says nobody wrote since, saving a round trip for claim → extend → decide
// on one replica. It is only a first guess: the write is still a CAS on
// that revision, and refusals are re-checked against NATS.
func (q *Queue) cachedCase(id string, allowed bool) (*modgate.Case, bool) {
	if !allowed {
		return nil, false
	}
	q.mu.RLock()
	w, ok := q.written[id]
	s := q.idx[id]
	q.mu.RUnlock()
	if !ok || s == nil || s.Revision != w.rev {
		return nil, false
	}
	var c modgate.Case
	if err := fastjson.Unmarshal(w.b, &c); err != nil {
		return nil, false
	}
	c.Revision = w.rev
	return &c, true
}

// mutate runs fn on the latest case and writes the result with CAS,
// retrying on conflicts. fn returns errSkip to stop without writing.
func (q *Queue) mutate(ctx context.Context, id string, fn func(c *modgate.Case, now time.Time) error) (*modgate.Case, error) {
	return retryCAS(casTries, func(try int) (*modgate.Case, error) {
		c, cached := q.cachedCase(id, try == 0)
		if !cached {
			var err error
			if c, err = q.load(ctx, id); err != nil {
				return nil, err
			}
			q.apply(c) // a stale index learns the truth even when fn refuses
		}
		now := q.now().UTC()
		if err := fn(c, now); err != nil {
			if cached {
				return nil, errConflict // refusals are checked against NATS, not a cached copy
			}
			if errors.Is(err, errSkip) {
				q.effective(c, now)
				return c, nil
			}
			return c, err
		}
		if err := q.store(ctx, c); err != nil {
			return nil, err
		}
		q.effective(c, now)
		return c, nil
	})
}

var errSkip = errors.New("review: nothing to write")

// leaseValid reports whether c is claimed with an unexpired lease.
func leaseValid(c *modgate.Case, now time.Time) bool {
	return c.State == modgate.CaseClaimed && c.Lease != nil && now.Before(c.Lease.Expires)
}

// Claim takes a lease on one case for reviewer (role reviewer). Claiming
// a case you already hold returns it unchanged.
func (q *Queue) Claim(ctx context.Context, id, reviewer string) (*modgate.Case, error) {
	return q.ClaimAs(ctx, id, reviewer, modgate.RoleReviewer)
}

// ClaimAs is Claim for a reviewer of the given role: only leads claim
// cases of a leads-only lane (escalated), and the reviewer who decided a
// case may not claim its appeal.
func (q *Queue) ClaimAs(ctx context.Context, id, reviewer, role string) (*modgate.Case, error) {
	if reviewer == "" {
		return nil, invalid("reviewer required")
	}
	expired := false
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		expired = false
		switch {
		case c.State == modgate.CaseDecided:
			return ErrAlreadyDecided
		case leaseValid(c, now) && c.Lease.Holder == reviewer:
			return errSkip
		case leaseValid(c, now):
			return ErrClaimed
		case modgate.LeadsOnlyLane(c.Lane) && RoleRank(role) < RoleRank(modgate.RoleLead):
			return ErrLeadsOnly
		case underAppeal(c) && c.Appeal.OriginalReviewer == reviewer:
			return ErrSameReviewer
		}
		if c.State == modgate.CaseClaimed {
			expired = true
			prev := ""
			if c.Lease != nil {
				prev = c.Lease.Holder
			}
			addHistory(c, modgate.AuditExpiry, prev, "", now)
		}
		c.State = modgate.CaseClaimed
		c.Lease = &modgate.Lease{Holder: reviewer, Token: rand.Text(), Claimed: now, Expires: now.Add(q.cfg.Lease)}
		addHistory(c, modgate.AuditClaim, reviewer, "", now)
		return nil
	})
	if err != nil {
		return c, err
	}
	if expired {
		q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditExpiry, CaseID: id, Tenant: c.Tenant})
	}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditClaim, Actor: reviewer, CaseID: id, Tenant: c.Tenant,
		Detail: map[string]string{"lane": c.Lane}})
	return c, nil
}

// ClaimNext claims the first waiting case in claim order for a reviewer
// (role reviewer), optionally only from the given lanes.
func (q *Queue) ClaimNext(ctx context.Context, reviewer string, lanes []string) (*modgate.Case, error) {
	return q.ClaimNextAs(ctx, reviewer, modgate.RoleReviewer, lanes)
}

// ClaimNextAs claims the first waiting case in claim order the reviewer
// may take (leads-only lanes only for leads; never the appeal of a
// decision the reviewer took), optionally only from the given lanes.
// Claims race through KV compare-and-set: a loser moves to the next
// candidate.
func (q *Queue) ClaimNextAs(ctx context.Context, reviewer, role string, lanes []string) (*modgate.Case, error) {
	if reviewer == "" {
		return nil, invalid("reviewer required")
	}
	for _, l := range lanes {
		if laneRank(l) == len(modgate.Lanes) {
			return nil, invalid("unknown lane %q", l)
		}
	}
	lead := RoleRank(role) >= RoleRank(modgate.RoleLead)
	for attempt := 0; attempt < 64; attempt++ {
		id := q.pick(lanes, attempt > 0, reviewer, lead)
		if id == "" {
			return nil, ErrEmpty
		}
		c, err := q.ClaimAs(ctx, id, reviewer, role)
		q.unpick(id)
		if err != nil {
			q.lostClaims.Add(1)
		}
		switch {
		case err == nil:
			return c, nil
		case errors.Is(err, ErrClaimed), errors.Is(err, ErrAlreadyDecided),
			errors.Is(err, ErrNotFound), errors.Is(err, ErrContended),
			errors.Is(err, ErrSameReviewer), errors.Is(err, ErrLeadsOnly):
			continue // lost the race, or the index was behind; it now knows
		default:
			return nil, err
		}
	}
	return nil, ErrContended
}

// pick returns the best claimable case for reviewer not being claimed by
// this process right now, and marks it in flight. After a lost race
// (spread) it picks at random among the best few of the lane, so replicas
// stop colliding on the head of the queue.
func (q *Queue) pick(only []string, spread bool, reviewer string, lead bool) string {
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	for r, lane := range modgate.Lanes {
		if len(only) > 0 && !slices.Contains(only, lane) || !lead && modgate.LeadsOnlyLane(lane) {
			continue
		}
		var cands, skipped []heapEntry
		want := 1
		if spread {
			want = 8
		}
		for len(cands) < want {
			x, ok := q.popLocked(r)
			if !ok {
				break
			}
			// The decider never reviews the appeal of their own decision.
			if s := q.active[x.id]; s != nil && s.Appeal == "pending" && s.Decision != nil && s.Decision.Reviewer == reviewer {
				skipped = append(skipped, x)
				continue
			}
			// A case waiting for its text from the platform sits out
			// claim-next for TextWait.
			if s := q.active[x.id]; s != nil && s.TextMissing && s.TextRequested != nil && now.Before(s.TextRequested.Add(q.cfg.TextWait)) {
				skipped = append(skipped, x)
				continue
			}
			cands = append(cands, x)
		}
		for _, x := range skipped {
			heap.Push(&q.lanes.h[r], x)
		}
		if len(cands) == 0 {
			continue
		}
		i := 0
		if len(cands) > 1 {
			i = mrand.IntN(len(cands))
		}
		for j, x := range cands {
			if j != i {
				heap.Push(&q.lanes.h[r], x)
			}
		}
		q.inflight[cands[i].id] = struct{}{}
		return cands[i].id
	}
	return ""
}

// unpick ends an in-flight claim attempt; a case that is still waiting (the
// attempt failed for a reason other than a lost race) goes back in its heap.
func (q *Queue) unpick(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inflight, id)
	if s, ok := q.active[id]; ok && claimable(s.State) {
		q.pushLocked(s)
	}
}

// holderCheck is shared by extend, release and decide.
func holderCheck(c *modgate.Case, reviewer, token string, now time.Time) error {
	if c.State == modgate.CaseDecided {
		return ErrAlreadyDecided
	}
	if !leaseValid(c, now) || c.Lease.Holder != reviewer || token != "" && token != c.Lease.Token {
		return ErrNotHolder
	}
	return nil
}

// Extend moves the holder's lease expiry to now+d (the configured lease when
// d is 0), capped by MaxLease.
func (q *Queue) Extend(ctx context.Context, id, reviewer, token string, d time.Duration) (*modgate.Case, error) {
	if d <= 0 {
		d = q.cfg.Lease
	}
	if d > q.cfg.MaxLease {
		d = q.cfg.MaxLease
	}
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if err := holderCheck(c, reviewer, token, now); err != nil {
			return err
		}
		c.Lease.Expires = now.Add(d)
		addHistory(c, modgate.AuditExtend, reviewer, "", now)
		return nil
	})
	if err == nil {
		q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditExtend, Actor: reviewer, CaseID: id, Tenant: c.Tenant})
	}
	return c, err
}

// Release returns a case to the queue at once. force lets a lead release a
// case someone else holds.
func (q *Queue) Release(ctx context.Context, id, reviewer, token string, force bool) (*modgate.Case, error) {
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if force {
			if c.State == modgate.CaseDecided {
				return ErrAlreadyDecided
			}
			if !leaseValid(c, now) {
				return ErrNotHolder
			}
		} else if err := holderCheck(c, reviewer, token, now); err != nil {
			return err
		}
		c.State, c.Lease = waiting(c), nil
		addHistory(c, modgate.AuditRelease, reviewer, "", now)
		return nil
	})
	if err == nil {
		q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditRelease, Actor: reviewer, CaseID: id, Tenant: c.Tenant})
	}
	return c, err
}

// validLabel accepts taxonomy and operator labels: [a-z0-9_], 1..64 bytes.
func validLabel(l string) bool {
	if l == "" || len(l) > 64 {
		return false
	}
	for i := 0; i < len(l); i++ {
		b := l[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

// ValidateDecision checks a decision before anything is read or written.
func ValidateDecision(d modgate.Decision) error {
	if !modgate.IsDecisionAction(d.Action) && !modgate.IsAppealAction(d.Action) {
		return invalid("action %q is not one of %s (or, on an appeal, %s)", d.Action,
			strings.Join(modgate.DecisionActions, ", "), strings.Join(modgate.AppealActions, ", "))
	}
	if err := checkText("note", d.Note, modgate.MaxNoteRunes, false); err != nil {
		return err
	}
	if len(d.Labels) > 32 {
		return invalid("too many labels (%d)", len(d.Labels))
	}
	for _, l := range d.Labels {
		if !validLabel(l) {
			return invalid("label %q must be 1-64 characters of a-z, 0-9 and _", l)
		}
	}
	if d.Expect != nil {
		switch *d.Expect {
		case "", modgate.DecisionWarn, modgate.DecisionRemoveMember:
		default:
			return invalid("expect %q must be \"\", warn or remove_member", *d.Expect)
		}
	}
	if d.HeldMS < 0 || d.HeldMS > 600_000 {
		return invalid("held_ms must be in 0..600000")
	}
	return nil
}

// checkText validates free text a person typed: valid UTF-8, at most max
// characters, no control characters but line breaks and tabs.
func checkText(name, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", name)
	}
	if required && strings.TrimSpace(s) == "" {
		return invalid("%s is required", name)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid("%s has %d characters, the limit is %d", name, n, max)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f {
			return invalid("%s contains a control character", name)
		}
	}
	return nil
}

// Decide records the holder's decision, then publishes the decision,
// enforcement and reporter-outcome events and counts the strike. Only the
// lease holder may decide, once. What the decision triggers for the member
// comes from the policies (Config.Discipline); a decision that confirms a
// violation must carry a label. On a case under appeal the actions are
// uphold and overturn (see decideAppeal).
func (q *Queue) Decide(ctx context.Context, id, reviewer, token string, d modgate.Decision) (*modgate.Case, error) {
	if err := ValidateDecision(d); err != nil {
		return nil, err
	}
	var pre *strikeSnap
	appeal := false
	c, err := q.mutate(ctx, id, func(c *modgate.Case, now time.Time) error {
		if err := holderCheck(c, reviewer, token, now); err != nil {
			return err
		}
		if appeal = underAppeal(c); appeal {
			return q.decideAppeal(c, reviewer, d, now)
		}
		if !modgate.IsDecisionAction(d.Action) {
			return invalid("%s decides an appeal; this case is not under appeal", d.Action)
		}
		labels := c.Labels
		if d.Labels != nil {
			labels = append([]string{}, d.Labels...)
		}
		if labels == nil {
			labels = []string{}
		}
		before := modgate.Violations{}
		sender := c.Message.Sender.ID
		pre = nil
		if sender != "" {
			srec, srev, err := q.strikes.record(ctx, strikeKey(c.Tenant, sender))
			if err != nil {
				return err
			}
			pre = &strikeSnap{rec: srec, rev: srev}
			before = CountStrikes(q.strikes.live(srec.Strikes, now))
		}
		cq, err := q.consequence(ctx, d.Action, labels, before)
		if err != nil {
			return err
		}
		if cq.Violation && len(labels) == 0 {
			return invalid("a %s decision confirms a violation: choose at least one label, so the strike has a category", d.Action)
		}
		if sender == "" {
			cq.Enforcement, cq.Rule = "", "" // no member to discipline
		}
		if d.Expect != nil && *d.Expect != cq.Enforcement {
			return &ConsequenceError{Consequence: cq}
		}
		held := min(time.Duration(d.HeldMS)*time.Millisecond, q.cfg.UndoWindow+2*time.Second)
		rec := &modgate.DecisionRecord{Action: d.Action, Labels: labels, Note: d.Note, Reviewer: reviewer,
			At: now, HandlingMS: max(now.Sub(c.Lease.Claimed)-held, 0).Milliseconds(), Violation: cq.Violation,
			Enforcement: cq.Enforcement, Rule: cq.Rule, Round: len(c.Reversals), Bulk: d.Bulk,
			AdsOffence: cq.Violations.Ads > before.Ads}
		if sender != "" {
			v := cq.Violations
			rec.Violations = &v
		}
		c.Decision = rec
		c.State, c.Lease, c.Published = modgate.CaseDecided, nil, false
		addHistory(c, modgate.AuditDecision, reviewer, d.Action, now)
		return nil
	})
	if err != nil {
		return c, err
	}
	if appeal {
		return q.afterFollowUp(ctx, c)
	}
	pc, err := q.publishDecision(ctx, c, pre)
	if err != nil {
		// The decision is stored; the sweeper retries the events.
		q.log.Warn("review: publish decision events", "case", id, "err", err)
		return c, nil
	}
	return pc, nil
}

func (q *Queue) subject(parts ...string) string {
	return q.cfg.Prefix + "." + strings.Join(parts, ".")
}

func (q *Queue) publishJSON(ctx context.Context, subject, msgID string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("review: encode event: %w", err)
	}
	if _, err := q.js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: b}, jetstream.WithMsgID(msgID)); err != nil {
		return fmt.Errorf("review: publish %s: %w", subject, err)
	}
	return nil
}

// roundID names a decision round in message ids: the first round keeps
// the plain ids, later rounds (after a reversal) get their own, so the
// stream's de-duplication never drops a new decision as a repeat.
func roundID(id string, round int) string {
	if round == 0 {
		return id
	}
	return fmt.Sprintf("%s:r%d", id, round)
}

// publishDecision emits everything that follows a decision. Each step is
// idempotent (message ids, per-case strike entries, create-only outcome
// markers), so a retry by any replica's sweeper repeats nothing. The
// events are published concurrently and all acks awaited before the case
// is marked published.
func (q *Queue) publishDecision(ctx context.Context, c *modgate.Case, pre *strikeSnap) (*modgate.Case, error) {
	d := c.Decision
	rid := roundID(c.ID, d.Round)
	sender := c.Message.Sender.ID
	var v modgate.Violations
	if d.Violations != nil {
		v = *d.Violations
	}
	if d.Violation && sender != "" {
		var err error
		st := Strike{CaseID: c.ID, Ads: d.AdsOffence, Labels: d.Labels, At: d.At, Round: d.Round}
		if v, err = q.strikes.add(ctx, c.Tenant, sender, st, pre); err != nil {
			return nil, err
		}
	}
	batch := pubBatch{js: q.js}
	pub := batch.pub
	rev := modgate.Revision{}
	if c.Verdict != nil {
		rev = c.Verdict.Revision
	}
	ev := modgate.DecisionEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant, SenderID: sender,
		GroupID: c.Message.Group.ID, Action: d.Action, Labels: d.Labels, Reviewer: d.Reviewer, Note: d.Note,
		Lane: c.Lane, Source: c.Source, Revision: rev, At: d.At}
	if err := pub(q.eventMsg(q.subject("decisions", d.Action), ev), rid+":decision"); err != nil {
		return nil, err
	}
	if d.Enforcement != "" {
		reason := "reviewer decision " + d.Action
		switch d.Rule {
		case "ads":
			reason = fmt.Sprintf("3-2-1 rule: %d ads offences (%d confirmed violations)", v.Ads, v.Count)
		case "violations":
			reason = fmt.Sprintf("3-2-1 rule: %d confirmed violations, %d ads offences", v.Count, v.Ads)
		}
		en := modgate.EnforcementEvent{CaseID: c.ID, Action: d.Enforcement, Tenant: c.Tenant, SenderID: sender,
			GroupID: c.Message.Group.ID, MessageID: c.Message.ID, Reason: reason, Violations: v, At: d.At}
		if err := pub(q.eventMsg(q.subject("enforcement", d.Enforcement), en), rid+":enforcement"); err != nil {
			return nil, err
		}
	}
	// A case nobody could judge says nothing about its reporters.
	if d.Action != modgate.DecisionCannotJudge && d.Round == 0 {
		upheld := d.Action != modgate.DecisionApprove
		for _, r := range c.Reports {
			if err := q.reporters.outcome(ctx, c.ID, r.ReporterID, upheld); err != nil {
				return nil, err
			}
			oe := modgate.ReportOutcomeEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant,
				ReporterID: r.ReporterID, Upheld: upheld, Action: d.Action, At: d.At}
			if err := pub(q.eventMsg(q.subject("reports", "outcome"), oe), c.ID+":outcome:"+keyPart(r.ReporterID)); err != nil {
				return nil, err
			}
		}
	}
	detail := map[string]string{"lane": c.Lane, "source": c.Source, "handling_ms": fmt.Sprint(d.HandlingMS),
		"enforcement": d.Enforcement, "rule": d.Rule, "message_id": c.Message.ID}
	if d.Round > 0 {
		detail["round"] = fmt.Sprint(d.Round)
	}
	if d.Bulk {
		detail["bulk"] = "true"
	}
	am, err := q.auditMsg(&modgate.AuditEvent{Kind: modgate.AuditDecision, Actor: d.Reviewer,
		CaseID: c.ID, Tenant: c.Tenant, SenderID: sender, Action: d.Action, Labels: d.Labels, Text: d.Note,
		Detail: detail, At: d.At})
	if err != nil {
		return nil, err
	}
	if err := pub(am, rid+":audit-decision"); err != nil {
		return nil, err
	}
	if err := batch.wait(ctx); err != nil {
		return nil, err
	}
	// Fast path: nobody wrote since the decision.
	x := *c
	x.Published = true
	if err := q.store(ctx, &x); err == nil {
		q.effective(&x, q.now())
		return &x, nil
	} else if !errors.Is(err, errConflict) {
		return nil, err
	}
	return q.mutate(ctx, c.ID, func(x *modgate.Case, now time.Time) error {
		if x.State != modgate.CaseDecided || x.Published {
			return errSkip
		}
		x.Published = true
		return nil
	})
}

// pubBatch publishes events asynchronously, each with a message id (so a
// retry is de-duplicated), and waits for all of them to be stored.
type pubBatch struct {
	js   jetstream.JetStream
	futs []jetstream.PubAckFuture
}

func (b *pubBatch) pub(m *nats.Msg, msgID string) error {
	f, err := b.js.PublishMsgAsync(m, jetstream.WithMsgID(msgID))
	if err != nil {
		return fmt.Errorf("review: publish %s: %w", m.Subject, err)
	}
	b.futs = append(b.futs, f)
	return nil
}

// wait waits for every publish of the batch to be stored.
func (b *pubBatch) wait(ctx context.Context) error {
	for _, f := range b.futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("review: publish %s: %w", f.Msg().Subject, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// eventMsg encodes an event (plain structs: Marshal cannot fail).
func (q *Queue) eventMsg(subject string, v any) *nats.Msg {
	b, _ := json.Marshal(v)
	return &nats.Msg{Subject: subject, Data: b}
}

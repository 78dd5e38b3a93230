// Package convo keeps the conversation-level state of screening: each
// group's recent window (the last N messages or T minutes), near-duplicate
// clusters of texts across a tenant's groups, and per-sender message
// rates. The state lives in NATS — every screened message is published,
// masked, to the MODGATE_CONVO stream (per-subject limits and a max age) —
// and every replica keeps a bounded in-memory view fed by an ordered
// consumer of that stream, so replicas see each other's messages within
// milliseconds while screening never waits on the network.
//
// Subjects (see docs/review.md):
//
//	<prefix>.convo.msg.<tenant>.<group>.<sender>   one record per screened message
//	<prefix>.convo.forget.<sender>                 a subject-data deletion (PIPL)
//
// ids are base64url tokens ("=" for empty), so any id is a valid subject
// token. The per-subject limit keeps at most N records of one sender in
// one group; the stream's max age drops everything older than T.
package convo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
)

// Stream is the JetStream stream of conversation records.
const Stream = "MODGATE_CONVO"

// Defaults.
const (
	DefaultWindowSize   = 20
	DefaultWindowAge    = 10 * time.Minute
	DefaultMaxGroups    = 100_000
	DefaultMaxSenders   = 200_000
	DefaultMaxClusters  = 200_000
	DefaultMaxTextBytes = 1024
	DefaultMaxBytes     = 512 << 20
)

// Config configures a Store.
type Config struct {
	// Conn is the NATS connection (required by Open; New runs without).
	Conn *nats.Conn
	// Prefix is the subject prefix (modgate.DefaultSubjectPrefix).
	Prefix string
	// Replicas of the stream (1 embedded, 3 in a cluster).
	Replicas int
	// Storage of the stream: memory (default; the window is short-lived)
	// or file.
	Storage jetstream.StorageType
	// WindowSize (N) is how many recent messages of a group are kept.
	WindowSize int
	// WindowAge (T) is how long a record lives, in memory and in the
	// stream (the stream's max age).
	WindowAge time.Duration
	// MaxGroups bounds the groups held in memory (least recently written
	// go first); MaxSenders the tenant-wide sender counters; MaxClusters
	// the near-duplicate clusters.
	MaxGroups, MaxSenders, MaxClusters int
	// MaxTextBytes caps the masked text a record keeps.
	MaxTextBytes int
	// MaxBytes caps the stream's size (oldest records go first).
	MaxBytes int64
	// Origin names this replica in its records, so it skips its own
	// records when they come back from the stream.
	Origin string
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

const (
	groupShards  = 64
	senderShards = 32
	floodShards  = 16
)

// Store is one replica's view of the conversation state. Safe for
// concurrent use.
type Store struct {
	cfg    Config
	log    *slog.Logger
	seed   maphash.Seed
	groups [groupShards]groupShard
	sendrs [senderShards]senderShard
	flood  [floodShards]*floodShard

	// floodWin and floodTheta follow the serving policy set (Observe).
	floodWin   atomic.Int64
	floodTheta atomic.Uint64 // math.Float64bits

	js       jetstream.JetStream
	ready    atomic.Bool // the consumer has caught up with the stream
	origin   []byte      // `{"o":"<origin>"` prefix of our own records
	consMu   sync.Mutex
	cons     jetstream.ConsumeContext
	created  time.Time // the stream's creation time the consumer reads
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   atomic.Bool
	stats    counters
	pubErrMu sync.Mutex
	pubErrAt time.Time
}

type counters struct {
	published, publishErrors, applied, skipped, decodeErrors, forgotten atomic.Int64
}

// New builds a Store without NATS (tests, benchmarks): Commit applies
// locally only and the window is always available.
func New(cfg Config) *Store {
	if cfg.WindowSize <= 0 {
		cfg.WindowSize = DefaultWindowSize
	}
	if cfg.WindowAge <= 0 {
		cfg.WindowAge = DefaultWindowAge
	}
	if cfg.MaxGroups <= 0 {
		cfg.MaxGroups = DefaultMaxGroups
	}
	if cfg.MaxSenders <= 0 {
		cfg.MaxSenders = DefaultMaxSenders
	}
	if cfg.MaxClusters <= 0 {
		cfg.MaxClusters = DefaultMaxClusters
	}
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = DefaultMaxTextBytes
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Prefix == "" {
		cfg.Prefix = modgate.DefaultSubjectPrefix
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Storage != jetstream.FileStorage {
		cfg.Storage = jetstream.MemoryStorage
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Origin == "" {
		cfg.Origin = fmt.Sprintf("r%016x", new(maphash.Hash).Sum64())
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{cfg: cfg, log: log, seed: maphash.MakeSeed()}
	for i := range s.groups {
		s.groups[i] = groupShard{m: map[string]*group{}, cap: max(cfg.MaxGroups/groupShards, 1)}
	}
	for i := range s.sendrs {
		s.sendrs[i] = senderShard{m: map[string]*minuteRate{}, cap: max(cfg.MaxSenders/senderShards, 1)}
	}
	for i := range s.flood {
		s.flood[i] = newFloodShard(max(cfg.MaxClusters/floodShards, 1))
	}
	s.floodWin.Store(int64(cfg.WindowAge))
	s.origin = fmt.Appendf(nil, `{"o":%q`, cfg.Origin)
	s.ready.Store(true)
	return s
}

// Config returns the effective configuration.
func (s *Store) Config() Config { return s.cfg }

func (s *Store) now() int64 { return s.cfg.Now().UnixNano() }

// Available reports whether the window is current: the stream has been
// read up to its end since the start and NATS is connected. Without
// NATS (New) it is always available.
func (s *Store) Available() bool {
	if !s.ready.Load() {
		return false
	}
	return s.cfg.Conn == nil || s.cfg.Conn.IsConnected()
}

func groupKey(tenant, group string) string { return tenant + "\x00" + group }

func (s *Store) groupShard(key string) *groupShard {
	return &s.groups[maphash.String(s.seed, key)%groupShards]
}

func (s *Store) hash(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func (s *Store) floodShard(tenantHash uint64) *floodShard { return s.flood[tenantHash%floodShards] }

func (s *Store) theta() float64 {
	if t := floatFromBits(s.floodTheta.Load()); t > 0 {
		return t
	}
	return 0.6
}

// Observe implements screen.Conversation: the sender's joinable preceding
// messages and the flood and velocity counts, m included.
func (s *Store) Observe(m *modgate.Message, normalized string, set modgate.ConversationSettings) (modgate.ConversationView, bool) {
	if !s.Available() {
		return modgate.ConversationView{}, false
	}
	if set.FloodWindow > 0 {
		s.floodWin.Store(int64(set.FloodWindow))
	}
	if set.FloodSimilarity > 0 {
		s.floodTheta.Store(floatBits(set.FloodSimilarity))
	}
	now := s.now()
	since := now - int64(s.cfg.WindowAge)
	var v modgate.ConversationView
	f := &v.Facts
	if m.Group.ID != "" {
		key := groupKey(m.Tenant, m.Group.ID)
		sh := s.groupShard(key)
		sh.mu.RLock()
		if g := sh.m[key]; g != nil {
			f.GroupPerMinute = g.rate.count(now)
			if m.Sender.ID != "" {
				if r := g.senderRate(m.Sender.ID); r != nil {
					f.SenderGroupPerMinute = r.count(now)
				}
				v.Prior = g.prior(m.ID, m.Sender.ID, &set, now, since)
			}
		}
		sh.mu.RUnlock()
		f.GroupPerMinute++
		f.SenderGroupPerMinute++
	}
	if m.Sender.ID != "" {
		key := groupKey(m.Tenant, m.Sender.ID)
		sh := &s.sendrs[maphash.String(s.seed, key)%senderShards]
		sh.mu.Lock()
		if r := sh.m[key]; r != nil {
			f.SenderPerMinute = r.count(now)
		}
		sh.mu.Unlock()
		f.SenderPerMinute++
	}
	if v.Sig = signature(normalized, set.FloodMinChars); v.Sig != nil {
		th := s.hash(m.Tenant)
		f.FloodGroups, f.FloodSenders, f.FloodSenderGroups = s.floodShard(th).count(th, v.Sig,
			s.hash(m.Group.ID), s.hash(m.Sender.ID), now-s.floodWin.Load(), s.theta())
	}
	return v, true
}

// Window implements screen.Conversation: the group's recent messages
// before m, oldest first.
func (s *Store) Window(m *modgate.Message) []modgate.ContextMessage {
	if m.Group.ID == "" {
		return nil
	}
	key := groupKey(m.Tenant, m.Group.ID)
	sh := s.groupShard(key)
	since := s.now() - int64(s.cfg.WindowAge)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	g := sh.m[key]
	if g == nil {
		return nil
	}
	out := make([]modgate.ContextMessage, 0, len(g.recs))
	for i := range g.recs {
		r := &g.recs[i]
		if r.at < since || (m.ID != "" && r.id == m.ID && r.sender == m.Sender.ID) {
			continue
		}
		out = append(out, r.context())
	}
	return out
}

// Has reports whether this replica's view holds a message of the group
// (tests and tools wait on it).
func (s *Store) Has(tenant, groupID, id string) bool {
	key := groupKey(tenant, groupID)
	sh := s.groupShard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if g := sh.m[key]; g != nil {
		for i := range g.recs {
			if g.recs[i].id == id {
				return true
			}
		}
	}
	return false
}

// Commit implements screen.Conversation: it records m with its verdict in
// this replica's view and publishes the record without waiting.
func (s *Store) Commit(m *modgate.Message, v *modgate.Verdict, view *modgate.ConversationView) {
	r := Record{Origin: s.cfg.Origin, ID: m.ID, Tenant: m.Tenant, Group: m.Group.ID, Sender: m.Sender.ID,
		At: s.now(), Action: v.Action, Chars: contentChars(v.Normalized)}
	r.Text, r.Truncated = capText(v.MaskedText, s.cfg.MaxTextBytes)
	if view != nil && len(view.Sig) == sigLen {
		r.Sig = view.Sig
	}
	s.apply(&r)
	s.publish(&r)
}

// capText cuts s to at most n bytes on a rune boundary.
func capText(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// apply adds a record to the view (a local commit or a record from the
// stream).
func (s *Store) apply(r *Record) {
	at := r.At
	if r.Group != "" {
		key := groupKey(r.Tenant, r.Group)
		sh := s.groupShard(key)
		sh.mu.Lock()
		g := sh.get(key, true)
		if g.insert(rec{id: r.ID, sender: r.Sender, text: r.Text, at: at, chars: int32(min(r.Chars, 1<<30)),
			action: actionCode(r.Action), trunc: r.Truncated}, s.cfg.WindowSize) || r.ID == "" {
			g.rate.add(at)
			if r.Sender != "" {
				g.countSender(r.Sender, at)
			}
		}
		sh.mu.Unlock()
	}
	if r.Sender != "" {
		key := groupKey(r.Tenant, r.Sender)
		sh := &s.sendrs[maphash.String(s.seed, key)%senderShards]
		sh.mu.Lock()
		rt := sh.m[key]
		if rt == nil && len(sh.m) < sh.cap {
			rt = &minuteRate{}
			sh.m[key] = rt
		}
		if rt != nil {
			rt.add(at)
		}
		sh.mu.Unlock()
	}
	if len(r.Sig) == sigLen {
		th := s.hash(r.Tenant)
		s.floodShard(th).add(th, r.Sig, s.hash(r.Group), s.hash(r.Sender), at, s.now()-s.floodWin.Load(), s.theta())
	}
}

// forgetLocal drops a sender's records and counters from the view.
func (s *Store) forgetLocal(sender string) int {
	n := 0
	for i := range s.groups {
		sh := &s.groups[i]
		sh.mu.Lock()
		for _, g := range sh.m {
			before := len(g.recs)
			k := 0
			for _, r := range g.recs {
				if r.sender != sender {
					g.recs[k] = r
					k++
				}
			}
			clear(g.recs[k:])
			g.recs = g.recs[:k]
			n += before - k
			for j := range g.senders {
				if g.senders[j].sender == sender {
					g.senders = append(g.senders[:j], g.senders[j+1:]...)
					break
				}
			}
		}
		sh.mu.Unlock()
	}
	for i := range s.sendrs {
		sh := &s.sendrs[i]
		sh.mu.Lock()
		for k := range sh.m {
			if _, snd, ok := cutKey(k); ok && snd == sender {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
	sh := s.hash(sender)
	for _, f := range s.flood {
		f.forget(sh)
	}
	return n
}

func cutKey(k string) (string, string, bool) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:], true
		}
	}
	return "", "", false
}

// Sweep drops what has aged out: groups with nothing left in the window,
// idle sender counters and flood clusters past the flood window. The
// background loop of Open runs it; New's callers may call it.
func (s *Store) Sweep() {
	now := s.now()
	since := now - int64(s.cfg.WindowAge)
	for i := range s.groups {
		sh := &s.groups[i]
		sh.mu.Lock()
		for g := sh.tail; g != nil; {
			prev := g.prev
			k := 0
			for k < len(g.recs) && g.recs[k].at < since {
				k++
			}
			if k > 0 {
				g.recs = append(g.recs[:0], g.recs[k:]...)
			}
			if len(g.recs) == 0 && g.rate.idle(now) {
				sh.drop(g)
			}
			g = prev
		}
		sh.mu.Unlock()
	}
	for i := range s.sendrs {
		sh := &s.sendrs[i]
		sh.mu.Lock()
		for k, r := range sh.m {
			if r.idle(now) {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
	for _, f := range s.flood {
		f.expire(now - s.floodWin.Load())
	}
}

// Stats describes the view.
type Stats struct {
	Groups, Records, Senders, Clusters int
	Published, PublishErrors, Applied  int64
	Available                          bool
}

// Stats counts what the view holds.
func (s *Store) Stats() Stats {
	st := Stats{Available: s.Available(), Published: s.stats.published.Load(),
		PublishErrors: s.stats.publishErrors.Load(), Applied: s.stats.applied.Load()}
	for i := range s.groups {
		sh := &s.groups[i]
		sh.mu.RLock()
		st.Groups += len(sh.m)
		for _, g := range sh.m {
			st.Records += len(g.recs)
		}
		sh.mu.RUnlock()
	}
	for i := range s.sendrs {
		s.sendrs[i].mu.Lock()
		st.Senders += len(s.sendrs[i].m)
		s.sendrs[i].mu.Unlock()
	}
	for _, f := range s.flood {
		st.Clusters += f.size()
	}
	return st
}

// token encodes an id as one subject token.
func token(id string) string {
	if id == "" {
		return "="
	}
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// MsgSubject is <prefix>.convo.msg.<tenant>.<group>.<sender>.
func MsgSubject(prefix, tenant, group, sender string) string {
	return prefix + ".convo.msg." + token(tenant) + "." + token(group) + "." + token(sender)
}

// ForgetSubject is <prefix>.convo.forget.<sender>.
func ForgetSubject(prefix, sender string) string { return prefix + ".convo.forget." + token(sender) }

// ErrNoNATS is returned by Forget on a Store built without NATS.
var ErrNoNATS = errors.New("convo: no NATS connection")

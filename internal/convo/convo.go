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
//	<prefix>.convo.batch.<replica>   batches of records (JSON lines), one per screened message
//	<prefix>.convo.forget.<sender>   a subject-data deletion (PIPL)
//
// ids are base64url tokens ("=" for empty), so any id is a valid subject
// token. A replica publishes its records in batches (at most 2 ms late):
// one NATS message per record would cost the server more than screening
// the message. The stream keeps T (max age) within MaxBytes; each
// replica's view keeps the last N records of each group.
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
	DefaultMaxClusters  = 100_000
	DefaultMaxTextBytes = 1024
	DefaultMaxBytes     = 64 << 20
)

// Config configures a Store.
type Config struct {
	// URL of the NATS server or cluster (Open dials a connection of its
	// own; New runs without NATS).
	URL string
	// Prefix is the subject prefix (modgate.DefaultSubjectPrefix).
	Prefix string
	// Replicas of the stream (1 embedded, 3 in a cluster).
	Replicas int
	// FileStorage keeps the stream on disk; by default it is in memory
	// (the window is short-lived: a NATS restart empties it, and it
	// refills within T).
	FileStorage bool
	// WindowSize (N) is how many recent messages of a group are kept.
	WindowSize int
	// WindowAge (T) is how long a record lives, in memory and in the
	// stream (the stream's max age).
	WindowAge time.Duration
	// MaxGroups bounds the groups held in memory (least recently written
	// go first; the state is sharded, so the bound holds within 1.25×);
	// MaxSenders the tenant-wide sender counters (idle ones go after a
	// minute; past the bound new senders are not counted); MaxClusters
	// the near-duplicate clusters (least recently seen go first).
	MaxGroups, MaxSenders, MaxClusters int
	// MaxTextBytes caps the masked text a record keeps.
	MaxTextBytes int
	// MaxBytes caps the stream's size (oldest batches go first; default
	// 64 MiB). The stream only serves replicas that start or reconnect:
	// each keeps its own view in memory, so a smaller stream only means a
	// fresh replica's window starts shorter than T.
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

	nc       *nats.Conn // nil without NATS (New)
	js       jetstream.JetStream
	sub      *nats.Subscription
	ready    atomic.Bool  // the stream has been read up to its end
	discAt   atomic.Int64 // unix nanos of the last disconnect
	origin   []byte       // `{"o":"<origin>"` prefix of our own records
	runCtx   context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   atomic.Bool
	stats    counters
	pubErrMu sync.Mutex
	pubErrAt time.Time

	// the batch being filled (see publish)
	batchMu   sync.Mutex
	batch     []byte
	batchN    int
	batchSubj string
	kick      chan bool // wakes the flusher (true: a batch is full)
}

type counters struct {
	published, publishErrors, batches, applied, skipped, decodeErrors, forgotten atomic.Int64
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
	s := &Store{cfg: cfg, log: log, seed: maphash.MakeSeed(), kick: make(chan bool, 1)}
	for i := range s.groups {
		s.groups[i] = groupShard{m: map[string]*group{}, cap: shardCap(cfg.MaxGroups, groupShards)}
	}
	for i := range s.sendrs {
		s.sendrs[i] = senderShard{m: map[uint64]minuteRate{}, cap: shardCap(cfg.MaxSenders, senderShards)}
	}
	for i := range s.flood {
		s.flood[i] = newFloodShard(shardCap(cfg.MaxClusters, floodShards))
	}
	s.floodWin.Store(int64(cfg.WindowAge))
	s.origin = fmt.Appendf(nil, `{"o":%q`, cfg.Origin)
	s.ready.Store(true)
	return s
}

// shardCap is one shard's share of a bound, with a quarter of slack for
// uneven hashing: the total stays within 1.25× the bound, and no shard
// evicts while the total is well under it.
func shardCap(total, shards int) int {
	per := (total + shards - 1) / shards
	return per + per/4 + 1
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
	return s.nc == nil || s.nc.IsConnected()
}

// appendKey builds the map key tenant\x00id; lookups index maps with
// string(key), which does not allocate.
func appendKey(b []byte, tenant, id string) []byte {
	b = append(b, tenant...)
	b = append(b, 0)
	return append(b, id...)
}

func (s *Store) groupShard(key []byte) *groupShard {
	return &s.groups[maphash.Bytes(s.seed, key)%groupShards]
}

// senderShard picks the shard of a tenant-wide sender counter by the
// hash of tenant\x00sender, which is also its key (no strings: the GC
// never scans the counters).
func (s *Store) senderShard(key uint64) *senderShard {
	return &s.sendrs[key%senderShards]
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
	var kb [160]byte
	if m.Group.ID != "" {
		key := appendKey(kb[:0], m.Tenant, m.Group.ID)
		sh := s.groupShard(key)
		sh.mu.RLock()
		if g := sh.m[string(key)]; g != nil {
			f.GroupPerMinute = g.rate.count(now)
			if m.Sender.ID != "" {
				if r := g.senderRate(s.hash(m.Sender.ID)); r != nil {
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
		key := maphash.Bytes(s.seed, appendKey(kb[:0], m.Tenant, m.Sender.ID))
		sh := s.senderShard(key)
		sh.mu.Lock()
		if r, ok := sh.m[key]; ok {
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
	var kb [160]byte
	key := appendKey(kb[:0], m.Tenant, m.Group.ID)
	sh := s.groupShard(key)
	since := s.now() - int64(s.cfg.WindowAge)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	g := sh.m[string(key)]
	if g == nil {
		return nil
	}
	out := make([]modgate.ContextMessage, 0, len(g.recs))
	for i := range g.recs {
		r := &g.recs[i]
		if r.at < since || (m.ID != "" && r.id() == m.ID && r.sender() == m.Sender.ID) {
			continue
		}
		out = append(out, r.context())
	}
	return out
}

// Has reports whether this replica's view holds a message of the group
// (tests and tools wait on it).
func (s *Store) Has(tenant, groupID, id string) bool {
	var kb [160]byte
	key := appendKey(kb[:0], tenant, groupID)
	sh := s.groupShard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if g := sh.m[string(key)]; g != nil {
		for i := range g.recs {
			if g.recs[i].id() == id {
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
		At: s.now(), Action: v.Action, Chars: ContentChars(v.Normalized)}
	r.Text, r.Truncated = modgate.CutUTF8(v.MaskedText, s.cfg.MaxTextBytes)
	if view != nil && len(view.Sig) == sigLen {
		r.Sig = view.Sig
	}
	s.apply(&r)
	s.publish(&r)
}

// apply adds a record to the view (a local commit or a record from the
// stream).
func (s *Store) apply(r *Record) {
	at := r.At
	var kb [160]byte
	if r.Group != "" {
		key := appendKey(kb[:0], r.Tenant, r.Group)
		sh := s.groupShard(key)
		sh.mu.Lock()
		g := sh.get(key, true)
		nr := newRec(r.ID, r.Sender, r.Text, at, r.Chars, actionCode(r.Action), r.Truncated)
		if g.insert(nr, s.cfg.WindowSize) || r.ID == "" {
			g.rate.add(at)
			if r.Sender != "" {
				g.countSender(s.hash(r.Sender), at)
			}
		}
		sh.mu.Unlock()
	}
	if r.Sender != "" {
		key := maphash.Bytes(s.seed, appendKey(kb[:0], r.Tenant, r.Sender))
		sh := s.senderShard(key)
		sh.mu.Lock()
		if rt, ok := sh.m[key]; ok || len(sh.m) < sh.cap {
			rt.add(at)
			sh.m[key] = rt
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
				if r.sender() != sender {
					g.recs[k] = r
					k++
				}
			}
			clear(g.recs[k:])
			g.recs = g.recs[:k]
			n += before - k
			hs := s.hash(sender)
			for j := range g.senders {
				if g.senders[j].sender == hs {
					g.senders = append(g.senders[:j], g.senders[j+1:]...)
					break
				}
			}
		}
		sh.mu.Unlock()
	}
	// The tenant-wide counters are keyed by a hash and hold counts only;
	// they go within a minute of the sender's last message.
	sh := s.hash(sender)
	for _, f := range s.flood {
		f.forget(sh)
	}
	return n
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

// ForgetSubject is <prefix>.convo.forget.<sender>.
func ForgetSubject(prefix, sender string) string { return prefix + ".convo.forget." + token(sender) }

// ErrNoNATS is returned by Forget on a Store built without NATS.
var ErrNoNATS = errors.New("convo: no NATS connection")

package convo

import (
	"sync"
	"time"

	"github.com/modgate/modgate"
)

// Actions in a record, one byte each.
const (
	actAllow uint8 = iota
	actReview
	actBlock
	actOther
)

func actionCode(a string) uint8 {
	switch a {
	case modgate.ActionAllow:
		return actAllow
	case modgate.ActionReview:
		return actReview
	case modgate.ActionBlock:
		return actBlock
	}
	return actOther
}

func actionName(c uint8) string {
	switch c {
	case actAllow:
		return modgate.ActionAllow
	case actReview:
		return modgate.ActionReview
	case actBlock:
		return modgate.ActionBlock
	}
	return ""
}

// rec is one message of a group's window, as held in memory: its id,
// sender and masked text packed in one string (one allocation, one
// header: the window of 100k groups is mostly these).
type rec struct {
	s       string
	idn, sn uint16
	chars   int32 // content characters of the normalised text
	at      int64 // unix nanos
	action  uint8
	trunc   bool
}

// maxIDBytes caps an id or sender kept in a record (the API allows 256).
const maxIDBytes = 1024

func newRec(id, sender, text string, at int64, chars int, action uint8, trunc bool) rec {
	id, _ = modgate.CutUTF8(id, maxIDBytes)
	sender, _ = modgate.CutUTF8(sender, maxIDBytes)
	return rec{s: id + sender + text, idn: uint16(len(id)), sn: uint16(len(sender)), at: at,
		chars: int32(min(max(chars, 0), 1<<30)), action: action, trunc: trunc}
}

func (r *rec) id() string     { return r.s[:r.idn] }
func (r *rec) sender() string { return r.s[r.idn : int(r.idn)+int(r.sn)] }
func (r *rec) text() string   { return r.s[int(r.idn)+int(r.sn):] }

// maxGroupSenders bounds the per-sender counters a group keeps.
const maxGroupSenders = 64

// senderRate is one sender's counter in a group, the sender known by its
// hash (24 bytes; a group keeps one per recent sender).
type senderRate struct {
	sender uint64
	r      minuteRate
}

// group is one group's window: its last N messages (oldest first) and its
// minute counters.
type group struct {
	key        string
	recs       []rec
	rate       minuteRate
	senders    []senderRate
	prev, next *group // LRU, most recently written first
}

// insert adds r in time order, keeping at most n records; a record older
// than every record of a full window is dropped. A record whose id is
// already there (a retry, or our own record coming back) is not added
// again; insert reports whether it added.
func (g *group) insert(r rec, n int) bool {
	if r.idn > 0 {
		for i := range g.recs {
			if g.recs[i].id() == r.id() && g.recs[i].sender() == r.sender() {
				return false
			}
		}
	}
	if len(g.recs) >= n {
		if n <= 0 || r.at < g.recs[0].at {
			return false
		}
		copy(g.recs, g.recs[1:])
		g.recs = g.recs[:len(g.recs)-1]
	}
	i := len(g.recs)
	for i > 0 && g.recs[i-1].at > r.at {
		i--
	}
	if len(g.recs) == cap(g.recs) {
		// Grow by doubling but never past n: a full window wastes nothing.
		grown := make([]rec, len(g.recs), min(max(2*cap(g.recs), 2), n))
		copy(grown, g.recs)
		g.recs = grown
	}
	g.recs = append(g.recs, rec{})
	copy(g.recs[i+1:], g.recs[i:])
	g.recs[i] = r
	return true
}

func (g *group) senderRate(sender uint64) *minuteRate {
	for i := range g.senders {
		if g.senders[i].sender == sender {
			return &g.senders[i].r
		}
	}
	return nil
}

func (g *group) countSender(sender uint64, at int64) {
	if r := g.senderRate(sender); r != nil {
		r.add(at)
		return
	}
	// Reuse the slot of a sender idle for a minute, else of the least
	// recently active one once the group has maxGroupSenders.
	old := -1
	for i := range g.senders {
		if g.senders[i].r.idle(at) {
			old = i
			break
		}
	}
	if old < 0 && len(g.senders) >= maxGroupSenders {
		old = 0
		for i := range g.senders {
			if g.senders[i].r.slot < g.senders[old].r.slot {
				old = i
			}
		}
	}
	if old < 0 {
		g.senders = append(g.senders, senderRate{})
		old = len(g.senders) - 1
	}
	g.senders[old] = senderRate{sender: sender}
	g.senders[old].r.add(at)
}

// prior collects the sender's preceding messages that screening may join
// with the current one (id: its id): allowed, short, each within the gap
// of the next, newest first until one fails; returned oldest first.
func (g *group) prior(id, sender string, s *modgate.ConversationSettings, now, since int64) []modgate.ContextMessage {
	if s.SplitMaxMessages < 2 || s.SplitMaxChars <= 0 || s.SplitMaxGap <= 0 {
		return nil
	}
	var out []modgate.ContextMessage
	next := now
	gap := int64(s.SplitMaxGap)
	for i := len(g.recs) - 1; i >= 0 && len(out) < s.SplitMaxMessages-1; i-- {
		r := &g.recs[i]
		if r.sender() != sender || (id != "" && r.id() == id) || r.at > now {
			continue
		}
		if r.at < since || next-r.at > gap || r.action != actAllow || int(r.chars) > s.SplitMaxChars || r.trunc {
			break
		}
		out = append(out, r.context())
		next = r.at
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (r *rec) context() modgate.ContextMessage {
	return modgate.ContextMessage{ID: r.id(), SenderID: r.sender(), At: time.Unix(0, r.at).UTC(), Text: r.text(),
		Action: actionName(r.action), Truncated: r.trunc}
}

// groupShard holds the groups hashed to it, with an LRU bound.
type groupShard struct {
	mu         sync.RWMutex
	m          map[string]*group
	head, tail *group
	cap        int
}

func (s *groupShard) get(key []byte, create bool) *group {
	g := s.m[string(key)]
	if g != nil {
		if s.head != g {
			s.unlink(g)
			s.pushFront(g)
		}
		return g
	}
	if !create {
		return nil
	}
	g = &group{key: string(key)}
	s.m[g.key] = g
	s.pushFront(g)
	for len(s.m) > s.cap && s.tail != nil {
		s.drop(s.tail)
	}
	return g
}

func (s *groupShard) drop(g *group) {
	delete(s.m, g.key)
	s.unlink(g)
}

func (s *groupShard) unlink(g *group) {
	if g.prev != nil {
		g.prev.next = g.next
	} else if s.head == g {
		s.head = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	} else if s.tail == g {
		s.tail = g.prev
	}
	g.prev, g.next = nil, nil
}

func (s *groupShard) pushFront(g *group) {
	g.prev, g.next = nil, s.head
	if s.head != nil {
		s.head.prev = g
	}
	s.head = g
	if s.tail == nil {
		s.tail = g
	}
}

// senderShard holds tenant-wide sender counters.
type senderShard struct {
	mu  sync.Mutex
	m   map[uint64]minuteRate
	cap int
}

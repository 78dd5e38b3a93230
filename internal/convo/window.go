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

// rec is one message of a group's window, as held in memory.
type rec struct {
	id, sender, text string
	at               int64 // unix nanos
	chars            int32 // content characters of the normalised text
	action           uint8
	trunc            bool
}

// maxGroupSenders bounds the per-sender counters a group keeps.
const maxGroupSenders = 64

type senderRate struct {
	sender string
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
	if r.id != "" {
		for i := range g.recs {
			if g.recs[i].id == r.id && g.recs[i].sender == r.sender {
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
	g.recs = append(g.recs, rec{})
	copy(g.recs[i+1:], g.recs[i:])
	g.recs[i] = r
	return true
}

func (g *group) senderRate(sender string) *minuteRate {
	for i := range g.senders {
		if g.senders[i].sender == sender {
			return &g.senders[i].r
		}
	}
	return nil
}

func (g *group) countSender(sender string, at int64) {
	if r := g.senderRate(sender); r != nil {
		r.add(at)
		return
	}
	if len(g.senders) >= maxGroupSenders {
		// Replace the least recently active sender.
		old := 0
		for i := range g.senders {
			if g.senders[i].r.slot < g.senders[old].r.slot {
				old = i
			}
		}
		g.senders[old] = senderRate{sender: sender}
		g.senders[old].r.add(at)
		return
	}
	g.senders = append(g.senders, senderRate{sender: sender})
	g.senders[len(g.senders)-1].r.add(at)
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
		if r.sender != sender || (id != "" && r.id == id) || r.at > now {
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
	return modgate.ContextMessage{ID: r.id, SenderID: r.sender, At: time.Unix(0, r.at).UTC(), Text: r.text,
		Action: actionName(r.action), Truncated: r.trunc}
}

// groupShard holds the groups hashed to it, with an LRU bound.
type groupShard struct {
	mu         sync.RWMutex
	m          map[string]*group
	head, tail *group
	cap        int
}

func (s *groupShard) get(key string, create bool) *group {
	g := s.m[key]
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
	g = &group{key: key}
	s.m[key] = g
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
	m   map[string]*minuteRate
	cap int
}

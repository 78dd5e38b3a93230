package convo

import (
	"encoding/binary"
	"slices"
	"sync"
	"unicode"
)

// Near-duplicate fingerprints: MinHash over character 3-shingles of the
// normalised text (spaces and punctuation dropped, digits folded to 0 so
// the same ad with another phone number or price still matches), 32
// hashes, indexed by locality-sensitive hashing in 8 bands of 4 rows. Two
// texts whose shingle sets have Jaccard similarity s share a band with
// probability 1-(1-s^4)^8: 0.99 at s=0.8, 0.89 at 0.7, 0.40 at 0.5; the
// candidates are then checked against the estimated similarity (the share
// of equal hashes) so unrelated texts that happen to share a band do not
// count.
const (
	sigLen   = 32
	sigBands = 8
	sigRows  = sigLen / sigBands
)

// maxClusterEntries bounds the (group, sender) pairs a cluster remembers;
// past it the oldest go (counts above it are "at least").
const maxClusterEntries = 256

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// contentRunes appends the runes of norm that carry content: letters
// (CJK included) and digits folded to '0'.
func contentRunes(norm string, buf []rune) []rune {
	for _, r := range norm {
		switch {
		case r >= '0' && r <= '9' || unicode.IsDigit(r):
			buf = append(buf, '0')
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			buf = append(buf, r|0x20)
		case r >= 0x80 && unicode.IsLetter(r):
			buf = append(buf, r)
		}
	}
	return buf
}

// contentChars counts the content runes of norm (what min_chars and
// split.max_chars compare with).
func contentChars(norm string) int {
	n := 0
	for _, r := range norm {
		if r >= '0' && r <= '9' || r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') || r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			n++
		}
	}
	return n
}

var runePool = sync.Pool{New: func() any { b := make([]rune, 0, 256); return &b }}

// signature is the MinHash signature of norm, nil when it has fewer than
// minChars content characters (or fewer than three).
func signature(norm string, minChars int) []uint32 {
	bp := runePool.Get().(*[]rune)
	defer runePool.Put(bp)
	rs := contentRunes(norm, (*bp)[:0])
	*bp = rs
	if len(rs) < max(minChars, 3) {
		return nil
	}
	var sig [sigLen]uint32
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	for i := 0; i+2 < len(rs); i++ {
		h := uint64(rs[i])*0x9e3779b97f4a7c15 ^ uint64(rs[i+1])*0xbf58476d1ce4e5b9 ^ uint64(rs[i+2])*0x94d049bb133111eb
		// Double hashing: h1 + k·h2 gives the 32 hash functions with
		// two mixes per shingle.
		h1, h2 := mix64(h), mix64(h^0x5851f42d4c957f2d)|1
		for k := range sig {
			if v := uint32((h1 + uint64(k)*h2) >> 32); v < sig[k] {
				sig[k] = v
			}
		}
	}
	return sig[:]
}

// similarity estimates the Jaccard similarity of two signatures.
func similarity(a, b []uint32) float64 {
	if len(a) != sigLen || len(b) != sigLen {
		return 0
	}
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / sigLen
}

// bandKeys are the LSH bucket keys of sig within a tenant.
func bandKeys(tenant uint64, sig []uint32) [sigBands]uint64 {
	var out [sigBands]uint64
	var b [8 + 4*sigRows]byte
	for band := range out {
		binary.LittleEndian.PutUint64(b[:8], tenant+uint64(band)*0x9e3779b97f4a7c15)
		for r := 0; r < sigRows; r++ {
			binary.LittleEndian.PutUint32(b[8+4*r:], sig[band*sigRows+r])
		}
		h := uint64(14695981039346656037)
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
		out[band] = mix64(h)
	}
	return out
}

type floodEntry struct {
	group, sender uint64
	at            int64
}

// cluster is one set of near-duplicate texts of a tenant: the first
// text's signature and who posted the set when.
type cluster struct {
	sig        [sigLen]uint32
	keys       []uint64 // band keys that point at it
	entries    []floodEntry
	last       int64
	prev, next *cluster // LRU, most recent first
}

// floodShard indexes the clusters of the tenants hashed to it.
type floodShard struct {
	mu         sync.Mutex
	bands      map[uint64]*cluster
	head, tail *cluster
	n, cap     int
}

func newFloodShard(cap int) *floodShard {
	return &floodShard{bands: map[uint64]*cluster{}, cap: max(cap, 1)}
}

// candidates are the distinct clusters sharing a band with sig whose
// estimated similarity reaches theta (most similar first).
func (s *floodShard) candidates(keys *[sigBands]uint64, sig []uint32, theta float64, out []*cluster) []*cluster {
	for _, k := range keys {
		c := s.bands[k]
		if c == nil || slices.Contains(out, c) {
			continue
		}
		if similarity(c.sig[:], sig) >= theta {
			out = append(out, c)
		}
	}
	return out
}

// count returns the distinct groups and senders that posted a near
// duplicate of sig since `since`, and the groups sender posted it in, the
// message under screening (group, sender) included.
func (s *floodShard) count(tenant uint64, sig []uint32, group, sender uint64, since int64, theta float64) (groups, senders, senderGroups int) {
	keys := bandKeys(tenant, sig)
	var cbuf [sigBands]*cluster
	var gbuf, sbuf, sgbuf [64]uint64
	gs, ss, sgs := append(gbuf[:0], group), append(sbuf[:0], sender), append(sgbuf[:0], group)
	s.mu.Lock()
	for _, c := range s.candidates(&keys, sig, theta, cbuf[:0]) {
		for _, e := range c.entries {
			if e.at < since {
				continue
			}
			gs = append(gs, e.group)
			ss = append(ss, e.sender)
			if e.sender == sender {
				sgs = append(sgs, e.group)
			}
		}
	}
	s.mu.Unlock()
	return distinct(gs), distinct(ss), distinct(sgs)
}

func distinct(xs []uint64) int {
	if len(xs) < 2 {
		return len(xs)
	}
	slices.Sort(xs)
	return len(slices.Compact(xs))
}

// add records that (group, sender) posted sig at `at`: it joins the most
// similar cluster or starts a new one. Clusters past the shard's capacity
// go least recently used first.
func (s *floodShard) add(tenant uint64, sig []uint32, group, sender uint64, at, since int64, theta float64) {
	keys := bandKeys(tenant, sig)
	var cbuf [sigBands]*cluster
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.candidates(&keys, sig, theta, cbuf[:0])
	var c *cluster
	best := -1.0
	for _, x := range cs {
		if sim := similarity(x.sig[:], sig); sim > best {
			c, best = x, sim
		}
	}
	if c == nil {
		c = &cluster{}
		copy(c.sig[:], sig)
		s.n++
	} else {
		s.unlink(c)
	}
	// Point free bands at the cluster, so its variants find it too.
	for _, k := range keys {
		if _, ok := s.bands[k]; !ok && len(c.keys) < 2*sigBands {
			s.bands[k] = c
			c.keys = append(c.keys, k)
		}
	}
	c.addEntry(floodEntry{group: group, sender: sender, at: at}, since)
	c.last = max(c.last, at)
	s.pushFront(c)
	for s.n > s.cap && s.tail != nil {
		s.drop(s.tail)
	}
}

func (c *cluster) addEntry(e floodEntry, since int64) {
	for i := range c.entries {
		if c.entries[i].group == e.group && c.entries[i].sender == e.sender {
			c.entries[i].at = max(c.entries[i].at, e.at)
			return
		}
	}
	if len(c.entries) >= maxClusterEntries {
		// Expired entries first, then the oldest.
		c.entries = slices.DeleteFunc(c.entries, func(x floodEntry) bool { return x.at < since })
		if len(c.entries) >= maxClusterEntries {
			oldest := 0
			for i := range c.entries {
				if c.entries[i].at < c.entries[oldest].at {
					oldest = i
				}
			}
			c.entries = slices.Delete(c.entries, oldest, oldest+1)
		}
	}
	c.entries = append(c.entries, e)
}

// forget drops the entries of a sender.
func (s *floodShard) forget(sender uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := s.head; c != nil; c = c.next {
		before := len(c.entries)
		c.entries = slices.DeleteFunc(c.entries, func(e floodEntry) bool { return e.sender == sender })
		n += before - len(c.entries)
	}
	return n
}

// expire drops clusters with nothing newer than since.
func (s *floodShard) expire(since int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.tail != nil && s.tail.last < since {
		s.drop(s.tail)
	}
}

func (s *floodShard) drop(c *cluster) {
	for _, k := range c.keys {
		if s.bands[k] == c {
			delete(s.bands, k)
		}
	}
	s.unlink(c)
	s.n--
}

func (s *floodShard) unlink(c *cluster) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if s.head == c {
		s.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else if s.tail == c {
		s.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

func (s *floodShard) pushFront(c *cluster) {
	c.prev, c.next = nil, s.head
	if s.head != nil {
		s.head.prev = c
	}
	s.head = c
	if s.tail == nil {
		s.tail = c
	}
}

func (s *floodShard) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

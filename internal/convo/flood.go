package convo

import (
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

// isContent reports runes that carry content: letters (CJK included, by
// a fast range test before the Unicode tables) and digits.
func isContent(r rune) bool {
	switch {
	case r < 0x80:
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF:
		return true
	case r >= 0x2000 && r <= 0x206F, r >= 0x3000 && r <= 0x303F, r >= 0xFE30 && r <= 0xFE4F:
		return false // general and CJK punctuation, without the table walk
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// contentRunes appends the runes of norm that carry content, ASCII
// letters lower-cased and digits folded to '0'.
func contentRunes(norm string, buf []rune) []rune {
	for _, r := range norm {
		if !isContent(r) {
			continue
		}
		switch {
		case r >= '0' && r <= '9' || r >= 0x80 && unicode.IsDigit(r):
			buf = append(buf, '0')
		case r < 0x80:
			buf = append(buf, r|0x20)
		default:
			buf = append(buf, r)
		}
	}
	return buf
}

// ContentChars counts the content runes of a normalised text (what
// flood.min_chars and split.max_chars compare with).
func ContentChars(norm string) int {
	n := 0
	for _, r := range norm {
		if isContent(r) {
			n++
		}
	}
	return n
}

var runePool = sync.Pool{New: func() any { b := make([]rune, 0, 256); return &b }}

// signature is the MinHash signature of norm, nil when it has fewer than
// minChars content characters (or fewer than three). It is one-permutation
// MinHash: each shingle is hashed once and lands in one of the 32 bins
// (top bits) where the minimum is kept; an empty bin (short texts) takes
// the value of the next non-empty one, shifted by the distance ("rotation"
// densification), so equal texts get equal signatures and the share of
// equal bins still estimates the Jaccard similarity. One hash per shingle
// instead of 32.
func signature(norm string, minChars int) []uint32 {
	bp := runePool.Get().(*[]rune)
	defer runePool.Put(bp)
	rs := contentRunes(norm, (*bp)[:0])
	*bp = rs
	if len(rs) < max(minChars, 3) {
		return nil
	}
	const empty = ^uint32(0)
	var sig [sigLen]uint32
	for i := range sig {
		sig[i] = empty
	}
	for i := 0; i+2 < len(rs); i++ {
		h := mix64(uint64(rs[i])*0x9e3779b97f4a7c15 ^ uint64(rs[i+1])*0xbf58476d1ce4e5b9 ^ uint64(rs[i+2])*0x94d049bb133111eb)
		bin, v := h>>59, uint32(h)>>1 // 31 bits: empty stays above every value
		if v < sig[bin] {
			sig[bin] = v
		}
	}
	out := make([]uint32, sigLen)
	for i := range sig {
		v, d := sig[i], 0
		for v == empty && d < sigLen {
			d++
			v = sig[(i+d)%sigLen]
		}
		out[i] = v + uint32(d)*0x9e3779b1
	}
	return out
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
	for band := range out {
		r := sig[band*sigRows : band*sigRows+sigRows]
		a := uint64(r[0])<<32 | uint64(r[1])
		b := uint64(r[2])<<32 | uint64(r[3])
		out[band] = mix64(tenant^uint64(band+1)*0x9e3779b97f4a7c15^a) ^ mix64(b+0x632be59bd9b4e019)
	}
	return out
}

type floodEntry struct {
	group, sender uint64
	at            int64
}

// inlineEntries is how many (group, sender) pairs a cluster holds in
// place; a cluster that grows past it (a real flood: rare) keeps them in
// the shard's overflow map.
const inlineEntries = 3

// cluster is one set of near-duplicate texts of a tenant: the first
// text's signature and who posted the set when. It holds no pointers
// (links are slab indices), so the garbage collector never scans the
// flood index however large it is.
type cluster struct {
	sig        [sigLen]uint32
	keys       [sigBands]uint64 // band keys that point at it (nkeys used)
	inline     [inlineEntries]floodEntry
	last       int64
	prev, next int32 // LRU, most recent first; -1 ends
	nkeys      uint8
	ninline    uint8
	overflow   bool // entries live in floodShard.over
}

// slabPage is how many clusters one page of the slab holds: the slab
// grows a page at a time, never copying what it holds.
const slabPage = 1024

// floodShard indexes the clusters of the tenants hashed to it.
type floodShard struct {
	mu         sync.Mutex
	bands      map[uint64]int32 // band key -> slab index
	pages      []*[slabPage]cluster
	used       int32 // slab indices handed out so far
	free       []int32
	over       map[int32][]floodEntry
	head, tail int32
	n, cap     int
}

// at is the cluster at slab index i.
func (s *floodShard) at(i int32) *cluster { return &s.pages[i/slabPage][i%slabPage] }

func newFloodShard(cap int) *floodShard {
	return &floodShard{bands: map[uint64]int32{}, over: map[int32][]floodEntry{}, cap: max(cap, 1), head: -1, tail: -1}
}

// entries returns the cluster's (group, sender) pairs.
func (s *floodShard) entries(i int32) []floodEntry {
	c := s.at(i)
	if c.overflow {
		return s.over[i]
	}
	return c.inline[:c.ninline]
}

// candidates are the distinct clusters sharing a band with sig whose
// estimated similarity reaches theta; free (when not nil) records which
// band keys no cluster holds.
func (s *floodShard) candidates(keys *[sigBands]uint64, sig []uint32, theta float64, out []int32, free *[sigBands]bool) []int32 {
	for b, k := range keys {
		i, ok := s.bands[k]
		if free != nil {
			free[b] = !ok
		}
		if !ok || slices.Contains(out, i) {
			continue
		}
		if similarity(s.at(i).sig[:], sig) >= theta {
			out = append(out, i)
		}
	}
	return out
}

// count returns the distinct groups and senders that posted a near
// duplicate of sig since `since`, and the groups sender posted it in, the
// message under screening (group, sender) included. Counts stop at
// maxCount (past every bucket the policies see).
func (s *floodShard) count(tenant uint64, sig []uint32, group, sender uint64, since int64, theta float64) (groups, senders, senderGroups int) {
	keys := bandKeys(tenant, sig)
	var cbuf [sigBands]int32
	sets := setPool.Get().(*[3]u64set)
	defer setPool.Put(sets)
	gs, ss, sgs := &sets[0], &sets[1], &sets[2]
	gs.reset()
	ss.reset()
	sgs.reset()
	gs.add(group)
	ss.add(sender)
	sgs.add(group)
	s.mu.Lock()
	for _, c := range s.candidates(&keys, sig, theta, cbuf[:0], nil) {
		for _, e := range s.entries(c) {
			if e.at < since {
				continue
			}
			gs.add(e.group)
			ss.add(e.sender)
			if e.sender == sender {
				sgs.add(e.group)
			}
		}
	}
	s.mu.Unlock()
	return gs.n, ss.n, sgs.n
}

// maxCount is where flood counts saturate.
const maxCount = 1000

// u64set is a reusable open-addressing set of hashes that only counts
// (no sorting, no allocation once pooled); 0 marks a free slot.
type u64set struct {
	table []uint64 // power-of-two size ≥ 2·maxCount
	used  []uint32 // slots to clear on reset
	zero  bool
	n     int
}

var setPool = sync.Pool{New: func() any {
	var s [3]u64set
	for i := range s {
		s[i].table = make([]uint64, 2048)
	}
	return &s
}}

func (s *u64set) reset() {
	for _, i := range s.used {
		s.table[i] = 0
	}
	s.used, s.zero, s.n = s.used[:0], false, 0
}

func (s *u64set) add(x uint64) {
	if s.n >= maxCount {
		return
	}
	if x == 0 {
		if !s.zero {
			s.zero = true
			s.n++
		}
		return
	}
	mask := uint64(len(s.table) - 1)
	for i := mix64(x) & mask; ; i = (i + 1) & mask {
		switch s.table[i] {
		case x:
			return
		case 0:
			s.table[i] = x
			s.used = append(s.used, uint32(i))
			s.n++
			return
		}
	}
}

// add records that (group, sender) posted sig at `at`: it joins the most
// similar cluster or starts a new one. Clusters past the shard's capacity
// go least recently used first.
func (s *floodShard) add(tenant uint64, sig []uint32, group, sender uint64, at, since int64, theta float64) {
	keys := bandKeys(tenant, sig)
	var cbuf [sigBands]int32
	s.mu.Lock()
	defer s.mu.Unlock()
	ci := int32(-1)
	best := -1.0
	var free [sigBands]bool
	for _, x := range s.candidates(&keys, sig, theta, cbuf[:0], &free) {
		if sim := similarity(s.at(x).sig[:], sig); sim > best {
			ci, best = x, sim
		}
	}
	if ci < 0 {
		for s.n >= s.cap && s.tail >= 0 {
			s.drop(s.tail)
		}
		// Evicting can free band keys the lookup above saw taken.
		ci = s.alloc()
		c := s.at(ci)
		copy(c.sig[:], sig)
		for b, k := range keys {
			if !free[b] {
				if _, taken := s.bands[k]; taken {
					continue
				}
			}
			s.bands[k] = ci
			c.keys[c.nkeys] = k
			c.nkeys++
		}
		s.n++
	} else {
		s.unlink(ci)
	}
	s.addEntry(ci, floodEntry{group: group, sender: sender, at: at}, since)
	c := s.at(ci)
	c.last = max(c.last, at)
	s.pushFront(ci)
}

func (s *floodShard) alloc() int32 {
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		if int(s.used) == len(s.pages)*slabPage {
			s.pages = append(s.pages, new([slabPage]cluster))
		}
		i = s.used
		s.used++
	}
	*s.at(i) = cluster{prev: -1, next: -1}
	return i
}

func (s *floodShard) addEntry(ci int32, e floodEntry, since int64) {
	c := s.at(ci)
	es := s.entries(ci)
	for i := range es {
		if es[i].group == e.group && es[i].sender == e.sender {
			es[i].at = max(es[i].at, e.at)
			return
		}
	}
	if !c.overflow && int(c.ninline) < inlineEntries {
		c.inline[c.ninline] = e
		c.ninline++
		return
	}
	if !c.overflow {
		es = append(make([]floodEntry, 0, 2*inlineEntries), es...)
		c.overflow, c.ninline = true, 0
	}
	if len(es) >= maxClusterEntries {
		// Expired entries first, then the oldest.
		es = slices.DeleteFunc(es, func(x floodEntry) bool { return x.at < since })
		if len(es) >= maxClusterEntries {
			oldest := 0
			for i := range es {
				if es[i].at < es[oldest].at {
					oldest = i
				}
			}
			es = slices.Delete(es, oldest, oldest+1)
		}
	}
	s.over[ci] = append(es, e)
}

// forget drops the entries of a sender.
func (s *floodShard) forget(sender uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := s.head; i >= 0; i = s.at(i).next {
		c := s.at(i)
		if c.overflow {
			es := s.over[i]
			before := len(es)
			s.over[i] = slices.DeleteFunc(es, func(e floodEntry) bool { return e.sender == sender })
			n += before - len(s.over[i])
			continue
		}
		k := uint8(0)
		for _, e := range c.inline[:c.ninline] {
			if e.sender != sender {
				c.inline[k] = e
				k++
			}
		}
		n += int(c.ninline - k)
		c.ninline = k
	}
	return n
}

// expire drops clusters with nothing newer than since.
func (s *floodShard) expire(since int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.tail >= 0 && s.at(s.tail).last < since {
		s.drop(s.tail)
	}
}

func (s *floodShard) drop(i int32) {
	c := s.at(i)
	for _, k := range c.keys[:c.nkeys] {
		if s.bands[k] == i {
			delete(s.bands, k)
		}
	}
	if c.overflow {
		delete(s.over, i)
	}
	s.unlink(i)
	*c = cluster{prev: -1, next: -1}
	s.free = append(s.free, i)
	s.n--
}

func (s *floodShard) unlink(i int32) {
	c := s.at(i)
	if c.prev >= 0 {
		s.at(c.prev).next = c.next
	} else if s.head == i {
		s.head = c.next
	}
	if c.next >= 0 {
		s.at(c.next).prev = c.prev
	} else if s.tail == i {
		s.tail = c.prev
	}
	c.prev, c.next = -1, -1
}

func (s *floodShard) pushFront(i int32) {
	c := s.at(i)
	c.prev, c.next = -1, s.head
	if s.head >= 0 {
		s.at(s.head).prev = i
	}
	s.head = i
	if s.tail < 0 {
		s.tail = i
	}
}

func (s *floodShard) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

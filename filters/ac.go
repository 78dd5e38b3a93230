package filters

import (
	"sort"
	"unicode/utf8"
	"unsafe"
)

// Compact is an Aho-Corasick automaton over UTF-8 symbols (runes) stored
// as a double array.
//
// Why not only cloudflare/ahocorasick: it keeps two 256-pointer arrays per
// trie node (GBs at 50k Chinese terms, long GC pauses). Here every trie node
// is one 16-byte slot in a flat []acNode: a transition from slot s on symbol
// code c goes to t = base[s]+c and exists iff check[t] == s. The failure
// link and the output marker live in the same slot, so a step touches one
// cache line. No pointers: the GC never scans it.
//
// Why runes and not bytes: a Chinese character is three bytes, so a byte
// automaton takes three steps (and up to three cache misses) per
// character; the symbols of the patterns get dense codes instead, the most
// frequent first, so a step per character reads the text once. A byte that
// is not valid UTF-8 is a symbol of its own, so matching is exact on any
// input; a pattern that is a fragment of a valid character (not a whole
// rune) is found only where the text holds the same invalid bytes.
type Compact struct {
	nodes  []acNode
	dict   []int32 // per slot: nearest proper suffix slot that ends a pattern (0 = none)
	patLen []int32 // byte length of each pattern
	ascii  [utf8.RuneSelf]int32
	inv    [256]int32      // code of a byte that does not start valid UTF-8
	bmp    []uint16        // code of a rune below 0x10000; bmpOther = look in other
	other  map[int32]int32 // codes of the remaining runes (astral ones)
}

// Symbols: a rune, or symInvalid+b for a byte b that does not start valid
// UTF-8.
const (
	symInvalid = utf8.MaxRune + 1
	bmpOther   = 0xFFFF
)

// symAt decodes the symbol at s[i] and its width in bytes.
func symAt(s string, i int) (int32, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return int32(c), 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && w == 1 {
		return symInvalid + int32(c), 1
	}
	return r, w
}

// bmpCode is the code of a rune below 0x10000, 0 when no pattern holds it.
func (m *Compact) bmpCode(r int32) int32 {
	if c := m.bmp[r]; c != bmpOther {
		return int32(c)
	}
	return m.other[r]
}

// symbol decodes the symbol at text[i] and returns its code and width.
func (m *Compact) symbol(text string, i int) (int32, int) {
	r, w := symAt(text, i)
	switch {
	case r >= symInvalid:
		return m.inv[r-symInvalid], w
	case r < 0x10000:
		return m.bmpCode(r), w
	}
	return m.other[r], w
}

type acNode struct {
	base  int32 // child on byte c is base+c (when its check matches)
	check int32 // parent slot; -1 = free slot (root also -1: nothing enters it)
	fail  int32 // Aho-Corasick failure link (slot of longest proper suffix)
	out   int32 // >0: pattern out-1 ends here; -1: only suffixes end patterns; 0: nothing
}

// NewCompact builds the compact engine. Patterns should be unique and
// non-empty (NewMatcher checks); an empty pattern is ignored.
func NewCompact(patterns []string) *Compact {
	b := compactBuilder{patterns: patterns}
	return b.build()
}

// Len is the number of patterns.
func (m *Compact) Len() int { return len(m.patLen) }

// FindAll appends every occurrence of every pattern, ordered by End and,
// for the same End, longest first.
func (m *Compact) FindAll(text string, dst []Hit) []Hit {
	nodes := m.nodes
	if len(nodes) == 0 {
		return dst
	}
	// Every slot index the loop computes is in range by construction
	// (base+c < len(nodes) for every slot, fail links point at slots), so
	// the hot loop indexes through a raw pointer instead of paying a
	// bounds check per step.
	base := unsafe.Pointer(unsafe.SliceData(nodes))
	at := func(i int32) *acNode {
		return (*acNode)(unsafe.Add(base, uintptr(i)*unsafe.Sizeof(acNode{})))
	}
	s := int32(0)
	cur := at(0)
	for i := 0; i < len(text); {
		// Decoded inline (a call per character was half the time):
		// ASCII, then two- and three-byte runes (all of CJK, and the
		// variant layer's syllable codes), the rest in symbol.
		var c int32
		switch b := text[i]; {
		case b < utf8.RuneSelf:
			c = m.ascii[b]
			i++
		case b >= 0xE0 && b < 0xF0 && i+2 < len(text) && text[i+1]&0xC0 == 0x80 && text[i+2]&0xC0 == 0x80:
			r := int32(b&0x0F)<<12 | int32(text[i+1]&0x3F)<<6 | int32(text[i+2]&0x3F)
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				c = m.bmpCode(r)
				i += 3
			} else { // overlong or a surrogate: one invalid byte
				c = m.inv[b]
				i++
			}
		case b < 0xC2:
			// A stray continuation byte or an overlong lead (C0, C1: the
			// variant layer's low syllable codes) is always one invalid byte.
			c = m.inv[b]
			i++
		case b >= 0xC2 && b < 0xE0 && i+1 < len(text) && text[i+1]&0xC0 == 0x80:
			c = m.bmpCode(int32(b&0x1F)<<6 | int32(text[i+1]&0x3F))
			i += 2
		default:
			var w int
			c, w = m.symbol(text, i)
			i += w
		}
		if c == 0 {
			// No pattern holds this symbol: every state falls back to the
			// root, and nothing ends here.
			s, cur = 0, at(0)
			continue
		}
		for {
			t := cur.base + c
			if nt := at(t); nt.check == s {
				s, cur = t, nt
				break
			}
			if s == 0 {
				break
			}
			s = cur.fail
			cur = at(s)
		}
		if cur.out != 0 {
			dst = m.emit(s, int32(i), dst)
		}
	}
	return dst
}

// emit reports the pattern ending at slot s (if any) and all patterns that
// end at its suffix slots.
func (m *Compact) emit(s, end int32, dst []Hit) []Hit {
	for x := s; x != 0; x = m.dict[x] {
		if o := m.nodes[x].out; o > 0 {
			p := o - 1
			dst = append(dst, Hit{Pattern: p, Start: end - m.patLen[p], End: end})
		}
	}
	return dst
}

// SizeBytes is the memory the automaton retains.
func (m *Compact) SizeBytes() int {
	return len(m.nodes)*16 + len(m.dict)*4 + len(m.patLen)*4 + len(m.bmp)*2 + len(m.other)*16
}

type compactBuilder struct {
	patterns []string
	codes    [][]int32 // per pattern: its symbols' codes
	alphabet int32     // highest code

	// Trie in CSR form, nodes numbered in creation order (root = 0).
	term       []int32 // pattern id+1 ending at trie node, 0 if none
	childStart []int32 // children of node n: childLabel/childNode[childStart[n]:childStart[n+1]]
	childLabel []int32
	childNode  []int32

	// Double-array placement.
	slot  []int32 // trie node -> slot
	nodes []acNode
	// Free slots form a doubly linked list so placement finds holes fast.
	nextFree, prevFree []int32
}

func (b *compactBuilder) build() *Compact {
	m := &Compact{patLen: make([]int32, len(b.patterns))}
	for i, p := range b.patterns {
		m.patLen[i] = int32(len(p))
	}
	b.encode(m)
	b.buildTrie()
	b.place()
	b.links(m)
	m.nodes = b.nodes
	return m
}

// encode gives every symbol of the patterns a code from 1, the most
// frequent first (children of a node then cluster at low offsets, which
// packs the double array), and writes each pattern as codes.
func (b *compactBuilder) encode(m *Compact) {
	freq := map[int32]int{}
	for _, p := range b.patterns {
		for i := 0; i < len(p); {
			r, w := symAt(p, i)
			freq[r]++
			i += w
		}
	}
	syms := make([]int32, 0, len(freq))
	for r := range freq {
		syms = append(syms, r)
	}
	sort.Slice(syms, func(i, j int) bool {
		if freq[syms[i]] != freq[syms[j]] {
			return freq[syms[i]] > freq[syms[j]]
		}
		return syms[i] < syms[j]
	})
	m.bmp = make([]uint16, 0x10000) // 0: no pattern holds the rune
	m.other = map[int32]int32{}
	code := make(map[int32]int32, len(syms))
	for i, r := range syms {
		c := int32(i + 1)
		code[r] = c
		switch {
		case r >= symInvalid:
			m.inv[r-symInvalid] = c
			continue
		case r < utf8.RuneSelf:
			m.ascii[r] = c
		}
		switch {
		case r < 0x10000 && c < bmpOther:
			m.bmp[r] = uint16(c)
		case r < 0x10000:
			// More than 65,534 symbols: the table says "look in other".
			m.bmp[r] = bmpOther
			m.other[r] = c
		default:
			m.other[r] = c
		}
	}
	b.alphabet = int32(len(syms))
	n := 0
	for _, c := range freq {
		n += c
	}
	flat := make([]int32, 0, n) // one array behind all patterns' codes
	b.codes = make([][]int32, len(b.patterns))
	for id, p := range b.patterns {
		from := len(flat)
		for i := 0; i < len(p); {
			r, w := symAt(p, i)
			flat = append(flat, code[r])
			i += w
		}
		b.codes[id] = flat[from:len(flat):len(flat)]
	}
}

// buildTrie inserts the patterns in sorted order: the path shared with the
// previous pattern is on the stack, so every node is created once and each
// node's children come out in increasing code order.
func (b *compactBuilder) buildTrie() {
	order := make([]int32, 0, len(b.patterns))
	for i, p := range b.patterns {
		if p != "" {
			order = append(order, int32(i))
		}
	}
	sort.Slice(order, func(i, j int) bool { return slicesLess(b.codes[order[i]], b.codes[order[j]]) })

	total := 1
	for _, id := range order {
		total += len(b.codes[id])
	}
	// Upper bound on trie nodes: no reallocation while inserting.
	parent := make([]int32, 1, total)
	parent[0] = -1
	label := make([]int32, 1, total)
	b.term = make([]int32, 1, total)
	stack := []int32{0} // stack[d] = node at depth d on the current path
	var prev []int32
	for _, id := range order {
		p := b.codes[id]
		lcp := 0
		for lcp < len(p) && lcp < len(prev) && p[lcp] == prev[lcp] {
			lcp++
		}
		stack = stack[:lcp+1]
		for d := lcp; d < len(p); d++ {
			n := int32(len(parent))
			parent = append(parent, stack[d])
			label = append(label, p[d])
			b.term = append(b.term, 0)
			stack = append(stack, n)
		}
		if b.term[stack[len(p)]] == 0 {
			b.term[stack[len(p)]] = id + 1
		}
		prev = p
	}
	n := len(parent)
	b.childStart = make([]int32, n+1)
	for v := 1; v < n; v++ {
		b.childStart[parent[v]+1]++
	}
	for v := 1; v <= n; v++ {
		b.childStart[v] += b.childStart[v-1]
	}
	fill := make([]int32, n)
	copy(fill, b.childStart[:n])
	b.childLabel = make([]int32, n)
	b.childNode = make([]int32, n)
	// Creation order is sorted order, so labels land ascending per parent.
	for v := 1; v < n; v++ {
		p := parent[v]
		k := fill[p]
		fill[p]++
		b.childLabel[k] = label[v]
		b.childNode[k] = int32(v)
	}
}

// slicesLess orders code strings lexicographically.
func slicesLess(a, b []int32) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func (b *compactBuilder) children(n int32) ([]int32, []int32) {
	s, e := b.childStart[n], b.childStart[n+1]
	return b.childLabel[s:e], b.childNode[s:e]
}

// grow extends the slot arrays to at least n slots, linking new slots into
// the free list.
func (b *compactBuilder) grow(n int) {
	old := len(b.nodes)
	if n <= old {
		return
	}
	if n < old+old/2 {
		n = old + old/2
	}
	nodes := make([]acNode, n)
	copy(nodes, b.nodes)
	nf := make([]int32, n)
	copy(nf, b.nextFree)
	pf := make([]int32, n)
	copy(pf, b.prevFree)
	b.nodes, b.nextFree, b.prevFree = nodes, nf, pf
	// The list is circular with sentinel slot 0 (the root, never free).
	last := b.prevFree[0]
	for i := old; i < n; i++ {
		b.nodes[i].check = -1
		b.prevFree[i] = last
		b.nextFree[last] = int32(i)
		last = int32(i)
	}
	b.nextFree[last] = 0
	b.prevFree[0] = last
}

func (b *compactBuilder) take(i int32) {
	p, n := b.prevFree[i], b.nextFree[i]
	b.nextFree[p] = n
	b.prevFree[n] = p
}

// place assigns every trie node a slot, breadth first: a node's base is the
// first offset where all its child labels land on free slots.
func (b *compactBuilder) place() {
	nTrie := len(b.term)
	b.slot = make([]int32, nTrie)
	b.nodes = []acNode{{check: -1}}
	b.nextFree = []int32{0}
	b.prevFree = []int32{0}
	b.grow(nTrie + nTrie/8 + 1024)

	// Slots below the first free one that a given node could use only
	// shift forward, so scanning starts at the list head each time; dense
	// early regions are skipped because they are no longer in the list.
	queue := make([]int32, 0, nTrie)
	queue = append(queue, 0)
	for qi := 0; qi < len(queue); qi++ {
		n := queue[qi]
		labels, kids := b.children(n)
		if len(labels) == 0 {
			continue
		}
		c0 := int32(labels[0])
		base := int32(0)
		for f := b.nextFree[0]; ; f = b.nextFree[f] {
			if f == 0 {
				// Ran off the end of the list: grow and continue from the
				// new region.
				old := len(b.nodes)
				b.grow(old + 256 + len(labels))
				f = int32(old)
			}
			base = f - c0
			if base < 1 {
				continue
			}
			last := base + int32(labels[len(labels)-1])
			if int(last) >= len(b.nodes) {
				b.grow(int(last) + 1)
			}
			ok := true
			for _, l := range labels[1:] {
				if b.nodes[base+int32(l)].check != -1 {
					ok = false
					break
				}
			}
			if ok {
				break
			}
		}
		s := b.slot[n]
		b.nodes[s].base = base
		for i, l := range labels {
			t := base + int32(l)
			b.take(t)
			b.nodes[t].check = s
			b.slot[kids[i]] = t
			queue = append(queue, kids[i])
		}
	}
	// Trim to the highest used slot plus the alphabet, so base+c of any slot
	// (leaves have base 0) stays in range without a bounds branch.
	used := 0
	for i := len(b.nodes) - 1; i > 0; i-- {
		if b.nodes[i].check != -1 {
			used = i
			break
		}
	}
	maxBase := int32(0)
	for i := 0; i <= used; i++ {
		if b.nodes[i].base > maxBase && (i == 0 || b.nodes[i].check != -1) {
			maxBase = b.nodes[i].base
		}
	}
	size := max(used+1, int(maxBase)+int(b.alphabet)+1, int(b.alphabet)+1)
	if size > len(b.nodes) {
		b.grow(size)
	}
	b.nodes = append([]acNode(nil), b.nodes[:size]...)
	b.nextFree, b.prevFree = nil, nil
}

// links computes failure links, outputs and dictionary (output) links,
// breadth first so a node's failure target is final before its children.
func (b *compactBuilder) links(m *Compact) {
	nodes := b.nodes
	m.dict = make([]int32, len(nodes))
	for n, id := range b.term {
		if id != 0 {
			nodes[b.slot[n]].out = id
		}
	}
	goTo := func(s int32, c int32) int32 {
		t := nodes[s].base + int32(c)
		if nodes[t].check == s {
			return t
		}
		return -1
	}
	queue := make([]int32, 0, len(b.term))
	labels, kids := b.children(0)
	for i := range labels {
		t := b.slot[kids[i]]
		nodes[t].fail = 0
		queue = append(queue, kids[i])
	}
	for qi := 0; qi < len(queue); qi++ {
		n := queue[qi]
		s := b.slot[n]
		labels, kids := b.children(n)
		for i, c := range labels {
			v := b.slot[kids[i]]
			f := nodes[s].fail
			for {
				if t := goTo(f, c); t >= 0 {
					f = t
					break
				}
				if f == 0 {
					break
				}
				f = nodes[f].fail
			}
			nodes[v].fail = f
			if nodes[f].out > 0 {
				m.dict[v] = f
			} else {
				m.dict[v] = m.dict[f]
			}
			if nodes[v].out == 0 && m.dict[v] != 0 {
				nodes[v].out = -1
			}
			queue = append(queue, kids[i])
		}
	}
}

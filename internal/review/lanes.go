package review

import (
	"container/heap"
	"time"

	"github.com/modgate/modgate"
)

// laneHeap orders one lane's claimable cases: priority (report score or
// severity) first, then age. Entries are lazy: a case's newer revision
// pushes a new entry and the old one is dropped when it surfaces, so every
// index update is O(log n) and a claim does not scan the queue.
type laneHeap []heapEntry

type heapEntry struct {
	id       string
	rev      uint64
	priority float64
	created  time.Time
}

func (h laneHeap) Len() int { return len(h) }
func (h laneHeap) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	if !h[i].created.Equal(h[j].created) {
		return h[i].created.Before(h[j].created)
	}
	return h[i].id < h[j].id
}
func (h laneHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *laneHeap) Push(x any)   { *h = append(*h, x.(heapEntry)) }
func (h *laneHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// lanes holds one heap per review lane; q.mu guards it.
type lanes struct {
	h []laneHeap // one per modgate.Lanes entry, same order
}

// pushLocked adds s when it is claimable now or will be once its lease
// expires (the sweeper then writes a new revision, which is pushed again).
func (q *Queue) pushLocked(s *modgate.CaseSummary) {
	if !claimable(s.State) {
		return
	}
	r := laneRank(s.Lane)
	if r >= len(q.lanes.h) {
		return
	}
	heap.Push(&q.lanes.h[r], heapEntry{id: s.ID, rev: s.Revision, priority: s.Priority, created: s.Created})
	// Drop stale entries when they dominate.
	if n := len(q.lanes.h[r]); n > 1024 && n > 4*len(q.active) {
		q.rebuildLocked()
	}
}

func (q *Queue) rebuildLocked() {
	for i := range q.lanes.h {
		q.lanes.h[i] = q.lanes.h[i][:0]
	}
	for _, s := range q.active {
		if !claimable(s.State) {
			continue
		}
		if r := laneRank(s.Lane); r < len(q.lanes.h) {
			q.lanes.h[r] = append(q.lanes.h[r], heapEntry{id: s.ID, rev: s.Revision, priority: s.Priority, created: s.Created})
		}
	}
	for i := range q.lanes.h {
		heap.Init(&q.lanes.h[i])
	}
}

// popLocked returns the best valid entry of lane r that is not in flight,
// or false. Stale entries are discarded.
func (q *Queue) popLocked(r int) (heapEntry, bool) {
	h := &q.lanes.h[r]
	for h.Len() > 0 {
		e := heap.Pop(h).(heapEntry)
		s, ok := q.active[e.id]
		if !ok || s.Revision != e.rev || !claimable(s.State) {
			continue
		}
		if _, busy := q.inflight[e.id]; busy {
			continue
		}
		return e, true
	}
	return heapEntry{}, false
}

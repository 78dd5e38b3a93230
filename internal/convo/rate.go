package convo

import "time"

// rateSlot is the width of one bucket of a minute counter.
const rateSlot = int64(10 * time.Second)

// rateSlots buckets make the one-minute window.
const rateSlots = 6

// minuteRate counts events over the last minute in six 10-second buckets
// (the count covers 50 to 60 seconds). 16 bytes, no pointers.
type minuteRate struct {
	slot uint32 // index (at / rateSlot) of the newest bucket (10 s since 1970)
	c    [rateSlots]uint16
}

// add counts one event at unix nanos at. Events older than the window are
// dropped; a later event moves the window and clears the buckets it
// passes.
func (r *minuteRate) add(at int64) {
	s, cur := at/rateSlot, int64(r.slot)
	switch {
	case s > cur:
		if s-cur >= rateSlots {
			r.c = [rateSlots]uint16{}
		} else {
			for x := cur + 1; x <= s; x++ {
				r.c[x%rateSlots] = 0
			}
		}
		r.slot = uint32(s)
	case s <= cur-rateSlots:
		return
	}
	if i := s % rateSlots; r.c[i] < 0xffff {
		r.c[i]++
	}
}

// count is the number of events in the minute up to now.
func (r *minuteRate) count(now int64) int {
	s, cur := now/rateSlot, int64(r.slot)
	n := 0
	for x := max(cur-rateSlots+1, s-rateSlots+1, 0); x <= min(cur, s); x++ {
		n += int(r.c[x%rateSlots])
	}
	return n
}

// idle reports whether the counter holds nothing for the minute up to now.
func (r *minuteRate) idle(now int64) bool { return int64(r.slot) <= now/rateSlot-rateSlots }

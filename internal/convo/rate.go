package convo

import "time"

// rateSlot is the width of one bucket of a minute counter.
const rateSlot = int64(10 * time.Second)

// rateSlots buckets make the one-minute window.
const rateSlots = 6

// minuteRate counts events over the last minute in six 10-second buckets
// (the count covers 50 to 60 seconds). 20 bytes, no pointers.
type minuteRate struct {
	slot int64 // index (at / rateSlot) of the newest bucket
	c    [rateSlots]uint16
}

// add counts one event at unix nanos at. Events older than the window are
// dropped; a later event moves the window and clears the buckets it
// passes.
func (r *minuteRate) add(at int64) {
	s := at / rateSlot
	switch {
	case s > r.slot:
		if s-r.slot >= rateSlots {
			r.c = [rateSlots]uint16{}
		} else {
			for x := r.slot + 1; x <= s; x++ {
				r.c[x%rateSlots] = 0
			}
		}
		r.slot = s
	case s <= r.slot-rateSlots:
		return
	}
	if i := s % rateSlots; r.c[i] < 0xffff {
		r.c[i]++
	}
}

// count is the number of events in the minute up to now.
func (r *minuteRate) count(now int64) int {
	s := now / rateSlot
	n := 0
	for x := max(r.slot-rateSlots+1, s-rateSlots+1, 0); x <= min(r.slot, s); x++ {
		n += int(r.c[x%rateSlots])
	}
	return n
}

// idle reports whether the counter holds nothing for the minute up to now.
func (r *minuteRate) idle(now int64) bool { return r.slot <= now/rateSlot-rateSlots }

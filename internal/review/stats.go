package review

import (
	"context"
	"time"

	"github.com/modgate/modgate"
)

// LaneStats is the queue state of one lane.
type LaneStats struct {
	Lane             string  `json:"lane"`
	Open             int     `json:"open"`
	Claimed          int     `json:"claimed"`
	Depth            int     `json:"depth"` // open + claimed
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	SLASeconds       float64 `json:"sla_seconds"`
	Breached         int     `json:"breached"`
}

// Stats is the queue dashboard. It is computed from the cases bucket (each
// replica's index is a watch of it), so every replica reports the same.
type Stats struct {
	At                time.Time      `json:"at"`
	Lanes             []LaneStats    `json:"lanes"`
	Open              int            `json:"open"`
	Claimed           int            `json:"claimed"`
	Decided           int            `json:"decided"`
	Hidden            int            `json:"hidden"`
	Decisions         int            `json:"decisions"`
	ByReviewer        map[string]int `json:"decisions_by_reviewer"`
	ByAction          map[string]int `json:"decisions_by_action"`
	ByLabel           map[string]int `json:"decisions_by_label"`
	AvgHandlingMS     float64        `json:"avg_handling_ms"`
	PatrolDecided     int            `json:"patrol_decided"`
	PatrolMisses      int            `json:"patrol_misses"`
	PatrolMissRate    float64        `json:"patrol_miss_rate"`
	ReportedDecided   int            `json:"reported_decided"`
	ReportsUpheldRate float64        `json:"reports_upheld_rate"`
}

// Stats computes the dashboard; decisions are counted from since (zero =
// all cases still in the bucket).
func (q *Queue) Stats(_ context.Context, since time.Time) Stats {
	now := q.now()
	st := Stats{At: now.UTC(), ByReviewer: map[string]int{}, ByAction: map[string]int{}, ByLabel: map[string]int{}}
	lanes := map[string]*LaneStats{}
	for _, l := range modgate.Lanes {
		lanes[l] = &LaneStats{Lane: l, SLASeconds: q.cfg.SLA[l].Seconds()}
	}
	var handling int64
	upheld := 0
	q.mu.RLock()
	for _, s := range q.idx {
		v := summaryView(s, now)
		ls := lanes[v.Lane]
		if ls == nil {
			ls = &LaneStats{Lane: v.Lane}
			lanes[v.Lane] = ls
		}
		switch v.State {
		case modgate.CaseOpen, modgate.CaseClaimed, modgate.CaseAppealed:
			if v.State != modgate.CaseClaimed {
				ls.Open++
				st.Open++
			} else {
				ls.Claimed++
				st.Claimed++
			}
			ls.Depth++
			if v.AgeSeconds > ls.OldestAgeSeconds {
				ls.OldestAgeSeconds = v.AgeSeconds
			}
			if v.Breached {
				ls.Breached++
			}
			if v.Hidden {
				st.Hidden++
			}
		case modgate.CaseDecided:
			st.Decided++
			d := v.Decision
			if d == nil || d.At.Before(since) {
				continue
			}
			st.Decisions++
			st.ByReviewer[d.Reviewer]++
			st.ByAction[d.Action]++
			for _, l := range d.Labels {
				st.ByLabel[l]++
			}
			handling += d.HandlingMS
			if v.Source == "patrol" {
				st.PatrolDecided++
				// A patrol sample was allowed by the filter; a reviewer who
				// finds a violation in it counts a miss.
				if d.Action != modgate.DecisionApprove {
					st.PatrolMisses++
				}
			}
			if v.Reports > 0 {
				st.ReportedDecided++
				if d.Action != modgate.DecisionApprove {
					upheld++
				}
			}
		}
	}
	q.mu.RUnlock()
	for _, l := range modgate.Lanes {
		st.Lanes = append(st.Lanes, *lanes[l])
		delete(lanes, l)
	}
	for _, ls := range lanes {
		st.Lanes = append(st.Lanes, *ls)
	}
	if st.Decisions > 0 {
		st.AvgHandlingMS = float64(handling) / float64(st.Decisions)
	}
	if st.PatrolDecided > 0 {
		st.PatrolMissRate = float64(st.PatrolMisses) / float64(st.PatrolDecided)
	}
	if st.ReportedDecided > 0 {
		st.ReportsUpheldRate = float64(upheld) / float64(st.ReportedDecided)
	}
	return st
}

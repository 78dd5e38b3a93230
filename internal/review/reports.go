package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// ReporterStats is a reporter's track record.
type ReporterStats struct {
	Reporter string `json:"reporter"`
	Upheld   int    `json:"upheld"`
	Total    int    `json:"total"`
}

// Weight is the reporter's accuracy with a prior of one upheld and one
// rejected report: new reporters weigh 0.5, reliable ones approach 1 and
// bad-faith ones approach 0.
func (s ReporterStats) Weight() float64 {
	return float64(s.Upheld+1) / float64(s.Total+2)
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func checkID(name, v string, required bool) error {
	if v == "" {
		if required {
			return invalid("%s is required", name)
		}
		return nil
	}
	if len(v) > 256 || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
		return invalid("%s must be valid UTF-8 of at most 256 bytes without control characters", name)
	}
	return nil
}

// ValidateReport checks a report before anything is counted.
func ValidateReport(r modgate.Report) error {
	for _, f := range []struct {
		name, v  string
		required bool
	}{{"message_id", r.MessageID, true}, {"reporter_id", r.ReporterID, true}, {"reason", r.Reason, true},
		{"tenant", r.Tenant, false}, {"sender", r.Sender, false}, {"group", r.Group, false}} {
		if err := checkID(f.name, f.v, f.required); err != nil {
			return err
		}
	}
	if !utf8.ValidString(r.Text) {
		return invalid("text is not valid UTF-8")
	}
	if len(r.Text) > modgate.DefaultMaxTextBytes {
		return invalid("text has %d bytes, the limit is %d", len(r.Text), modgate.DefaultMaxTextBytes)
	}
	return nil
}

// Report files a member's report: it opens or joins the case of the
// message, counts each reporter once, raises the case by the reporters'
// accuracy-weighted score and hides the message past HideScore.
func (q *Queue) Report(ctx context.Context, r modgate.Report) (modgate.ReportResult, error) {
	if err := ValidateReport(r); err != nil {
		return modgate.ReportResult{}, err
	}
	ok, err := q.limiter.Allow(ctx, "report", r.ReporterID, q.cfg.ReportLimit, q.cfg.ReportWindow)
	if err != nil {
		return modgate.ReportResult{}, err
	}
	if !ok {
		return modgate.ReportResult{}, ErrRateLimited
	}
	id := modgate.CaseIDFor(r.Tenant, r.MessageID, "")
	stats, err := q.reporters.cached(ctx, r.ReporterID)
	if err != nil {
		return modgate.ReportResult{}, err
	}
	now := q.now().UTC()
	r.Weight, r.At = stats.Weight(), now
	r.Text = cleanText(r.Text, modgate.DefaultMaxTextBytes)

	var dupRes *modgate.ReportResult
	hiddenNow, markerMine := false, false
	q.mu.RLock()
	_, known := q.idx[id]
	q.mu.RUnlock()
	// The report's text is screened once, on intake, through the same
	// pipeline as /v1/screen, when it opens or completes a case.
	screened := q.screenReport(ctx, r)
	c, err := retryCAS(casTries, func(try int) (*modgate.Case, error) {
		var c *modgate.Case
		var err error
		isNew := !known && try == 0
		if !isNew {
			c, err = q.load(ctx, id)
			isNew = errors.Is(err, ErrNotFound)
			if err != nil && !isNew {
				return nil, err
			}
		}
		if isNew {
			c = &modgate.Case{ID: id, State: modgate.CaseOpen, Lane: modgate.LaneNormal, Source: "report",
				Tenant: r.Tenant, Labels: []string{}, Created: now,
				Message: modgate.Message{ID: r.MessageID, Tenant: r.Tenant,
					Sender: modgate.Sender{ID: r.Sender}, Group: modgate.Group{ID: r.Group}},
				TextMissing: true}
			c.SLA = now.Add(q.cfg.SLA[c.Lane])
			addHistory(c, "opened_by_report", "", "", now)
		}
		// The case's report list is the de-duplication (under CAS); past
		// MaxStoredReports a create-only marker per reporter takes over.
		dup := false
		for _, x := range c.Reports {
			if x.ReporterID == r.ReporterID {
				dup = true
			}
		}
		if !dup && !markerMine && len(c.Reports) >= q.cfg.MaxStoredReports {
			_, err := q.dedup.Create(ctx, "d."+id+"."+hashKey(r.ReporterID), []byte{'1'})
			switch {
			case errors.Is(err, errConflict):
				dup = true
			case err != nil:
				return nil, fmt.Errorf("review: report dedupe: %w", err)
			default:
				markerMine = true // a CAS retry must not see our own marker as a duplicate
			}
		}
		if dup {
			// A repeated report counts nothing, but it may bring the text a
			// reviewer asked the platform for.
			if c.TextMissing && r.Text != "" && c.State != modgate.CaseDecided {
				q.fillText(c, r.Text, screened, now)
				if err := q.store(ctx, c); err != nil {
					return nil, err
				}
			}
			q.effective(c, now)
			dupRes = &modgate.ReportResult{CaseID: id, Duplicate: true, Reporters: c.ReportCount, Score: c.Score,
				Lane: c.Lane, State: c.State, Hidden: c.Hidden}
			return c, nil
		}
		rep := r
		if rep.Text == c.Message.Text {
			rep.Text = "" // the case already has it
		}
		if c.TextMissing && r.Text != "" {
			q.fillText(c, r.Text, screened, now)
		}
		if len(c.Reports) < q.cfg.MaxStoredReports {
			c.Reports = append(c.Reports, rep)
		}
		c.ReportCount++
		c.Score += r.Weight
		if c.Score >= q.cfg.ReportLaneScore && active(c.State) && !underAppeal(c) && laneRank(modgate.LaneReports) < laneRank(c.Lane) {
			c.Lane = modgate.LaneReports
			c.SLA = now.Add(q.cfg.SLA[modgate.LaneReports])
		}
		if c.Lane == modgate.LaneReports {
			c.Priority = c.Score
		}
		hiddenNow = false
		if c.Score >= q.cfg.HideScore && !c.Hidden && c.State != modgate.CaseDecided {
			c.Hidden, hiddenNow = true, true
		}
		if label := strings.ToLower(r.Reason); modgate.IsLabel(label) && !slices.Contains(c.Labels, label) && (c.Verdict == nil || c.IntakeScreened) {
			c.Labels = append(c.Labels, label)
		}
		addHistory(c, modgate.AuditReport, "", r.Reason, now)
		if isNew {
			c.Revision = 0
		}
		if err := q.store(ctx, c); err != nil {
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return modgate.ReportResult{}, err
	}
	if dupRes != nil {
		return *dupRes, nil
	}
	q.effective(c, now)
	res := modgate.ReportResult{CaseID: id, Reporters: c.ReportCount, Score: c.Score, Lane: c.Lane,
		State: c.State, Hidden: c.Hidden}
	q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditReport, Actor: "reporter:" + r.ReporterID, CaseID: id,
		Tenant: r.Tenant, SenderID: c.Message.Sender.ID, Text: r.Reason,
		Detail: map[string]string{"weight": fmt.Sprintf("%.3f", r.Weight), "score": fmt.Sprintf("%.3f", c.Score)}, At: now})
	if hiddenNow {
		if err := q.publishHidden(ctx, c); err != nil {
			q.log.Warn("review: hidden event (the sweeper retries)", "case", id, "err", err)
		}
		q.auditAsync(modgate.AuditEvent{Kind: modgate.AuditHidden, CaseID: id, Tenant: c.Tenant, At: now})
	}
	return res, nil
}

// screenReport screens a report's text (nil without text, without a
// screener, or when screening fails: the case then carries the reporters'
// reasons only, and the failure is logged).
func (q *Queue) screenReport(ctx context.Context, r modgate.Report) *modgate.Verdict {
	if r.Text == "" || q.cfg.Screener == nil {
		return nil
	}
	v, err := q.cfg.Screener.Screen(ctx, modgate.Message{ID: r.MessageID, Text: r.Text, Tenant: r.Tenant,
		Sender: modgate.Sender{ID: r.Sender}, Group: modgate.Group{ID: r.Group}})
	if err != nil {
		q.log.Warn("review: screening a report's text failed; the case keeps the reporters' reasons", "message", r.MessageID, "err", err)
		return nil
	}
	return &v
}

// fillText gives a case opened by reports the message text a report
// brought, with what screening found in it: labels, matches, rules and
// the masked text reviewers see.
func (q *Queue) fillText(c *modgate.Case, text string, v *modgate.Verdict, now time.Time) {
	c.Message.Text, c.TextMissing = text, false
	c.MaskedText = MaskText(text)
	if v != nil {
		vv := *v
		vv.MaskedText = MaskText(cleanText(v.MaskedText, modgate.DefaultMaxTextBytes))
		c.Verdict, c.IntakeScreened = &vv, true
		c.MaskedText = vv.MaskedText
		c.Normalized = cleanText(v.Normalized, modgate.DefaultMaxTextBytes)
		for _, l := range v.Labels {
			if !slices.Contains(c.Labels, l) {
				c.Labels = append(c.Labels, l)
			}
		}
		c.Priority = max(c.Priority, float64(v.Severity))
	}
	addHistory(c, "text_received", "", "", now)
}

// publishHidden publishes hidden_pending_review once (message id) and marks
// the case so the sweeper stops retrying.
func (q *Queue) publishHidden(ctx context.Context, c *modgate.Case) error {
	ev := modgate.HiddenEvent{CaseID: c.ID, MessageID: c.Message.ID, Tenant: c.Tenant, GroupID: c.Message.Group.ID,
		Reporters: c.ReportCount, Score: c.Score, Action: "hidden_pending_review", At: c.Updated}
	if err := q.publishJSON(ctx, q.subject("reports", "hidden"), c.ID+":hidden", ev); err != nil {
		return err
	}
	_, err := q.mutate(ctx, c.ID, func(x *modgate.Case, now time.Time) error {
		if x.HiddenPublished {
			return errSkip
		}
		x.HiddenPublished = true
		return nil
	})
	return err
}

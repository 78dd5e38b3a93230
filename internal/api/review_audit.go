package api

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modgate/modgate"
)

// timeRange reads from/to (RFC 3339 or dates; to defaults to now, from to
// 24 h before to).
func timeRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	to = time.Now().UTC()
	if s := q.Get("to"); s != "" {
		if to, err = parseTime(s); err != nil {
			return from, to, fmt.Errorf("to: %w", err)
		}
		if len(s) == len("2006-01-02") {
			to = to.Add(24*time.Hour - time.Nanosecond) // a date means the whole day
		}
	}
	from = to.Add(-24 * time.Hour)
	if s := q.Get("from"); s != "" {
		if from, err = parseTime(s); err != nil {
			return from, to, fmt.Errorf("from: %w", err)
		}
	}
	if from.After(to) {
		return from, to, fmt.Errorf("from is after to")
	}
	return from, to, nil
}

func auditKinds(r *http.Request) []string {
	var kinds []string
	for _, k := range r.URL.Query()["kind"] {
		for _, x := range strings.Split(k, ",") {
			if x = strings.TrimSpace(x); x != "" {
				kinds = append(kinds, x)
			}
		}
	}
	return kinds
}

// AuditPage is the JSON audit answer.
type AuditPage struct {
	From      time.Time            `json:"from"`
	To        time.Time            `json:"to"`
	Events    []modgate.AuditEvent `json:"events"`
	Truncated bool                 `json:"truncated"`
}

func (rr *ReviewResource) auditJSON(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	limit, err := intParam(r.URL.Query(), "limit", 1000, 1, 10000)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	page := AuditPage{From: from, To: to, Events: []modgate.AuditEvent{}}
	err = rr.q.AuditRange(r.Context(), from, to, auditKinds(r), limit+1, func(ev modgate.AuditEvent) error {
		if len(page.Events) == limit {
			page.Truncated = true
			return nil
		}
		page.Events = append(page.Events, ev)
		return nil
	})
	if err != nil {
		queueError(w, rr.log, err)
		return
	}
	WriteJSON(w, http.StatusOK, page)
}

// csvCell defuses spreadsheet formulas in user-controlled cells.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

const maxCSVRows = 1_000_000

func csvStart(w http.ResponseWriter, name string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return csv.NewWriter(w)
}

var errCSVLimit = errors.New("csv row limit")

func (rr *ReviewResource) auditCSV(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	var cw *csv.Writer
	err = rr.q.AuditRange(r.Context(), from, to, auditKinds(r), maxCSVRows, func(ev modgate.AuditEvent) error {
		if cw == nil {
			cw = csvStart(w, "audit.csv")
			_ = cw.Write([]string{"seq", "at", "kind", "actor", "case_id", "tenant", "sender_id", "action", "labels", "text", "detail"})
		}
		detail := ""
		if len(ev.Detail) > 0 {
			b, _ := json.Marshal(ev.Detail)
			detail = string(b)
		}
		if ev.Revision != nil && (ev.Revision.Policy != "" || ev.Revision.Lexicon != "") {
			detail += fmt.Sprintf(" policy=%s lexicon=%s", ev.Revision.Policy, ev.Revision.Lexicon)
		}
		return cw.Write([]string{fmt.Sprint(ev.Seq), ev.At.UTC().Format(time.RFC3339Nano), ev.Kind, csvCell(ev.Actor),
			csvCell(ev.CaseID), csvCell(ev.Tenant), csvCell(ev.SenderID), ev.Action, strings.Join(ev.Labels, ";"),
			csvCell(ev.Text), csvCell(strings.TrimSpace(detail))})
	})
	rr.finishCSV(w, cw, "audit.csv", []string{"seq", "at", "kind", "actor", "case_id", "tenant", "sender_id", "action", "labels", "text", "detail"}, err)
}

func (rr *ReviewResource) finishCSV(w http.ResponseWriter, cw *csv.Writer, name string, header []string, err error) {
	if err != nil && cw == nil {
		queueError(w, rr.log, err)
		return
	}
	if cw == nil {
		cw = csvStart(w, name)
		_ = cw.Write(header)
	}
	cw.Flush()
	if err != nil {
		// Headers are gone; the truncated file ends without the final row.
		rr.log.Error("review api: csv export interrupted", "file", name, "err", err)
	}
}

// decisionsCSV exports decisions (from the audit trail, which keeps them
// for the audit retention) for trend analysis.
func (rr *ReviewResource) decisionsCSV(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	header := []string{"at", "case_id", "tenant", "message_id", "lane", "source", "action", "labels", "reviewer", "handling_ms", "enforcement"}
	var cw *csv.Writer
	err = rr.q.AuditRange(r.Context(), from, to, []string{modgate.AuditDecision}, maxCSVRows, func(ev modgate.AuditEvent) error {
		if cw == nil {
			cw = csvStart(w, "decisions.csv")
			_ = cw.Write(header)
		}
		d := ev.Detail
		return cw.Write([]string{ev.At.UTC().Format(time.RFC3339), csvCell(ev.CaseID), csvCell(ev.Tenant),
			csvCell(d["message_id"]), d["lane"], d["source"], ev.Action, strings.Join(ev.Labels, ";"),
			csvCell(ev.Actor), d["handling_ms"], d["enforcement"]})
	})
	rr.finishCSV(w, cw, "decisions.csv", header, err)
}

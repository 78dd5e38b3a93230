package api

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/modgate/modgate"
)

// Metrics are the gateway's Prometheus series. Each Server gets its own
// registry so tests can run several servers in one process.
type Metrics struct {
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	verdicts       *prometheus.CounterVec
	revision       *prometheus.GaugeVec
	reloadFailures prometheus.Counter
	escalations    *prometheus.CounterVec
	spoolPending   prometheus.Gauge
	spoolDead      prometheus.Gauge
	deadLetters    prometheus.GaugeFunc
	deadSource     atomic.Pointer[func() int]

	revMu         sync.Mutex
	lastRev       modgate.Revision
	lastReloadErr string
}

// NewMetrics registers the gateway's series (and Go/process collectors) in a
// fresh registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "modgate_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and status.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "status"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_verdicts_total",
			Help: "Screening verdicts by action and label (label \"none\" for clean verdicts; a verdict with several labels counts once per label).",
		}, []string{"action", "label"}),
		revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "modgate_engine_revision_info",
			Help: "The policy and lexicon revision serving (value 1).",
		}, []string{"policy", "lexicon"}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "modgate_engine_reload_failures_total",
			Help: "Policy/lexicon reloads or uploads rejected (the old engine kept serving).",
		}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_escalations_total",
			Help: "Escalations by lane and outcome: published (acked by JetStream), spooled (written to the local spool), replayed (moved from spool to JetStream), rejected (too large for NATS, answered 413), dead_lettered (a spooled record NATS can never take), failed (publish and spool both failed, answered 503).",
		}, []string{"lane", "outcome"}),
		spoolPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modgate_spool_pending",
			Help: "Escalations waiting in the local spool for NATS.",
		}),
		spoolDead: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modgate_spool_dead_letters",
			Help: "Spooled escalations NATS can never take, kept in the spool's dead-letter log (list them with `modgate spool`).",
		}),
	}
	m.deadLetters = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "modgate_escalation_dead_letters",
		Help: "Escalations the review queue could not turn into cases, kept in the MODGATE_DEADLETTER stream (GET /v1/admin/dead-letters).",
	}, func() float64 {
		if f := m.deadSource.Load(); f != nil {
			return float64((*f)())
		}
		return 0
	})
	reg.MustRegister(m.requests, m.latency, m.verdicts, m.revision, m.reloadFailures,
		m.escalations, m.spoolPending, m.spoolDead, m.deadLetters,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Escalation counts one escalation outcome.
func (m *Metrics) Escalation(lane, outcome string) {
	m.escalations.WithLabelValues(lane, outcome).Inc()
}

// SetSpoolPending sets the spool gauge.
func (m *Metrics) SetSpoolPending(n int) { m.spoolPending.Set(float64(n)) }

// SetSpoolDead sets the spool dead-letter gauge.
func (m *Metrics) SetSpoolDead(n int) { m.spoolDead.Set(float64(n)) }

// DeadLettersFrom makes the escalation dead-letter gauge read count at
// every scrape.
func (m *Metrics) DeadLettersFrom(count func() int) { m.deadSource.Store(&count) }

// EngineReloaded follows a reload attempt of the screening engine (the
// screener's OnReload): the revision gauge shows what serves, and a failure
// is counted once, not again for each retry that fails the same way.
func (m *Metrics) EngineReloaded(rev modgate.Revision, err error) {
	m.SetRevision(rev)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	m.revMu.Lock()
	repeated := msg == m.lastReloadErr
	m.lastReloadErr = msg
	m.revMu.Unlock()
	if err != nil && !repeated {
		m.ReloadFailed()
	}
}

// ReloadFailed counts a rejected reload or upload.
func (m *Metrics) ReloadFailed() { m.reloadFailures.Inc() }

// SetRevision exposes the serving revision (one series at a time).
func (m *Metrics) SetRevision(r modgate.Revision) {
	m.revMu.Lock()
	defer m.revMu.Unlock()
	if r == m.lastRev {
		return
	}
	m.revision.Reset()
	m.revision.WithLabelValues(r.Policy, r.Lexicon).Set(1)
	m.lastRev = r
}

func (m *Metrics) verdict(v *modgate.Verdict) {
	if len(v.Labels) == 0 {
		m.verdicts.WithLabelValues(v.Action, "none").Inc()
		return
	}
	for _, l := range v.Labels {
		m.verdicts.WithLabelValues(v.Action, l).Inc()
	}
}

// statusRecorder captures the status code for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

var statusText = func() map[int]string {
	m := map[int]string{}
	for c := 100; c < 600; c++ {
		m[c] = strconv.Itoa(c)
	}
	return m
}()

// instrument records request count and latency by chi route pattern (never
// the raw path, which would let clients create unbounded series).
func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				route = p
			}
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		st, ok := statusText[rec.status]
		if !ok {
			st = strconv.Itoa(rec.status)
		}
		m.requests.WithLabelValues(route, r.Method, st).Inc()
		m.latency.WithLabelValues(route, st).Observe(time.Since(start).Seconds())
	})
}

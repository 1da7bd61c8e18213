package server

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"paperfeed/internal/refresh"
	"paperfeed/scrape"
)

// metrics are the Prometheus series of one server, on their own registry
// so tests can run servers side by side.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	bytes      *prometheus.CounterVec
	upstream   *prometheus.CounterVec
	cache      *prometheus.CounterVec
	cacheHit   prometheus.Counter
	cacheMiss  prometheus.Counter
	cacheFirst prometheus.Counter
	items      *prometheus.GaugeVec
	cacheSize  *prometheus.GaugeVec

	listings    *prometheus.CounterVec
	stateWrite  prometheus.Histogram
	stateSize   prometheus.Gauge
	stateErrors prometheus.Counter

	obsMu sync.RWMutex
	obs   map[obsKey]*obsSeries
}

func newMetrics() *metrics {
	m := &metrics{
		obs: map[obsKey]*obsSeries{},
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_http_requests_total", Help: "HTTP requests by route, status and format.",
		}, []string{"route", "status", "format"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "paperfeed_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_http_response_bytes_total", Help: "Response body bytes served by route.",
		}, []string{"route"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_upstream_fetches_total", Help: "Upstream fetches by source and outcome.",
		}, []string{"source", "outcome"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_render_cache_requests_total", Help: "Rendered-feed cache lookups by result: hit; miss (rendered and kept: its key was asked for before); first (rendered and not kept: its key's first request in this data version).",
		}, []string{"result"}),
		items: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paperfeed_items", Help: "Papers held per source.",
		}, []string{"source"}),
		cacheSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paperfeed_render_cache_size", Help: "Rendered-feed cache size (entries, bytes).",
		}, []string{"unit"}),
	}
	m.stateWrite = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "paperfeed_state_write_duration_seconds", Help: "Writes to the state store after a refresh.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.stateSize = prometheus.NewGauge(prometheus.GaugeOpts{Name: "paperfeed_state_size_bytes", Help: "Size of the state file."})
	m.stateErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "paperfeed_state_write_errors_total", Help: "Failed writes to the state store (full or read-only disk); they are retried.",
	})
	m.listings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paperfeed_hf_listings_total",
		Help: "Hugging Face periods fetched, by the view that served them: page+api, page (API failed), api (page failed), none.",
	}, []string{"view"})
	m.cacheHit, m.cacheMiss, m.cacheFirst = m.cache.WithLabelValues("hit"), m.cache.WithLabelValues("miss"), m.cache.WithLabelValues("first")
	m.reg.MustRegister(m.stateWrite, m.stateSize, m.stateErrors, m.listings)
	m.reg.MustRegister(m.requests, m.latency, m.bytes, m.upstream, m.cache, m.items, m.cacheSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// The refresh side reports through these (refresh.Observer).

// Fetch counts one upstream fetch by outcome: ok, http_NNN, timeout,
// too_large, layout_changed or error.
func (m *metrics) Fetch(source string, err error) {
	m.upstream.WithLabelValues(source, outcome(err)).Inc()
}

// NotModified counts a conditional fetch answered 304.
func (m *metrics) NotModified(source string) {
	m.upstream.WithLabelValues(source, "not_modified").Inc()
}

// Listing counts one HF period by the view that served it.
func (m *metrics) Listing(view string) { m.listings.WithLabelValues(view).Inc() }

// StateWrite records one write to the state store.
func (m *metrics) StateWrite(d time.Duration, size int64, err error) {
	m.stateWrite.Observe(d.Seconds())
	m.stateSize.Set(float64(size))
	if err != nil {
		m.stateErrors.Inc()
	}
}

// Held sets the papers a source holds.
func (m *metrics) Held(source string, n int) { m.items.WithLabelValues(source).Set(float64(n)) }

func outcome(err error) string {
	var he *scrape.HTTPError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &he):
		return "http_" + strconv.Itoa(he.StatusCode)
	case errors.Is(err, scrape.ErrLayoutChanged):
		return "layout_changed"
	case errors.Is(err, scrape.ErrTooLarge):
		return "too_large"
	case isTimeout(err):
		return "timeout"
	}
	return "error"
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// observe records one request. The series of each (route, status,
// format) are resolved once and kept, so the hot path does no label
// hashing.
func (m *metrics) observe(route, format string, status, n int, d time.Duration) {
	k := obsKey{route, format, status}
	m.obsMu.RLock()
	o, ok := m.obs[k]
	m.obsMu.RUnlock()
	if !ok {
		o = &obsSeries{
			requests: m.requests.WithLabelValues(route, strconv.Itoa(status), format),
			latency:  m.latency.WithLabelValues(route),
			bytes:    m.bytes.WithLabelValues(route),
		}
		m.obsMu.Lock()
		m.obs[k] = o
		m.obsMu.Unlock()
	}
	o.requests.Inc()
	o.latency.Observe(d.Seconds())
	o.bytes.Add(float64(n))
}

type obsKey struct {
	route, format string
	status        int
}

type obsSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
	bytes    prometheus.Counter
}

// watchCluster exposes the replicas' coordination: whether this replica
// leads, how often it reloaded the shared state, and the state store's
// errors.
func (m *metrics) watchCluster(r *refresh.Service) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_cluster_leader",
			Help: "1 when this replica holds the lease and fetches from the upstreams (or fetches alone), 0 when it follows."},
			func() float64 {
				st, shared := r.Cluster()
				if !shared || st.Role == "leader" || st.Role == "local" {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_cluster_reloads",
			Help: "Reloads of the shared state after the leader wrote."},
			func() float64 { st, _ := r.Cluster(); return float64(st.Reloads) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_state_errors",
			Help: "Errors of the state store since start (Redis unreachable, disk full)."},
			func() float64 { return float64(r.Kept().Stats().Errors) }),
	)
}

// sourceMetrics are the sources' outcomes as /status shows them, read at
// each scrape: what an alert on a stale source needs (no success for N
// hours, failures in a row). They survive restarts: the state keeps them
// with each source's schedule.
type sourceMetrics struct {
	states                          func() []refresh.SourceState
	success, failure, inARow, total *prometheus.Desc
}

// watchSources exposes each enabled source's last success, last failure
// and failure counts.
func (m *metrics) watchSources(r *refresh.Service) {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, []string{"source"}, nil)
	}
	m.reg.MustRegister(&sourceMetrics{states: r.States,
		success: desc("paperfeed_source_last_success_timestamp_seconds", "When the source's last refresh succeeded (Unix time; 0: never)."),
		failure: desc("paperfeed_source_last_failure_timestamp_seconds", "When the source's last refresh failed (Unix time; 0: never)."),
		inARow:  desc("paperfeed_source_consecutive_failures", "Failed refreshes of the source since its last success."),
		total:   desc("paperfeed_source_failures_total", "Failed refreshes of the source, kept across restarts."),
	})
}

func (c *sourceMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.success, c.failure, c.inARow, c.total} {
		ch <- d
	}
}

func (c *sourceMetrics) Collect(ch chan<- prometheus.Metric) {
	unix := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixMilli()) / 1000
	}
	for _, st := range c.states() {
		if !st.Enabled {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.success, prometheus.GaugeValue, unix(st.LastSuccess), st.Source)
		ch <- prometheus.MustNewConstMetric(c.failure, prometheus.GaugeValue, unix(st.LastErrorAt), st.Source)
		ch <- prometheus.MustNewConstMetric(c.inARow, prometheus.GaugeValue, float64(st.Failures), st.Source)
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(st.FailuresTotal), st.Source)
	}
}

package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"paperfeed/scrape"
)

// metrics are the Prometheus series of one server, on their own registry
// so tests can run servers side by side.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	bytes     *prometheus.CounterVec
	upstream  *prometheus.CounterVec
	cache     *prometheus.CounterVec
	items     *prometheus.GaugeVec
	cacheSize *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{
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
			Name: "paperfeed_render_cache_requests_total", Help: "Rendered-feed cache lookups by result (hit, miss).",
		}, []string{"result"}),
		items: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paperfeed_items", Help: "Papers held per source.",
		}, []string{"source"}),
		cacheSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paperfeed_render_cache_size", Help: "Rendered-feed cache size (entries, bytes).",
		}, []string{"unit"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.bytes, m.upstream, m.cache, m.items, m.cacheSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// upstreamFetch counts one upstream fetch by outcome: ok, not_modified is
// counted by the caller, http_NNN, timeout, too_large, layout or error.
func (m *metrics) upstreamFetch(source string, err error) {
	m.upstream.WithLabelValues(source, outcome(err)).Inc()
}

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

func (m *metrics) observe(route, format string, status, n int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status), format).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
	m.bytes.WithLabelValues(route).Add(float64(n))
}

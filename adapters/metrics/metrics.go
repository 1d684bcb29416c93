// Package metrics exposes the node's Prometheus metrics. Labels carry
// source ids, routes and API key ids, never a key or a query string.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pfn-network/pfn/domain"
)

// LagFunc reports each projection's lag, in events.
type LagFunc func(ctx context.Context) (map[string]int64, error)

// Registry holds the node's metrics.
type Registry struct {
	reg           *prometheus.Registry
	responseTime  *prometheus.HistogramVec
	healthChecks  *prometheus.CounterVec
	syncs         *prometheus.CounterVec
	mirroredFiles *prometheus.CounterVec
	mirroredBytes *prometheus.CounterVec
	keyRequests   *prometheus.CounterVec
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
}

// New makes a registry; lag is read at every scrape.
func New(lag LagFunc) *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		responseTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pfn_source_response_seconds", Help: "Response time of publishers' /federation-info in health checks.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"source"}),
		healthChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pfn_health_checks_total", Help: "Health checks of sources by outcome (up, down).",
		}, []string{"source", "outcome"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pfn_syncs_total", Help: "Syncs of sources by outcome (ok, failed).",
		}, []string{"source", "outcome"}),
		mirroredFiles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pfn_mirrored_files_total", Help: "Plugin files mirrored, per source.",
		}, []string{"source"}),
		mirroredBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pfn_mirrored_bytes_total", Help: "Bytes of plugin files mirrored, per source.",
		}, []string{"source"}),
		keyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pfn_api_key_requests_total", Help: "Authenticated requests by API key id (never the key).",
		}, []string{"key_id"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pfn_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pfn_http_request_duration_seconds", Help: "HTTP request durations by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	r.reg.MustRegister(r.responseTime, r.healthChecks, r.syncs, r.mirroredFiles, r.mirroredBytes,
		r.keyRequests, r.requests, r.duration, lagCollector{lag},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves /metrics.
func (r *Registry) Handler() http.Handler {
	// A series that cannot be collected (the lag query timed out during a
	// rebuild) is left out; the rest of the scrape still answers.
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func (r *Registry) HealthChecked(source domain.SourceID, up bool, took time.Duration) {
	outcome := "down"
	if up {
		outcome = "up"
		r.responseTime.WithLabelValues(string(source)).Observe(took.Seconds())
	}
	r.healthChecks.WithLabelValues(string(source), outcome).Inc()
}

func (r *Registry) SyncFinished(source domain.SourceID, err error, files int, bytes int64) {
	if err != nil {
		r.syncs.WithLabelValues(string(source), "failed").Inc()
		return
	}
	r.syncs.WithLabelValues(string(source), "ok").Inc()
	r.mirroredFiles.WithLabelValues(string(source)).Add(float64(files))
	r.mirroredBytes.WithLabelValues(string(source)).Add(float64(bytes))
}

// KeyUsed counts one authenticated request.
func (r *Registry) KeyUsed(keyID string) { r.keyRequests.WithLabelValues(keyID).Inc() }

// Request counts one HTTP request; route is the pattern, not the path.
// Methods outside the standard set count as OTHER: a client must not be
// able to mint label values.
func (r *Registry) Request(route, method string, status int, took time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
	default:
		method = "OTHER"
	}
	r.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	r.duration.WithLabelValues(route).Observe(took.Seconds())
}

var lagDesc = prometheus.NewDesc("pfn_projection_lag_events", "Events in the log that a projection has not applied yet.", []string{"projection"}, nil)

// lagCollector reads the lag when scraped, so the figure is never stale.
type lagCollector struct{ lag LagFunc }

func (c lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (c lagCollector) Collect(ch chan<- prometheus.Metric) {
	if c.lag == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lags, err := c.lag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lagDesc, err)
		return
	}
	for name, n := range lags {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(n), name)
	}
}

package proxy

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the proxy's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var _ prometheus.Collector = (*serverCollector)(nil)

// newMetrics registers the metrics of p.
func newMetrics(p *Proxy) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_ingress_requests_total",
		Help: "Requests handled, by router, service and status code (router \"\" for no match).",
	}, []string{"router", "service", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_ingress_request_duration_seconds",
		Help:    "Time to the end of the response, by router and service.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"router", "service"})
	m.reg.MustRegister(m.requests, m.duration, &serverCollector{p: p})
	return m
}

// serverCollector reports, at scrape time, whether each server of the
// current table is up (listed healthy and not passively down).
type serverCollector struct {
	p *Proxy
}

var upDesc = prometheus.NewDesc("wharf_ingress_server_up",
	"1 if the server is routable (passing or warning, not passively down), else 0.",
	[]string{"service", "url"}, nil)

// Describe sends the descriptor of wharf_ingress_server_up.
func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) { ch <- upDesc }

// Collect sends one sample per server of the current table.
func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now().UnixNano()
	for _, s := range c.p.table.Load().services {
		for i := range s.lb.entries {
			b := s.lb.entries[i].b
			up := 1.0
			if b.state.down(now) {
				up = 0
			}
			ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, s.name, b.raw)
		}
	}
}

// RegisterMetrics adds c's metrics to those Metrics serves (the agent's
// connection caps, say).
func (p *Proxy) RegisterMetrics(c prometheus.Collector) error { return p.metrics.reg.Register(c) }

// Metrics serves the proxy's metrics in Prometheus text format.
func (p *Proxy) Metrics() http.Handler {
	return promhttp.HandlerFor(p.metrics.reg, promhttp.HandlerOpts{})
}

// codes holds the label text of status codes, to spare a conversion per
// request.
var codes = func() (c [600]string) {
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

func codeLabel(code int) string {
	if code >= 0 && code < len(codes) {
		return codes[code]
	}
	return strconv.Itoa(code)
}

// finish accounts for one request: metrics, statistics, access log. A
// panic from the handler (http.ErrAbortHandler when a server broke off
// mid-response) is accounted for and passed on, so the client's
// connection is aborted rather than the response faked complete.
// It returns when the request ended.
func (p *Proxy) finish(rec *recorder, r *http.Request, rt *route, ex *exchange, start time.Time, panicked any) time.Time {
	end := time.Now()
	code := rec.code
	if panicked != nil {
		code = 502
	} else if code == 0 {
		code = http.StatusOK
	}
	sec := end.Unix()
	router, server := "", ""
	if rt == nil {
		p.notFound.add(sec, code)
	} else {
		router = rt.name
		rt.stats.add(sec, code)
		rt.svc.stats.add(sec, code)
		rt.hist.Observe(end.Sub(start).Seconds())
	}
	if ex.server != nil {
		server = ex.server.raw
	}
	p.requestsCounter(rt, code).Inc()
	p.access.write(line{r: r, code: code, bytes: rec.bytes, reqID: ex.reqID, router: router,
		server: server, start: start, duration: end.Sub(start)})
	if panicked != nil {
		p.log.Warn("ingress response aborted", "router", router, "server", server,
			"request_id", ex.reqID, "reason", panicked)
		panic(panicked)
	}
	return end
}

// codeCounter is a route's requests counter for one status code.
type codeCounter struct {
	code int
	c    prometheus.Counter
}

// maxCachedCodes bounds a route's cache of counters.
const maxCachedCodes = 16

// requestsCounter returns the requests counter of rt (nil: no route)
// and code, looked up in the vector once per route and code: the lookup
// hashes three labels, a cost per request the cache spares.
func (p *Proxy) requestsCounter(rt *route, code int) prometheus.Counter {
	if rt == nil {
		return p.metrics.requests.WithLabelValues("", "", codeLabel(code))
	}
	old := rt.codes.Load()
	if old != nil {
		for _, cc := range *old {
			if cc.code == code {
				return cc.c
			}
		}
	}
	c := p.metrics.requests.WithLabelValues(rt.name, rt.svc.name, codeLabel(code))
	if old == nil || len(*old) < maxCachedCodes {
		// Copy on write: a racing store may drop an entry, which is then
		// looked up again.
		n := make([]codeCounter, 0, 4)
		if old != nil {
			n = append(n, *old...)
		}
		n = append(n, codeCounter{code: code, c: c})
		rt.codes.Store(&n)
	}
	return c
}

// Gatherer gathers the metrics Metrics serves, for an agent that serves
// them on its API too.
func (p *Proxy) Gatherer() prometheus.Gatherer { return p.metrics.reg }

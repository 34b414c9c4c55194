package proxy

import (
	"cmp"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wharf-project/wharf/internal/ingress/config"
)

// Defaults of Options.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultPassiveDownFor        = 10 * time.Second
	DefaultMaxIdleConnsPerHost   = 256
)

// Options configure a Proxy; zero fields take the defaults above.
type Options struct {
	// Logger gets errors and router changes (slog.Default() if nil).
	Logger *slog.Logger
	// AccessLog, when set, gets one line per request in common log
	// format followed by the request ID, router, server and duration.
	// Lines are buffered and written out every 100 ms by a goroutine of
	// their own (Close writes the rest); while a write is stuck, lines
	// beyond 1 MiB are dropped and counted
	// (wharf_ingress_access_log_dropped_total), never waited for.
	AccessLog io.Writer
	// DialTimeout bounds connecting to a server.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds waiting for a server's response
	// header after the request is written.
	ResponseHeaderTimeout time.Duration
	// BodyTimeout bounds each wait of a body's way through the proxy:
	// every read of a request body from the client or of a response body
	// from a server, and every write towards either, must make progress
	// within it, or both connections are closed (DefaultBodyTimeout). A
	// stream that sends something at least that often is not cut.
	BodyTimeout time.Duration
	// IdleConnTimeout closes idle keep-alive connections to servers.
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost is the keep-alive pool size per server.
	MaxIdleConnsPerHost int
	// PassiveDownFor is how long a server that refused or reset a
	// connection is taken out of its balancer.
	PassiveDownFor time.Duration
	// BackendTLS is the TLS configuration towards https servers (system
	// roots if nil).
	BackendTLS *tls.Config
	// Transport, when set, replaces the transport to servers entirely
	// (the timeouts above are then ignored); tests and tuning use it.
	Transport http.RoundTripper
}

// Proxy is the ingress reverse proxy: a route table swapped atomically by
// Update and served on entry points by Handler.
type Proxy struct {
	opts    Options
	log     *slog.Logger
	table   atomic.Pointer[table]
	rp      *httputil.ReverseProxy
	metrics *metrics
	access  *accessLog
	ids     requestIDs
	// notFound counts requests no router matched.
	notFound counter

	// mu guards Update and the state kept across tables.
	mu           sync.Mutex
	servers      map[string]*serverState
	balancers    map[string]*balancer
	routerStats  counters
	serviceStats counters

	// keepers hold what engines keep per server URL (see keep).
	keepMu  sync.Mutex
	keepers map[serverKeeper]struct{}
	dialer  *net.Dialer
}

// New returns a Proxy with an empty route table.
func New(opts Options) *Proxy {
	opts.DialTimeout = cmp.Or(opts.DialTimeout, DefaultDialTimeout)
	opts.ResponseHeaderTimeout = cmp.Or(opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	opts.IdleConnTimeout = cmp.Or(opts.IdleConnTimeout, DefaultIdleConnTimeout)
	opts.BodyTimeout = cmp.Or(opts.BodyTimeout, DefaultBodyTimeout)
	opts.PassiveDownFor = cmp.Or(opts.PassiveDownFor, DefaultPassiveDownFor)
	opts.MaxIdleConnsPerHost = cmp.Or(opts.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	p := &Proxy{opts: opts, log: cmp.Or(opts.Logger, slog.Default()),
		servers: map[string]*serverState{}, balancers: map[string]*balancer{}}
	p.metrics = newMetrics(p)
	p.access = newAccessLog(opts.AccessLog, p.log)
	if p.access != nil {
		p.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "wharf_ingress_access_log_dropped_total",
			Help: "Access log lines lost: dropped while the log's writer was stuck, or failed to write.",
		}, func() float64 { return float64(p.access.dropped.Load() + p.access.failed.Load()) }))
	}
	p.ids = newRequestIDs()
	p.dialer = &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	base := opts.Transport
	if base == nil {
		base = newTransport(opts)
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      &retryTransport{p: p, base: base},
		ErrorHandler:   p.proxyError,
		ModifyResponse: p.boundResponse,
		BufferPool:     newBufferPool(),
		ErrorLog:       slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	p.table.Store((&compiler{p: p}).compile(nil))
	return p
}

// newTransport is the keep-alive transport to servers.
func newTransport(opts Options) *http.Transport {
	d := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ResponseHeaderTimeout: opts.ResponseHeaderTimeout,
		IdleConnTimeout:       opts.IdleConnTimeout,
		MaxIdleConnsPerHost:   opts.MaxIdleConnsPerHost,
		TLSClientConfig:       opts.BackendTLS,
		TLSHandshakeTimeout:   opts.DialTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// Update compiles cfg and swaps it in atomically: requests in flight
// finish on the table they started with. Routers whose rule does not
// parse, or whose service or middleware is missing or broken, are
// disabled with Err; the others are unaffected. cfg is not modified.
func (p *Proxy) Update(cfg *config.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := &compiler{p: p, now: time.Now().UnixNano()}
	t := c.compile(cfg)
	p.prune(t)
	p.table.Store(t)
}

// prune drops the state of servers, services and routers t no longer has.
func (p *Proxy) prune(t *table) {
	liveServers := map[string]bool{}
	liveServices := map[string]bool{}
	for _, s := range t.services {
		liveServices[s.name] = true
		for i := range s.lb.entries {
			liveServers[s.lb.entries[i].b.raw] = true
		}
	}
	p.pruneKept(liveServers)
	for raw := range p.servers {
		if !liveServers[raw] {
			delete(p.servers, raw)
		}
	}
	for name := range p.balancers {
		if !liveServices[name] {
			delete(p.balancers, name)
		}
	}
	liveRouters := map[string]bool{}
	for _, r := range t.cfg.Routers {
		liveRouters[r.Name] = true
	}
	p.routerStats.keep(liveRouters)
	p.serviceStats.keep(liveServices)
}

// Close releases what the proxy keeps across requests: it closes the
// idle connections to servers (the event loops close theirs as they
// end) and writes out the access log's buffered lines, stopping its
// writer (requests served later log nothing). Call it once the servers
// have shut down.
func (p *Proxy) Close() {
	p.pruneKept(nil)
	if rt, ok := p.rp.Transport.(*retryTransport); ok {
		if ci, ok := rt.base.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
	}
	p.access.close()
}

// Current returns the configuration as compiled, with router, service
// and middleware statuses filled. Callers must not modify it.
func (p *Proxy) Current() *config.Config {
	return p.table.Load().cfg
}

// Handler serves the entry point named entryPoint: routers listing it (or
// no entry point at all) route its requests; routers with TLS match only
// requests that came over TLS, others only plain ones.
func (p *Proxy) Handler(entryPoint string) http.Handler {
	return &entryHandler{p: p, ep: entryPoint}
}

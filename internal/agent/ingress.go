package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/dashboard"
	"github.com/wharf-project/wharf/internal/ingress/proxy"
	"github.com/wharf-project/wharf/internal/ingress/watch"
)

// Default ingress ports and names, as minipot's Traefik.
const (
	DefaultIngressPort   = 8080
	DefaultDashboardPort = 9200
	DefaultIngressDomain = "minipot"
	entryPointWeb        = "web"
	entryPointWebSecure  = "websecure"
)

// IngressConfig configures the ingress role: a reverse proxy that routes
// to the passing instances of catalog services, and its dashboard:
//
//	ingress {
//	  enabled            = true        # on by default in -dev
//	  port               = 8080        # entry point "web"
//	  tls_port           = 0           # entry point "websecure"; 0 = off
//	  dashboard_port     = 9200
//	  domain             = "minipot"   # default rule Host(`<service>.<domain>`)
//	  exposed_by_default = true        # true in -dev; else traefik.enable=true opts in
//	  path_routing       = false       # route /<service>/... to <service> (any host), prefix stripped
//	  access_log         = ""          # "", "stdout", "stderr" or a file path
//	  event_loops        = true        # Linux: serve "web" from epoll loops, not a goroutine per connection
//	  event_loop_threads = 0           # loops; 0: one per two CPUs (GOMAXPROCS), at least one
//	  servers            = []          # API addresses, the next tried when one fails; the agent's own by default
//	  certificates = [{ cert_file = "/etc/wharf/a.pem", key_file = "/etc/wharf/a.key" }]
//	}
type IngressConfig struct {
	Enabled          *bool                      `hcl:"enabled,optional"`
	Port             int                        `hcl:"port,optional"`
	TLSPort          int                        `hcl:"tls_port,optional"`
	DashboardPort    int                        `hcl:"dashboard_port,optional"`
	Domain           string                     `hcl:"domain,optional"`
	ExposedByDefault *bool                      `hcl:"exposed_by_default,optional"`
	PathRouting      bool                       `hcl:"path_routing,optional"`
	AccessLog        string                     `hcl:"access_log,optional"`
	EventLoops       *bool                      `hcl:"event_loops,optional"`
	EventLoopThreads int                        `hcl:"event_loop_threads,optional"`
	Servers          []string                   `hcl:"servers,optional"`
	Certificates     []IngressCertificateConfig `hcl:"certificates,optional"`
}

// IngressCertificateConfig names a PEM certificate (chain) and its key
// for the TLS entry point; the one matching the client's SNI is served.
type IngressCertificateConfig struct {
	CertFile string `hcl:"cert_file" cty:"cert_file"`
	KeyFile  string `hcl:"key_file" cty:"key_file"`
}

// IngressEnabled reports whether the ingress role runs.
func (c *Config) IngressEnabled() bool {
	return c.Ingress != nil && c.Ingress.Enabled != nil && *c.Ingress.Enabled
}

// normalizeIngress fills the ingress's defaults: on in -dev with domain
// minipot and every service exposed; ports 8080 and 9200.
func (c *Config) normalizeIngress() error {
	if c.Ingress == nil {
		c.Ingress = &IngressConfig{}
	}
	in := c.Ingress
	on := c.Dev
	if in.Enabled == nil {
		in.Enabled = &on
	}
	if in.ExposedByDefault == nil {
		in.ExposedByDefault = &on
	}
	if in.Domain == "" {
		in.Domain = DefaultIngressDomain
	}
	in.Port = cmp.Or(in.Port, DefaultIngressPort)
	in.DashboardPort = cmp.Or(in.DashboardPort, DefaultDashboardPort)
	for _, p := range []struct {
		name string
		port int
	}{{"ingress.port", in.Port}, {"ingress.tls_port", in.TLSPort}, {"ingress.dashboard_port", in.DashboardPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("%s: %d is not a port", p.name, p.port)
		}
	}
	if in.EventLoopThreads < 0 || in.EventLoopThreads > 1024 {
		return fmt.Errorf("ingress.event_loop_threads: %d is not between 0 (one per two CPUs) and 1024", in.EventLoopThreads)
	}
	if in.TLSPort > 0 && len(in.Certificates) == 0 {
		return errors.New("ingress.certificates: a TLS entry point (tls_port) needs at least one certificate")
	}
	for i, cert := range in.Certificates {
		if cert.CertFile == "" || cert.KeyFile == "" {
			return fmt.Errorf("ingress.certificates[%d]: cert_file and key_file are required", i)
		}
	}
	return nil
}

// ingressRole is the running ingress: proxy, catalog watch and dashboard.
type ingressRole struct {
	proxy   *proxy.Proxy
	watcher *watch.Watcher
	cancel  context.CancelFunc
	done    chan struct{}
	servers []closer
	web     net.Listener
	tls     net.Listener
	dash    net.Listener
	logFile *os.File
}

// startIngress listens on the entry points and the dashboard, and
// follows the catalog in the background (retrying until the API answers).
func (a *Agent) startIngress() error {
	if !a.cfg.IngressEnabled() {
		return nil
	}
	in := a.cfg.Ingress
	r := &ingressRole{done: make(chan struct{})}
	a.ingress = r
	accessLog, err := r.openAccessLog(in.AccessLog)
	if err != nil {
		return err
	}
	log := a.log.With("role", "ingress")
	loops := in.EventLoops == nil || *in.EventLoops
	r.proxy = proxy.New(proxy.Options{Logger: log, AccessLog: accessLog, FastHTTP1: true, EventLoop: loops,
		EventLoops: in.EventLoopThreads})
	_ = r.proxy.RegisterMetrics(&limitsCollector{a: a}) // on the dashboard's /metrics
	a.observeIngress(r.proxy)
	if err := a.listenIngress(r, in); err != nil {
		return err
	}
	var cats []watch.BulkCatalog
	hc, err := a.serverHTTPClient()
	if err != nil {
		return fmt.Errorf("ingress: %w", err)
	}
	for _, addr := range a.agentURLs(a.ingressAPIAddresses()) {
		c, err := api.NewClient(&api.Config{Address: addr, Namespace: "*", HTTPClient: hc, Token: a.agentToken()})
		if err != nil {
			return fmt.Errorf("ingress: server %q: %w", addr, err)
		}
		cats = append(cats, c.Services())
	}
	r.watcher = watch.New(watch.Options{Catalog: watch.NewFailover(cats...), Target: r.proxy, Build: a.ingressBuildOptions(), Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); _ = r.watcher.Run(ctx) }()
	return nil
}

// listenIngress opens the entry points and the dashboard and serves them.
func (a *Agent) listenIngress(r *ingressRole, in *IngressConfig) error {
	var err error
	if r.web, err = a.listenRole("the ingress", in.Port); err != nil {
		return err
	}
	a.serveFast(r, r.web, r.proxy.NewFastServer(entryPointWeb, a.ingressServerOptions(nil)))
	if in.TLSPort > 0 {
		var certs []proxy.CertFile
		for _, c := range in.Certificates {
			certs = append(certs, proxy.CertFile{CertFile: c.CertFile, KeyFile: c.KeyFile})
		}
		tlsCfg, err := proxy.TLSConfig(certs)
		if err != nil {
			return fmt.Errorf("ingress.certificates: %w", err)
		}
		if r.tls, err = a.listenRole("the ingress (TLS)", in.TLSPort); err != nil {
			return err
		}
		// HTTP/1.1 over TLS on the fast path, HTTP/2 (ALPN h2) on net/http.
		a.serveFast(r, r.tls, r.proxy.NewFastServer(entryPointWebSecure, a.ingressServerOptions(tlsCfg)))
	}
	if r.dash, err = a.listenRole("the ingress dashboard", in.DashboardPort); err != nil {
		return err
	}
	d := dashboard.New(dashboard.Options{Source: r.proxy, Stats: r.dashboardStats, Metrics: r.proxy.Metrics(),
		EntryPoints: r.entryPoints(), Watch: func() any { return r.watcher.Stats() }})
	guarded, err := a.guardDashboard(d)
	if err != nil {
		return err
	}
	if guarded, err = a.agentEndpoints(guarded, a.ingressAPIAddresses()); err != nil {
		return err
	}
	r.dash = a.limitListener("dashboard", r.dash)
	a.serveRole(r, r.dash, a.bound(&http.Server{Handler: guarded}))
	return nil
}

func (a *Agent) listenRole(what string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(a.cfg.BindAddr, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for %s on %s: %w", what, addr, err)
	}
	return ln, nil
}

func (a *Agent) serveRole(r *ingressRole, ln net.Listener, srv *http.Server) {
	r.servers = append(r.servers, srv)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("ingress listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// serveFast serves the plain entry point with the proxy's HTTP/1.1 fast
// path (net/http still serves HTTP/2, upgrades and what else it hands on).
func (a *Agent) serveFast(r *ingressRole, ln net.Listener, srv *proxy.FastServer) {
	r.servers = append(r.servers, srv)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("ingress listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// ingressAPIAddresses are the APIs the ingress follows the catalog
// through, in the order tried (the next one after a failed read): the
// ingress block's servers, else the agent's own server, else the
// client's servers, else the default address.
func (a *Agent) ingressAPIAddresses() []string {
	switch {
	case len(a.cfg.Ingress.Servers) > 0:
		return a.cfg.Ingress.Servers
	case a.httpLn != nil && a.server != nil:
		return []string{a.advertiseHTTP()}
	case a.cfg.Client != nil && len(a.cfg.Client.Servers) > 0:
		return a.cfg.Client.Servers
	}
	return []string{api.DefaultAddress}
}

// ingressBuildOptions are config.Build's options from the ingress block.
func (a *Agent) ingressBuildOptions() config.Options {
	in := a.cfg.Ingress
	o := config.Options{Domain: in.Domain, ExposedByDefault: *in.ExposedByDefault, EntryPoints: []string{entryPointWeb},
		PathRouting: in.PathRouting}
	if in.TLSPort > 0 {
		o.EntryPoints = append(o.EntryPoints, entryPointWebSecure)
	}
	return o
}

func (r *ingressRole) openAccessLog(dest string) (io.Writer, error) {
	switch dest {
	case "":
		return nil, nil
	case "stdout":
		return os.Stdout, nil
	case "stderr":
		return os.Stderr, nil
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ingress.access_log: %w", err)
	}
	r.logFile = f
	return f, nil
}

func (r *ingressRole) entryPoints() []dashboard.EntryPoint {
	eps := []dashboard.EntryPoint{{Name: entryPointWeb, Address: r.web.Addr().String()}}
	if r.tls != nil {
		eps = append(eps, dashboard.EntryPoint{Name: entryPointWebSecure, Address: r.tls.Addr().String(), TLS: true})
	}
	return eps
}

// dashboardStats converts the proxy's figures to the dashboard's.
func (r *ingressRole) dashboardStats() dashboard.Stats {
	st := r.proxy.Stats()
	out := dashboard.Stats{Routers: map[string]dashboard.Rate{}, Services: map[string]dashboard.ServiceStats{}}
	for name, rs := range st.Routers {
		out.Routers[name] = dashboard.Rate{Requests: uint64(rs.Requests), PerSecond: rs.Rate}
	}
	for name, ss := range st.Services {
		s := dashboard.ServiceStats{Rate: dashboard.Rate{Requests: uint64(ss.Requests), PerSecond: ss.Rate},
			Servers: map[string]dashboard.ServerStats{}}
		for _, sv := range ss.Servers {
			s.Servers[sv.URL] = dashboard.ServerStats{Up: sv.Up, Rate: dashboard.Rate{Requests: uint64(sv.Requests)}}
		}
		out.Services[name] = s
	}
	return out
}

// stopIngress stops the catalog watch and the listeners; requests in
// flight get a few seconds to finish.
func (a *Agent) stopIngress() error {
	r := a.ingress
	if r == nil {
		return nil
	}
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	var errs []error
	for _, s := range r.servers {
		errs = append(errs, a.shutdownServer("ingress", s, 5*time.Second))
	}
	for _, ln := range []net.Listener{r.web, r.tls, r.dash} {
		if ln != nil {
			_ = ln.Close() // a listener whose server never started
		}
	}
	if r.proxy != nil {
		r.proxy.Close() // the access log's last lines
	}
	if r.logFile != nil {
		errs = append(errs, r.logFile.Close())
	}
	return errors.Join(errs...)
}

// IngressAddr is the ingress's plain HTTP entry point, or "" when off.
func (a *Agent) IngressAddr() string {
	return a.ingressAddr(func(r *ingressRole) net.Listener { return r.web })
}

// IngressTLSAddr is the ingress's TLS entry point, or "" when off.
func (a *Agent) IngressTLSAddr() string {
	return a.ingressAddr(func(r *ingressRole) net.Listener { return r.tls })
}

// DashboardAddr is the ingress dashboard's address, or "" when off.
func (a *Agent) DashboardAddr() string {
	return a.ingressAddr(func(r *ingressRole) net.Listener { return r.dash })
}

func (a *Agent) ingressAddr(pick func(*ingressRole) net.Listener) string {
	if a.ingress == nil {
		return ""
	}
	if ln := pick(a.ingress); ln != nil {
		return ln.Addr().String()
	}
	return ""
}

// IngressSynced is closed once the ingress built its first route table
// from the catalog; nil without the ingress role.
func (a *Agent) IngressSynced() <-chan struct{} {
	if a.ingress == nil || a.ingress.watcher == nil {
		return nil
	}
	return a.ingress.watcher.Synced()
}

package ingress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/dashboard"
	"github.com/wharf-project/wharf/internal/ingress/proxy"
	"github.com/wharf-project/wharf/internal/ingress/watch"
)

// The entry points' names, as minipot's Traefik.
const (
	EntryPointWeb       = "web"
	EntryPointWebSecure = "websecure"
)

// ShutdownGrace is how long Stop lets requests in flight finish.
const ShutdownGrace = 5 * time.Second

// Options configure the ingress role. The caller (the agent) supplies
// what is its own: the catalog clients, the connection bounds and the
// dashboard's guards.
type Options struct {
	// Logger gets the role's errors and changes (slog.Default() if nil).
	Logger *slog.Logger
	// BindAddr is the address the entry points and the dashboard
	// listen on; Port, TLSPort (0: no TLS entry point) and
	// DashboardPort their ports (0: any free port).
	BindAddr                      string
	Port, TLSPort, DashboardPort  int
	Domain                        string
	ExposedByDefault, PathRouting bool
	// AccessLog is "", "stdout", "stderr" or a file path.
	AccessLog string
	// EventLoops serves the plain entry point from epoll event loops
	// (Linux), EventLoopThreads of them (0: the default).
	EventLoops       bool
	EventLoopThreads int
	// Certificates are the TLS entry point's (see proxy.TLSConfig).
	Certificates []proxy.CertFile
	// Catalogs are the APIs the catalog is followed through, the next
	// tried when one fails.
	Catalogs []watch.BulkCatalog
	// EntryPoint bounds each entry point's clients (its TLS field is
	// set by the role).
	EntryPoint proxy.ServerOptions
	// Collectors are registered with the proxy's metrics (served on the
	// dashboard's /metrics).
	Collectors []prometheus.Collector
	// Dashboard, when set, wraps the dashboard's handler (guards, more
	// endpoints); DashboardListener its listener; DashboardServer its
	// server.
	Dashboard         func(http.Handler) (http.Handler, error)
	DashboardListener func(net.Listener) net.Listener
	DashboardServer   func(*http.Server) *http.Server
}

// Role is the ingress role: the reverse proxy on the entry points, the
// catalog watch that feeds it, and the dashboard.
type Role struct {
	opts    Options
	log     *slog.Logger
	proxy   *proxy.Proxy
	watcher *watch.Watcher
	cancel  context.CancelFunc
	done    chan struct{}
	servers []server
	wg      sync.WaitGroup
	web     net.Listener
	tls     net.Listener
	dash    net.Listener
	logFile *os.File
}

// server is an entry point's or the dashboard's server.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Close() error
}

// New returns the role, not started.
func New(opts Options) *Role {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Role{opts: opts, log: log}
}

// Start listens on the entry points and the dashboard, and follows the
// catalog in the background (retrying until an API answers). After a
// failed Start, Stop releases what it opened.
func (r *Role) Start() error {
	o := &r.opts
	accessLog, err := r.openAccessLog(o.AccessLog)
	if err != nil {
		return err
	}
	r.proxy = proxy.New(proxy.Options{Logger: r.log, AccessLog: accessLog})
	for _, c := range o.Collectors {
		_ = r.proxy.RegisterMetrics(c)
	}
	if err := r.listen(); err != nil {
		return err
	}
	r.watcher = watch.New(watch.Options{Catalog: watch.NewFailover(o.Catalogs...), Target: r.proxy,
		Build: r.buildOptions(), Logger: r.log})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() { defer close(r.done); _ = r.watcher.Run(ctx) }()
	return nil
}

// buildOptions are config.Build's options.
func (r *Role) buildOptions() config.Options {
	o := config.Options{Domain: r.opts.Domain, ExposedByDefault: r.opts.ExposedByDefault,
		EntryPoints: []string{EntryPointWeb}, PathRouting: r.opts.PathRouting}
	if r.opts.TLSPort > 0 {
		o.EntryPoints = append(o.EntryPoints, EntryPointWebSecure)
	}
	return o
}

// listen opens the entry points and the dashboard and serves them.
func (r *Role) listen() error {
	o := &r.opts
	var err error
	if r.web, err = r.listenOn("the ingress", o.Port); err != nil {
		return err
	}
	web := o.EntryPoint
	web.FastHTTP1, web.EventLoop, web.EventLoops = true, o.EventLoops, o.EventLoopThreads
	r.serve(r.web, r.proxy.NewFastServer(EntryPointWeb, web))
	if o.TLSPort > 0 {
		tlsCfg, err := proxy.TLSConfig(o.Certificates)
		if err != nil {
			return fmt.Errorf("ingress.certificates: %w", err)
		}
		if r.tls, err = r.listenOn("the ingress (TLS)", o.TLSPort); err != nil {
			return err
		}
		// HTTP/1.1 over TLS on the fast path, HTTP/2 (ALPN h2) on net/http.
		so := o.EntryPoint
		so.TLS, so.FastHTTP1 = tlsCfg, true
		r.serve(r.tls, r.proxy.NewFastServer(EntryPointWebSecure, so))
	}
	if r.dash, err = r.listenOn("the ingress dashboard", o.DashboardPort); err != nil {
		return err
	}
	var h http.Handler = dashboard.New(dashboard.Options{Source: r.proxy, Stats: r.dashboardStats,
		Metrics: r.proxy.Metrics(), EntryPoints: r.entryPoints(), Watch: func() any { return r.watcher.Stats() }})
	if o.Dashboard != nil {
		if h, err = o.Dashboard(h); err != nil {
			return err
		}
	}
	if o.DashboardListener != nil {
		r.dash = o.DashboardListener(r.dash)
	}
	srv := &http.Server{Handler: h}
	if o.DashboardServer != nil {
		srv = o.DashboardServer(srv)
	}
	r.serve(r.dash, srv)
	return nil
}

func (r *Role) listenOn(what string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(r.opts.BindAddr, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for %s on %s: %w", what, addr, err)
	}
	return ln, nil
}

// serve serves ln with srv in the background until Stop.
func (r *Role) serve(ln net.Listener, srv server) {
	r.servers = append(r.servers, srv)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("ingress listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

func (r *Role) openAccessLog(dest string) (io.Writer, error) {
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

// Stop stops the catalog watch and the listeners; requests in flight
// get ShutdownGrace to finish.
func (r *Role) Stop() error {
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	var errs []error
	for _, s := range r.servers {
		errs = append(errs, r.shutdown(s, ShutdownGrace))
	}
	for _, ln := range []net.Listener{r.web, r.tls, r.dash} {
		if ln != nil {
			_ = ln.Close() // a listener whose server never started
		}
	}
	r.wg.Wait()
	if r.proxy != nil {
		r.proxy.Close() // the access log's last lines
	}
	if r.logFile != nil {
		errs = append(errs, r.logFile.Close())
	}
	return errors.Join(errs...)
}

// shutdown shuts s down gracefully within d, then at once.
func (r *Role) shutdown(s server, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		r.log.Warn("requests still running after the grace period: closing them", "server", "ingress", "grace", d)
		if cerr := s.Close(); cerr != nil && !errors.Is(cerr, http.ErrServerClosed) {
			return cerr
		}
		return nil
	}
	return err
}

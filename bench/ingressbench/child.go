//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/proxy"
)

// proxyMain is `ingressbench proxy`: the ingress proxy serving entry
// point web as the agent does (Proxy.NewFastServer, default options, no
// access log), with one router Host(`bench.minipot`) over the backends,
// and net/http/pprof on its own port. It runs until SIGTERM.
func proxyMain(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "entry point address")
	backends := fs.String("backends", "", "comma-separated server URLs")
	pprofAddr := fs.String("pprof", "", "net/http/pprof address")
	fast := fs.Bool("fast", false, "serve with the HTTP/1.1 fast path (ServerOptions.FastHTTP1, Proxy.NewFastServer)")
	loop := fs.Bool("loop", false, "with -fast: serve from event loops (ServerOptions.EventLoop)")
	loops := fs.Int("loops", 0, "with -loop: number of event loops (ServerOptions.EventLoops; 0: the default)")
	certFile := fs.String("tls-cert", "", "with -tls-key: a TLS entry point (websecure) with this certificate")
	keyFile := fs.String("tls-key", "", "the -tls-cert certificate's key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ep, opts := "web", proxy.ServerOptions{}
	if *certFile != "" {
		cfg, err := proxy.TLSConfig([]proxy.CertFile{{CertFile: *certFile, KeyFile: *keyFile}})
		if err != nil {
			return err
		}
		ep, opts.TLS = "websecure", cfg
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := proxy.New(proxy.Options{Logger: quiet})
	opts.FastHTTP1, opts.EventLoop, opts.EventLoops = *fast, *loop, *loops
	p.Update(benchConfig(strings.Split(*backends, ","), ep))
	if r := p.Current().Routers["bench"]; r == nil || r.Status != config.StatusEnabled {
		return fmt.Errorf("router bench not enabled: %+v", r)
	}
	if *pprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/heap", func(w http.ResponseWriter, r *http.Request) {
			// The Go heap in use after collecting twice (sync.Pool
			// keeps a victim generation): what the process holds, before
			// Go's scavenger returns the rest to the system.
			runtime.GC()
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Fprint(w, m.HeapInuse)
		})
		go func() { _ = http.ListenAndServe(*pprofAddr, mux) }()
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	opts.Logger = quiet
	srv := p.NewFastServer(ep, opts)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// benchConfig is one router Host(`bench.minipot`) on entry point ep
// (web, or websecure: a TLS router) over one service balancing urls.
func benchConfig(urls []string, ep string) *config.Config {
	s := &config.Service{Name: "bench", PassHostHeader: true, Provider: "bench"}
	for _, u := range urls {
		s.Servers = append(s.Servers, &config.Server{URL: u, Weight: config.WeightPassing, Health: config.HealthPassing})
	}
	return &config.Config{
		Routers: map[string]*config.Router{"bench": {Name: "bench", Rule: "Host(`" + benchHost + "`)",
			EntryPoints: []string{ep}, TLS: ep == "websecure", Service: "bench", Provider: "bench"}},
		Services:    map[string]*config.Service{"bench": s},
		Middlewares: map[string]*config.Middleware{},
	}
}

// bareMain is `ingressbench bare`: the floor of a Go reverse proxy, a
// bare httputil.ReverseProxy round-robin over the backends with
// net/http's Transport (keep-alive pool 256 per host) on a plain
// http.Server, no routing, no headers added.
func bareMain(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address")
	backends := fs.String("backends", "", "comma-separated server URLs")
	direct := fs.Bool("direct", false, "use directTransport instead of net/http.Transport")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var transport http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	if *direct {
		transport = &directTransport{}
	}
	var targets []*url.URL
	for _, s := range strings.Split(*backends, ",") {
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		targets = append(targets, u)
	}
	var next atomic.Uint64
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(targets[next.Add(1)%uint64(len(targets))])
			pr.Out.Host = pr.In.Host
		},
		Transport: transport,
	}
	return http.ListenAndServe(*listen, rp)
}

// backendMain is `ingressbench backend PORT...`: the cheapest Go HTTP
// server, answering "a\n", "b\n", ... on each port.
func backendMain(ports []string) error {
	errs := make(chan error, len(ports))
	for i, port := range ports {
		body := []byte{byte('a' + i), '\n'}
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(body)
		})
		go func() { errs <- http.ListenAndServe(":"+port, h) }()
	}
	return <-errs
}

package ui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Options configure the UI handler.
type Options struct {
	// IngressDashboard, when set, returns the host:port of the local
	// ingress dashboard ("" when there is none); /ui/api/ingress/...
	// proxies to its /api/... so the page stays same-origin.
	IngressDashboard func() string
}

// Cache lifetimes: versioned assets never change; everything else is
// revalidated on each use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// handler serves the app.
type handler struct {
	set  *assetSet
	opts Options
}

// Handler returns the UI's handler for paths under /ui/: versioned assets
// under /ui/v/<version>/, plain ones under /ui/assets/, the config and
// ingress proxy under /ui/api/, and index.html for every other path (the
// app routes on the client).
func Handler(opts Options) http.Handler {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(fmt.Sprintf("ui: embedded assets: %v", err)) // the embed directive guarantees the folder
	}
	set, err := loadAssets(sub)
	if err != nil {
		panic(fmt.Sprintf("ui: embedded assets: %v", err))
	}
	return &handler{set: set, opts: opts}
}

// Wrap serves the UI beside api: /ui/ goes to the UI, GET / redirects to
// /ui/, and everything else goes to api.
func Wrap(api http.Handler, opts Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/ui/", Handler(opts))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusTemporaryRedirect)
	})
	mux.Handle("/", api)
	return mux
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/ui/api/ingress/"):
		h.serveIngress(w, r, strings.TrimPrefix(p, "/ui/api/ingress"))
		return
	case p == "/ui/api/config":
		h.serveConfig(w)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case strings.HasPrefix(p, "/ui/v/"):
		h.serveVersioned(w, r, strings.TrimPrefix(p, "/ui/v/"))
	case strings.HasPrefix(p, assetsPrefix):
		h.serveFile(w, r, strings.TrimPrefix(p, assetsPrefix), cacheRevalidate)
	case strings.HasPrefix(p, "/ui/api/"):
		http.Error(w, "no such UI API path", http.StatusNotFound)
	default:
		h.serveIndex(w, r)
	}
}

// serveVersioned serves /ui/v/<version>/<file>. A stale version (a page
// loaded before an upgrade) still gets today's file, but not cached.
func (h *handler) serveVersioned(w http.ResponseWriter, r *http.Request, rest string) {
	version, name, ok := strings.Cut(rest, "/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	cache := cacheImmutable
	if version != h.set.version {
		cache = cacheRevalidate
	}
	h.serveFile(w, r, name, cache)
}

func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name, cache string) {
	if name == "index.html" {
		h.serveIndex(w, r)
		return
	}
	a := h.set.files[name]
	if a == nil {
		http.Error(w, "no such asset: "+name, http.StatusNotFound)
		return
	}
	writeAsset(w, r, a, name, cache)
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	if h.set.index == nil {
		http.Error(w, "the UI was built without index.html", http.StatusNotFound)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeAsset(w, r, h.set.index, "index.html", cacheRevalidate)
}

// writeAsset answers with a's body (gzipped when the client takes it),
// its validators and cache policy, or 304 when the client's copy is
// current.
func writeAsset(w http.ResponseWriter, r *http.Request, a *asset, name, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", cache)
	body, etag := a.body, a.etag
	if compressibleName(name) {
		hd.Add("Vary", "Accept-Encoding")
		if gz := a.gzipped(); gz != nil && acceptsGzip(r) {
			body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		hd.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(coding) != "gzip" && strings.TrimSpace(coding) != "*" {
			continue
		}
		return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// uiConfig tells the app what this agent offers.
type uiConfig struct {
	Version              string
	Ingress              bool
	IngressDashboardPort int
}

func (h *handler) serveConfig(w http.ResponseWriter) {
	cfg := uiConfig{Version: h.set.version}
	if addr := h.dashboard(); addr != "" {
		cfg.Ingress = true
		if _, port, err := net.SplitHostPort(addr); err == nil {
			cfg.IngressDashboardPort, _ = strconv.Atoi(port)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", cacheRevalidate)
	_ = json.NewEncoder(w).Encode(cfg)
}

func (h *handler) dashboard() string {
	if h.opts.IngressDashboard == nil {
		return ""
	}
	return h.opts.IngressDashboard()
}

// serveIngress proxies GET /ui/api/ingress/<rest> to the dashboard's
// /api/<rest>.
func (h *handler) serveIngress(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	addr := h.dashboard()
	if addr == "" {
		http.Error(w, "this agent runs no ingress", http.StatusNotFound)
		return
	}
	target := &url.URL{Scheme: "http", Host: loopback(addr)}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/api" + rest
			pr.Out.URL.RawPath = ""
			pr.Out.Host = target.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "ingress dashboard unreachable: "+err.Error(), http.StatusBadGateway)
		},
		FlushInterval: 100 * time.Millisecond,
	}
	proxy.ServeHTTP(w, r)
}

// loopback turns a wildcard listen address into one a local client can
// dial.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

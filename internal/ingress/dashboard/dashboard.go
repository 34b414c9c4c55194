package dashboard

import (
	"embed"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// Source gives the configuration as the proxy compiled it, with router
// statuses and errors; the proxy is one.
type Source interface {
	Current() *config.Config
}

// Rate is a request count and its recent rate.
type Rate struct {
	Requests  uint64  `json:"requests"`
	PerSecond float64 `json:"requestRate"`
}

// ServerStats are one server's figures and passive health.
type ServerStats struct {
	Rate
	// Up is false while the proxy has taken the server out (it refused a
	// connection, or its instance is not passing).
	Up bool `json:"up"`
}

// ServiceStats are one service's figures with its servers' by URL.
type ServiceStats struct {
	Rate
	Servers map[string]ServerStats `json:"servers,omitempty"`
}

// Stats are the proxy's request figures, by router and service name
// (without the "@provider" suffix).
type Stats struct {
	Routers  map[string]Rate         `json:"routers,omitempty"`
	Services map[string]ServiceStats `json:"services,omitempty"`
}

// EntryPoint is a listener of the proxy.
type EntryPoint struct {
	Name    string
	Address string
	TLS     bool
}

// Options configure a Dashboard. Source is required.
type Options struct {
	Source Source
	// Stats returns the request figures; nil shows no rates and every
	// listed server as up.
	Stats func() Stats
	// Metrics serves /metrics (Prometheus text); nil answers 404.
	Metrics http.Handler
	// EntryPoints are listed at /api/entrypoints.
	EntryPoints []EntryPoint
	// Watch, when set, is served at /api/wharf/watch (the catalog
	// watcher's figures: index, build times, last error).
	Watch func() any
}

// Dashboard is the dashboard's HTTP handler.
type Dashboard struct {
	o   Options
	mux *http.ServeMux
}

var _ http.Handler = (*Dashboard)(nil)

//go:embed index.html
var assets embed.FS

// New returns a Dashboard.
func New(o Options) *Dashboard {
	d := &Dashboard{o: o, mux: http.NewServeMux()}
	for _, rt := range d.routes() {
		d.mux.HandleFunc(rt.pattern, rt.h)
	}
	return d
}

type route struct {
	pattern string
	h       http.HandlerFunc
}

func (d *Dashboard) routes() []route {
	return []route{
		{"GET /{$}", d.index},
		{"GET /dashboard/{$}", d.index},
		{"GET /api/overview", d.overview},
		{"GET /api/entrypoints", d.entryPoints},
		{"GET /api/entrypoints/{name}", d.entryPoint},
		{"GET /api/http/routers", d.routers},
		{"GET /api/http/routers/{name}", d.router},
		{"GET /api/http/services", d.services},
		{"GET /api/http/services/{name}", d.service},
		{"GET /api/http/middlewares", d.middlewares},
		{"GET /api/http/middlewares/{name}", d.middleware},
		{"GET /api/wharf/watch", d.watch},
		{"GET /metrics", d.metrics},
	}
}

// Patterns lists every route the dashboard serves (for route-table
// tests of what guards it).
func (d *Dashboard) Patterns() []string {
	var out []string
	for _, rt := range d.routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// ServeHTTP serves the page and the API.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

func (d *Dashboard) index(w http.ResponseWriter, r *http.Request) {
	page, _ := assets.ReadFile("index.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(page)
}

func (d *Dashboard) metrics(w http.ResponseWriter, r *http.Request) {
	if d.o.Metrics == nil {
		http.Error(w, "no metrics", http.StatusNotFound)
		return
	}
	d.o.Metrics.ServeHTTP(w, r)
}

func (d *Dashboard) watch(w http.ResponseWriter, r *http.Request) {
	if d.o.Watch == nil {
		writeError(w, http.StatusNotFound, "no catalog watcher")
		return
	}
	writeJSON(w, d.o.Watch())
}

// snapshot reads the configuration and figures once for a request.
func (d *Dashboard) snapshot() (*config.Config, Stats) {
	cfg := d.o.Source.Current()
	if cfg == nil {
		cfg = &config.Config{}
	}
	var st Stats
	if d.o.Stats != nil {
		st = d.o.Stats()
	}
	return cfg, st
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError answers as Traefik's API does: {"message": "..."}.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// page cuts list to Traefik's ?page and ?per_page (100 by default) and
// sets X-Next-Page (1 on the last page, as Traefik).
func page[T any](w http.ResponseWriter, r *http.Request, list []T) []T {
	per := atoiDefault(r.URL.Query().Get("per_page"), 100)
	n := atoiDefault(r.URL.Query().Get("page"), 1)
	start := (n - 1) * per
	if start >= len(list) {
		w.Header().Set("X-Next-Page", "1")
		return []T{}
	}
	end := min(start+per, len(list))
	next := 1
	if end < len(list) {
		next = n + 1
	}
	w.Header().Set("X-Next-Page", strconv.Itoa(next))
	return list[start:end]
}

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return def
	}
	return n
}

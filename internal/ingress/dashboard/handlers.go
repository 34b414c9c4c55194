package dashboard

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// list answers a list endpoint: the items the request's search and status
// filters keep, paged.
func list[T any](w http.ResponseWriter, r *http.Request, items []T, fields func(T) (name, rule, status string)) {
	var out []T
	for _, it := range items {
		if name, rule, status := fields(it); keep(r, name, rule, status) {
			out = append(out, it)
		}
	}
	writeJSON(w, page(w, r, out))
}

// one answers an item endpoint: the item named "<name>@provider" or
// "<name>", else 404 naming the kind.
func one[T any](w http.ResponseWriter, r *http.Request, items []T, nameOf func(T) string, kind string) {
	name := r.PathValue("name")
	for _, it := range items {
		if n := nameOf(it); n == name || bare(n) == name {
			writeJSON(w, it)
			return
		}
	}
	writeError(w, http.StatusNotFound, kind+" not found: "+name)
}

func routerFields(ri RouterInfo) (string, string, string)         { return ri.Name, ri.Rule, ri.Status }
func serviceFields(si ServiceInfo) (string, string, string)       { return si.Name, "", si.Status }
func middlewareFields(mi MiddlewareInfo) (string, string, string) { return mi.Name, "", mi.Status }

func (d *Dashboard) routers(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	list(w, r, routerInfos(cfg, st), routerFields)
}

func (d *Dashboard) router(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	one(w, r, routerInfos(cfg, st), func(ri RouterInfo) string { return ri.Name }, "router")
}

func (d *Dashboard) services(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	list(w, r, serviceInfos(cfg, st), serviceFields)
}

func (d *Dashboard) service(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	one(w, r, serviceInfos(cfg, st), func(si ServiceInfo) string { return si.Name }, "service")
}

func (d *Dashboard) middlewares(w http.ResponseWriter, r *http.Request) {
	cfg, _ := d.snapshot()
	list(w, r, middlewareInfos(cfg), middlewareFields)
}

func (d *Dashboard) middleware(w http.ResponseWriter, r *http.Request) {
	cfg, _ := d.snapshot()
	one(w, r, middlewareInfos(cfg), func(mi MiddlewareInfo) string { return mi.Name }, "middleware")
}

// EntryPointInfo is an entry point as Traefik's /api/entrypoints shows it.
type EntryPointInfo struct {
	Name    string         `json:"name"`
	Address string         `json:"address"`
	HTTP    EntryPointHTTP `json:"http"`
}

// EntryPointHTTP says whether the entry point terminates TLS.
type EntryPointHTTP struct {
	TLS *struct{} `json:"tls,omitempty"`
}

func (d *Dashboard) entryPointInfos() []EntryPointInfo {
	out := make([]EntryPointInfo, 0, len(d.o.EntryPoints))
	for _, ep := range d.o.EntryPoints {
		info := EntryPointInfo{Name: ep.Name, Address: ep.Address}
		if ep.TLS {
			info.HTTP.TLS = &struct{}{}
		}
		out = append(out, info)
	}
	return out
}

func (d *Dashboard) entryPoints(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, page(w, r, d.entryPointInfos()))
}

func (d *Dashboard) entryPoint(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	for _, ep := range d.entryPointInfos() {
		if ep.Name == name {
			writeJSON(w, ep)
			return
		}
	}
	writeError(w, http.StatusNotFound, "entry point not found: "+name)
}

// Totals counts a kind of object by status, as Traefik's overview.
type Totals struct {
	Total    int `json:"total"`
	Warnings int `json:"warnings"`
	Errors   int `json:"errors"`
}

func (t *Totals) add(status string) {
	t.Total++
	switch status {
	case config.StatusDisabled:
		t.Errors++
	case config.StatusWarning:
		t.Warnings++
	}
}

// Overview is Traefik's /api/overview.
type Overview struct {
	HTTP      OverviewSection `json:"http"`
	TCP       OverviewSection `json:"tcp"`
	UDP       OverviewSection `json:"udp"`
	Features  map[string]any  `json:"features"`
	Providers []string        `json:"providers"`
}

// OverviewSection counts one protocol's routers, services and
// middlewares.
type OverviewSection struct {
	Routers     Totals `json:"routers"`
	Services    Totals `json:"services"`
	Middlewares Totals `json:"middlewares"`
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	cfg, _ := d.snapshot()
	var o Overview
	for _, rt := range cfg.Routers {
		o.HTTP.Routers.add(status(rt.Status))
	}
	for _, s := range cfg.Services {
		o.HTTP.Services.add(status(s.Status))
	}
	for _, m := range cfg.Middlewares {
		o.HTTP.Middlewares.add(status(m.Status))
	}
	metrics := ""
	if d.o.Metrics != nil {
		metrics = "Prometheus"
	}
	o.Features = map[string]any{"tracing": "", "metrics": metrics, "accessLog": true}
	o.Providers = []string{"Catalog"}
	writeJSON(w, o)
}

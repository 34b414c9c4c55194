package dashboard

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

func (d *Dashboard) routers(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	var out []RouterInfo
	for _, ri := range routerInfos(cfg, st) {
		if keep(r, ri.Name, ri.Rule, ri.Status) {
			out = append(out, ri)
		}
	}
	writeJSON(w, page(w, r, out))
}

func (d *Dashboard) router(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	name := r.PathValue("name")
	for _, ri := range routerInfos(cfg, st) {
		if ri.Name == name || bare(ri.Name) == name {
			writeJSON(w, ri)
			return
		}
	}
	writeError(w, http.StatusNotFound, "router not found: "+name)
}

func (d *Dashboard) services(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	var out []ServiceInfo
	for _, si := range serviceInfos(cfg, st) {
		if keep(r, si.Name, "", si.Status) {
			out = append(out, si)
		}
	}
	writeJSON(w, page(w, r, out))
}

func (d *Dashboard) service(w http.ResponseWriter, r *http.Request) {
	cfg, st := d.snapshot()
	name := r.PathValue("name")
	for _, si := range serviceInfos(cfg, st) {
		if si.Name == name || bare(si.Name) == name {
			writeJSON(w, si)
			return
		}
	}
	writeError(w, http.StatusNotFound, "service not found: "+name)
}

func (d *Dashboard) middlewares(w http.ResponseWriter, r *http.Request) {
	cfg, _ := d.snapshot()
	var out []MiddlewareInfo
	for _, mi := range middlewareInfos(cfg) {
		if keep(r, mi.Name, "", mi.Status) {
			out = append(out, mi)
		}
	}
	writeJSON(w, page(w, r, out))
}

func (d *Dashboard) middleware(w http.ResponseWriter, r *http.Request) {
	cfg, _ := d.snapshot()
	name := r.PathValue("name")
	for _, mi := range middlewareInfos(cfg) {
		if mi.Name == name || bare(mi.Name) == name {
			writeJSON(w, mi)
			return
		}
	}
	writeError(w, http.StatusNotFound, "middleware not found: "+name)
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

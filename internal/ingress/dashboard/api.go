package dashboard

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// RouterInfo is a router as Traefik's /api/http/routers shows it, with
// wharf's request figures.
type RouterInfo struct {
	Name        string    `json:"name"`
	Provider    string    `json:"provider"`
	Rule        string    `json:"rule"`
	Priority    int       `json:"priority"`
	Service     string    `json:"service"`
	EntryPoints []string  `json:"entryPoints"`
	Using       []string  `json:"using"`
	Middlewares []string  `json:"middlewares,omitempty"`
	TLS         *struct{} `json:"tls,omitempty"`
	Status      string    `json:"status"`
	Err         []string  `json:"error,omitempty"`
	Rate
}

// ServiceInfo is a service as Traefik's /api/http/services shows it.
type ServiceInfo struct {
	Name         string            `json:"name"`
	Provider     string            `json:"provider"`
	Type         string            `json:"type"`
	LoadBalancer LoadBalancer      `json:"loadBalancer"`
	Status       string            `json:"status"`
	Err          []string          `json:"error,omitempty"`
	UsedBy       []string          `json:"usedBy"`
	ServerStatus map[string]string `json:"serverStatus"`
	Rate
}

// LoadBalancer is a service's servers and options.
type LoadBalancer struct {
	Servers        []ServerInfo `json:"servers"`
	PassHostHeader bool         `json:"passHostHeader"`
	Sticky         *StickyInfo  `json:"sticky,omitempty"`
}

// StickyInfo is Traefik's sticky.cookie.
type StickyInfo struct {
	Cookie *config.Sticky `json:"cookie"`
}

// ServerInfo is one server: Traefik's url, and wharf's weight, health,
// catalog instance and figures.
type ServerInfo struct {
	URL        string `json:"url"`
	Weight     int    `json:"weight"`
	Health     string `json:"health,omitempty"`
	InstanceID string `json:"instanceID,omitempty"`
	Status     string `json:"status"`
	Rate
}

// MiddlewareInfo is a middleware as Traefik's /api/http/middlewares shows
// it.
type MiddlewareInfo struct {
	Name           string          `json:"name"`
	Provider       string          `json:"provider"`
	Type           string          `json:"type"`
	StripPrefix    *StripPrefix    `json:"stripPrefix,omitempty"`
	RedirectScheme *RedirectScheme `json:"redirectScheme,omitempty"`
	Status         string          `json:"status"`
	Err            []string        `json:"error,omitempty"`
	UsedBy         []string        `json:"usedBy"`
}

// StripPrefix is Traefik's stripPrefix middleware.
type StripPrefix struct {
	Prefixes []string `json:"prefixes"`
}

// RedirectScheme is Traefik's redirectScheme middleware.
type RedirectScheme struct {
	Scheme    string `json:"scheme"`
	Permanent bool   `json:"permanent,omitempty"`
}

// qualify adds "@provider" to a name that has no provider.
func qualify(name, provider string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return name + "@" + cmp.Or(provider, "catalog")
}

// bare strips "@provider".
func bare(name string) string {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i]
	}
	return name
}

func status(s string) string { return cmp.Or(s, config.StatusEnabled) }

// routerInfos lists the routers, sorted by name.
func routerInfos(cfg *config.Config, st Stats) []RouterInfo {
	out := make([]RouterInfo, 0, len(cfg.Routers))
	for key, r := range cfg.Routers {
		name := cmp.Or(r.Name, key)
		prio := r.Priority
		if prio == 0 {
			prio = len(r.Rule) // Traefik's default: the rule's length
		}
		info := RouterInfo{Name: qualify(name, r.Provider), Provider: cmp.Or(r.Provider, "catalog"), Rule: r.Rule,
			Priority: prio, Service: r.Service, EntryPoints: nonNil(r.EntryPoints), Using: nonNil(r.EntryPoints),
			Status: status(r.Status), Err: r.Err, Rate: st.Routers[bare(name)]}
		for _, m := range r.Middlewares {
			info.Middlewares = append(info.Middlewares, qualify(m, r.Provider))
		}
		if r.TLS {
			info.TLS = &struct{}{}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b RouterInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// serviceInfos lists the services, sorted by name.
func serviceInfos(cfg *config.Config, st Stats) []ServiceInfo {
	usedBy := map[string][]string{}
	for key, r := range cfg.Routers {
		s := bare(r.Service)
		usedBy[s] = append(usedBy[s], qualify(cmp.Or(r.Name, key), r.Provider))
	}
	out := make([]ServiceInfo, 0, len(cfg.Services))
	for key, s := range cfg.Services {
		name := cmp.Or(s.Name, key)
		ss, haveStats := st.Services[bare(name)]
		info := ServiceInfo{Name: qualify(name, s.Provider), Provider: cmp.Or(s.Provider, "catalog"), Type: "loadbalancer",
			LoadBalancer: LoadBalancer{Servers: []ServerInfo{}, PassHostHeader: s.PassHostHeader},
			Status:       status(s.Status), Err: s.Err, UsedBy: nonNil(usedBy[bare(name)]),
			ServerStatus: map[string]string{}, Rate: ss.Rate}
		slices.Sort(info.UsedBy)
		if s.Sticky != nil {
			info.LoadBalancer.Sticky = &StickyInfo{Cookie: s.Sticky}
		}
		for _, sv := range s.Servers {
			up := sv.Health != config.HealthCritical
			srvStats, ok := ss.Servers[sv.URL]
			if haveStats && ok {
				up = srvStats.Up
			}
			state := "DOWN"
			if up {
				state = "UP"
			}
			info.ServerStatus[sv.URL] = state
			info.LoadBalancer.Servers = append(info.LoadBalancer.Servers, ServerInfo{URL: sv.URL, Weight: sv.Weight,
				Health: sv.Health, InstanceID: sv.InstanceID, Status: state, Rate: srvStats.Rate})
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b ServiceInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// middlewareInfos lists the middlewares, sorted by name.
func middlewareInfos(cfg *config.Config) []MiddlewareInfo {
	usedBy := map[string][]string{}
	for key, r := range cfg.Routers {
		for _, m := range r.Middlewares {
			usedBy[bare(m)] = append(usedBy[bare(m)], qualify(cmp.Or(r.Name, key), r.Provider))
		}
	}
	out := make([]MiddlewareInfo, 0, len(cfg.Middlewares))
	for key, m := range cfg.Middlewares {
		name := cmp.Or(m.Name, key)
		info := MiddlewareInfo{Name: qualify(name, m.Provider), Provider: cmp.Or(m.Provider, "catalog"),
			Status: status(m.Status), Err: m.Err, UsedBy: nonNil(usedBy[bare(name)])}
		slices.Sort(info.UsedBy)
		switch {
		case len(m.StripPrefix) > 0:
			info.Type, info.StripPrefix = "stripprefix", &StripPrefix{Prefixes: m.StripPrefix}
		case m.RedirectScheme != "":
			info.Type, info.RedirectScheme = "redirectscheme", &RedirectScheme{Scheme: m.RedirectScheme, Permanent: m.Permanent}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b MiddlewareInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keep filters a list by Traefik's ?search (a substring of the name, or
// of a router's rule) and ?status.
func keep(r *http.Request, name, extra, st string) bool {
	q := r.URL.Query()
	if s := q.Get("search"); s != "" && !strings.Contains(name, s) && !strings.Contains(extra, s) {
		return false
	}
	if s := q.Get("status"); s != "" && s != st {
		return false
	}
	return true
}

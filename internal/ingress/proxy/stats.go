package proxy

import (
	"time"
)

// Stats is a snapshot of the proxy's traffic for the dashboard.
type Stats struct {
	// Requests counts all requests since start; NotFound those no
	// router matched.
	Requests int64 `json:"requests"`
	NotFound int64 `json:"notFound"`
	// Rate is requests per second over the last minute, all routers.
	Rate     float64                 `json:"rate"`
	Routers  map[string]RouterStats  `json:"routers"`
	Services map[string]ServiceStats `json:"services"`
}

// RouterStats counts one router's requests.
type RouterStats struct {
	Requests int64 `json:"requests"`
	// Errors counts 5xx answers.
	Errors int64 `json:"errors"`
	// Rate is requests per second over the last minute.
	Rate float64 `json:"rate"`
}

// ServiceStats counts one service's requests and shows its servers.
type ServiceStats struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	Rate     float64       `json:"rate"`
	Servers  []ServerStats `json:"servers"`
}

// ServerStats is one server's state.
type ServerStats struct {
	URL    string `json:"url"`
	Weight int    `json:"weight"`
	// Health is the catalog's (passing, warning).
	Health string `json:"health"`
	// Up is false while the server is passively down.
	Up bool `json:"up"`
	// DownUntil is when a passively down server is tried again.
	DownUntil time.Time `json:"downUntil,omitzero"`
	// Requests counts the requests it answered, Failures the
	// connections it refused or reset.
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
}

// Stats returns the request counts and rates of the routers and services
// of the current table and the state of their servers.
func (p *Proxy) Stats() Stats {
	t := p.table.Load()
	now := time.Now()
	sec, ns := now.Unix(), now.UnixNano()
	st := Stats{NotFound: p.notFound.total.Load(), Rate: p.notFound.rate(sec),
		Routers: map[string]RouterStats{}, Services: map[string]ServiceStats{}}
	st.Requests = st.NotFound
	seen := map[*route]bool{}
	for _, rt := range t.anyEntryPoint {
		seen[rt] = true
	}
	for _, routes := range t.byEntryPoint {
		for _, rt := range routes {
			seen[rt] = true
		}
	}
	for rt := range seen {
		rs := RouterStats{Requests: rt.stats.total.Load(), Errors: rt.stats.errors.Load(), Rate: rt.stats.rate(sec)}
		st.Routers[rt.name] = rs
		st.Requests += rs.Requests
		st.Rate += rs.Rate
	}
	for _, s := range t.services {
		st.Services[s.name] = serviceStats(s, sec, ns)
	}
	return st
}

func serviceStats(s *service, sec, ns int64) ServiceStats {
	ss := ServiceStats{Requests: s.stats.total.Load(), Errors: s.stats.errors.Load(), Rate: s.stats.rate(sec)}
	for i := range s.lb.entries {
		b := s.lb.entries[i].b
		sv := ServerStats{URL: b.raw, Weight: b.weight, Health: b.health, Up: !b.state.down(ns),
			Requests: b.state.requests.Load(), Failures: b.state.failures.Load()}
		if !sv.Up {
			sv.DownUntil = time.Unix(0, b.state.downUntil.Load())
		}
		ss.Servers = append(ss.Servers, sv)
	}
	return ss
}

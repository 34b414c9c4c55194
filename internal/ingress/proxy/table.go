package proxy

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/ingress/rule"
)

// table is one compiled, immutable route table.
type table struct {
	cfg *config.Config
	// byEntryPoint lists, per entry point named by some router, the
	// enabled routes serving it, best first; anyEntryPoint holds the
	// routes without entry points (they serve all).
	byEntryPoint  map[string][]*route
	anyEntryPoint []*route
	services      map[string]*service
	// hosts maps each host a namespace holds to it (config.Hosts).
	hosts map[string]string
}

// route is an enabled router, compiled.
type route struct {
	name        string
	ns          string // the router's namespace, "default" when unset
	entryPoints []string
	tls         bool
	m           matcher
	mws         []middleware
	svc         *service
	stats       *counter
	hist        prometheus.Observer
	// codes caches the route's requests counters by status code.
	codes atomic.Pointer[[]codeCounter]
}

// service is a compiled service.
type service struct {
	name     string
	lb       *balancer
	passHost bool
	sticky   *config.Sticky
	stats    *counter
}

// match returns the first route of entry point ep matching r, or nil.
func (t *table) match(ep string, r *http.Request) *route {
	routes, ok := t.byEntryPoint[ep]
	if !ok {
		routes = t.anyEntryPoint
	}
	isTLS := r.TLS != nil
	holder, held := t.holder(r)
	for _, rt := range routes {
		if rt.tls == isTLS && (!held || rt.ns == holder) && rt.m.Match(r) {
			return rt
		}
	}
	return nil
}

// holder returns the namespace that holds r's host, if one does: only
// its routers may serve the request, so that no other namespace's rule
// (PathPrefix alone, HostRegexp, a wildcard host, a higher priority)
// takes a host another namespace holds.
func (t *table) holder(r *http.Request) (string, bool) {
	if len(t.hosts) == 0 {
		return "", false
	}
	h := rule.RequestHost(r)
	ns, ok := t.hosts[h]
	if !ok {
		ns, ok = t.hosts[strings.ToLower(h)]
	}
	return ns, ok
}

// compiler holds what compiling a table needs from the Proxy.
type compiler struct {
	p   *Proxy
	cfg *config.Config
	now int64
}

// compile turns in into a table; in is not modified. Broken routers are
// disabled with Err in the table's copy of the config.
func (c *compiler) compile(in *config.Config) *table {
	c.cfg = copyConfig(in)
	t := &table{cfg: c.cfg, byEntryPoint: map[string][]*route{}, services: map[string]*service{}, hosts: c.cfg.Hosts}
	for name, s := range c.cfg.Services {
		t.services[name] = c.service(s)
	}
	mws := map[string]middleware{}
	for name, m := range c.cfg.Middlewares {
		if mw, err := compileMiddleware(m); err != nil {
			m.Status, m.Err = config.StatusDisabled, append(m.Err, err.Error())
		} else if m.Status != config.StatusDisabled {
			m.Status = config.StatusEnabled
			mws[name] = mw
		}
	}
	var routers []*config.Router
	for _, r := range c.cfg.Routers {
		routers = append(routers, r)
	}
	slices.SortFunc(routers, compareRouters)
	var routes []*route
	eps := map[string]bool{}
	for _, r := range routers {
		if r.Status == config.StatusDisabled {
			if len(r.Err) == 0 {
				r.Err = []string{"disabled by configuration"}
			}
			continue
		}
		rt, err := c.route(r, t.services, mws)
		if err != nil {
			r.Status, r.Err = config.StatusDisabled, append(r.Err, err.Error())
			c.p.log.Warn("ingress router disabled", "router", r.Name, "err", err)
			continue
		}
		r.Status = config.StatusEnabled
		routes = append(routes, rt)
		for _, ep := range r.EntryPoints {
			eps[ep] = true
		}
	}
	t.index(routes, eps)
	return t
}

// index fills the per entry point route lists, keeping the order.
func (t *table) index(routes []*route, eps map[string]bool) {
	for _, rt := range routes {
		if len(rt.entryPoints) == 0 {
			t.anyEntryPoint = append(t.anyEntryPoint, rt)
			for ep := range eps {
				t.byEntryPoint[ep] = append(t.byEntryPoint[ep], rt)
			}
			continue
		}
		for _, ep := range rt.entryPoints {
			t.byEntryPoint[ep] = append(t.byEntryPoint[ep], rt)
		}
	}
}

// route compiles one router, or says why it cannot serve.
func (c *compiler) route(r *config.Router, svcs map[string]*service, mws map[string]middleware) (*route, error) {
	m, err := parseRule(r.Rule)
	if err != nil {
		return nil, err // rule errors name the position ("rule: 1:17: ...")
	}
	svc := svcs[bareName(r.Service)]
	if svc == nil {
		return nil, fmt.Errorf("service %q does not exist", r.Service)
	}
	rt := &route{name: r.Name, ns: cmp.Or(r.Namespace, "default"), entryPoints: r.EntryPoints, tls: r.TLS, m: m, svc: svc, stats: c.p.routerStats.get(r.Name),
		hist: c.p.metrics.duration.WithLabelValues(r.Name, svc.name)}
	for _, name := range r.Middlewares {
		mw, ok := mws[bareName(name)]
		if !ok {
			return nil, fmt.Errorf("middleware %q does not exist or is broken", name)
		}
		rt.mws = append(rt.mws, mw)
	}
	return rt, nil
}

// service compiles one service, keeping the balancer (and its rotation)
// of an unchanged one.
func (c *compiler) service(s *config.Service) *service {
	var backends []*backend
	for _, srv := range s.Servers {
		b, err := c.backend(srv, s.Scheme)
		if err != nil {
			s.Err = append(s.Err, err.Error())
			continue
		}
		backends = append(backends, b)
	}
	lb := newBalancer(backends)
	if old := c.p.balancers[s.Name]; old != nil && old.sig == lb.sig {
		lb = old
	}
	c.p.balancers[s.Name] = lb
	s.Status = config.StatusEnabled
	if len(backends) == 0 {
		s.Status = config.StatusWarning
		s.Err = append(s.Err, "no servers")
	}
	return &service{name: s.Name, lb: lb, passHost: s.PassHostHeader, sticky: s.Sticky,
		stats: c.p.serviceStats.get(s.Name)}
}

// backend compiles one server.
func (c *compiler) backend(srv *config.Server, scheme string) (*backend, error) {
	raw := srv.URL
	if !strings.Contains(raw, "://") {
		raw = cmp.Or(scheme, "http") + "://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("server %q: bad url", srv.URL)
	}
	w := srv.Weight
	if w <= 0 {
		w = 1
	}
	st := c.p.servers[raw]
	if st == nil {
		st = &serverState{}
		c.p.servers[raw] = st
	}
	return &backend{raw: raw, url: u, weight: w, health: srv.Health, cookie: cookieValue(raw), state: st}, nil
}

// compareRouters orders routers by priority (0 means the rule's length)
// descending, then rule length descending, then name.
func compareRouters(a, b *config.Router) int {
	if c := cmp.Compare(priority(b), priority(a)); c != 0 {
		return c
	}
	if c := cmp.Compare(len(b.Rule), len(a.Rule)); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func priority(r *config.Router) int {
	if r.Priority != 0 {
		return r.Priority
	}
	return len(r.Rule)
}

// bareName drops a "@provider" suffix.
func bareName(name string) string {
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[:i]
	}
	return name
}

// copyConfig copies cfg deeply enough that compiling can fill statuses
// without touching the caller's values.
func copyConfig(in *config.Config) *config.Config {
	out := &config.Config{Routers: map[string]*config.Router{}, Services: map[string]*config.Service{},
		Middlewares: map[string]*config.Middleware{}}
	if in == nil {
		return out
	}
	out.Index = in.Index
	out.Hosts = maps.Clone(in.Hosts)
	for k, v := range in.Routers {
		r := *v
		r.Err = slices.Clone(v.Err)
		if r.Name == "" {
			r.Name = k
		}
		out.Routers[k] = &r
	}
	for k, v := range in.Services {
		s := *v
		s.Err = slices.Clone(v.Err)
		if s.Name == "" {
			s.Name = k
		}
		s.Servers = make([]*config.Server, len(v.Servers))
		for i, srv := range v.Servers {
			cp := *srv
			s.Servers[i] = &cp
		}
		out.Services[k] = &s
	}
	for k, v := range in.Middlewares {
		m := *v
		m.Err = slices.Clone(v.Err)
		if m.Name == "" {
			m.Name = k
		}
		out.Middlewares[k] = &m
	}
	return out
}

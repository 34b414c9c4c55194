package config

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strconv"
)

// providerName is the provider of everything Build makes.
const providerName = "catalog"

// Build turns catalog instances into a Config, as Traefik's Consul catalog
// provider does. Instances are grouped by Namespace and ServiceName
// (a service of another namespace than the default one is named
// "<name>.<namespace>", and so is everything its tags define; see
// poolName); those without an address or a port are skipped. When routers
// of different namespaces match the same host, one namespace keeps it
// (claimHosts). The tags of one instance per service are
// read (Traefik reads one instance's; Build takes the non-critical one
// with the smallest ID, or the smallest ID if all are critical, so the
// result is deterministic). Without router tags a service gets one router
// named after it with the default rule (Options.DefaultRule, PathRouting,
// or Host(`<name>.<domain>`)); without service tags one service named
// after it. Every service gets one server per passing or warning instance.
//
// A malformed tag disables only what it names (a router, service or
// middleware: Status disabled, Err saying why); tags that are known but
// have no effect here are listed in Err with Status warning. Build never
// fails and never returns nil.
func Build(instances []Instance, opts Options) *Config {
	c := &Config{Routers: map[string]*Router{}, Services: map[string]*Service{}, Middlewares: map[string]*Middleware{}}
	b := &builder{c: c, opts: opts, owner: map[string]string{}, claimants: map[string]claimant{}}
	b.parseDefaultRule()
	b.namespaces = namespacesOf(instances)
	groups := groupInstances(instances, b.namespaces)
	for _, name := range sortedKeys(groups) {
		b.addCatalogService(name, groups[name])
	}
	b.resolve()
	b.claimHosts()
	return c
}

// builder holds the state of one Build.
type builder struct {
	c    *Config
	opts Options
	// owner maps "kind/name" to the catalog service that defined it, to
	// detect two services defining the same name.
	owner       map[string]string
	defaultRule *defaultRuleTemplate
	// claimants maps a router name to its namespace and rank, for
	// claimHosts.
	claimants map[string]claimant
	// namespaces are the non-default namespaces of the instances.
	namespaces namespaceSet
}

// groupInstances groups routable instances by namespace and service
// (keyed by poolName), sorted by ID. A default-namespace service whose
// name ends in the name of a namespace among instances is not routed: its
// pool name would be that namespace's ("web.prod" is namespace prod's
// web).
func groupInstances(instances []Instance, namespaces namespaceSet) map[string][]Instance {
	groups := map[string][]Instance{}
	for _, in := range instances {
		if in.Address == "" || in.Port <= 0 || in.ServiceName == "" ||
			isDefaultNamespace(in.Namespace) && namespaces.aliases(in.ServiceName) {
			continue
		}
		key := poolName(in.Namespace, in.ServiceName)
		groups[key] = append(groups[key], in)
	}
	for _, g := range groups {
		slices.SortFunc(g, func(a, b Instance) int { return cmp.Compare(a.ID, b.ID) })
	}
	return groups
}

// tagSource picks the instance whose tags configure the service: the
// first non-critical one, else the first (instances are sorted by ID).
func tagSource(instances []Instance) Instance {
	for _, in := range instances {
		if in.Health == HealthPassing || in.Health == HealthWarning {
			return in
		}
	}
	return instances[0]
}

// addCatalogService adds the routers, services and middlewares of one
// catalog service.
func (b *builder) addCatalogService(name string, instances []Instance) {
	src := tagSource(instances)
	ts := parseTags(src.Tags)
	ts.scope(src.Namespace, b.namespaces)
	who := claimant{ns: namespaceOf(src.Namespace), first: instances[0].CreateIndex}
	for _, in := range instances {
		who.first = min(who.first, in.CreateIndex)
	}
	enabled := b.opts.ExposedByDefault
	if ts.enable != nil {
		enabled = *ts.enable
	}
	if !enabled && len(ts.errs) == 0 {
		return
	}
	if len(ts.services) == 0 {
		ts.services[name] = &serviceTags{}
	}
	for _, sn := range sortedKeys(ts.services) {
		b.addService(name, b.service(sn, ts.services[sn], instances))
	}
	for _, mn := range sortedKeys(ts.middlewares) {
		b.addMiddleware(name, middleware(mn, ts.middlewares[mn]))
	}
	if len(ts.routers) == 0 {
		ts.routers[name] = &routerTags{}
	}
	for _, rn := range sortedKeys(ts.routers) {
		r := b.router(name, rn, ts.routers[rn], ts)
		r.Err = append(append(r.Err, ts.errs...), ts.warns...)
		r.Namespace = who.ns
		if _, ok := b.claimants[r.Name]; !ok {
			b.claimants[r.Name] = who
		}
		b.addRouter(name, r)
	}
}

// pathRoutingRule is the default rule of service name with PathRouting.
func pathRoutingRule(name string) string {
	return "Path(`/" + name + "`) || PathPrefix(`/" + name + "/`)"
}

// pathStrip adds (once) and names the stripprefix middleware of service
// name with PathRouting.
func (b *builder) pathStrip(name string) string {
	mw := "stripprefix-" + name
	if b.c.Middlewares[mw] == nil {
		b.addMiddleware(name, &Middleware{Name: mw, StripPrefix: []string{"/" + name},
			Status: StatusEnabled, Provider: providerName})
	}
	return mw
}

// service builds a Service from its tags and the instances.
func (b *builder) service(name string, st *serviceTags, instances []Instance) *Service {
	s := &Service{Name: name, Scheme: cmp.Or(st.scheme, "http"), PassHostHeader: true,
		Servers: []*Server{}, Provider: providerName}
	if st.passHostHeader != nil {
		s.PassHostHeader = *st.passHostHeader
	}
	if st.sticky != nil {
		sticky := *st.sticky
		sticky.CookieName = cmp.Or(sticky.CookieName, defaultCookieName(name))
		s.Sticky = &sticky
	}
	scheme := s.Scheme
	if scheme == "h2c" {
		scheme = "http" // h2c is cleartext HTTP/2: the URL stays http
	}
	for _, in := range instances {
		w, ok := weight(in.Health)
		if !ok {
			continue
		}
		port := cmp.Or(st.port, in.Port)
		s.Servers = append(s.Servers, &Server{URL: scheme + "://" + net.JoinHostPort(in.Address, strconv.Itoa(port)),
			Weight: w, Health: in.Health, InstanceID: in.ID})
	}
	s.Status, s.Err = status(st.errs, st.warns)
	return s
}

// weight is the server weight of a health state; critical (and unknown)
// instances get none.
func weight(health string) (int, bool) {
	switch health {
	case HealthPassing:
		return WeightPassing, true
	case HealthWarning:
		return WeightWarning, true
	}
	return 0, false
}

// defaultCookieName derives a sticky cookie name from the service name,
// as Traefik does when none is given: a short hash.
func defaultCookieName(service string) string {
	sum := sha1.Sum([]byte(service))
	return "_" + hex.EncodeToString(sum[:])[:6]
}

// middleware builds a Middleware from its tags.
func middleware(name string, mt *middlewareTags) *Middleware {
	m := &Middleware{Name: name, StripPrefix: mt.stripPrefix, RedirectScheme: mt.redirectScheme,
		Permanent: mt.permanent, Provider: providerName}
	errs := mt.errs
	switch {
	case len(errs) > 0:
	case mt.kind == "stripprefix" && len(mt.stripPrefix) == 0:
		errs = append(errs, "stripprefix needs prefixes")
	case mt.kind == "redirectscheme" && mt.redirectScheme == "":
		errs = append(errs, "redirectscheme needs a scheme")
	}
	m.Status, m.Err = status(errs, mt.warns)
	return m
}

// status is disabled when there are errors, warning when only warnings,
// else enabled; the second result lists errors then warnings.
func status(errs, warns []string) (string, []string) {
	all := append(slices.Clip(errs), warns...)
	switch {
	case len(errs) > 0:
		return StatusDisabled, all
	case len(warns) > 0:
		return StatusWarning, all
	}
	return StatusEnabled, nil
}

// disable marks a router disabled with a reason.
func (r *Router) disable(format string, args ...any) {
	r.Status = StatusDisabled
	r.Err = append(r.Err, fmt.Sprintf(format, args...))
}

// Package config is the ingress's dynamic configuration, in Traefik's
// terms: routers (a rule, entry points, middlewares, a service), services
// (a load balancer over servers) and middlewares. It is built from the
// catalog's instances and their tags (Build), so job files written for
// Traefik's Consul catalog provider keep working; the proxy compiles it
// into a route table, and the dashboard shows it.
//
// config must never import internal/server, internal/scheduler,
// internal/client, internal/state or internal/ingress/proxy.
package config

// Health states of a server, as the catalog's.
const (
	HealthPassing  = "passing"
	HealthWarning  = "warning"
	HealthCritical = "critical"
)

// Router statuses, as Traefik's dashboard shows them.
const (
	StatusEnabled  = "enabled"
	StatusDisabled = "disabled" // broken: Err says why
	StatusWarning  = "warning"
)

// Default weights of a server by health (Consul's DNS weights as the
// issue asks: a passing instance takes ten times the traffic of a warning
// one; critical ones take none).
const (
	WeightPassing = 10
	WeightWarning = 1
)

// Config is the whole dynamic configuration at one catalog index.
type Config struct {
	// Index is the catalog index it was built from.
	Index       uint64
	Routers     map[string]*Router
	Services    map[string]*Service
	Middlewares map[string]*Middleware
	// Hosts maps each host a namespace holds (lower case, as a router's
	// Host matcher names it) to that namespace: a request for it is only
	// ever matched against the routers of that namespace, whatever the
	// shape of the others' rules (PathPrefix alone, HostRegexp, wildcard
	// hosts). Build fills it (claimHosts).
	Hosts map[string]string `json:"hosts,omitempty"`
}

// Router sends the requests its rule matches, on its entry points, through
// its middlewares to its service. Names follow Traefik's
// "<name>@<provider>" form in the dashboard ("web@catalog").
type Router struct {
	Name string `json:"name"`
	// Rule is the Traefik rule text, e.g. "Host(`web.minipot`)".
	Rule string `json:"rule"`
	// Priority orders routers; 0 means the rule's length (Traefik's
	// default), the longest rule first.
	Priority    int      `json:"priority,omitempty"`
	EntryPoints []string `json:"entryPoints,omitempty"`
	Middlewares []string `json:"middlewares,omitempty"`
	Service     string   `json:"service"`
	// TLS serves the router on TLS entry points (certificates chosen by
	// SNI from the entry point's files).
	TLS bool `json:"tls,omitempty"`
	// Status is enabled, or disabled with Err saying why (a malformed
	// rule or tag never takes other routers down).
	Status string   `json:"status"`
	Err    []string `json:"error,omitempty"`
	// Provider is "catalog" for routers built from tags.
	Provider string `json:"provider"`
	// Namespace is the namespace of the catalog service that defined the
	// router ("default" for the default one; "" for routers not built
	// from the catalog, which belong to the default namespace too).
	Namespace string `json:"namespace,omitempty"`
}

// Service is a load balancer over servers.
type Service struct {
	Name    string    `json:"name"`
	Servers []*Server `json:"servers"`
	// Scheme is http (default) or https towards the servers.
	Scheme string `json:"scheme,omitempty"`
	// PassHostHeader forwards the client's Host header (default true).
	PassHostHeader bool `json:"passHostHeader"`
	// Sticky, when set, pins a client to a server with a cookie.
	Sticky   *Sticky  `json:"sticky,omitempty"`
	Status   string   `json:"status"`
	Err      []string `json:"error,omitempty"`
	Provider string   `json:"provider"`
}

// Server is one instance behind a service.
type Server struct {
	// URL is scheme://address:port.
	URL string `json:"url"`
	// Weight comes from the instance's health (WeightPassing,
	// WeightWarning); critical instances are not listed.
	Weight int    `json:"weight"`
	Health string `json:"health"`
	// InstanceID is the catalog registration ID.
	InstanceID string `json:"instanceID"`
}

// Sticky is cookie stickiness (Traefik's loadbalancer.sticky.cookie).
type Sticky struct {
	CookieName string `json:"cookieName"`
	Secure     bool   `json:"secure,omitempty"`
	HTTPOnly   bool   `json:"httpOnly,omitempty"`
}

// Middleware changes requests on their way through a router.
type Middleware struct {
	Name string `json:"name"`
	// StripPrefix removes the first matching prefix from the path (and
	// sets X-Forwarded-Prefix).
	StripPrefix []string `json:"stripPrefix,omitempty"`
	// RedirectScheme redirects to the scheme ("https"), permanently when
	// Permanent.
	RedirectScheme string   `json:"redirectScheme,omitempty"`
	Permanent      bool     `json:"permanent,omitempty"`
	Status         string   `json:"status"`
	Err            []string `json:"error,omitempty"`
	Provider       string   `json:"provider"`
}

// Instance is what Build needs of one catalog instance.
type Instance struct {
	ID          string
	ServiceName string
	// Namespace is the instance's namespace ("" is the default one).
	Namespace string
	// CreateIndex is the catalog index that registered the instance.
	CreateIndex uint64
	Address     string
	Port        int
	Tags        []string
	// Health is passing, warning or critical.
	Health string
}

// Options tune Build.
type Options struct {
	// Domain makes the default rule Host(`<service>.<Domain>`) ("minipot"
	// in -dev).
	Domain string
	// DefaultRule, when set, replaces the default rule; it is a Go
	// template with .Name (the service name), as Traefik's defaultRule.
	DefaultRule string
	// ExposedByDefault routes every service unless it says
	// traefik.enable=false (true in -dev, as minipot); when false only
	// services tagged traefik.enable=true are routed.
	ExposedByDefault bool
	// EntryPoints are the default entry points of routers ("web").
	EntryPoints []string
	// PathRouting routes by URL path instead of host: a service's default
	// router gets the rule Path(`/<name>`) || PathPrefix(`/<name>/`) (any
	// host; DefaultRule and Domain are not used) and a stripprefix
	// middleware named "stripprefix-<name>" that removes "/<name>", so
	// https://example.com/foo/x reaches service foo as /x.
	PathRouting bool
}

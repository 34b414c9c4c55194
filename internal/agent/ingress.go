package agent

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress"
	"github.com/wharf-project/wharf/internal/ingress/proxy"
)

// Default ingress ports and names, as minipot's Traefik.
const (
	DefaultIngressPort   = 8080
	DefaultDashboardPort = 9200
	DefaultIngressDomain = "minipot"
)

// IngressConfig configures the ingress role: a reverse proxy that routes
// to the passing instances of catalog services, and its dashboard:
//
//	ingress {
//	  enabled            = true        # on by default in -dev
//	  port               = 8080        # entry point "web"
//	  tls_port           = 0           # entry point "websecure"; 0 = off
//	  dashboard_port     = 9200
//	  domain             = "minipot"   # default rule Host(`<service>.<domain>`)
//	  exposed_by_default = true        # true in -dev; else traefik.enable=true opts in
//	  path_routing       = false       # route /<service>/... to <service> (any host), prefix stripped
//	  access_log         = ""          # "", "stdout", "stderr" or a file path
//	  event_loops        = true        # Linux: serve "web" from epoll loops, not a goroutine per connection
//	  event_loop_threads = 0           # loops; 0: one per two CPUs (GOMAXPROCS), at least one
//	  servers            = []          # API addresses, the next tried when one fails; the agent's own by default
//	  certificates = [{ cert_file = "/etc/wharf/a.pem", key_file = "/etc/wharf/a.key" }]
//	}
type IngressConfig struct {
	Enabled          *bool                      `hcl:"enabled,optional"`
	Port             int                        `hcl:"port,optional"`
	TLSPort          int                        `hcl:"tls_port,optional"`
	DashboardPort    int                        `hcl:"dashboard_port,optional"`
	Domain           string                     `hcl:"domain,optional"`
	ExposedByDefault *bool                      `hcl:"exposed_by_default,optional"`
	PathRouting      bool                       `hcl:"path_routing,optional"`
	AccessLog        string                     `hcl:"access_log,optional"`
	EventLoops       *bool                      `hcl:"event_loops,optional"`
	EventLoopThreads int                        `hcl:"event_loop_threads,optional"`
	Servers          []string                   `hcl:"servers,optional"`
	Certificates     []IngressCertificateConfig `hcl:"certificates,optional"`
}

// IngressCertificateConfig names a PEM certificate (chain) and its key
// for the TLS entry point; the one matching the client's SNI is served.
type IngressCertificateConfig struct {
	CertFile string `hcl:"cert_file" cty:"cert_file"`
	KeyFile  string `hcl:"key_file" cty:"key_file"`
}

// IngressEnabled reports whether the ingress role runs.
func (c *Config) IngressEnabled() bool {
	return c.Ingress != nil && c.Ingress.Enabled != nil && *c.Ingress.Enabled
}

// normalizeIngress fills the ingress's defaults: on in -dev with domain
// minipot and every service exposed; ports 8080 and 9200.
func (c *Config) normalizeIngress() error {
	if c.Ingress == nil {
		c.Ingress = &IngressConfig{}
	}
	in := c.Ingress
	on := c.Dev
	if in.Enabled == nil {
		in.Enabled = &on
	}
	if in.ExposedByDefault == nil {
		in.ExposedByDefault = &on
	}
	if in.Domain == "" {
		in.Domain = DefaultIngressDomain
	}
	in.Port = cmp.Or(in.Port, DefaultIngressPort)
	in.DashboardPort = cmp.Or(in.DashboardPort, DefaultDashboardPort)
	for _, p := range []struct {
		name string
		port int
	}{{"ingress.port", in.Port}, {"ingress.tls_port", in.TLSPort}, {"ingress.dashboard_port", in.DashboardPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("%s: %d is not a port", p.name, p.port)
		}
	}
	if in.EventLoopThreads < 0 || in.EventLoopThreads > 1024 {
		return fmt.Errorf("ingress.event_loop_threads: %d is not between 0 (one per two CPUs) and 1024", in.EventLoopThreads)
	}
	if in.TLSPort > 0 && len(in.Certificates) == 0 {
		return errors.New("ingress.certificates: a TLS entry point (tls_port) needs at least one certificate")
	}
	for i, cert := range in.Certificates {
		if cert.CertFile == "" || cert.KeyFile == "" {
			return fmt.Errorf("ingress.certificates[%d]: cert_file and key_file are required", i)
		}
	}
	return nil
}

// ingressRole is the running ingress, assembled in package ingress.
type ingressRole = ingress.Role

// startIngress starts the ingress role with this agent's catalog
// clients, connection bounds and dashboard guards.
func (a *Agent) startIngress() error {
	if !a.cfg.IngressEnabled() {
		return nil
	}
	opts, err := a.ingressOptions()
	if err != nil {
		return err
	}
	a.ingress = ingress.New(opts)
	err = a.ingress.Start()
	if p := a.ingress.Proxy(); p != nil {
		a.observeIngress(p)
	}
	return err
}

// ingressOptions are the ingress role's options from the ingress block
// and the agent.
func (a *Agent) ingressOptions() (ingress.Options, error) {
	in := a.cfg.Ingress
	o := ingress.Options{Logger: a.log.With("role", "ingress"), BindAddr: a.cfg.BindAddr, Port: in.Port,
		TLSPort: in.TLSPort, DashboardPort: in.DashboardPort, Domain: in.Domain,
		ExposedByDefault: *in.ExposedByDefault, PathRouting: in.PathRouting, AccessLog: in.AccessLog,
		EventLoops: in.EventLoops == nil || *in.EventLoops, EventLoopThreads: in.EventLoopThreads,
		EntryPoint: a.ingressServerOptions(nil), Collectors: []prometheus.Collector{&limitsCollector{a: a}},
		Dashboard:         a.wrapDashboard,
		DashboardListener: func(ln net.Listener) net.Listener { return a.limitListener("dashboard", ln) },
		DashboardServer:   a.bound}
	for _, c := range in.Certificates {
		o.Certificates = append(o.Certificates, proxy.CertFile{CertFile: c.CertFile, KeyFile: c.KeyFile})
	}
	hc, err := a.serverHTTPClient()
	if err != nil {
		return o, fmt.Errorf("ingress: %w", err)
	}
	for _, addr := range a.agentURLs(a.ingressAPIAddresses()) {
		c, err := api.NewClient(&api.Config{Address: addr, Namespace: "*", HTTPClient: hc, Token: a.agentToken()})
		if err != nil {
			return o, fmt.Errorf("ingress: server %q: %w", addr, err)
		}
		o.Catalogs = append(o.Catalogs, c.Services())
	}
	return o, nil
}

// wrapDashboard puts the dashboard behind the agent's ACL guard and, on
// an agent without the server role, beside its agent endpoints.
func (a *Agent) wrapDashboard(h http.Handler) (http.Handler, error) {
	guarded, err := a.guardDashboard(h)
	if err != nil {
		return nil, err
	}
	return a.agentEndpoints(guarded, a.ingressAPIAddresses())
}

// ingressAPIAddresses are the APIs the ingress follows the catalog
// through, in the order tried (the next one after a failed read): the
// ingress block's servers, else the agent's own server, else the
// client's servers, else the default address.
func (a *Agent) ingressAPIAddresses() []string {
	switch {
	case len(a.cfg.Ingress.Servers) > 0:
		return a.cfg.Ingress.Servers
	case a.httpLn != nil && a.server != nil:
		return []string{a.advertiseHTTP()}
	case a.cfg.Client != nil && len(a.cfg.Client.Servers) > 0:
		return a.cfg.Client.Servers
	}
	return []string{api.DefaultAddress}
}

// stopIngress stops the ingress role; requests in flight get a few
// seconds to finish.
func (a *Agent) stopIngress() error {
	if a.ingress == nil {
		return nil
	}
	return a.ingress.Stop()
}

// IngressAddr is the ingress's plain HTTP entry point, or "" when off.
func (a *Agent) IngressAddr() string {
	if a.ingress == nil {
		return ""
	}
	return a.ingress.Addr()
}

// IngressTLSAddr is the ingress's TLS entry point, or "" when off.
func (a *Agent) IngressTLSAddr() string {
	if a.ingress == nil {
		return ""
	}
	return a.ingress.TLSAddr()
}

// DashboardAddr is the ingress dashboard's address, or "" when off.
func (a *Agent) DashboardAddr() string {
	if a.ingress == nil {
		return ""
	}
	return a.ingress.DashboardAddr()
}

// IngressSynced is closed once the ingress built its first route table
// from the catalog; nil without the ingress role.
func (a *Agent) IngressSynced() <-chan struct{} {
	if a.ingress == nil {
		return nil
	}
	return a.ingress.Synced()
}

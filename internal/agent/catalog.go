package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wharf-project/wharf/internal/catalog/consulapi"
	"github.com/wharf-project/wharf/internal/catalog/dns"
	"github.com/wharf-project/wharf/internal/server"
)

// Default catalog ports, as Consul's.
const (
	DefaultConsulPort = 8500
	DefaultDNSPort    = 8600
)

// ConsulConfig configures the Consul-shaped catalog API of a server:
//
//	consul {
//	  enabled = true   # on by default in -dev, off otherwise
//	  port    = 8500
//	}
type ConsulConfig struct {
	Enabled *bool `hcl:"enabled,optional"`
	Port    int   `hcl:"port,optional"`
}

// DNSConfig configures the catalog's DNS server (UDP and TCP):
//
//	dns {
//	  enabled = true      # on by default in -dev, off otherwise
//	  port    = 8600
//	  domain  = "wharf"   # "consul" is always answered too
//	  ttl     = "0s"
//	}
type DNSConfig struct {
	Enabled *bool  `hcl:"enabled,optional"`
	Port    int    `hcl:"port,optional"`
	Domain  string `hcl:"domain,optional"`
	TTL     string `hcl:"ttl,optional"`
}

// ConsulEnabled reports whether the Consul-shaped API runs.
func (c *Config) ConsulEnabled() bool {
	return c.Consul != nil && c.Consul.Enabled != nil && *c.Consul.Enabled
}

// DNSEnabled reports whether the catalog's DNS server runs.
func (c *Config) DNSEnabled() bool {
	return c.DNS != nil && c.DNS.Enabled != nil && *c.DNS.Enabled
}

// normalizeCatalog fills the catalog's defaults: both on in -dev, ports
// 8500 and 8600, domain wharf; they need the server role.
func (c *Config) normalizeCatalog(serverOn bool) error {
	if c.Consul == nil {
		c.Consul = &ConsulConfig{}
	}
	if c.DNS == nil {
		c.DNS = &DNSConfig{}
	}
	on := c.Dev
	if c.Consul.Enabled == nil {
		c.Consul.Enabled = &on
	}
	if c.DNS.Enabled == nil {
		c.DNS.Enabled = &on
	}
	for _, p := range []struct {
		name string
		port *int
		def  int
		on   bool
	}{{"consul.port", &c.Consul.Port, DefaultConsulPort, c.ConsulEnabled()}, {"dns.port", &c.DNS.Port, DefaultDNSPort, c.DNSEnabled()}} {
		if *p.port == 0 {
			*p.port = p.def
		}
		if *p.port < 0 || *p.port > 65535 {
			return fmt.Errorf("%s: %d is not a port", p.name, *p.port)
		}
		if p.on && !serverOn {
			return fmt.Errorf("%s: the catalog is served by the server role; enable it or disable this block", p.name)
		}
	}
	if c.DNS.Domain == "" {
		c.DNS.Domain = "wharf"
	}
	if _, err := parseDuration(c.DNS.TTL); err != nil {
		return fmt.Errorf("dns.ttl: %w", err)
	}
	return nil
}

// catalogRole is the running catalog: the Consul-shaped API and DNS.
type catalogRole struct {
	api    *consulapi.Server
	http   *http.Server
	ln     net.Listener
	dns    *dns.Server
	leader *server.EtcdElector
}

// startCatalog serves the Consul-shaped API and DNS of a server. It runs
// after the client started, so agent registrations belong to its node.
func (a *Agent) startCatalog() error {
	if a.store == nil || (!a.cfg.ConsulEnabled() && !a.cfg.DNSEnabled()) {
		return nil
	}
	a.catalog = &catalogRole{leader: &server.EtcdElector{Client: a.store.Client()}}
	if a.cfg.ConsulEnabled() {
		if err := a.startConsulAPI(); err != nil {
			return err
		}
	}
	if a.cfg.DNSEnabled() {
		ttl, _ := parseDuration(a.cfg.DNS.TTL)
		d, err := dns.New(dns.Config{Reader: a.store, Domain: a.cfg.DNS.Domain, Datacenter: a.cfg.Datacenter,
			TTL: ttl, Logger: a.log.With("role", "dns"), Conns: a.limiter("dns"), ACL: a.dnsACL()})
		if err != nil {
			return err
		}
		addr := net.JoinHostPort(a.cfg.BindAddr, strconv.Itoa(a.cfg.DNS.Port))
		if err := d.Start(addr); err != nil {
			return err
		}
		a.catalog.dns = d
	}
	return nil
}

func (a *Agent) startConsulAPI() error {
	c := a.catalog
	nodeName := a.cfg.Name
	if nodeName == "" {
		nodeName, _ = os.Hostname()
	}
	api, err := consulapi.New(consulapi.Config{Store: a.store, Datacenter: a.cfg.Datacenter, NodeName: nodeName, ACLEnabled: a.cfg.ACLEnabled(),
		LocalNodeID: a.NodeID, Leader: c.leader.Leader, Peers: c.leader.Peers, Version: a.cfg.Version,
		Logger: a.log.With("role", "consul-api"), JSONMaxDepth: a.cfg.jsonMaxDepth()})
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(a.cfg.BindAddr, strconv.Itoa(a.cfg.Consul.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		api.Close()
		return fmt.Errorf("listen for the Consul API on %s: %w", addr, err)
	}
	if ln, err = a.wrapTLS(a.limitListener("consul", ln), userListener); err != nil {
		api.Close()
		return err
	}
	base := a.baseCtx
	c.api, c.ln = api, ln
	c.http = a.bound(&http.Server{Handler: a.guardWrites(api.Handler()), BaseContext: func(net.Listener) context.Context { return base }})
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := c.http.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("Consul API stopped", "err", err)
		}
	}()
	return nil
}

// stopCatalog stops the Consul API and DNS.
func (a *Agent) stopCatalog() error {
	c := a.catalog
	if c == nil {
		return nil
	}
	var errs []error
	if c.http != nil {
		errs = append(errs, a.shutdownServer("Consul API", c.http, 5*time.Second))
		c.api.Close()
	}
	if c.dns != nil {
		errs = append(errs, c.dns.Close())
	}
	return errors.Join(errs...)
}

// ConsulAddr is the Consul-shaped API's address, or "" when it is off.
func (a *Agent) ConsulAddr() string {
	if a.catalog == nil || a.catalog.ln == nil {
		return ""
	}
	return a.catalog.ln.Addr().String()
}

// DNSAddr is the catalog DNS server's address, or "" when it is off.
func (a *Agent) DNSAddr() string {
	if a.catalog == nil || a.catalog.dns == nil {
		return ""
	}
	return a.catalog.dns.Addr()
}

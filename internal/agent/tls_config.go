package agent

import (
	"errors"
	"fmt"
	"strings"
)

// TLSConfig configures TLS for the traffic that crosses a network (Nomad's
// tls block).
//
// With HTTP, the API and web UI on ports.http, the Consul-shaped API and
// the registry serve HTTPS. With RPC, agents talk to each other over
// mutual TLS: clients to servers, servers to clients (logs, exec, stats),
// and the embedded etcd members to each other and to their server; since
// agents talk over the API port, RPC makes it serve HTTPS too. The
// ingress's entry points keep their own certificates.
type TLSConfig struct {
	HTTP bool `hcl:"http,optional"`
	RPC  bool `hcl:"rpc,optional"`
	// CAFile is the CA that signs every agent's and user's certificate;
	// CertFile and KeyFile are this agent's (server.<region>.wharf for a
	// server, client.<region>.wharf for a client). They are read again
	// when they change.
	CAFile   string `hcl:"ca_file,optional"`
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	// VerifyServerHostname makes agents accept only servers whose
	// certificate holds server.<region>.wharf (and, for the requests a
	// server sends to clients, client.<region>.wharf or a server's),
	// rather than any certificate the CA signed.
	VerifyServerHostname bool `hcl:"verify_server_hostname,optional"`
	// VerifyHTTPSClient requires every HTTPS peer (users and their CLI
	// too) to present a certificate the CA signed.
	VerifyHTTPSClient bool `hcl:"verify_https_client,optional"`
}

// TLSEnabled reports whether any listener serves TLS.
func (c *Config) TLSEnabled() bool { return c.TLS != nil && (c.TLS.HTTP || c.TLS.RPC) }

func (c *Config) normalizeTLS() error {
	t := c.TLS
	if t == nil || (!t.HTTP && !t.RPC) {
		return nil
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"ca_file", t.CAFile}, {"cert_file", t.CertFile}, {"key_file", t.KeyFile}} {
		if f.v == "" {
			missing = append(missing, "tls."+f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: required with tls.http or tls.rpc on", strings.Join(missing, ", "))
	}
	if err := c.plainServerURL(); err != nil {
		return err
	}
	if !t.RPC || c.Etcd == nil || len(c.Etcd.Endpoints) > 0 {
		return nil
	}
	for _, u := range []struct{ name, v string }{{"etcd.client_url", c.Etcd.ClientURL}, {"etcd.peer_url", c.Etcd.PeerURL}} {
		if strings.HasPrefix(u.v, "http://") {
			return fmt.Errorf("%s: %q must be https:// with tls.rpc on", u.name, u.v)
		}
	}
	if strings.Contains(c.Etcd.InitialCluster, "=http://") {
		return errors.New("etcd.initial_cluster: peer URLs must be https:// with tls.rpc on")
	}
	return nil
}

// plainServerURL refuses http:// server addresses while agents serve
// their API over TLS: every agent of a cluster shares the tls block.
func (c *Config) plainServerURL() error {
	type list struct {
		name  string
		addrs []string
	}
	var lists []list
	if c.Client != nil {
		lists = append(lists, list{"client.servers", c.Client.Servers})
	}
	if c.Ingress != nil {
		lists = append(lists, list{"ingress.servers", c.Ingress.Servers})
	}
	for _, l := range lists {
		for _, a := range l.addrs {
			if strings.HasPrefix(strings.ToLower(a), "http://") {
				return fmt.Errorf("%s: %q is plain HTTP but tls is on: use https:// or host:port", l.name, a)
			}
		}
	}
	return nil
}

package agent

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/tlsutil"
)

// agentTLS is the agent's certificate and CA, loaded once and reloaded
// when the files change.
type agentTLS struct {
	once     sync.Once
	reloader *tlsutil.Reloader
	err      error
}

// tlsFiles loads the tls block's files the first time it is asked.
func (a *Agent) tlsFiles() (*tlsutil.Reloader, error) {
	a.tlsState.once.Do(func() {
		t := a.cfg.TLS
		r, err := tlsutil.NewReloader(tlsutil.Files{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile})
		if err != nil {
			err = fmt.Errorf("tls: %w", err)
		}
		a.tlsState.reloader, a.tlsState.err = r, err
	})
	return a.tlsState.reloader, a.tlsState.err
}

// listenerTLS says which listeners serve TLS: the API port when tls.http
// or tls.rpc is on (agents talk over it), the Consul-shaped API and the
// registry when tls.http is on.
type listenerTLS int

const (
	apiListener listenerTLS = iota
	userListener
)

func (a *Agent) servesTLS(which listenerTLS) bool {
	t := a.cfg.TLS
	if t == nil {
		return false
	}
	if which == apiListener {
		return t.HTTP || t.RPC
	}
	return t.HTTP
}

// wrapTLS returns ln serving TLS with the agent's certificate when which
// listener serves TLS, else ln itself. Connection caps wrap ln before or
// after: both are plain net.Listeners.
func (a *Agent) wrapTLS(ln net.Listener, which listenerTLS) (net.Listener, error) {
	if !a.servesTLS(which) {
		return ln, nil
	}
	r, err := a.tlsFiles()
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	return tls.NewListener(ln, r.ServerConfig(a.cfg.TLS.VerifyHTTPSClient)), nil
}

// dialTLS is the configuration the agent dials other agents with,
// accepting peers of roles when verify_server_hostname is on; nil without
// TLS.
func (a *Agent) dialTLS(roles ...tlsutil.Role) (*tls.Config, error) {
	if !a.cfg.TLSEnabled() {
		return nil, nil
	}
	r, err := a.tlsFiles()
	if err != nil {
		return nil, err
	}
	o := tlsutil.DialOptions{Region: a.cfg.Region, Domain: tlsutil.DefaultDomain}
	if a.cfg.TLS.VerifyServerHostname {
		o.Roles = roles
	}
	return r.ClientConfig(o), nil
}

// serverHTTPClient is the http.Client agents reach servers with (client
// to server, ingress and image pulls from a registry), nil without TLS.
func (a *Agent) serverHTTPClient() (*http.Client, error) {
	rt, err := a.agentTransport(tlsutil.RoleServer)
	if rt == nil || err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt}, nil
}

// agentTransport is the transport for dialing agents of roles; nil
// without TLS.
func (a *Agent) agentTransport(roles ...tlsutil.Role) (*http.Transport, error) {
	cfg, err := a.dialTLS(roles...)
	if cfg == nil || err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return tr, nil
}

// agentURLs gives bare host:port addresses of agents (and the API client's
// default address) the https:// scheme when the API port serves TLS;
// other URLs keep theirs.
func (a *Agent) agentURLs(addrs []string) []string {
	if !a.servesTLS(apiListener) {
		return addrs
	}
	out := make([]string, len(addrs))
	for i, s := range addrs {
		if s == api.DefaultAddress {
			s = strings.TrimPrefix(s, "http://")
		}
		if !strings.Contains(s, "://") {
			s = "https://" + s
		}
		out[i] = s
	}
	return out
}

// nodeOnlyRoutes are the writes only client agents (and servers) make:
// with tls.rpc on, their callers must present a client or server
// certificate of this region.
var nodeOnlyRoutes = []string{
	"PUT /v1/node/register", "POST /v1/node/register",
	"PUT /v1/node/{id}/heartbeat", "POST /v1/node/{id}/heartbeat",
	"PUT /v1/allocations/update", "POST /v1/allocations/update",
}

// requireNodeRole refuses node-only requests (nodeOnlyRoutes) from peers
// without a client or server certificate when tls.rpc is on, and passes
// everything else to next.
func (a *Agent) requireNodeRole(next http.Handler) http.Handler {
	if a.cfg.TLS == nil || !a.cfg.TLS.RPC {
		return next
	}
	mux := http.NewServeMux()
	refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := peerRole(r, a.cfg.Region)
		if role == tlsutil.RoleClient || role == tlsutil.RoleServer {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, fmt.Sprintf("Permission denied: %s needs a client or server certificate of region %q (got %s)",
			r.URL.Path, a.cfg.Region, describeRole(role)), http.StatusForbidden)
	})
	for _, p := range nodeOnlyRoutes {
		mux.Handle(p, refuse)
	}
	mux.Handle("/", next)
	return mux
}

// peerRole is the role of the verified certificate the peer presented.
func peerRole(r *http.Request, region string) tlsutil.Role {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return tlsutil.PeerRole(r.TLS.VerifiedChains[0][0], region, tlsutil.DefaultDomain)
}

func describeRole(r tlsutil.Role) string {
	if r == "" {
		return "no certificate of a role"
	}
	return "a " + string(r) + " certificate"
}

// setClientTransport makes srv reach other nodes' /v1/client/ endpoints,
// and the leader it forwards node writes to, over TLS when the API port
// serves it.
func (a *Agent) setClientTransport(srv *server.Server) error {
	rt, err := a.agentTransport(tlsutil.RoleClient, tlsutil.RoleServer)
	if err != nil {
		return err
	}
	if rt != nil {
		srv.SetClientTransport(rt)
	}
	leader, err := a.agentTransport(tlsutil.RoleServer)
	if err != nil {
		return err
	}
	if leader != nil {
		srv.SetLeaderTransport(leader)
	}
	return nil
}

// webHTTPClient reaches registries: the agents' own (signed by the CA)
// and any on the web.
func webHTTPClient(r *tlsutil.Reloader) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = r.WebClientConfig()
	return &http.Client{Transport: tr}
}

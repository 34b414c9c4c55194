package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/client"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/netlimit"
	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
)

// Agent is a running wharf agent.
type Agent struct {
	cfg     *Config
	log     *slog.Logger
	tempDir string
	etcd    *embedetcd.Server
	store   *etcdstore.Store
	server  *server.Server
	httpLn  net.Listener
	httpSrv *http.Server
	baseCtx context.Context // ends at shutdown: requests and the server's work
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// ownToken is the agent token made at start (see acl_token.go).
	ownToken string

	registry     *registryRole
	catalog      *catalogRole
	ingress      *ingressRole
	client       *client.Client
	clientCancel context.CancelFunc
	jails        *pot.Driver
	clientDone   chan struct{}

	conns    *connLimits                  // limits.go
	limiters map[string]*netlimit.Limiter // by listener role
	tlsState agentTLS                     // tls.go
	obs      observability                // observe.go
}

// Start brings up the roles of cfg (already normalized) and returns once
// the API listens. Errors name what failed; whatever was started is
// stopped again.
func Start(ctx context.Context, cfg *Config, log *slog.Logger) (*Agent, error) {
	a := &Agent{cfg: cfg, log: log}
	a.setupObservability()
	if err := a.start(ctx); err != nil {
		// Stop whatever started before the failure.
		_ = a.Shutdown()
		return nil, err
	}
	return a, nil
}

func (a *Agent) start(ctx context.Context) error {
	if err := a.setupConns(); err != nil {
		return err
	}
	if err := a.prepareDataDir(); err != nil {
		return err
	}
	if a.serverEnabled() {
		if err := a.startState(ctx); err != nil {
			return err
		}
	}
	if a.serverEnabled() || a.clientEnabled() {
		if err := a.listen(); err != nil {
			return err
		}
	}
	if a.serverEnabled() {
		if err := a.startServer(); err != nil {
			return err
		}
	}
	if a.cfg.Registry != nil && a.cfg.Registry.Enabled {
		if err := a.startRegistry(); err != nil {
			return err
		}
	}
	if a.clientEnabled() {
		if err := a.startClient(); err != nil {
			return err
		}
	}
	if err := a.startCatalog(); err != nil {
		return err
	}
	if a.httpLn != nil {
		a.serveHTTP()
	}
	return a.startIngress()
}

func (a *Agent) serverEnabled() bool { return a.cfg.Server != nil && a.cfg.Server.Enabled }
func (a *Agent) clientEnabled() bool { return a.cfg.Client != nil && a.cfg.Client.Enabled }

func (a *Agent) prepareDataDir() error {
	if a.cfg.DataDir == "" && a.cfg.Dev {
		dir, err := os.MkdirTemp("", "wharf-dev-")
		if err != nil {
			return fmt.Errorf("create dev data dir: %w", err)
		}
		a.tempDir, a.cfg.DataDir = dir, dir
	}
	if a.cfg.DataDir == "" {
		return nil
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data_dir %s: %w", a.cfg.DataDir, err)
	}
	return nil
}

// startState starts the embedded etcd member (unless external endpoints
// are configured) and opens the store on it.
func (a *Agent) startState(ctx context.Context) error {
	ec := a.cfg.Etcd
	endpoints := ec.Endpoints
	storeCfg := etcdstore.Config{Logger: a.log}
	if len(endpoints) == 0 {
		initial, clusterState, err := a.etcdMembership(ctx, filepath.Join(a.cfg.DataDir, "etcd"))
		if err != nil {
			return err
		}
		mcfg := embedetcd.Config{
			DataDir: filepath.Join(a.cfg.DataDir, "etcd"), Name: ec.Name,
			ClientURL: ec.ClientURL, PeerURL: ec.PeerURL,
			InitialCluster: initial, ClusterState: clusterState,
			TLS: a.embeddedEtcdTLS(),
			Log: a.log.With("role", "etcd"), DiskReserve: a.diskReserve(),
		}
		if err := a.applyEtcdHousekeeping(&mcfg); err != nil {
			return err
		}
		srv, err := embedetcd.Start(ctx, mcfg)
		if err != nil {
			return fmt.Errorf("start embedded etcd in %s: %w", filepath.Join(a.cfg.DataDir, "etcd"), err)
		}
		a.etcd = srv
		a.watchEtcd()
		endpoints = srv.Endpoints()
		storeCfg.MaxTxnOps, storeCfg.MaxRequestBytes = srv.MaxTxnOps(), srv.MaxRequestBytes()
	}
	storeCfg.Endpoints = endpoints
	if err := a.etcdClientTLS(&storeCfg); err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := etcdstore.Open(octx, storeCfg)
	if err != nil {
		return fmt.Errorf("open state on etcd %v: %w", endpoints, err)
	}
	a.store = st
	return nil
}

func (a *Agent) listen() error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr())
	if err != nil {
		return fmt.Errorf("listen for the HTTP API on %s: %w", a.cfg.HTTPAddr(), err)
	}
	if ln, err = a.wrapTLS(a.limitListener("api", ln), apiListener); err != nil {
		return err
	}
	a.httpLn = ln
	ctx, cancel := context.WithCancel(context.Background())
	a.baseCtx, a.cancel = ctx, cancel
	// Requests run under ctx, so blocking queries and log follows end at
	// shutdown instead of holding it up.
	a.httpSrv = a.bound(&http.Server{BaseContext: func(net.Listener) context.Context { return ctx }})
	return nil
}

func (a *Agent) startServer() error {
	minTTL, _ := parseDuration(a.cfg.Server.MinHeartbeatTTL)
	grace, _ := parseDuration(a.cfg.Server.HeartbeatGrace)
	limits, err := a.cfg.Limits.serverLimits()
	if err != nil {
		return err
	}
	gc, err := a.cfg.ServerGC()
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		Store: a.store, Logger: a.log.With("role", "server"), Region: a.cfg.Region, Workers: a.cfg.Server.NumSchedulers,
		MinHeartbeatTTL: minTTL, HeartbeatGrace: grace, ACLEnabled: a.cfg.ACLEnabled(),
		Elector: &server.EtcdElector{Client: a.store.Client(), Addr: a.advertiseHTTP()},
		Limits:  limits, ValidateDriverConfig: driverSchemas.Validate,
		ACLBootstrapResetFile: aclBootstrapResetFile(a.cfg.DataDir),
		GC:                    gc, Reclaim: a.reclaimEtcd(),
	})
	if err != nil {
		return err
	}
	a.server = srv
	a.observeServer(srv)
	if err := a.setClientTransport(srv); err != nil {
		return err
	}
	a.prepareAgentToken()
	a.wg.Add(1)
	go func() { defer a.wg.Done(); _ = srv.Run(a.baseCtx) }()
	return nil
}

// startClient starts the client role; it registers with the servers in
// the background, retrying until one answers.
func (a *Agent) startClient() error {
	cc := a.cfg.Client
	servers := cc.Servers
	if len(servers) == 0 {
		servers = []string{a.advertiseHTTP()}
	}
	raw := rawexec.New(rawexec.Options{Enabled: a.cfg.RawExecEnabled()})
	jails, err := a.potDriver()
	if err != nil {
		return fmt.Errorf("start client: %w", err)
	}
	a.jails = jails
	hc, err := a.serverHTTPClient()
	if err != nil {
		return fmt.Errorf("start client: %w", err)
	}
	c, err := client.New(client.Config{
		Servers: a.agentURLs(servers), HTTPClient: hc, DataDir: a.cfg.DataDir, NodeName: a.cfg.Name, Datacenter: a.cfg.Datacenter,
		NodeClass: cc.NodeClass, NodePool: cc.NodePool, Meta: cc.Meta, Region: a.cfg.Region,
		Drivers: []drivers.Driver{raw, jails}, HostVolumes: a.cfg.HostVolumes(), HTTPAddr: a.advertiseHTTP(), Version: a.cfg.Version,
		NetworkInterface: cc.NetworkInterface, Logger: a.log.With("role", "client"), Token: a.agentToken(),
	})
	if err != nil {
		return fmt.Errorf("start client: %w", err)
	}
	a.client = c
	ctx, cancel := context.WithCancel(context.Background())
	a.clientCancel, a.clientDone = cancel, make(chan struct{})
	go func() { defer close(a.clientDone); _ = c.Run(ctx) }()
	return nil
}

// serveHTTP serves the roles' APIs on one listener: the server's API, and
// the client's /v1/client/ endpoints (reached directly, or through the
// server for allocations on other nodes).
func (a *Agent) serveHTTP() {
	var h http.Handler
	switch {
	case a.server != nil && a.client != nil:
		a.server.SetLocalClient(a.client.NodeID(), a.client.Handler())
		h = a.server.Handler()
	case a.server != nil:
		h = a.server.Handler()
	default:
		h = a.clientAgentEndpoints(a.client.Handler())
	}
	if a.server != nil {
		h = a.withUI(h)
	}
	a.httpSrv.Handler = netlimit.LimitLongPolls(a.bodyDeadline(a.requireNodeRole(a.guardWrites(h))), a.newLongPolls())
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("HTTP API stopped", "err", err)
		}
	}()
}

// advertiseHTTP is the host:port other agents reach the API at.
func (a *Agent) advertiseHTTP() string {
	if a.cfg.Advertise != nil && a.cfg.Advertise.HTTP != "" {
		return a.cfg.Advertise.HTTP
	}
	addr := a.httpLn.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// HTTPAddr is the address the API listens on (with the real port when
// port 0 was asked for), or "" for a registry-only agent.
func (a *Agent) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// DataDir is where the agent keeps its state.
func (a *Agent) DataDir() string { return a.cfg.DataDir }

// Shutdown stops every role and removes a throw-away data dir. The
// client stops first (its last status updates still reach a live server);
// its tasks keep running unless the data dir is thrown away, since no
// later agent could re-attach to them.
func (a *Agent) Shutdown() error {
	var errs []error
	if a.client != nil {
		if a.tempDir != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			errs = append(errs, a.client.KillAll(ctx))
			cancel()
		}
		a.clientCancel()
		<-a.clientDone
		if a.tempDir != "" {
			// Nothing can re-attach to a throw-away agent's jails: its
			// jail network goes with it.
			errs = append(errs, a.jails.DeleteNetwork())
		}
	}
	errs = append(errs, a.stopIngress())
	if a.cancel != nil {
		a.cancel()
	}
	errs = append(errs, a.stopRegistry(), a.stopCatalog())
	if a.httpSrv != nil {
		errs = append(errs, a.shutdownServer("HTTP API", a.httpSrv, 5*time.Second))
	} else if a.httpLn != nil {
		_ = a.httpLn.Close()
	}
	a.wg.Wait()
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	if a.etcd != nil {
		errs = append(errs, a.etcd.Close())
	}
	if a.tempDir != "" {
		errs = append(errs, os.RemoveAll(a.tempDir))
	}
	return errors.Join(errs...)
}

// Roles lists the roles this agent holds.
func (a *Agent) Roles() []string {
	var out []string
	if a.server != nil {
		out = append(out, "server")
	}
	if a.client != nil {
		out = append(out, "client")
	}
	if a.registry != nil {
		out = append(out, "registry")
	}
	if a.ingress != nil {
		out = append(out, "ingress")
	}
	return out
}

// closer is a server that shuts down gracefully or at once.
type closer interface {
	Shutdown(context.Context) error
	Close() error
}

// shutdownServer lets a server's requests finish for up to d, then closes
// what is left: a request that outlives the grace period (a client's
// blocking query, a slow log follow) is cut, logged, and does not make the
// agent's stop fail.
func (a *Agent) shutdownServer(what string, s closer, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		a.log.Warn("requests still running after the grace period: closing them", "server", what, "grace", d)
		if cerr := s.Close(); cerr != nil && !errors.Is(cerr, http.ErrServerClosed) {
			return cerr
		}
		return nil
	}
	return err
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// NodeID is the client's node ID, or "" without the client role.
func (a *Agent) NodeID() string {
	if a.client == nil {
		return ""
	}
	return a.client.NodeID()
}

// Drivers lists the client's healthy drivers.
func (a *Agent) Drivers() []string {
	if a.client == nil {
		return nil
	}
	var out []string
	for name, d := range a.client.Node().Drivers {
		if d.Healthy {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

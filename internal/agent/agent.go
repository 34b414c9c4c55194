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
	"sync"
	"time"

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
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Start brings up the roles of cfg (already normalized) and returns once
// the API listens. Errors name what failed; whatever was started is
// stopped again.
func Start(ctx context.Context, cfg *Config, log *slog.Logger) (a *Agent, err error) {
	a = &Agent{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = a.Shutdown()
			a = nil
		}
	}()
	if err := a.prepareDataDir(); err != nil {
		return nil, err
	}
	if err := a.startState(ctx); err != nil {
		return nil, err
	}
	if err := a.startServer(); err != nil {
		return nil, err
	}
	return a, nil
}

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
		srv, err := embedetcd.Start(ctx, embedetcd.Config{
			DataDir: filepath.Join(a.cfg.DataDir, "etcd"), Name: ec.Name,
			ClientURL: ec.ClientURL, PeerURL: ec.PeerURL,
			InitialCluster: ec.InitialCluster, ClusterState: ec.InitialClusterState,
		})
		if err != nil {
			return fmt.Errorf("start embedded etcd in %s: %w", filepath.Join(a.cfg.DataDir, "etcd"), err)
		}
		a.etcd = srv
		endpoints = srv.Endpoints()
		storeCfg.MaxTxnOps, storeCfg.MaxRequestBytes = srv.MaxTxnOps(), srv.MaxRequestBytes()
	}
	storeCfg.Endpoints = endpoints
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := etcdstore.Open(octx, storeCfg)
	if err != nil {
		return fmt.Errorf("open state on etcd %v: %w", endpoints, err)
	}
	a.store = st
	return nil
}

func (a *Agent) startServer() error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr())
	if err != nil {
		return fmt.Errorf("listen for the HTTP API on %s: %w", a.cfg.HTTPAddr(), err)
	}
	a.httpLn = ln
	advertise := a.advertiseHTTP()
	minTTL, _ := parseDuration(a.cfg.Server.MinHeartbeatTTL)
	grace, _ := parseDuration(a.cfg.Server.HeartbeatGrace)
	srv, err := server.New(server.Config{
		Store: a.store, Logger: a.log, Region: a.cfg.Region, Workers: a.cfg.Server.NumSchedulers,
		MinHeartbeatTTL: minTTL, HeartbeatGrace: grace,
		Elector: &server.EtcdElector{Client: a.store.Client(), Addr: advertise},
	})
	if err != nil {
		return err
	}
	a.server = srv
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	// Requests run under ctx, so blocking queries end at shutdown instead of
	// holding it up for their whole wait.
	a.httpSrv = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		if err := a.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("HTTP API stopped", "err", err)
		}
	}()
	go func() { defer a.wg.Done(); _ = srv.Run(ctx) }()
	return nil
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
// port 0 was asked for).
func (a *Agent) HTTPAddr() string { return a.httpLn.Addr().String() }

// DataDir is where the agent keeps its state.
func (a *Agent) DataDir() string { return a.cfg.DataDir }

// Shutdown stops every role and removes a throw-away data dir.
func (a *Agent) Shutdown() error {
	var errs []error
	if a.cancel != nil {
		a.cancel()
	}
	if a.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, a.httpSrv.Shutdown(ctx))
		cancel()
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

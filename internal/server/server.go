package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/state"
)

// Config configures a server.
type Config struct {
	// Store holds the cluster state. Required.
	Store state.Store
	// Elector decides which server leads. Default: this server always leads
	// (a single server, or tests).
	Elector Elector
	// Logger receives the server's logs. Default: slog.Default().
	Logger *slog.Logger
	// Workers is the number of scheduling workers on the leader. Default 2.
	Workers int
	// MinHeartbeatTTL is the shortest heartbeat interval handed to nodes.
	// Default 5s (Nomad: 10s): with the grace, a dead node is noticed in
	// 10-12 s instead of Nomad's 20-30 s. TTLs still grow with the number
	// of nodes (50 heartbeats/s at most).
	MinHeartbeatTTL time.Duration
	// HeartbeatGrace is added to a node's TTL before it is marked down.
	// Default 5s (Nomad: 10s).
	HeartbeatGrace time.Duration
	// FailoverHeartbeatTTL is what a new leader grants every node before
	// marking it down. Default 5m would be Nomad's; wharf uses 30s.
	FailoverHeartbeatTTL time.Duration
	// Region is reported by the API. Default "global".
	Region string
	// ACLEnabled makes every request need a token with the permission
	// its route requires (routes.go); until the ACL bootstrap only the
	// open routes answer.
	ACLEnabled bool
	// ACLBootstrapResetFile is where an operator who lost every
	// management token writes the reset index a refused bootstrap
	// names, to bootstrap again (Nomad's acl-bootstrap-reset); "" for
	// none.
	ACLBootstrapResetFile string
	// Limits bound what a request may cost; zero fields mean defaults.
	Limits Limits
	// Events bound the event stream (events_broker.go).
	Events EventLimits
	// ValidateDriverConfig checks a task's driver name and config block
	// at submit time (the agent passes the drivers' schemas). nil skips
	// the check.
	ValidateDriverConfig func(driver string, config map[string]any) error
	// GC holds the garbage collection settings (gc.go); zero fields mean
	// Nomad's defaults.
	GC GCConfig
	// Reclaim frees etcd space after a forced or large collection
	// (compaction; defragmentation when much of the database is free or
	// its space is short, and the space alarm disarmed once there is
	// room) and reports whether it did; nil for none.
	Reclaim func(ctx context.Context) (bool, error)
}

func (c *Config) setDefaults() {
	if c.Elector == nil {
		c.Elector = &LocalElector{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.MinHeartbeatTTL <= 0 {
		c.MinHeartbeatTTL = 5 * time.Second
	}
	if c.HeartbeatGrace <= 0 {
		c.HeartbeatGrace = 5 * time.Second
	}
	if c.FailoverHeartbeatTTL <= 0 {
		c.FailoverHeartbeatTTL = 30 * time.Second
	}
	if c.Region == "" {
		c.Region = "global"
	}
	c.Limits = c.Limits.withDefaults()
	c.GC = c.GC.withDefaults()
}

// Server serves the API and, while it leads, schedules.
type Server struct {
	cfg   Config
	store state.Store
	log   *slog.Logger
	mux   *http.ServeMux

	routeTable []route
	acls       acl.Resolver

	mu         sync.Mutex
	leading    bool
	heartbeats *heartbeats // non-nil while leading
	broker     *broker     // non-nil while leading

	local localClient

	gc  gcState       // gc_run.go
	obs observability // metrics.go
}

// New returns a server over cfg.Store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: a store is required")
	}
	cfg.setDefaults()
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, mux: http.NewServeMux()}
	s.wireElector()
	s.routes()
	return s, nil
}

// Handler is the HTTP API.
func (s *Server) Handler() http.Handler { return s.mux }

// Run campaigns for leadership and does the leader's work while leading,
// until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	return s.cfg.Elector.Run(ctx, s.leadBetweenRestores)
}

func (s *Server) knownLeader() bool {
	addr, err := s.cfg.Elector.Leader(context.Background())
	return err == nil && addr != ""
}

// isLeader reports whether this server leads right now.
func (s *Server) isLeader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leading
}

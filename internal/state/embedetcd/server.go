// Package embedetcd runs an etcd member inside the wharf process
// (go.etcd.io/etcd/server/v3/embed): one member for a single server, or
// one of the 3 or 5 members of a cluster formed through InitialCluster.
// It picks free loopback ports when no URLs are given, passes etcd's
// warnings and errors on (and logs why before etcd ends the process),
// refuses writes while the data dir's disk is under its reserve, raises
// etcd's transaction limits and tells the store about them.
//
// embedetcd must never import internal/state/memstore,
// internal/state/etcdstore, internal/server, internal/scheduler,
// internal/client or internal/api: neither the stores nor any package above
// state.
package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Limits the embedded member accepts, above an external etcd's defaults
// so big plans need fewer transactions.
const (
	DefaultMaxTxnOps       = 4096
	DefaultMaxRequestBytes = 16 << 20
	DefaultReadyTimeout    = time.Minute
	// DefaultCompactionRetention keeps an hour of history (periodic
	// auto-compaction), so revisions do not pile up forever.
	DefaultCompactionRetention = "1h"
	// SnapshotCatchUpEntries is how many raft entries the member keeps in
	// memory behind its applied index for followers to catch up from
	// (etcd's default is 5,000). Entries hold whole transactions, and a
	// plan's are megabytes, so with etcd's default every server's memory
	// held about the last 5,000 writes, every allocation of a large
	// cluster's placements among them; a follower further behind gets a
	// snapshot instead.
	SnapshotCatchUpEntries = 200
)

// Config describes one member.
type Config struct {
	// DataDir holds the member's WAL and database; required.
	DataDir string
	// Name of the member; "wharf" when empty.
	Name string
	// ClientURL and PeerURL are http://host:port URLs (https:// with
	// TLS) to listen on and advertise; a free loopback port each when
	// empty.
	ClientURL, PeerURL string
	// InitialCluster lists every member as name=peerURL,...; just this
	// member when empty. Ignored once DataDir holds a member.
	InitialCluster string
	// ClusterState is "new" (default) or "existing" (joining a cluster
	// that already runs).
	ClusterState string
	// InitialClusterToken tells clusters apart; "wharf" when empty.
	InitialClusterToken string
	// MaxTxnOps and MaxRequestBytes are the member's limits (defaults
	// above).
	MaxTxnOps, MaxRequestBytes uint
	// CompactionRetention is the periodic auto-compaction window
	// ("1h" when empty, "0" to disable).
	CompactionRetention string
	// ReadyTimeout bounds the wait for the member to serve (a quorum of a
	// new cluster must come up within it).
	ReadyTimeout time.Duration
	// UnsafeNoFsync skips fsync: for tests and throw-away dev data only.
	UnsafeNoFsync bool
	// Logger gets etcd's logs; when nil, Log gets its warnings and
	// errors.
	Logger *zap.Logger
	// TLS, when set, serves both URLs over mutual TLS (https:// URLs are
	// picked when empty).
	TLS *TLS
	// Log gets etcd's warnings, errors and fatal conditions (logged with
	// their cause before the process exits), and the disk guard's
	// reports; slog.Default() when nil.
	Log *slog.Logger
	// DiskReserve is the free space the data dir's disk keeps: below it
	// the member refuses writes (WriteBlocked, etcd's NOSPACE alarm) and
	// serves reads, and it does not start. 0 turns the guard off.
	DiskReserve int64
	// QuotaBackendBytes is etcd's database quota (etcd's 2 GiB when 0):
	// beyond it etcd raises its NOSPACE alarm and refuses writes.
	QuotaBackendBytes int64
	// DefragInterval is how often the member looks whether to
	// defragment (compact.go); DefaultDefragInterval when 0.
	DefragInterval time.Duration
}

// Server is a running member.
type Server struct {
	etcd      *embed.Etcd
	cfg       Config
	closeOnce sync.Once
	log       *slog.Logger
	// blocked is why writes are refused now, nil when they are not.
	blocked      atomic.Pointer[string]
	stopGuard    context.CancelFunc
	guardStopped chan struct{}
	// housekeepDone closes when the housekeeping (compact.go) ended.
	housekeepDone chan struct{}
}

// portAttempts is how many times Start picks new free ports when one it
// picked was taken before etcd could bind it.
const portAttempts = 5

// Start starts the member and waits until it serves clients. Ports it
// picks itself (empty URLs) are picked again if another process takes one
// between the pick and etcd's bind.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.DataDir != "" {
		if err := checkStart(cfg); err != nil {
			return nil, err
		}
	}
	orig := cfg
	var e *embed.Etcd
	for attempt := 1; ; attempt++ {
		cfg = orig
		ec, err := buildConfig(&cfg)
		if err != nil {
			return nil, err
		}
		e, err = embed.StartEtcd(ec)
		if err == nil {
			break
		}
		picked := orig.ClientURL == "" || orig.PeerURL == ""
		if !picked || !errors.Is(err, syscall.EADDRINUSE) || attempt == portAttempts {
			return nil, fmt.Errorf("embedetcd: start member %s: %w", cfg.Name, err)
		}
	}
	if err := waitReady(ctx, e, cfg); err != nil {
		// etcd's Close waits for the client listeners, which start only
		// once the member is ready: stop the server first so they give up.
		e.Server.HardStop()
		e.Close()
		return nil, err
	}
	s := &Server{etcd: e, cfg: cfg, log: cfg.Log, guardStopped: make(chan struct{})}
	gctx, cancel := context.WithCancel(context.Background())
	s.stopGuard = cancel
	go func() { defer close(s.guardStopped); s.guard(gctx) }()
	s.housekeepDone = make(chan struct{})
	go func() { defer close(s.housekeepDone); s.housekeep(gctx) }()
	return s, nil
}

// waitReady waits for the member to serve, fail, or time out.
func waitReady(ctx context.Context, e *embed.Etcd, cfg Config) error {
	timer := time.NewTimer(cfg.ReadyTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("embedetcd: member %s failed while starting: %w", cfg.Name, err)
	case <-timer.C:
		return fmt.Errorf("embedetcd: member %s not ready after %s (cluster %q: are a quorum of members up?)",
			cfg.Name, cfg.ReadyTimeout, cfg.InitialCluster)
	case <-ctx.Done():
		return fmt.Errorf("embedetcd: member %s: %w", cfg.Name, ctx.Err())
	}
}

// buildConfig fills defaults into cfg and returns etcd's configuration.
func buildConfig(cfg *Config) (*embed.Config, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedetcd: DataDir is required")
	}
	if err := setDefaults(cfg); err != nil {
		return nil, err
	}
	curl, err := url.Parse(cfg.ClientURL)
	if err != nil {
		return nil, fmt.Errorf("embedetcd: client URL %q: %w", cfg.ClientURL, err)
	}
	purl, err := url.Parse(cfg.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("embedetcd: peer URL %q: %w", cfg.PeerURL, err)
	}
	ec := embed.NewConfig()
	ec.Name, ec.Dir = cfg.Name, cfg.DataDir
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*curl}, []url.URL{*curl}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*purl}, []url.URL{*purl}
	ec.InitialCluster, ec.ClusterState = cfg.InitialCluster, cfg.ClusterState
	ec.InitialClusterToken = cfg.InitialClusterToken
	ec.MaxTxnOps, ec.MaxRequestBytes = cfg.MaxTxnOps, cfg.MaxRequestBytes
	ec.AutoCompactionMode, ec.AutoCompactionRetention = embed.CompactorModePeriodic, cfg.CompactionRetention
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	ec.QuotaBackendBytes = cfg.QuotaBackendBytes
	ec.SnapshotCatchUpEntries = SnapshotCatchUpEntries
	applyTLS(ec, cfg.TLS)
	ec.Logger = "zap"
	logger := cfg.Logger
	if logger == nil {
		logger = newLogger(cfg.Log, cfg.DataDir)
	}
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	return ec, nil
}

// setDefaults fills the empty fields of cfg.
func setDefaults(cfg *Config) error {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.Name, "wharf")
	def(&cfg.ClusterState, embed.ClusterStateFlagNew)
	def(&cfg.InitialClusterToken, "wharf")
	def(&cfg.CompactionRetention, DefaultCompactionRetention)
	for _, u := range []*string{&cfg.ClientURL, &cfg.PeerURL} {
		if *u != "" {
			continue
		}
		port, err := FreePort()
		if err != nil {
			return err
		}
		*u = fmt.Sprintf("%s://127.0.0.1:%d", urlScheme(cfg.TLS), port)
	}
	def(&cfg.InitialCluster, cfg.Name+"="+cfg.PeerURL)
	if cfg.MaxTxnOps == 0 {
		cfg.MaxTxnOps = DefaultMaxTxnOps
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	return nil
}

// FreePort returns a TCP port free on the loopback interface now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("embedetcd: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Endpoints are the client URLs of the member.
func (s *Server) Endpoints() []string { return []string{s.cfg.ClientURL} }

// PeerURL is the member's peer URL.
func (s *Server) PeerURL() string { return s.cfg.PeerURL }

// Name is the member's name.
func (s *Server) Name() string { return s.cfg.Name }

// MaxTxnOps is the member's --max-txn-ops, for the store's Config.
func (s *Server) MaxTxnOps() int { return int(s.cfg.MaxTxnOps) }

// MaxRequestBytes is the member's --max-request-bytes, for the store's
// Config.
func (s *Server) MaxRequestBytes() int { return int(s.cfg.MaxRequestBytes) }

// Err reports a fatal error of the running member.
func (s *Server) Err() <-chan error { return s.etcd.Err() }

// Close stops the member and waits until it has stopped; closing again
// does nothing.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stopGuard()
		<-s.guardStopped
		<-s.housekeepDone
		s.etcd.Close()
	})
	return nil
}

// Package etcdstore is the state.Store whose source of truth is etcd. Each
// server keeps the shared in-memory index (package index) filled by one
// range read and then a watch of the key prefix, and answers every read
// from it. Writes are etcd transactions guarded by revision compares;
// after committing, a write waits until the watch has applied it, so a
// server always reads its own writes. Object indexes are etcd revisions:
// they survive restarts and are the same on every server.
//
// etcdstore must never import internal/server, internal/scheduler,
// internal/client or internal/api: no package above state.
package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/index"
)

// Defaults of an external etcd (its --max-txn-ops and --max-request-bytes).
const (
	DefaultMaxTxnOps       = 128
	DefaultMaxRequestBytes = 1536 * 1024
)

// Config says how to reach etcd and how big one transaction may be.
type Config struct {
	// Endpoints of the etcd cluster; ignored when Client is set.
	Endpoints []string
	// Client is an existing client to use; the store does not close it.
	// It must accept requests of MaxRequestBytes (MaxCallSendMsgSize).
	Client *clientv3.Client
	// MaxTxnOps is the most compares, and the most operations, one
	// transaction may hold (etcd's --max-txn-ops).
	MaxTxnOps int
	// MaxRequestBytes is the largest request etcd accepts
	// (--max-request-bytes).
	MaxRequestBytes int
	// Prefix of every key; DefaultPrefix when empty. Stores with distinct
	// prefixes share one etcd without seeing each other.
	Prefix string
	// DialTimeout bounds connecting when the store makes its own client.
	DialTimeout time.Duration
	// Logger gets watch errors and reloads; slog.Default() when nil.
	Logger *slog.Logger
	// TLS dials the endpoints over TLS when set; Username and Password
	// authenticate to an etcd with auth enabled.
	TLS                *tls.Config
	Username, Password string
}

func (c *Config) setDefaults() {
	if c.MaxTxnOps <= 0 {
		c.MaxTxnOps = DefaultMaxTxnOps
	}
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Store is a state.Store over etcd.
type Store struct {
	cfg       Config
	cli       *clientv3.Client
	ownClient bool
	keys      keys
	idx       *index.Index
	log       *slog.Logger
	now       func() time.Time

	writes atomic.Uint64
	closed atomic.Bool
	cancel context.CancelFunc
	done   chan struct{}

	watchMu  sync.Mutex
	watchCtx context.Context

	// hooks run around every etcd transaction; tests use them to make
	// races happen at a chosen point. Nil in production.
	beforeCommit func()
	afterCommit  func(rev uint64)
}

var _ state.Store = (*Store)(nil)

// Open connects to etcd, loads the index with one consistent range read
// and starts the watch that keeps it current.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s := newStore(cfg)
	if err := s.connect(); err != nil {
		return nil, err
	}
	rev, err := s.load(ctx)
	if err != nil {
		s.closeClient()
		return nil, err
	}
	s.start(rev)
	return s, nil
}

// newStore returns an unconnected store with cfg's defaults filled in.
func newStore(cfg Config) *Store {
	cfg.setDefaults()
	return &Store{cfg: cfg, keys: keys{cfg.Prefix}, idx: index.New(), log: cfg.Logger,
		now: time.Now, done: make(chan struct{})}
}

// start runs the watch from revision rev+1 until Close.
func (s *Store) start(rev int64) {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(ctx, rev)
}

// connect makes the client unless one was given.
func (s *Store) connect() error {
	if s.cfg.Client != nil {
		s.cli = s.cfg.Client
		return nil
	}
	if len(s.cfg.Endpoints) == 0 {
		return errors.New("etcdstore: no endpoints and no client")
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:          s.cfg.Endpoints,
		DialTimeout:        s.cfg.DialTimeout,
		Logger:             zap.NewNop(),
		MaxCallSendMsgSize: s.cfg.MaxRequestBytes + 1<<20,
		TLS:                s.cfg.TLS, Username: s.cfg.Username, Password: s.cfg.Password,
	})
	if err != nil {
		return fmt.Errorf("etcdstore: connect to %v: %w", s.cfg.Endpoints, err)
	}
	s.cli, s.ownClient = cli, true
	return nil
}

func (s *Store) closeClient() {
	if s.ownClient {
		_ = s.cli.Close()
	}
}

// Client is the etcd client the store uses (for leader election).
func (s *Store) Client() *clientv3.Client { return s.cli }

// Writes is the number of etcd transactions the store has sent.
func (s *Store) Writes() uint64 { return s.writes.Load() }

// Snapshot returns a consistent, immutable view of the index.
func (s *Store) Snapshot() state.Snapshot { return s.idx.Snapshot() }

// WaitForChange blocks until the index of any of tables exceeds min.
func (s *Store) WaitForChange(ctx context.Context, min uint64, tables ...state.Table) (uint64, error) {
	return s.idx.WaitForChange(ctx, min, tables...)
}

// Close stops the watch, wakes waiters and closes the client the store
// made. It waits for the watch goroutine to end.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.idx.Close()
	s.cancel()
	<-s.done
	s.closeClient()
	return nil
}

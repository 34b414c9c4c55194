package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/acl/remote"
	"github.com/wharf-project/wharf/internal/client/allocrunner"
	"github.com/wharf-project/wharf/internal/client/services"
	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Client is a node agent.
type Client struct {
	cfg     Config
	log     *slog.Logger
	db      state.DB
	id      *state.NodeIdentity
	servers *servers
	// tokens resolves the tokens of requests to the client's endpoints.
	tokens    *remote.Resolver
	drivers   map[string]drivers.Driver
	allocRoot string
	updates   *updater
	// services registers the tasks' services and runs their checks.
	services *services.Manager
	// reregister asks the heartbeat loop to register the node again
	// (its fingerprint changed).
	reregister chan struct{}
	// registered is closed after the first registration.
	registered chan struct{}
	running    atomic.Bool

	mu      sync.Mutex
	node    *structs.Node
	runners map[string]*allocrunner.AllocRunner
	// destroying holds the IDs of runners being destroyed.
	destroying map[string]bool
	// wg counts the goroutines of alloc runners and their destruction.
	wg sync.WaitGroup
}

// New prepares a client: data dir, node identity, host and driver
// fingerprints. It talks to no server; Run does.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.DataDir, 0o711); err != nil {
		return nil, fmt.Errorf("client data dir %s: %w", cfg.DataDir, err)
	}
	db, err := state.OpenFileDB(filepath.Join(cfg.DataDir, "client"))
	if err != nil {
		return nil, err
	}
	id, err := loadIdentity(db)
	if err != nil {
		return nil, err
	}
	srv, err := newServers(cfg.Servers, cfg.HTTPClient, cfg.Region, cfg.Logger, cfg.RetryMin, cfg.RetryMax)
	if err != nil {
		return nil, err
	}
	srv.authenticate(cfg.Token, id.SecretID)
	tokens := remote.New(srv.askTokens)
	c := &Client{
		cfg: cfg, log: cfg.Logger.With("node_id", id.ID), db: db, id: id, servers: srv, tokens: tokens,
		drivers: map[string]drivers.Driver{}, allocRoot: filepath.Join(cfg.DataDir, "alloc"),
		reregister: make(chan struct{}, 1), registered: make(chan struct{}),
		runners: map[string]*allocrunner.AllocRunner{}, destroying: map[string]bool{},
	}
	for _, d := range cfg.Drivers {
		c.drivers[d.Name()] = d
	}
	if err := os.MkdirAll(c.allocRoot, 0o711); err != nil {
		return nil, fmt.Errorf("alloc dir root %s: %w", c.allocRoot, err)
	}
	c.updates = newUpdater(c.log, cfg.UpdateInterval, c.sendUpdates)
	if c.services, err = services.New(services.Config{Catalog: catalog{srv}, NodeID: id.ID, Logger: c.log,
		RefreshInterval: cfg.ServiceRefreshInterval, RetryMin: cfg.RetryMin, RetryMax: cfg.RetryMax}); err != nil {
		return nil, err
	}
	c.node = c.buildNode(context.Background())
	return c, nil
}

// NodeID is the node's ID, kept across restarts in the data dir.
func (c *Client) NodeID() string { return c.id.ID }

// Node returns a copy of the node as registered (or about to be).
func (c *Client) Node() *structs.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyNode(c.node)
}

// Run restores the allocations of an earlier agent, registers the node,
// heartbeats, and runs the allocations the servers place on it, until ctx
// ends. Tasks keep running after Run returns: the next agent re-attaches
// to them. Run may be called once.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("client: Run called twice")
	}
	c.restore(ctx)
	c.collectGarbage()
	var loops sync.WaitGroup
	loops.Go(func() { c.updates.run(ctx) })
	loops.Go(func() { c.services.Run(ctx) })
	loops.Go(func() { c.reconcileServices(ctx) })
	loops.Go(func() { c.fingerprintLoop(ctx) })
	loops.Go(func() { c.serve(ctx) })
	<-ctx.Done()
	loops.Wait()
	c.wg.Wait() // alloc runners return at once, leaving their tasks running
	c.flushUpdates()
	c.log.Info("client stopped; tasks left running")
	return nil
}

// serve registers the node, then heartbeats and watches allocations.
func (c *Client) serve(ctx context.Context) {
	ttl, err := c.register(ctx)
	if err != nil {
		return // ctx ended
	}
	close(c.registered)
	var wg sync.WaitGroup
	wg.Go(func() { c.primeTokens(ctx) })
	wg.Go(func() { c.heartbeat(ctx, ttl) })
	wg.Go(func() { c.watchAllocs(ctx) })
	wg.Wait()
}

// Registered is closed once the node has registered with a server.
func (c *Client) Registered() <-chan struct{} { return c.registered }

// flushUpdates sends what is still pending, for a second at most, so the
// servers see the last states before the agent goes away.
func (c *Client) flushUpdates() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if batch := c.updates.take(); len(batch) > 0 {
		if err := c.sendUpdates(ctx, batch); err != nil {
			c.log.Debug("final status update not sent", "err", err)
		}
	}
}

// AllocRunner returns the runner of an allocation, or nil.
func (c *Client) AllocRunner(allocID string) *allocrunner.AllocRunner {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runners[allocID]
}

// NumAllocs returns how many allocation runners the client holds.
func (c *Client) NumAllocs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.runners)
}

// KillAll stops the tasks of every allocation and waits for them, or for
// ctx. An agent whose data dir is thrown away at exit (dev mode) calls it
// before ending Run, since no later agent could re-attach to its tasks.
func (c *Client) KillAll(ctx context.Context) error {
	c.mu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
	for _, ar := range c.runners {
		runners = append(runners, ar)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(runners))
	for i, ar := range runners {
		wg.Go(func() { errs[i] = ar.Kill(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

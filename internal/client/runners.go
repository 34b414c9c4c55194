package client

import (
	"context"

	"github.com/wharf-project/wharf/internal/client/allocrunner"
	"github.com/wharf-project/wharf/internal/structs"
)

// newRunner returns an alloc runner for a, reporting to the updater.
func (c *Client) newRunner(a *structs.Allocation) (*allocrunner.AllocRunner, error) {
	return allocrunner.New(allocrunner.Config{
		Alloc: a, DB: c.db, Drivers: c.drivers, AllocRoot: c.allocRoot, Logger: c.cfg.Logger,
		Node: c.Node, Region: c.cfg.Region, HostEnv: c.cfg.HostEnv, OnUpdate: c.updates.add,
		Services: c.services,
	})
}

// addRunner starts a runner for a new allocation.
func (c *Client) addRunner(ctx context.Context, a *structs.Allocation) {
	if a.Job == nil {
		c.log.Error("allocation arrived without its job; not started", "alloc_id", a.ID)
		return
	}
	ar, err := c.newRunner(a)
	if err != nil {
		c.log.Error("allocation not started", "alloc_id", a.ID, "err", err)
		return
	}
	c.log.Info("starting allocation", "alloc_id", a.ID, "name", a.Name)
	c.startRunner(ctx, ar)
}

// startRunner registers ar and runs it under ctx.
func (c *Client) startRunner(ctx context.Context, ar *allocrunner.AllocRunner) {
	c.mu.Lock()
	c.runners[ar.ID()] = ar
	c.mu.Unlock()
	c.wg.Go(func() { ar.Run(ctx) })
}

// destroyRunner kills the allocation's tasks (if any still run) and
// forgets its state, in the background. With forget, the runner leaves
// the client's set too (the servers no longer list the allocation).
func (c *Client) destroyRunner(ctx context.Context, ar *allocrunner.AllocRunner, forget bool) {
	c.mu.Lock()
	busy := c.destroying[ar.ID()]
	c.destroying[ar.ID()] = true
	c.mu.Unlock()
	if busy {
		return
	}
	c.wg.Go(func() {
		defer func() {
			c.mu.Lock()
			delete(c.destroying, ar.ID())
			c.mu.Unlock()
		}()
		if err := ar.Destroy(ctx); err != nil {
			if ctx.Err() == nil {
				c.log.Error("destroy allocation", "alloc_id", ar.ID(), "err", err)
			}
			return
		}
		c.services.DeregisterAlloc(ar.ID())
		if forget {
			c.mu.Lock()
			if c.runners[ar.ID()] == ar {
				delete(c.runners, ar.ID())
			}
			c.mu.Unlock()
		}
	})
}

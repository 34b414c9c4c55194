package client

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// blockingSlack is added to the blocking wait for the request's own
// deadline: the server may hold a query up to 1/16 longer, plus transit.
const blockingSlack = 30 * time.Second

// watchAllocs follows the node's allocations with blocking queries, each
// sent as soon as the previous one answered, and reconciles the runners
// with every change.
func (c *Client) watchAllocs(ctx context.Context) {
	var index uint64
	for ctx.Err() == nil {
		allocs, meta, err := c.queryAllocs(ctx, index)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Error("watch allocations", "err", err)
				sleep(ctx, c.cfg.RetryMin)
			}
			continue
		}
		if meta.LastIndex < index {
			index = 0 // the servers' index went back (state restored): read everything again
			continue
		}
		if meta.LastIndex == index && index != 0 {
			continue // the wait ended without a change
		}
		index = meta.LastIndex
		c.reconcile(ctx, allocs, index)
	}
}

// queryAllocs runs one blocking query on the node's allocations,
// failing over between servers.
func (c *Client) queryAllocs(ctx context.Context, index uint64) ([]*structs.Allocation, *api.QueryMeta, error) {
	var allocs []*structs.Allocation
	var meta *api.QueryMeta
	err := c.servers.retry(ctx, "watch allocations", func(ac *api.Client) error {
		qctx, cancel := context.WithTimeout(ctx, c.cfg.BlockingWait+c.cfg.BlockingWait/16+blockingSlack)
		defer cancel()
		var err error
		allocs, meta, err = ac.Nodes().Allocations(c.id.ID, &api.QueryOptions{
			WaitIndex: index, WaitTime: c.cfg.BlockingWait, Context: qctx})
		return err
	})
	return allocs, meta, err
}

// reconcile makes the runners match the servers' view at index: new
// allocations get a runner, changed ones are updated (a stop kills the
// tasks), and runners of allocations the servers no longer list are
// destroyed, unless the answering server is behind what the runner saw
// (its index below the allocation's): a lagging server must not kill
// tasks.
func (c *Client) reconcile(ctx context.Context, allocs []*structs.Allocation, index uint64) {
	seen := make(map[string]bool, len(allocs))
	for _, a := range allocs {
		seen[a.ID] = true
		ar := c.AllocRunner(a.ID)
		switch {
		case ar == nil && !a.TerminalStatus():
			c.addRunner(ctx, a)
		case ar == nil:
			// Terminal before this client ran it, or finished and forgotten.
		case serverChanged(ar.ServerAlloc(), a):
			ar.Update(a)
		}
		if ar != nil && a.ServerTerminalStatus() && ar.IsDead() && !ar.IsDestroyed() {
			c.destroyRunner(ctx, ar, false)
		}
	}
	c.destroyGone(ctx, seen, index)
	c.collectGarbage()
}

// destroyGone destroys the runners of allocations the servers no longer
// list (seen holds those they do), unless the answering server is behind.
func (c *Client) destroyGone(ctx context.Context, seen map[string]bool, index uint64) {
	c.mu.Lock()
	var gone []string
	for id := range c.runners {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	c.mu.Unlock()
	for _, id := range gone {
		ar := c.AllocRunner(id)
		switch {
		case ar == nil:
		case ar.ServerAlloc().ModifyIndex > index:
			c.log.Warn("server is behind this allocation; keeping it", "alloc_id", id,
				"alloc_index", ar.ServerAlloc().ModifyIndex, "server_index", index)
		default:
			c.log.Info("allocation no longer on this node; destroying its runner", "alloc_id", id)
			c.destroyRunner(ctx, ar, true)
		}
	}
}

// serverChanged reports whether the servers changed an allocation since
// the runner last saw it.
func serverChanged(old, cur *structs.Allocation) bool {
	return cur.AllocModifyIndex > old.AllocModifyIndex || cur.DesiredStatus != old.DesiredStatus ||
		cur.JobVersion != old.JobVersion
}

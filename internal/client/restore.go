package client

import (
	"context"
)

// restore starts a runner for every allocation an earlier agent
// persisted; their task runners re-attach to tasks that kept running.
// It runs before the node talks to any server.
func (c *Client) restore(ctx context.Context) {
	allocs, err := c.db.Allocs()
	if err != nil {
		c.log.Error("some stored allocations could not be read", "err", err)
	}
	for _, a := range allocs {
		ar, err := c.newRunner(a)
		if err != nil {
			c.log.Error("stored allocation not restored; forgetting it", "alloc_id", a.ID, "err", err)
			_ = c.db.DeleteAlloc(a.ID)
			continue
		}
		if err := ar.Restore(); err != nil {
			c.log.Error("restore allocation", "alloc_id", a.ID, "err", err)
		}
		c.log.Info("restored allocation", "alloc_id", a.ID, "name", a.Name)
		c.startRunner(ctx, ar)
	}
}

package client

import (
	"context"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/client/services"
	"github.com/wharf-project/wharf/internal/structs"
)

// catalog is the servers' service catalog as the services manager writes
// to it: wharf's /v1/services/register, /deregister and /node/:id,
// failing over between servers.
type catalog struct{ s *servers }

var _ services.Catalog = catalog{}

// Register creates or replaces registrations.
func (c catalog) Register(ctx context.Context, regs []*structs.ServiceRegistration) error {
	return c.s.do(ctx, func(a *api.Client) error { return a.Services().Register(regs) })
}

// Deregister removes registrations by ID.
func (c catalog) Deregister(ctx context.Context, ids []string) error {
	return c.s.do(ctx, func(a *api.Client) error { return a.Services().Deregister(ids) })
}

// ByNode returns the node's registrations.
func (c catalog) ByNode(ctx context.Context, nodeID string) ([]*structs.ServiceRegistration, error) {
	var out []*structs.ServiceRegistration
	err := c.s.do(ctx, func(a *api.Client) error {
		var err error
		out, _, err = a.Services().ByNode(nodeID, nil)
		return err
	})
	return out, err
}

// reconcileServices removes, once at start, the node's service
// registrations whose task does not run here (an earlier agent crashed
// before deregistering them). It retries with backoff until a server
// answers.
func (c *Client) reconcileServices(ctx context.Context) {
	retry := backoff.Backoff{Min: c.cfg.RetryMin, Max: c.cfg.RetryMax}
	for {
		removed, err := c.services.Reconcile(ctx, c.taskRunning)
		if err == nil {
			for _, id := range removed {
				c.log.Info("removing a service registration of a task that no longer runs", "id", id)
			}
			return
		}
		c.log.Warn("service reconciliation: retrying", "err", err)
		if !sleep(ctx, retry.Next()) {
			return
		}
	}
}

// taskRunning reports whether a task of allocID runs on this node; task
// "" asks whether any of its tasks does.
func (c *Client) taskRunning(allocID, task string) bool {
	ar := c.AllocRunner(allocID)
	if ar == nil {
		return false
	}
	for _, tr := range ar.Tasks() {
		if (task == "" || tr.TaskName() == task) && tr.State().State == structs.TaskStateRunning {
			return true
		}
	}
	return false
}

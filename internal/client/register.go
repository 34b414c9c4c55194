package client

import (
	"context"
	"errors"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// minHeartbeatWait bounds how often heartbeats are sent.
const minHeartbeatWait = 10 * time.Millisecond

// heartbeatTimeout is how long one server may take to answer a
// heartbeat before the next is tried: a server that hangs (frozen, cut
// off without a reset) must not hold the node's heartbeats for the 30 s
// of an ordinary request. A variable for tests.
var heartbeatTimeout = 3 * time.Second

// register registers the node, retrying until a server accepts it, and
// returns the heartbeat TTL granted. It fails only when ctx ends.
func (c *Client) register(ctx context.Context) (time.Duration, error) {
	for {
		ttl, err := c.registerOnce(ctx)
		if err == nil {
			c.log.Info("node registered", "name", c.cfg.NodeName, "heartbeat_ttl", ttl)
			return ttl, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		c.log.Error("node registration refused", "err", err, "retry_in", c.cfg.RetryMax)
		if !sleep(ctx, c.cfg.RetryMax) {
			return 0, ctx.Err()
		}
	}
}

// registerOnce registers the node with the first server that answers.
// Scheduling eligibility and drain an operator set on an existing
// registration are kept.
func (c *Client) registerOnce(ctx context.Context) (time.Duration, error) {
	var ttl time.Duration
	err := c.servers.retry(ctx, "register node", func(ac *api.Client) error {
		node := c.Node()
		old, _, err := ac.Nodes().Info(node.ID, nil)
		switch {
		case err == nil:
			node.SchedulingEligibility, node.Drain = old.SchedulingEligibility, old.Drain
		case !api.IsNotFound(err):
			return err
		}
		resp, err := ac.Nodes().Register(node)
		if err != nil {
			return err
		}
		ttl = resp.HeartbeatTTL
		return nil
	})
	return ttl, err
}

// heartbeat renews the node's TTL at half of it, registers the node again
// when the servers forgot it (404) or its fingerprint changed, and fails
// over between servers, backing off while none answers (heartbeatPacer).
func (c *Client) heartbeat(ctx context.Context, ttl time.Duration) {
	pace := &heartbeatPacer{ttl: ttl, max: c.cfg.RetryMax}
	wait := pace.next()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.reregister:
			if newTTL, err := c.register(ctx); err == nil {
				pace.answered(newTTL)
			}
			wait = pace.next()
			continue
		case <-c.servers.clock.After(wait):
		}
		newTTL, err := c.heartbeatOnce(ctx, pace.ttl)
		if err == nil {
			pace.answered(newTTL)
			wait = pace.next()
			continue
		}
		pace.unanswered()
		wait = pace.next()
		c.log.Warn("heartbeat failed: "+err.Error(), "failed_rounds", pace.failures, "retry_in", wait.Round(time.Millisecond))
	}
}

// heartbeatOnce sends one heartbeat and returns the TTL to wait on, or
// the error of a round no server answered.
func (c *Client) heartbeatOnce(ctx context.Context, ttl time.Duration) (time.Duration, error) {
	var resp *structs.NodeUpdateResponse
	err := c.servers.doWithin(ctx, heartbeatTimeout, func(ac *api.Client) error {
		r, err := ac.Nodes().Heartbeat(c.id.ID)
		resp = r
		return err
	})
	switch {
	case err == nil:
		return resp.HeartbeatTTL, nil
	case ctx.Err() != nil:
		return ttl, nil
	case api.IsNotFound(err), api.IsForbidden(err):
		c.log.Warn("servers do not know the node or its secret; registering again", "err", err)
		if newTTL, err := c.register(ctx); err == nil {
			return newTTL, nil
		}
	case errors.Is(err, errNoServer):
		return ttl, err
	default:
		c.log.Warn("heartbeat refused", "err", err)
	}
	return ttl, nil
}

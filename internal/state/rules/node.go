package rules

import (
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// PrepareNode returns a copy of n ready to store over stored (nil for a
// new node): CreateIndex kept, StatusUpdatedAt set when the status is new,
// a SecretID replaced by its SecretHash (no node secret is stored in
// clear; without one the stored hash is kept).
func PrepareNode(stored, n *structs.Node, now time.Time) (*structs.Node, error) {
	if n == nil || n.ID == "" {
		return nil, fmt.Errorf("upsert node: node ID is required: %w", ErrInvalid)
	}
	c := n.Copy()
	c.CreateIndex, c.ModifyIndex = 0, 0
	if c.SecretID != "" {
		c.SecretHash, c.SecretID = structs.HashSecret(c.SecretID), ""
	}
	if stored != nil {
		c.CreateIndex = stored.CreateIndex
		if c.SecretHash == "" {
			c.SecretHash = stored.SecretHash
		}
	}
	if c.StatusUpdatedAt == 0 || stored == nil || stored.Status != c.Status {
		c.StatusUpdatedAt = now.Unix()
	}
	return c, nil
}

// SetNodeStatus returns a copy of stored with the new status, or nil when
// the status is unchanged (a heartbeat that changes nothing writes
// nothing, so plans placing on the node do not conflict).
func SetNodeStatus(stored *structs.Node, status string, now time.Time) *structs.Node {
	if stored.Status == status {
		return nil
	}
	c := stored.Copy()
	c.Status = status
	c.StatusUpdatedAt = now.Unix()
	return c
}

package client

import (
	"context"
	"maps"
	"time"

	"github.com/wharf-project/wharf/internal/client/fingerprint"
	"github.com/wharf-project/wharf/internal/structs"
)

// driverFingerprintTimeout bounds one driver's fingerprint.
const driverFingerprintTimeout = 10 * time.Second

// buildNode fingerprints the host and the drivers and describes the node.
func (c *Client) buildNode(ctx context.Context) *structs.Node {
	fp := fingerprint.Host(fingerprint.Config{DataDir: c.allocRoot, NetworkInterface: c.cfg.NetworkInterface,
		Version: c.cfg.Version, NomadVersion: c.cfg.NomadVersion})
	for _, w := range fp.Warnings {
		c.log.Warn("fingerprint: " + w)
	}
	n := &structs.Node{
		ID: c.id.ID, SecretID: c.id.SecretID, Name: c.cfg.NodeName, Datacenter: c.cfg.Datacenter,
		HTTPAddr: c.cfg.HTTPAddr, Attributes: fp.Attributes, NodeResources: fp.Resources,
		Meta: maps.Clone(c.cfg.Meta), NodeClass: c.cfg.NodeClass, NodePool: c.cfg.NodePool,
		SchedulingEligibility: structs.NodeSchedulingEligible, Status: structs.NodeStatusReady,
		Drivers: c.fingerprintDrivers(ctx), HostVolumes: c.cfg.HostVolumes,
	}
	if n.Meta == nil {
		n.Meta = map[string]string{}
	}
	if n.Name == "" {
		n.Name = fp.Attributes["unique.hostname"]
	}
	mergeDriverAttributes(n)
	return n
}

// fingerprintDrivers asks every driver for its fingerprint.
func (c *Client) fingerprintDrivers(ctx context.Context) map[string]*structs.DriverInfo {
	out := make(map[string]*structs.DriverInfo, len(c.drivers))
	for name, d := range c.drivers {
		dctx, cancel := context.WithTimeout(ctx, driverFingerprintTimeout)
		info := d.Fingerprint(dctx)
		cancel()
		if info == nil {
			info = &structs.DriverInfo{HealthDescription: "driver returned no fingerprint"}
		}
		if info.UpdateTime.IsZero() {
			info.UpdateTime = time.Now()
		}
		out[name] = info
	}
	return out
}

// mergeDriverAttributes copies detected drivers' attributes (e.g.
// driver.raw_exec = 1) into the node's, where constraints read them.
func mergeDriverAttributes(n *structs.Node) {
	for _, d := range n.Drivers {
		if d.Detected {
			maps.Copy(n.Attributes, d.Attributes)
		}
	}
}

// driversChanged reports whether a new driver fingerprint differs from
// the old in anything but its time.
func driversChanged(old, cur map[string]*structs.DriverInfo) bool {
	if len(old) != len(cur) {
		return true
	}
	for name, o := range old {
		n, ok := cur[name]
		if !ok || o.Detected != n.Detected || o.Healthy != n.Healthy ||
			o.HealthDescription != n.HealthDescription || !maps.Equal(o.Attributes, n.Attributes) {
			return true
		}
	}
	return false
}

// fingerprintLoop fingerprints the drivers again every interval and has
// the node registered again when they changed.
func (c *Client) fingerprintLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.FingerprintInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c.refreshDrivers(ctx) {
			select {
			case c.reregister <- struct{}{}:
			default:
			}
		}
	}
}

// refreshDrivers fingerprints the drivers and updates the node; it
// reports whether anything changed.
func (c *Client) refreshDrivers(ctx context.Context) bool {
	cur := c.fingerprintDrivers(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !driversChanged(c.node.Drivers, cur) {
		return false
	}
	n := copyNode(c.node)
	for _, d := range n.Drivers { // drop the old drivers' attributes
		if d.Detected {
			for k := range d.Attributes {
				delete(n.Attributes, k)
			}
		}
	}
	n.Drivers = cur
	mergeDriverAttributes(n)
	c.node = n
	c.log.Info("driver fingerprint changed; registering the node again")
	return true
}

// copyNode copies a node deeply enough that the copy's maps can change.
func copyNode(n *structs.Node) *structs.Node {
	c := n.Copy()
	c.Attributes = maps.Clone(n.Attributes)
	c.Meta = maps.Clone(n.Meta)
	c.Drivers = maps.Clone(n.Drivers)
	if n.NodeResources != nil {
		r := *n.NodeResources
		c.NodeResources = &r
	}
	return c
}

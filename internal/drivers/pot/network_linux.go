package pot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	"github.com/wharf-project/wharf/internal/netjail"
)

// netState is the node's jail network, set up on first use: the bridge,
// the IP leases and the nftables table.
type netState struct {
	mu   sync.Mutex
	ipam *netjail.IPAM
	nat  *netjail.NAT
	err  error // the last setup failure, nil once set up
}

// lastErr is the last setup failure.
func (n *netState) lastErr() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// network returns the set-up jail network, setting it up when needed.
func (d *Driver) network() (*netjail.IPAM, *netjail.NAT, error) {
	if d.netErr != nil {
		return nil, nil, d.netErr
	}
	n := &d.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nat != nil {
		return n.ipam, n.nat, nil
	}
	ipam, err := netjail.NewIPAM(d.opts.CIDR, d.opts.DataDir)
	if err == nil {
		err = netjail.EnsureBridge(d.opts.Bridge, ipam.GatewayCIDR())
	}
	var nat *netjail.NAT
	if err == nil {
		nat, err = netjail.NewNAT(d.opts.NFTTable, d.opts.Bridge, ipam.Network())
	}
	if err == nil {
		err = nat.SetGuard(d.opts.Guard)
	}
	if err != nil {
		n.err = err
		return nil, nil, err
	}
	n.ipam, n.nat, n.err = ipam, nat, nil
	return ipam, nat, nil
}

// attachNetwork gives the jail its network: an IP lease, a network
// namespace on the bridge, and the port forwards of port_map. It returns
// the namespace's path. The jail record is saved before each step.
func (d *Driver) attachNetwork(j *jail, cfg *drivers.TaskConfig, conf *spec.Config) (string, error) {
	ipam, nat, err := d.network()
	if err != nil {
		return "", fmt.Errorf("pot: jail network: %w", err)
	}
	maps, ports, err := portMappings(cfg, conf)
	if err != nil {
		return "", err
	}
	j.NetKey, j.NetNS, j.Ports = cfg.ID, netjail.NetNSName(d.opts.Bridge, cfg.ID), ports
	if err := j.save(); err != nil {
		return "", fmt.Errorf("pot: record jail: %w", err)
	}
	ip, err := ipam.Lease(j.NetKey)
	if err != nil {
		return "", fmt.Errorf("pot: lease a jail address: %w", err)
	}
	j.IP = ip.String()
	if err := j.save(); err != nil {
		return "", fmt.Errorf("pot: record jail: %w", err)
	}
	path, err := netjail.CreateNetNS(j.NetNS)
	if err != nil {
		return "", fmt.Errorf("pot: %w", err)
	}
	if err := nat.AllowJail(j.NetKey, ip); err != nil {
		return "", fmt.Errorf("pot: %w", err)
	}
	ones, _ := ipam.Network().Mask.Size()
	ipnet := &net.IPNet{IP: ip, Mask: net.CIDRMask(ones, 32)}
	if err := netjail.Attach(d.opts.Bridge, path, j.NetKey, ipnet, ipam.Gateway()); err != nil {
		return "", fmt.Errorf("pot: %w", err)
	}
	for i := range maps {
		maps[i].IP = ip
	}
	if len(maps) > 0 {
		if err := nat.AddPortMap(j.NetKey, maps); err != nil {
			return "", fmt.Errorf("pot: port forwards: %w", err)
		}
	}
	return path, nil
}

// portMappings turns the allocation's ports and port_map into forwards
// and the jail port of each label: a label in port_map goes to its port in
// the jail, any other port of the task to its `to` or the same number.
func portMappings(cfg *drivers.TaskConfig, conf *spec.Config) ([]netjail.Mapping, map[string]int, error) {
	byLabel := map[string]int{}
	var out []netjail.Mapping
	for _, p := range cfg.Ports {
		to := p.Value
		if jp, ok := conf.PortMap[p.Label]; ok {
			to = jp
		} else if p.To > 0 {
			to = p.To
		}
		byLabel[p.Label] = to
		out = append(out, netjail.Mapping{HostPort: p.Value, Port: to})
	}
	labels := make([]string, 0, len(conf.PortMap))
	for l := range conf.PortMap {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		if _, ok := byLabel[l]; !ok {
			return nil, nil, fmt.Errorf("pot: config.port_map: %q is not a port label of the task's network block", l)
		}
	}
	return out, byLabel, nil
}

// detachNetwork removes the jail's port forwards, veth, anti-spoofing
// entry, namespace and lease; missing pieces are not errors.
func (d *Driver) detachNetwork(j *jail) error {
	if j.NetKey == "" {
		return nil
	}
	ipam, nat, err := d.network()
	if err != nil {
		return fmt.Errorf("pot: jail network: %w", err)
	}
	var errs []error
	if err := nat.RemovePortMaps(j.NetKey); err != nil {
		errs = append(errs, err)
	}
	if err := netjail.Detach(j.NetKey); err != nil {
		errs = append(errs, err)
	}
	if err := nat.ForbidJail(j.NetKey); err != nil {
		errs = append(errs, err)
	}
	if j.NetNS != "" {
		if err := netjail.DeleteNetNS(j.NetNS); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ipam.Release(j.NetKey); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("pot: release jail network: %v", errs)
	}
	return nil
}

// DeleteNetwork removes the jail network (nftables table and bridge) when
// the driver holds no jail; a throw-away agent calls it on shutdown after
// its tasks are gone.
func (d *Driver) DeleteNetwork() error {
	n := 0
	for _, t := range d.core.Tasks() {
		if _, ok := t.Data().(*jail); ok {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("pot: %d jails still run on %s: keeping the jail network", n, d.opts.Bridge)
	}
	d.net.mu.Lock()
	defer d.net.mu.Unlock()
	if d.net.nat == nil {
		return nil
	}
	if inUse(d.opts.Bridge, d.opts.NFTTable) {
		// Another agent's jails are on this network (two agents sharing
		// one jail network is a configuration error, but never cut
		// someone else's jails off): leave it.
		d.net.ipam, d.net.nat = nil, nil
		return nil
	}
	err := errors.Join(netjail.DeleteTable(d.opts.NFTTable), netjail.DeleteBridge(d.opts.Bridge))
	d.net.ipam, d.net.nat = nil, nil
	if err != nil {
		return fmt.Errorf("pot: delete jail network: %w", err)
	}
	return nil
}

// TaskNetwork returns the jail's address and the port inside it of each
// port label; a jail on the host's network has no address of its own.
func (d *Driver) TaskNetwork(_ context.Context, id string) (*drivers.TaskNetwork, error) {
	j, err := d.held(id)
	if err != nil {
		return nil, err
	}
	n := &drivers.TaskNetwork{IP: j.IP, PortMap: map[string]int{}}
	for l, p := range j.Ports {
		n.PortMap[l] = p
	}
	return n, nil
}

// inUse reports whether veths are still attached to the bridge or port
// forwards remain in the table.
func inUse(bridge, table string) bool {
	left, err := netjail.Leftovers(bridge, table)
	if err != nil {
		return true
	}
	for _, l := range left {
		if !strings.Contains(l, "wharf:static") {
			return true
		}
	}
	return false
}

// reallowNetwork restores the anti-spoofing entry of a jail a previous
// agent attached (a wiped table would otherwise cut it off).
func (d *Driver) reallowNetwork(j *jail) error {
	ip := net.ParseIP(j.IP)
	if j.NetKey == "" || ip == nil {
		return nil
	}
	_, nat, err := d.network()
	if err != nil {
		return fmt.Errorf("pot: jail network: %w", err)
	}
	if err := nat.AllowJail(j.NetKey, ip); err != nil {
		return fmt.Errorf("pot: %w", err)
	}
	return nil
}

//go:build !linux

package netjail

import (
	"errors"
	"net"
)

// errUnsupported is returned by the jail network on systems other than Linux.
var errUnsupported = errors.New("netjail: jail networking is only implemented on linux")

// EnsureBridge is not supported on this system.
func EnsureBridge(name, gatewayCIDR string) error { return errUnsupported }

// DeleteBridge is not supported on this system.
func DeleteBridge(name string) error { return errUnsupported }

// Attach is not supported on this system.
func Attach(bridge, netnsPath, allocID string, ip *net.IPNet, gw net.IP) error {
	return errUnsupported
}

// Detach is not supported on this system.
func Detach(allocID string) error { return errUnsupported }

// HostVethName returns the host side veth name of allocID.
func HostVethName(allocID string) string { return "wj" + shortHash(allocID) }

// NAT is the port-mapping table; it is not supported on this system.
type NAT struct{}

// NewNAT is not supported on this system.
func NewNAT(table, bridge string, cidr *net.IPNet) (*NAT, error) { return nil, errUnsupported }

// AddPortMap is not supported on this system.
func (n *NAT) AddPortMap(allocID string, ms []Mapping) error { return errUnsupported }

// RemovePortMaps is not supported on this system.
func (n *NAT) RemovePortMaps(allocID string) error { return errUnsupported }

// Reconcile is not supported on this system.
func (n *NAT) Reconcile(live map[string]bool) ([]string, error) { return nil, errUnsupported }

// Allocs is not supported on this system.
func (n *NAT) Allocs() ([]string, error) { return nil, errUnsupported }

// DeleteTable is not supported on this system.
func (n *NAT) DeleteTable() error { return errUnsupported }

// DeleteTable is not supported on this system.
func DeleteTable(name string) error { return errUnsupported }

func bridgePorts(bridge string) ([]string, error) { return nil, errUnsupported }

func tableRules(table string) ([]string, error) { return nil, errUnsupported }

// NetNSDir is where named network namespaces are bind-mounted.
const NetNSDir = "/run/netns"

// NetNSName returns the name of the network namespace of key.
func NetNSName(bridge, key string) string { return bridge + "-" + shortHash(key) }

// NetNSPath returns where the namespace called name is mounted.
func NetNSPath(name string) string { return NetNSDir + "/" + name }

// CreateNetNS is not supported on this system.
func CreateNetNS(name string) (string, error) { return "", errUnsupported }

// DeleteNetNS is not supported on this system.
func DeleteNetNS(name string) error { return errUnsupported }

// NetNSNames is not supported on this system.
func NetNSNames(bridge string) ([]string, error) { return nil, errUnsupported }

// ReadHostNet reads only the resolvers on this system (the jail network
// is not implemented here).
func ReadHostNet(bridge, resolvConf string) (HostNet, error) {
	if resolvConf == "" {
		resolvConf = DefaultResolvConf
	}
	rs, err := hostResolvers(resolvConf)
	return HostNet{Resolvers: rs}, err
}

// SetGuard is not supported on this system.
func (n *NAT) SetGuard(g Guard) error { return errUnsupported }

// AllowJail is not supported on this system.
func (n *NAT) AllowJail(allocID string, ip net.IP) error { return errUnsupported }

// ForbidJail is not supported on this system.
func (n *NAT) ForbidJail(allocID string) error { return errUnsupported }

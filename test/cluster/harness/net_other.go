//go:build !linux

package harness

import (
	"errors"
	"net"
)

// errLinuxOnly is what every network step answers off Linux.
var errLinuxOnly = errors.New("harness: cluster tests need Linux network namespaces")

type network struct{}

func newNetwork() (*network, error)                            { return nil, errLinuxOnly }
func (n *network) ip(byte) net.IP                              { return nil }
func (n *network) addNamespace(string, net.IP) (string, error) { return "", errLinuxOnly }
func (n *network) destroy() error                              { return nil }
func sweepLeftovers() []string                                 { return nil }
func deleteNetns(string) error                                 { return nil }
func inNetns(string, func() error) error                       { return errLinuxOnly }
func partition(string, []net.IP) error                         { return errLinuxOnly }
func heal(string) error                                        { return errLinuxOnly }

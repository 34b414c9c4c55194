//go:build !unix

package proxy

import "net"

// waitInput cannot wait without reading here.
func waitInput(net.Conn) (bool, error) { return false, nil }

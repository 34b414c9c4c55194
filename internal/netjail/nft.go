package netjail

import (
	"net"
	"strings"
)

// DefaultTable is the name of the nftables table owned by wharf.
const DefaultTable = "wharf"

// DefaultBridge is the name of the jail bridge.
const DefaultBridge = "wharf0"

// allocTag prefixes the rule comment that names the owning allocation.
const allocTag = "wharf:alloc="

// staticTag is the rule comment of the table's fixed masquerade rules.
const staticTag = "wharf:static"

// Mapping forwards HostPort on the host's addresses to IP:Port in a jail,
// for both TCP and UDP.
type Mapping struct {
	HostPort int
	IP       net.IP
	Port     int
}

// allocOfComment returns the allocation ID in a rule comment, if any.
func allocOfComment(c string) (string, bool) {
	return strings.CutPrefix(c, allocTag)
}

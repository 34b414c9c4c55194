package rule

import "strings"

// Hosts returns the exact host names (lower case, without port) one of
// which every request matching the rule must have, and ok true; ok is
// false when the rule can match other hosts (no Host matcher on every
// branch, a wildcard, HostRegexp, or Host under !). A route table can use
// it to index routers by host and scan only the rest linearly.
func (r *Rule) Hosts() (hosts []string, ok bool) { return hostsOf(r.root) }

// hostsOf computes Hosts for one node.
func hostsOf(n node) ([]string, bool) {
	switch n := n.(type) {
	case hostNode:
		for _, h := range n.hosts {
			if strings.HasPrefix(h, "*.") {
				return nil, false
			}
		}
		return n.hosts, true
	case andNode:
		if h, ok := hostsOf(n.l); ok {
			return h, true
		}
		return hostsOf(n.r)
	case orNode:
		l, lok := hostsOf(n.l)
		r, rok := hostsOf(n.r)
		if !lok || !rok {
			return nil, false
		}
		return append(append([]string(nil), l...), r...), true
	}
	return nil, false
}

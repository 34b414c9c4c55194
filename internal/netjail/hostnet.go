package netjail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// DefaultResolvConf is where the host's resolvers are read from.
const DefaultResolvConf = "/etc/resolv.conf"

// NetworkSetting is the agent setting that names the jail network, quoted
// in every overlap error so the operator knows what to change.
const NetworkSetting = `client { pot { network = "..." } }`

// HostNet is what of the host a jail network must never shadow: its
// routes, the networks of its addresses and its DNS resolvers. A jail
// network overlapping any of them would send the host's own traffic into
// the bridge (a resolver inside the range makes every DNS query time out).
type HostNet struct {
	Routes    []HostPrefix
	Addrs     []HostPrefix
	Resolvers []net.IP
}

// HostPrefix is a route's destination or an address with its prefix, and
// the interface it is on.
type HostPrefix struct {
	Net *net.IPNet
	// IP is the address itself for an address, nil for a route.
	IP  net.IP
	Dev string
}

// String reads like `ip route`/`ip addr`: "192.0.2.0/24 dev eth0".
func (p HostPrefix) String() string {
	s := p.Net.String()
	if p.IP != nil {
		ones, _ := p.Net.Mask.Size()
		s = fmt.Sprintf("%s/%d", p.IP, ones)
	}
	if p.Dev != "" {
		s += " dev " + p.Dev
	}
	return s
}

// overlaps reports whether two networks share an address.
func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// Conflicts lists, in words, everything of the host that n overlaps: each
// route (default routes aside: every network is inside them), each
// address's network and each resolver.
func (h HostNet) Conflicts(n *net.IPNet) []string {
	var out []string
	for _, r := range h.Routes {
		if ones, _ := r.Net.Mask.Size(); ones > 0 && overlaps(n, r.Net) {
			out = append(out, "route "+r.String())
		}
	}
	for _, a := range h.Addrs {
		if overlaps(n, a.Net) {
			out = append(out, "address "+a.String())
		}
	}
	for _, ip := range h.Resolvers {
		if n.Contains(ip) {
			out = append(out, "resolver "+ip.String()+" (resolv.conf nameserver)")
		}
	}
	return out
}

// Check refuses a jail network that overlaps the host's routes, addresses
// or resolvers, naming each conflict and the setting to change.
func (h HostNet) Check(cidr string) error {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return fmt.Errorf("netjail: jail network %q: %w", cidr, err)
	}
	if c := h.Conflicts(n); len(c) > 0 {
		return fmt.Errorf("netjail: jail network %s overlaps the host's %s: the bridge would shadow them "+
			"(the host's own traffic would go into the jails); choose a free range with %s",
			n, strings.Join(c, ", "), NetworkSetting)
	}
	return nil
}

// ErrNoFreeNetwork is returned by PickFree when every candidate overlaps.
var ErrNoFreeNetwork = errors.New("netjail: no free range for the jail network")

// PickFree returns the first candidate that overlaps nothing of the host.
func (h HostNet) PickFree(candidates []string) (string, error) {
	for _, c := range candidates {
		_, n, err := net.ParseCIDR(c)
		if err == nil && len(h.Conflicts(n)) == 0 {
			return n.String(), nil
		}
	}
	return "", fmt.Errorf("%w (%d candidates tried): set one with %s", ErrNoFreeNetwork, len(candidates), NetworkSetting)
}

// Candidates are the ranges an agent without an explicit jail network
// tries, in order: the /16s of pot's 10.192.0.0/10, then of 172.16.0.0/12,
// then 192.168.0.0/16's /20s.
func Candidates() []string {
	var out []string
	for b := 192; b <= 255; b++ {
		out = append(out, fmt.Sprintf("10.%d.0.0/16", b))
	}
	for b := 16; b <= 31; b++ {
		out = append(out, fmt.Sprintf("172.%d.0.0/16", b))
	}
	for c := 0; c < 256; c += 16 {
		out = append(out, fmt.Sprintf("192.168.%d.0/20", c))
	}
	return out
}

// ResolvedUpstream is where systemd-resolved lists the resolvers its
// local stub (the 127.0.0.53 of /etc/resolv.conf) forwards to.
var ResolvedUpstream = "/run/systemd/resolve/resolv.conf"

// hostResolvers returns the nameservers of resolvConf and, when one of
// them is a local stub (a loopback address), the stub's upstreams from
// ResolvedUpstream: the host's queries really go to those.
func hostResolvers(resolvConf string) ([]net.IP, error) {
	ips, err := ReadResolvers(resolvConf)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if ip.IsLoopback() {
			up, err := ReadResolvers(ResolvedUpstream)
			if err != nil {
				return nil, err
			}
			return append(ips, up...), nil
		}
	}
	return ips, nil
}

// ReadResolvers returns the IPv4 nameservers of a resolv.conf file; a
// missing file has none.
func ReadResolvers(path string) ([]net.IP, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netjail: read %s: %w", path, err)
	}
	var out []net.IP
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		host, _, _ := strings.Cut(f[1], "%") // fe80::1%eth0
		if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
			out = append(out, ip.To4())
		}
	}
	return out, nil
}

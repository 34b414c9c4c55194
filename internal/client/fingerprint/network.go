package fingerprint

import (
	"fmt"
	"net"

	"github.com/wharf-project/wharf/internal/structs"
)

// loopbackIP is advertised when no other address is found.
const loopbackIP = "127.0.0.1"

// network sets unique.network.ip-address: the first IPv4 address of the
// named interface, else of the interface of the default route, else
// 127.0.0.1.
func (r *Result) network(iface string) {
	ip, dev, err := advertiseIP(iface)
	if err != nil {
		r.warn("network: %v; advertising %s", err, loopbackIP)
		ip, dev = loopbackIP, "lo"
	}
	r.set("unique.network.ip-address", ip)
	r.Resources.Networks = []*structs.NetworkResource{{Mode: "host", Device: dev, IP: ip, CIDR: ip + "/32", MBits: 1000}}
}

func advertiseIP(iface string) (ip, dev string, err error) {
	if iface == "" {
		if iface, err = defaultRouteInterface(); err != nil {
			return "", "", err
		}
	}
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return "", "", fmt.Errorf("interface %s: %w", iface, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return "", "", fmt.Errorf("addresses of %s: %w", iface, err)
	}
	if ip := firstIPv4(addrs); ip != "" {
		return ip, iface, nil
	}
	return "", "", fmt.Errorf("interface %s has no IPv4 address", iface)
}

// firstIPv4 returns the first non-loopback IPv4 address of addrs.
func firstIPv4(addrs []net.Addr) string {
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if ip4 := ip.To4(); ip4 != nil && !ip4.IsLoopback() {
			return ip4.String()
		}
	}
	return ""
}

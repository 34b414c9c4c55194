//go:build linux

package harness

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// netnsDir is where named network namespaces are mounted.
const netnsDir = "/var/run/netns"

// nsPrefix starts the name of every namespace the harness makes; the
// test process's pid follows, so a later run can tell its own from a
// crashed run's leftovers.
const nsPrefix = "wharf-h"

// bridgeAlias marks the bridges the harness makes, with the pid of the
// test process after it.
const bridgeAlias = "wharf-harness pid="

// network is the test's bridge and address range.
type network struct {
	bridge string
	id     string    // random hex shared by the bridge, veth and namespace names
	prefix [3]byte   // the first three octets of the /24
	hostIP net.IP    // the bridge's own address (.1)
	cidr   net.IPNet // the /24
}

// newNetwork creates a bridge with a random name on a random 172.30.x.0/24
// that no route of the host covers, with the host's address .1 on it.
func newNetwork() (*network, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("harness: list routes: %w", err)
	}
	for range 50 {
		b := make([]byte, 1)
		_, _ = rand.Read(b)
		n := &network{id: randomHex(6), prefix: [3]byte{172, 30, b[0]}}
		n.bridge = "wh" + n.id
		n.cidr = net.IPNet{IP: net.IPv4(172, 30, b[0], 0).To4(), Mask: net.CIDRMask(24, 32)}
		n.hostIP = net.IPv4(172, 30, b[0], 1).To4()
		if overlaps(routes, &n.cidr) {
			continue
		}
		if err := n.createBridge(); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, errors.New("harness: no free 172.30.x.0/24 for the test network")
}

// overlaps reports whether a route of the host covers or falls in cidr.
func overlaps(routes []netlink.Route, cidr *net.IPNet) bool {
	for _, r := range routes {
		if r.Dst == nil {
			continue // the default route
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue // the default route
		}
		if r.Dst.Contains(cidr.IP) || cidr.Contains(r.Dst.IP) {
			return true
		}
	}
	return false
}

func (n *network) createBridge() error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.bridge}}
	if err := netlink.LinkAdd(br); err != nil {
		return fmt.Errorf("harness: create bridge %s: %w", n.bridge, err)
	}
	_ = netlink.LinkSetAlias(br, bridgeAlias+strconv.Itoa(os.Getpid()))
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: n.hostIP, Mask: n.cidr.Mask}}
	if err := netlink.AddrAdd(br, addr); err != nil {
		_ = netlink.LinkDel(br)
		return fmt.Errorf("harness: address %s on %s: %w", addr, n.bridge, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		_ = netlink.LinkDel(br)
		return fmt.Errorf("harness: set %s up: %w", n.bridge, err)
	}
	return nil
}

// ip returns the address .host of the test network.
func (n *network) ip(host byte) net.IP {
	return net.IPv4(n.prefix[0], n.prefix[1], n.prefix[2], host).To4()
}

// nsName is the namespace name of the agent called name.
func (n *network) nsName(name string) string {
	return fmt.Sprintf("%s%d-%s-%s", nsPrefix, os.Getpid(), n.id, name)
}

// addNamespace creates the namespace of agent name with a veth into the
// bridge: eth0 inside, holding ip/24, and lo, both up.
func (n *network) addNamespace(name string, ip net.IP) (string, error) {
	ns := n.nsName(name)
	if err := newNamedNetns(ns); err != nil {
		return "", err
	}
	if err := n.attach(ns, name, ip); err != nil {
		_ = deleteNetns(ns)
		return "", err
	}
	return ns, nil
}

// newNamedNetns creates a named network namespace without moving the
// calling thread into it for longer than the call.
func newNamedNetns(name string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return fmt.Errorf("harness: current netns: %w", err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		panic(fmt.Sprintf("harness: restore netns: %v", serr))
	}
	if err != nil {
		return fmt.Errorf("harness: create netns %s: %w", name, err)
	}
	ns.Close()
	return nil
}

func (n *network) attach(nsName, agent string, ip net.IP) error {
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		return fmt.Errorf("harness: open netns %s: %w", nsName, err)
	}
	defer ns.Close()
	br, err := netlink.LinkByName(n.bridge)
	if err != nil {
		return fmt.Errorf("harness: find bridge %s: %w", n.bridge, err)
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: n.vethName(agent), MasterIndex: br.Attrs().Index},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(int(ns)),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("harness: create veth %s: %w", veth.Name, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return fmt.Errorf("harness: set %s up: %w", veth.Name, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("harness: netlink in %s: %w", nsName, err)
	}
	defer h.Close()
	for _, name := range []string{"lo", "eth0"} {
		l, err := h.LinkByName(name)
		if err != nil {
			return fmt.Errorf("harness: find %s in %s: %w", name, nsName, err)
		}
		if name == "eth0" {
			if err := h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: n.cidr.Mask}}); err != nil {
				return fmt.Errorf("harness: address %s in %s: %w", ip, nsName, err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("harness: set %s up in %s: %w", name, nsName, err)
		}
	}
	return nil
}

// vethName is the host side of agent's veth (at most 15 characters).
func (n *network) vethName(agent string) string {
	name := "wh" + n.id + agent
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}

// destroy removes the bridge and the host sides of the veths.
func (n *network) destroy() error {
	var errs []error
	links, _ := netlink.LinkList()
	for _, l := range links {
		name := l.Attrs().Name
		if strings.HasPrefix(name, "wh"+n.id) && name != n.bridge {
			if err := netlink.LinkDel(l); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("harness: delete %s: %w", name, err))
			}
		}
	}
	if l, err := netlink.LinkByName(n.bridge); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("harness: delete bridge %s: %w", n.bridge, err))
		}
	}
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENOENT)
}

// deleteNetns kills every process left in the namespace (an agent's
// task supervisors and tasks) and removes it.
func deleteNetns(name string) error {
	killNetnsProcs(name)
	if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("harness: delete netns %s: %w", name, err)
	}
	return nil
}

// killNetnsProcs sends SIGKILL to every process whose network namespace
// is the named one, and returns how many it found.
func killNetnsProcs(name string) int {
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(netnsDir, name), &st); err != nil {
		return 0
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	entries, _ := os.ReadDir("/proc")
	killed := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, _ := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "net")); link == want {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed++
		}
	}
	return killed
}

// sweepLeftovers removes the namespaces and bridges of harness runs whose
// test process is gone (a run killed before its cleanup), and returns
// what it removed.
func sweepLeftovers() []string {
	var out []string
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		if pid, ok := ownerPid(strings.TrimPrefix(e.Name(), nsPrefix), e.Name()); ok && !alive(pid) {
			if deleteNetns(e.Name()) == nil {
				out = append(out, "netns "+e.Name())
			}
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		alias := l.Attrs().Alias
		if !strings.HasPrefix(alias, bridgeAlias) {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(alias, bridgeAlias))
		if err == nil && !alive(pid) && netlink.LinkDel(l) == nil {
			out = append(out, "bridge "+l.Attrs().Name)
		}
	}
	return out
}

// ownerPid reads the pid in a namespace name made by nsName.
func ownerPid(rest, full string) (int, bool) {
	if !strings.HasPrefix(full, nsPrefix) {
		return 0, false
	}
	pidStr, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(pidStr)
	return pid, err == nil
}

// alive reports whether a process pid exists.
func alive(pid int) bool {
	return pid == os.Getpid() || syscall.Kill(pid, 0) == nil
}

// inNetns runs fn on a thread switched into the named namespace: a
// process started by fn starts there.
func inNetns(name string, fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return fmt.Errorf("harness: current netns: %w", err)
	}
	defer orig.Close()
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("harness: open netns %s: %w", name, err)
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		return fmt.Errorf("harness: enter netns %s: %w", name, err)
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		panic(fmt.Sprintf("harness: restore netns: %v", err))
	}
	return ferr
}

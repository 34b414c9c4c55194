package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/wharf-project/wharf/internal/netjail"
)

// jailNetConfig writes an agent config with a jail bridge and table of
// the test's own and, unless empty, an explicit jail network.
func jailNetConfig(t *testing.T, network string) (path, bridge, table string) {
	t.Helper()
	n := rand.IntN(200) + 20
	bridge, table = fmt.Sprintf("wn%d", n), fmt.Sprintf("wharf_n%d", n)
	hcl := fmt.Sprintf("client {\n  pot {\n    bridge = %q\n    nft_table = %q\n", bridge, table)
	if network != "" {
		hcl += fmt.Sprintf("    network = %q\n", network)
	}
	hcl += "  }\n}\n"
	path = filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = netjail.DeleteTable(table)
		_ = netjail.DeleteBridge(bridge)
	})
	return path, bridge, table
}

// TestPotJailNetworkFreeRange: a dev agent with no jail network set picks
// a range that overlaps none of the host's routes, addresses and
// resolvers, says so, and with its bridge up the host's resolvers are
// still reached through the host's own routes, not the bridge.
func TestPotJailNetworkFreeRange(t *testing.T) {
	needJails(t)
	cfg, bridge, _ := jailNetConfig(t, "")
	a := startAgent(t, "-dev", "-config", cfg)
	if !strings.Contains(a.out.String(), "jail network chosen") {
		t.Errorf("the agent did not log its choice:\n%s", a.out)
	}
	var chosen *net.IPNet
	waitFor(t, 20*time.Second, "the bridge "+bridge+" up with its address", func() bool {
		l, err := netlink.LinkByName(bridge)
		if err != nil {
			return false
		}
		addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
		if err != nil || len(addrs) != 1 {
			return false
		}
		chosen = &net.IPNet{IP: addrs[0].IP.Mask(addrs[0].Mask), Mask: addrs[0].Mask}
		return true
	})
	if !strings.Contains(a.out.String(), chosen.String()) {
		t.Errorf("the log does not name the network %s:\n%s", chosen, a.out)
	}
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	resolvers, err := netjail.ReadResolvers(netjail.DefaultResolvConf)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resolvers {
		if r.IsLoopback() {
			continue
		}
		if chosen.Contains(r) {
			t.Errorf("the jail network %s holds the host's resolver %s", chosen, r)
		}
		routes, err := netlink.RouteGet(r)
		if err != nil {
			t.Errorf("ip route get %s: %v", r, err)
			continue
		}
		for _, rt := range routes {
			if rt.LinkIndex == br.Attrs().Index {
				t.Errorf("the route to the resolver %s goes into the jail bridge %s: %v", r, bridge, rt)
			}
		}
	}
}

// TestPotJailNetworkOverlapRefused: an agent whose configured jail
// network overlaps one of the host's routes refuses to start, naming the
// route and the setting to change.
func TestPotJailNetworkOverlapRefused(t *testing.T) {
	needJails(t)
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var taken *net.IPNet
	for _, r := range routes {
		if r.Dst != nil && !r.Dst.IP.IsLoopback() {
			if ones, _ := r.Dst.Mask.Size(); ones > 0 && ones <= 30 {
				taken = r.Dst
				break
			}
		}
	}
	if taken == nil {
		t.Skip("the host has no route but the default one")
	}
	cfg, bridge, _ := jailNetConfig(t, taken.String())
	args := []string{"agent", "-dev", "-config", cfg, "-bind", "127.0.0.1"}
	for _, flag := range []string{"-http-port", "-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
		args = append(args, flag, strconv.Itoa(freePort(t)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wharfBin, args...).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("the agent with jail network %s did not refuse to start (%v):\n%s", taken, err, out)
	}
	for _, want := range []string{"client.pot.network", "overlaps the host's route " + taken.String(), `client { pot { network = "..." } }`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error lacks %q:\n%s", want, out)
		}
	}
	if _, err := netlink.LinkByName(bridge); err == nil {
		t.Errorf("the refused agent made its bridge %s", bridge)
	}
}

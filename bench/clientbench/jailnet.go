package main

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/wharf-project/wharf/internal/netjail"
)

// maxBridges bounds the default jail bridges looked at: wharf0 to
// wharf63, as the agent picks them.
const maxBridges = 64

// jailBridges lists the default jail bridges that exist now.
func jailBridges() map[string]bool {
	out := map[string]bool{}
	for i := range maxBridges {
		name := "wharf" + strconv.Itoa(i)
		if _, err := net.InterfaceByName(name); err == nil {
			out[name] = true
		}
	}
	return out
}

// removeNewJailBridges removes the jail networks (bridge and nftables
// table) that this run's agents made and left: an agent with a data
// directory keeps its jail network on shutdown so that a later agent can
// re-attach to its jails, and a killed one cannot remove it, but nothing
// re-attaches to a benchmark's agents. A bridge that existed before the
// run, or that a running agent holds, is left alone.
func removeNewJailBridges(before map[string]bool) {
	for i := range maxBridges {
		name := "wharf" + strconv.Itoa(i)
		if before[name] {
			continue
		}
		if _, err := net.InterfaceByName(name); err != nil {
			continue
		}
		if _, _, err := netjail.ClaimBridge(name, ""); err != nil {
			continue // a running agent's
		}
		table := name
		if i == 0 {
			table = netjail.DefaultTable
		}
		if err := netjail.DeleteTable(table); err != nil {
			fmt.Fprintf(os.Stderr, "clientbench: remove nftables table %s: %v\n", table, err)
		}
		if err := netjail.DeleteBridge(name); err != nil {
			fmt.Fprintf(os.Stderr, "clientbench: remove bridge %s: %v\n", name, err)
		}
	}
}

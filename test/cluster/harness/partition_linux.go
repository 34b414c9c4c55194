//go:build linux

package harness

import (
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"
)

// partitionTable is the nftables table Partition fills in an agent's
// namespace.
const partitionTable = "wharf_harness"

// partition replaces the drop rules in the named namespace: every packet
// from or to one of ips is dropped, both ways, established connections
// included.
func partition(nsName string, ips []net.IP) error {
	if err := heal(nsName); err != nil {
		return err
	}
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		return fmt.Errorf("harness: open netns %s: %w", nsName, err)
	}
	defer ns.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(ns)))
	if err != nil {
		return fmt.Errorf("harness: nftables in %s: %w", nsName, err)
	}
	table := conn.AddTable(&nftables.Table{Name: partitionTable, Family: nftables.TableFamilyIPv4})
	drop := nftables.ChainPolicyAccept
	in := conn.AddChain(&nftables.Chain{Name: "input", Table: table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	out := conn.AddChain(&nftables.Chain{Name: "output", Table: table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	for _, ip := range ips {
		conn.AddRule(&nftables.Rule{Table: table, Chain: in, Exprs: dropAddr(12, ip)})
		conn.AddRule(&nftables.Rule{Table: table, Chain: out, Exprs: dropAddr(16, ip)})
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("harness: partition rules in %s: %w", nsName, err)
	}
	return nil
}

// dropAddr drops IPv4 packets whose address at offset (12: source, 16:
// destination) is ip.
func dropAddr(offset uint32, ip net.IP) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip.To4()},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

// heal removes the drop rules from the named namespace.
func heal(nsName string) error {
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		return fmt.Errorf("harness: open netns %s: %w", nsName, err)
	}
	defer ns.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(ns)))
	if err != nil {
		return fmt.Errorf("harness: nftables in %s: %w", nsName, err)
	}
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return fmt.Errorf("harness: list nftables tables in %s: %w", nsName, err)
	}
	for _, t := range tables {
		if t.Name == partitionTable {
			conn.DelTable(t)
		}
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("harness: remove partition rules in %s: %w", nsName, err)
	}
	return nil
}

package netjail

import (
	"bytes"
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The anti-spoofing part of the jail network lives in a table of family
// bridge named like the agent's table: a set of the jails' host-side veth
// name . leased address . MAC, and a prerouting chain that lets a frame
// from a port of the bridge through only when its source (IPv4) or its
// sender (ARP) is the one of that port's jail.
const (
	spoofChain = "antispoof"
	spoofSet   = "jails"
)

// Concatenated keys live in the 32-bit registers (NFT_REG32_00 is 8).
const (
	regIfname = 8  // 16 bytes: 8..11
	regAddr   = 12 // 4 bytes
	regMAC    = 13 // 6 bytes, padded: 13..14
)

// Ethernet types in network byte order, as meta protocol holds them.
var (
	ethIPv4 = []byte{0x08, 0x00}
	ethARP  = []byte{0x08, 0x06}
)

// spoofKeyType is the set's key: ifname . ipv4_addr . ether_addr.
var spoofKeyType = nftables.MustConcatSetType(nftables.TypeIFName, nftables.TypeIPAddr, nftables.TypeEtherAddr)

// setupAntiSpoof queues the bridge table, its set (elements kept) and the
// chain's fixed rules (rewritten).
func (n *NAT) setupAntiSpoof() {
	n.brTable = n.conn.AddTable(&nftables.Table{Name: n.table.Name, Family: nftables.TableFamilyBridge})
	n.brSet = &nftables.Set{Table: n.brTable, Name: spoofSet, KeyType: spoofKeyType, Concatenation: true}
	// AddSet only fails on anonymous sets without the constant flag.
	_ = n.conn.AddSet(n.brSet, nil)
	prio := nftables.ChainPriorityRef(-200)
	c := n.conn.AddChain(&nftables.Chain{
		Name: spoofChain, Table: n.brTable, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPrerouting, Priority: prio,
	})
	n.conn.FlushChain(c)
	for _, exprs := range antiSpoofRules(n.bridge, n.brSet) {
		n.conn.AddRule(&nftables.Rule{Table: n.brTable, Chain: c, Exprs: exprs, UserData: comment(staticTag)})
	}
}

// antiSpoofRules: IPv4 whose port . source . Ethernet source is a jail's
// passes; ARP whose port . sender IP . sender MAC and port . sender IP .
// Ethernet source are a jail's passes; anything else entering the bridge
// from one of its ports is dropped.
func antiSpoofRules(bridge string, set *nftables.Set) [][]expr.Any {
	lookup := func() *expr.Lookup {
		return &expr.Lookup{SourceRegister: regIfname, SetName: set.Name, SetID: set.ID}
	}
	accept := &expr.Verdict{Kind: expr.VerdictAccept}
	fromPort := bridgeIn(bridge)
	ifname := &expr.Meta{Key: expr.MetaKeyIIFNAME, Register: regIfname}
	etherSrc := &expr.Payload{DestRegister: regMAC, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6}
	arpSPA := &expr.Payload{DestRegister: regAddr, Base: expr.PayloadBaseNetworkHeader, Offset: 14, Len: 4}
	return [][]expr.Any{
		join(fromPort, ethProto(ethIPv4), ifname,
			&expr.Payload{DestRegister: regAddr, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			etherSrc, lookup(), accept),
		join(fromPort, ethProto(ethARP), ifname, arpSPA,
			&expr.Payload{DestRegister: regMAC, Base: expr.PayloadBaseNetworkHeader, Offset: 8, Len: 6},
			lookup(), etherSrc, lookup(), accept),
		join(fromPort, &expr.Verdict{Kind: expr.VerdictDrop}),
	}
}

// bridgeIn matches frames entering through a port of bridge: Attach puts
// the host-side veths in the interface group PortGroup(bridge) (meta
// ibrname needs a module kernels do not always have).
func bridgeIn(bridge string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFGROUP, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(PortGroup(bridge))},
	}
}

// ethProto matches the Ethernet type p.
func ethProto(p []byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p},
	}
}

// spoofKey is the set key of a jail: veth name . address . MAC.
func spoofKey(allocID string, ip net.IP) []byte {
	k := make([]byte, 0, 28)
	name := make([]byte, unix.IFNAMSIZ)
	copy(name, HostVethName(allocID))
	k = append(k, name...)
	k = append(k, ip.To4()...)
	k = append(k, JailMAC(allocID)...)
	return append(k, 0, 0)
}

// AllowJail lets the jail of allocID send from ip (and its MAC) through
// its veth; until then, everything it sends is dropped at the bridge.
// Adding an existing entry is not an error.
func (n *NAT) AllowJail(allocID string, ip net.IP) error {
	if ip.To4() == nil {
		return fmt.Errorf("netjail: jail address %v is not IPv4", ip)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.conn.SetAddElements(n.brSet, []nftables.SetElement{{Key: spoofKey(allocID, ip)}}); err != nil {
		return fmt.Errorf("netjail: allow jail %s: %w", allocID, err)
	}
	if err := n.conn.Flush(); err != nil {
		return fmt.Errorf("netjail: allow jail %s: %w", allocID, err)
	}
	return nil
}

// ForbidJail removes the entries of allocID's veth.
func (n *NAT) ForbidJail(allocID string) error {
	veth := HostVethName(allocID)
	_, err := n.pruneJails(func(name string) bool { return name == veth })
	return err
}

// pruneJails deletes the set entries whose veth name matches and returns
// those names; without the bridge table there is nothing to delete.
func (n *NAT) pruneJails(match func(veth string) bool) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.conn.ListTableOfFamily(n.brTable.Name, nftables.TableFamilyBridge); err != nil {
		// The table is gone (an operator's nft flush ruleset): there is
		// nothing to remove, and a jail's teardown must not stop here.
		return nil, nil
	}
	els, err := n.conn.GetSetElements(n.brSet)
	if err != nil {
		return nil, fmt.Errorf("netjail: list jail entries: %w", err)
	}
	var del []nftables.SetElement
	var names []string
	for _, e := range els {
		if name := vethOfKey(e.Key); match(name) {
			del = append(del, nftables.SetElement{Key: e.Key})
			names = append(names, name)
		}
	}
	if len(del) == 0 {
		return nil, nil
	}
	if err := n.conn.SetDeleteElements(n.brSet, del); err != nil {
		return nil, fmt.Errorf("netjail: delete jail entries: %w", err)
	}
	if err := n.conn.Flush(); err != nil {
		return nil, fmt.Errorf("netjail: delete jail entries: %w", err)
	}
	return names, nil
}

// vethOfKey returns the interface name at the start of a set key.
func vethOfKey(k []byte) string {
	if len(k) > unix.IFNAMSIZ {
		k = k[:unix.IFNAMSIZ]
	}
	if i := bytes.IndexByte(k, 0); i >= 0 {
		k = k[:i]
	}
	return string(k)
}

// jailEntries lists the set's entries of table (family bridge) as
// "jail VETH IP MAC".
func jailEntries(conn *nftables.Conn, table string) ([]string, error) {
	t, err := conn.ListTableOfFamily(table, nftables.TableFamilyBridge)
	if err != nil {
		return nil, nil // no table
	}
	s, err := conn.GetSetByName(t, spoofSet)
	if err != nil {
		return nil, nil
	}
	els, err := conn.GetSetElements(s)
	if err != nil {
		return nil, fmt.Errorf("netjail: list jail entries: %w", err)
	}
	var out []string
	for _, e := range els {
		if len(e.Key) < 26 {
			continue
		}
		ip := net.IP(e.Key[16:20])
		mac := net.HardwareAddr(e.Key[20:26])
		out = append(out, fmt.Sprintf("jail %s %s %s", vethOfKey(e.Key), ip, mac))
	}
	return out, nil
}

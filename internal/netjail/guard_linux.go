package netjail

import (
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// ICMP codes of the rejections.
const (
	icmpPortUnreach   = 3
	icmpAdminProhibit = 13
)

// SetGuard replaces the table's filter rules with g's: an input chain
// rejecting jail traffic to the agent's ports on every host address, and
// a forward chain applying the egress policy. Replies to connections the
// host or the outside opened (the ingress, port forwards) always pass.
func (n *NAT) SetGuard(g Guard) error {
	if err := g.Validate(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	in := n.addFilterChain("input", nftables.ChainHookInput)
	fwd := n.addFilterChain("forward", nftables.ChainHookForward)
	n.conn.FlushChain(in)
	n.conn.FlushChain(fwd)
	for _, exprs := range guardInputRules(n.bridge, g.HostPorts) {
		n.conn.AddRule(&nftables.Rule{Table: n.table, Chain: in, Exprs: exprs, UserData: comment(staticTag)})
	}
	if g.Egress == EgressDeny {
		for _, exprs := range guardForwardRules(n.bridge, n.cidr, g.EgressAllow) {
			n.conn.AddRule(&nftables.Rule{Table: n.table, Chain: fwd, Exprs: exprs, UserData: comment(staticTag)})
		}
	}
	if err := n.conn.Flush(); err != nil {
		return fmt.Errorf("netjail: set the jail guard rules: %w", err)
	}
	return nil
}

// addFilterChain queues a filter base chain of the table.
func (n *NAT) addFilterChain(name string, hook *nftables.ChainHook) *nftables.Chain {
	return n.conn.AddChain(&nftables.Chain{
		Name: name, Table: n.table, Type: nftables.ChainTypeFilter, Hooknum: hook,
		Priority: nftables.ChainPriorityFilter,
	})
}

// guardInputRules: replies pass; jail traffic to each port is rejected
// (TCP with a reset, UDP with port unreachable).
func guardInputRules(bridge string, ports []int) [][]expr.Any {
	out := [][]expr.Any{join(ctEstablished(), &expr.Verdict{Kind: expr.VerdictAccept})}
	for _, p := range ports {
		out = append(out,
			join(iifname(bridge), l4Port(unix.IPPROTO_TCP, p), &expr.Reject{Type: unix.NFT_REJECT_TCP_RST}),
			join(iifname(bridge), l4Port(unix.IPPROTO_UDP, p),
				&expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: icmpPortUnreach}))
	}
	return out
}

// guardForwardRules: replies pass, jail traffic to other jails and the
// allowed networks passes, any other jail traffic is rejected.
func guardForwardRules(bridge string, cidr *net.IPNet, allow []*net.IPNet) [][]expr.Any {
	accept := &expr.Verdict{Kind: expr.VerdictAccept}
	out := [][]expr.Any{
		join(ctEstablished(), accept),
		join(iifname(bridge), daddrIn(cidr), accept),
	}
	for _, a := range allow {
		out = append(out, join(iifname(bridge), daddrIn(a), accept))
	}
	return append(out, join(iifname(bridge), &expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: icmpAdminProhibit}))
}

// ctEstablished matches packets of established or related connections.
func ctEstablished() []expr.Any {
	return []expr.Any{
		&expr.Ct{Key: expr.CtKeySTATE, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
			Xor:  make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

// iifname matches the input interface name.
func iifname(name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
	}
}

// l4Port matches protocol proto to destination port p.
func l4Port(proto byte, p int) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(p)},
	}
}

// daddrIn matches an IPv4 destination address inside n.
func daddrIn(n *net.IPNet) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(n.Mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: n.IP.Mask(n.Mask).To4()},
	}
}

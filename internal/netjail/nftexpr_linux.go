package netjail

import (
	"net"

	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// dnatRule matches "fib daddr type local <proto> dport HostPort" and
// DNATs to m.IP:m.Port.
func dnatRule(proto byte, m Mapping) []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(m.HostPort)},
		&expr.Immediate{Register: 1, Data: m.IP.To4()},
		&expr.Immediate{Register: 2, Data: be16(m.Port)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

// masqRules returns the fixed postrouting rules: masquerade loopback
// sources DNATed onto the bridge, jail traffic leaving through another
// interface, and jail-to-jail traffic DNATed through a host port (hairpin).
func masqRules(bridge string, cidr *net.IPNet) [][]expr.Any {
	loop := &net.IPNet{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)}
	masq := &expr.Masq{}
	return [][]expr.Any{
		join(saddrIn(loop), oifname(expr.CmpOpEq, bridge), masq),
		join(saddrIn(cidr), oifname(expr.CmpOpNeq, bridge), masq),
		join(saddrIn(cidr), oifname(expr.CmpOpEq, bridge), ctDNAT(), masq),
	}
}

// join concatenates expression lists and single expressions.
func join(parts ...any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		switch v := p.(type) {
		case []expr.Any:
			out = append(out, v...)
		case expr.Any:
			out = append(out, v)
		}
	}
	return out
}

// saddrIn matches an IPv4 source address inside n.
func saddrIn(n *net.IPNet) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(n.Mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: n.IP.Mask(n.Mask).To4()},
	}
}

// oifname compares the output interface name with name.
func oifname(op expr.CmpOp, name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: b},
	}
}

// ctDNAT matches connections whose destination was NATed.
func ctDNAT() []expr.Any {
	const ipsDstNAT = 0x20
	return []expr.Any{
		&expr.Ct{Key: expr.CtKeySTATUS, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

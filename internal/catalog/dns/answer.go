package dns

import (
	"encoding/hex"
	"math/rand/v2"
	"net"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/catalog"
)

// query is a parsed question inside one of the served domains.
type query struct {
	q      mdns.Question
	domain string   // the served domain asked, fully qualified
	dc     string   // datacenter label, "" when none
	labels []string // labels before the domain and datacenter, lower case
	kind   string   // "service", "node", "addr" or "" for the apex
}

// Answer builds the answer to req, cut to size bytes (TC set when records
// were left out). It never panics on any message that unpacked.
func (s *Server) Answer(req *mdns.Msg, size int) *mdns.Msg {
	resp := new(mdns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = false
	resp.Compress = true
	if opt := req.IsEdns0(); opt != nil {
		resp.SetEdns0(uint16(max(size, mdns.MinMsgSize)), opt.Do())
	}
	switch {
	case req.Response || req.Opcode != mdns.OpcodeQuery:
		resp.Rcode = mdns.RcodeNotImplemented
		return resp
	case len(req.Question) != 1:
		resp.Rcode = mdns.RcodeFormatError
		return resp
	}
	q, ok := s.parse(req.Question[0])
	if !ok {
		resp.Rcode = mdns.RcodeRefused
		return resp
	}
	s.resolve(resp, q)
	resp.Truncate(size)
	return resp
}

// parse splits a question's name into its served domain, datacenter and
// lookup kind; false when the name is outside every served domain.
func (s *Server) parse(q mdns.Question) (*query, bool) {
	name := strings.ToLower(q.Name)
	for _, d := range s.domains {
		if !mdns.IsSubDomain(d, name) {
			continue
		}
		p := &query{q: q, domain: d}
		rest := mdns.SplitDomainName(strings.TrimSuffix(name, d))
		if len(rest) == 0 {
			return p, true
		}
		if n := len(rest); n >= 2 && isKind(rest[n-2]) && !isKind(rest[n-1]) {
			p.dc, rest = rest[n-1], rest[:n-1]
		}
		if n := len(rest); isKind(rest[n-1]) {
			p.kind, p.labels = rest[n-1], rest[:n-1]
		} else {
			p.labels = rest
			p.kind = "unknown"
		}
		return p, true
	}
	return nil, false
}

func isKind(l string) bool { return l == "service" || l == "node" || l == "addr" }

// resolve fills resp for q.
func (s *Server) resolve(resp *mdns.Msg, q *query) {
	if q.dc != "" && s.cfg.Datacenter != "" && !strings.EqualFold(q.dc, s.cfg.Datacenter) {
		s.nxdomain(resp, q)
		return
	}
	switch q.kind {
	case "":
		s.apex(resp, q)
	case "service":
		s.service(resp, q)
	case "node":
		s.node(resp, q)
	case "addr":
		s.addrLookup(resp, q)
	default:
		s.nxdomain(resp, q)
	}
}

// apex answers SOA and NS of the domain itself.
func (s *Server) apex(resp *mdns.Msg, q *query) {
	switch q.q.Qtype {
	case mdns.TypeSOA, mdns.TypeANY:
		resp.Answer = append(resp.Answer, s.soa(q))
	case mdns.TypeNS:
		resp.Answer = append(resp.Answer, &mdns.NS{Hdr: s.hdr(q.q.Name, mdns.TypeNS), Ns: "ns." + q.domain})
	default:
		s.nodata(resp, q)
	}
}

// serviceName reads a service lookup's name and tag.
func serviceName(labels []string) (name, tag string, ok bool) {
	switch len(labels) {
	case 1:
		return labels[0], "", !strings.HasPrefix(labels[0], "_")
	case 2:
		a, b := labels[0], labels[1]
		if strings.HasPrefix(a, "_") && strings.HasPrefix(b, "_") {
			name, tag = a[1:], b[1:]
			if tag == "tcp" {
				tag = ""
			}
			return name, tag, name != ""
		}
		return b, a, true
	}
	return "", "", false
}

// service answers a service lookup with its passing instances
// (NXDOMAIN without service read on the name).
func (s *Server) service(resp *mdns.Msg, q *query) {
	name, tag, ok := serviceName(q.labels)
	if !ok {
		s.nxdomain(resp, q)
		return
	}
	if !s.acl().AllowServiceRead(name) {
		s.nxdomain(resp, q)
		return
	}
	var tags []string
	if tag != "" {
		tags = []string{tag}
	}
	view := catalog.NewView(s.cfg.Reader.Snapshot())
	ins := view.Instances(name, tags, true)
	if len(ins) == 0 {
		s.nxdomain(resp, q)
		return
	}
	rand.Shuffle(len(ins), func(i, j int) { ins[i], ins[j] = ins[j], ins[i] })
	switch q.q.Qtype {
	case mdns.TypeSRV:
		s.srv(resp, q, ins)
	case mdns.TypeA, mdns.TypeAAAA, mdns.TypeANY:
		seen := map[string]bool{}
		for _, in := range ins {
			if a := in.Address(); !seen[a] {
				seen[a] = true
				resp.Answer = append(resp.Answer, s.addrRecords(q.q.Name, a, q.q.Qtype)...)
			}
		}
	}
	if len(resp.Answer) == 0 {
		s.nodata(resp, q)
	}
}

// srv answers SRV records with the targets' addresses as extras.
func (s *Server) srv(resp *mdns.Msg, q *query, ins []*catalog.Instance) {
	seen := map[string]bool{}
	for _, in := range ins {
		target := s.target(q, in)
		resp.Answer = append(resp.Answer, &mdns.SRV{Hdr: s.hdr(q.q.Name, mdns.TypeSRV),
			Priority: 1, Weight: 1, Port: uint16(in.Reg.Port), Target: target})
		if !seen[target] {
			seen[target] = true
			resp.Extra = append(resp.Extra, s.addrRecords(target, in.Address(), mdns.TypeANY)...)
		}
	}
}

// target is an instance's SRV target: its node's name when it uses the
// node's address, else a name of its own address.
func (s *Server) target(q *query, in *catalog.Instance) string {
	a := in.Address()
	dc := ""
	if q.dc != "" {
		dc = q.dc + "."
	}
	if a == in.Node.Address && validLabel(in.Node.Name) && s.acl().AllowNodeRead() {
		return strings.ToLower(in.Node.Name) + ".node." + dc + q.domain
	}
	if ip := net.ParseIP(a); ip != nil {
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		return hex.EncodeToString(ip) + ".addr." + dc + q.domain
	}
	if _, ok := mdns.IsDomainName(a); ok && a != "" {
		return mdns.Fqdn(a)
	}
	return "unknown.addr." + dc + q.domain
}

// validLabel reports whether a node name can be one DNS label.
func validLabel(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for _, c := range name {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// node answers <node>.node lookups (NXDOMAIN without node read).
func (s *Server) node(resp *mdns.Msg, q *query) {
	if len(q.labels) == 0 || !s.acl().AllowNodeRead() {
		s.nxdomain(resp, q)
		return
	}
	n := catalog.NewView(s.cfg.Reader.Snapshot()).NodeByName(strings.Join(q.labels, "."))
	if n == nil {
		s.nxdomain(resp, q)
		return
	}
	resp.Answer = append(resp.Answer, s.addrRecords(q.q.Name, n.Address, q.q.Qtype)...)
	if len(resp.Answer) == 0 {
		s.nodata(resp, q)
	}
}

// addrLookup answers <hex ip>.addr lookups.
func (s *Server) addrLookup(resp *mdns.Msg, q *query) {
	var ip net.IP
	if len(q.labels) == 1 {
		if b, err := hex.DecodeString(q.labels[0]); err == nil && (len(b) == 4 || len(b) == 16) {
			ip = b
		}
	}
	if ip == nil {
		s.nxdomain(resp, q)
		return
	}
	resp.Answer = append(resp.Answer, s.addrRecords(q.q.Name, ip.String(), q.q.Qtype)...)
	if len(resp.Answer) == 0 {
		s.nodata(resp, q)
	}
}

// addrRecords are name's records for address a of type qtype (A, AAAA;
// ANY for both): A for IPv4, AAAA for IPv6, CNAME for a host name.
func (s *Server) addrRecords(name, a string, qtype uint16) []mdns.RR {
	ip := net.ParseIP(a)
	switch {
	case ip == nil:
		if _, ok := mdns.IsDomainName(a); ok && a != "" && qtype != mdns.TypeSRV {
			return []mdns.RR{&mdns.CNAME{Hdr: s.hdr(name, mdns.TypeCNAME), Target: mdns.Fqdn(a)}}
		}
	case ip.To4() != nil:
		if qtype == mdns.TypeA || qtype == mdns.TypeANY {
			return []mdns.RR{&mdns.A{Hdr: s.hdr(name, mdns.TypeA), A: ip.To4()}}
		}
	default:
		if qtype == mdns.TypeAAAA || qtype == mdns.TypeANY {
			return []mdns.RR{&mdns.AAAA{Hdr: s.hdr(name, mdns.TypeAAAA), AAAA: ip}}
		}
	}
	return nil
}

func (s *Server) hdr(name string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: name, Rrtype: t, Class: mdns.ClassINET, Ttl: uint32(s.cfg.TTL.Seconds())}
}

// soa is the domain's SOA record.
func (s *Server) soa(q *query) *mdns.SOA {
	return &mdns.SOA{Hdr: s.hdr(q.domain, mdns.TypeSOA), Ns: "ns." + q.domain, Mbox: "hostmaster." + q.domain,
		Serial: uint32(s.cfg.Reader.Snapshot().TableIndex(catalog.Tables...)), Refresh: 3600, Retry: 600,
		Expire: 86400, Minttl: uint32(s.cfg.TTL.Seconds())}
}

// nxdomain answers a name that does not exist.
func (s *Server) nxdomain(resp *mdns.Msg, q *query) {
	resp.Rcode = mdns.RcodeNameError
	resp.Answer = nil
	resp.Ns = append(resp.Ns, s.soa(q))
}

// nodata answers a name that exists but has no records of the type.
func (s *Server) nodata(resp *mdns.Msg, q *query) {
	resp.Rcode = mdns.RcodeSuccess
	resp.Ns = append(resp.Ns, s.soa(q))
}

// acl is what this query may read: everything without Config.ACL.
func (s *Server) acl() *acl.ACL {
	if s.cfg.ACL == nil {
		return acl.ManagementACL
	}
	if a := s.cfg.ACL(); a != nil {
		return a
	}
	return acl.New(nil)
}

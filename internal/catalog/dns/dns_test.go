package dns

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// newTestServer serves DNS on a random loopback port over a memstore
// with node n1 (10.0.0.1, ready) and n2 (10.0.0.2, down) and
// registrations regs.
func newTestServer(t testing.TB, regs ...*structs.ServiceRegistration) (*Server, *memstore.Store) {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	for _, n := range []*structs.Node{
		{ID: "node-1", Name: "n1", Status: structs.NodeStatusReady, Attributes: map[string]string{"unique.network.ip-address": "10.0.0.1"}},
		{ID: "node-2", Name: "n2", Status: structs.NodeStatusDown, Attributes: map[string]string{"unique.network.ip-address": "10.0.0.2"}},
	} {
		if _, err := st.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if len(regs) > 0 {
		if _, err := st.UpsertServiceRegistrations(ctx, regs); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Config{Reader: st, Datacenter: "dc1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, st
}

func inst(id, name, node, addr string, port int, tags []string, status string) *structs.ServiceRegistration {
	r := &structs.ServiceRegistration{ID: id, ServiceName: name, NodeID: node, Address: addr, Port: port, Tags: tags}
	if status != "" {
		r.Checks = []*structs.CheckStatus{{ID: "c", Type: "tcp", Status: status}}
	}
	return r
}

// ask sends one question over net ("udp" or "tcp"), optionally with an
// EDNS0 buffer size.
func ask(t *testing.T, s *Server, network, name string, qtype uint16, edns uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	if edns > 0 {
		m.SetEdns0(edns, false)
	}
	c := &mdns.Client{Net: network, UDPSize: 65535}
	resp, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, mdns.TypeToString[qtype], err)
	}
	return resp
}

func answers(m *mdns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch r := rr.(type) {
		case *mdns.A:
			out = append(out, r.A.String())
		case *mdns.AAAA:
			out = append(out, r.AAAA.String())
		case *mdns.SRV:
			out = append(out, fmt.Sprintf("%d %s", r.Port, r.Target))
		case *mdns.CNAME:
			out = append(out, "cname "+r.Target)
		default:
			out = append(out, rr.String())
		}
	}
	sort.Strings(out)
	return out
}

func TestLookups(t *testing.T) {
	s, _ := newTestServer(t,
		inst("w1", "web", "node-1", "10.0.0.1", 8080, []string{"v1"}, "passing"),
		inst("w2", "web", "node-1", "10.1.0.5", 8081, []string{"v2"}, ""),
		inst("w3", "web", "node-1", "10.1.0.6", 8082, []string{"v1"}, "critical"),
		inst("w4", "web", "node-2", "10.0.0.2", 8083, []string{"v1"}, ""),
		inst("w5", "web", "node-1", "fd00::5", 8084, nil, ""),
		inst("d1", "db", "node-1", "", 5432, nil, "warning"),
		inst("x1", "ext", "unknown-node", "db.example.com", 1, nil, ""),
	)
	cases := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"web.service.wharf.", mdns.TypeA, 0, []string{"10.0.0.1", "10.1.0.5"}},
		{"WEB.Service.Wharf.", mdns.TypeA, 0, []string{"10.0.0.1", "10.1.0.5"}},
		{"web.service.consul.", mdns.TypeA, 0, []string{"10.0.0.1", "10.1.0.5"}},
		{"web.service.dc1.wharf.", mdns.TypeA, 0, []string{"10.0.0.1", "10.1.0.5"}},
		{"web.service.dc9.wharf.", mdns.TypeA, 3, nil},
		{"web.service.wharf.", mdns.TypeAAAA, 0, []string{"fd00::5"}},
		{"v1.web.service.wharf.", mdns.TypeA, 0, []string{"10.0.0.1"}},
		{"v1.web.service.wharf.", mdns.TypeSRV, 0, []string{"8080 n1.node.wharf."}},
		{"v2.web.service.consul.", mdns.TypeSRV, 0, []string{"8081 0a010005.addr.consul."}},
		{"_web._tcp.service.wharf.", mdns.TypeSRV, 0, []string{"8080 n1.node.wharf.", "8081 0a010005.addr.wharf.", "8084 fd000000000000000000000000000005.addr.wharf."}},
		{"_web._v2.service.wharf.", mdns.TypeSRV, 0, []string{"8081 0a010005.addr.wharf."}},
		{"web.service.wharf.", mdns.TypeMX, 0, nil},
		{"db.service.wharf.", mdns.TypeA, 3, nil},
		{"ext.service.wharf.", mdns.TypeA, 0, []string{"cname db.example.com."}},
		{"nope.service.wharf.", mdns.TypeA, 3, nil},
		{"a.b.c.service.wharf.", mdns.TypeA, 3, nil},
		{"n1.node.wharf.", mdns.TypeA, 0, []string{"10.0.0.1"}},
		{"n1.node.wharf.", mdns.TypeAAAA, 0, nil},
		{"zz.node.wharf.", mdns.TypeA, 3, nil},
		{"0a010005.addr.wharf.", mdns.TypeA, 0, []string{"10.1.0.5"}},
		{"xyz.addr.wharf.", mdns.TypeA, 3, nil},
		{"what.wharf.", mdns.TypeA, 3, nil},
		{"wharf.", mdns.TypeNS, 0, []string{"wharf.\t0\tIN\tNS\tns.wharf."}},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+mdns.TypeToString[c.qtype], func(t *testing.T) {
			resp := ask(t, s, "udp", c.name, c.qtype, 0)
			if resp.Rcode != c.rcode {
				t.Fatalf("rcode %s, want %s", mdns.RcodeToString[resp.Rcode], mdns.RcodeToString[c.rcode])
			}
			if got := answers(resp); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("answers %v, want %v", got, c.want)
			}
			if !resp.Authoritative {
				t.Fatal("not authoritative")
			}
			if len(c.want) == 0 && (len(resp.Ns) != 1 || resp.Ns[0].Header().Rrtype != mdns.TypeSOA) {
				t.Fatalf("no SOA in authority: %v", resp.Ns)
			}
		})
	}
	if r := ask(t, s, "udp", "example.org.", mdns.TypeA, 0); r.Rcode != mdns.RcodeRefused {
		t.Fatalf("outside domain: %s", mdns.RcodeToString[r.Rcode])
	}
	srv := ask(t, s, "tcp", "v1.web.service.wharf.", mdns.TypeSRV, 0)
	if len(srv.Extra) != 1 || srv.Extra[0].(*mdns.A).A.String() != "10.0.0.1" {
		t.Fatalf("SRV extras %v", srv.Extra)
	}
	if soa := ask(t, s, "udp", "nope.service.consul.", mdns.TypeA, 0).Ns[0].(*mdns.SOA); soa.Hdr.Name != "consul." {
		t.Fatalf("SOA in the asked domain: %v", soa)
	}
}

func TestTruncation(t *testing.T) {
	var regs []*structs.ServiceRegistration
	for i := 0; i < 50; i++ {
		regs = append(regs, inst(fmt.Sprint("i", i), "big", "node-1", fmt.Sprintf("10.2.0.%d", i+1), 9000+i, nil, ""))
	}
	s, _ := newTestServer(t, regs...)
	cases := []struct {
		network string
		qtype   uint16
		edns    uint16
		trunc   bool
		min     int
	}{
		{"udp", mdns.TypeA, 0, true, 1},
		{"udp", mdns.TypeSRV, 0, true, 1},
		{"udp", mdns.TypeA, 4096, false, 50},
		{"udp", mdns.TypeSRV, 1232, true, 1},
		{"tcp", mdns.TypeA, 0, false, 50},
		{"tcp", mdns.TypeSRV, 0, false, 50},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.network, mdns.TypeToString[c.qtype], c.edns), func(t *testing.T) {
			resp := ask(t, s, c.network, "big.service.wharf.", c.qtype, c.edns)
			if resp.Truncated != c.trunc || len(resp.Answer) < c.min || (!c.trunc && len(resp.Answer) != 50) {
				t.Fatalf("TC=%v with %d answers", resp.Truncated, len(resp.Answer))
			}
			limit := 512
			if c.edns > 0 {
				limit = int(c.edns)
			}
			resp.Compress = true
			if b, _ := resp.Pack(); c.network == "udp" && len(b) > limit {
				t.Fatalf("answer of %d bytes over a %d byte buffer", len(b), limit)
			}
		})
	}
}

func TestShuffle(t *testing.T) {
	var regs []*structs.ServiceRegistration
	for i := 0; i < 10; i++ {
		regs = append(regs, inst(fmt.Sprint("i", i), "web", "node-1", fmt.Sprintf("10.3.0.%d", i+1), 80, nil, ""))
	}
	s, _ := newTestServer(t, regs...)
	first := map[string]bool{}
	for i := 0; i < 50 && len(first) < 2; i++ {
		first[ask(t, s, "udp", "web.service.wharf.", mdns.TypeA, 0).Answer[0].String()] = true
	}
	if len(first) < 2 {
		t.Fatal("answers are not shuffled")
	}
}

func TestSeesChanges(t *testing.T) {
	s, st := newTestServer(t, inst("w1", "web", "node-1", "10.0.0.1", 80, nil, "critical"))
	if r := ask(t, s, "udp", "web.service.wharf.", mdns.TypeA, 0); r.Rcode != mdns.RcodeNameError {
		t.Fatalf("critical instance answered: %v", r)
	}
	if _, err := st.UpsertServiceRegistrations(context.Background(),
		[]*structs.ServiceRegistration{inst("w1", "web", "node-1", "10.0.0.1", 80, nil, "passing")}); err != nil {
		t.Fatal(err)
	}
	if r := ask(t, s, "udp", "web.service.wharf.", mdns.TypeA, 0); len(r.Answer) != 1 {
		t.Fatalf("passing instance not answered: %v", r)
	}
}

func TestBadMessages(t *testing.T) {
	s, _ := newTestServer(t, inst("w1", "web", "node-1", "10.0.0.1", 80, nil, ""))
	conn, err := net.Dial("udp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, b := range [][]byte{{}, {0, 1}, []byte("garbage garbage garbage"), make([]byte, 600)} {
		_, _ = conn.Write(b)
	}
	multi := new(mdns.Msg)
	multi.SetQuestion("web.service.wharf.", mdns.TypeA)
	multi.Question = append(multi.Question, multi.Question[0])
	if r := s.Answer(multi, 512); r.Rcode != mdns.RcodeFormatError {
		t.Fatalf("two questions: %s", mdns.RcodeToString[r.Rcode])
	}
	notify := new(mdns.Msg)
	notify.SetNotify("wharf.")
	if r := s.Answer(notify, 512); r.Rcode != mdns.RcodeNotImplemented {
		t.Fatalf("notify: %s", mdns.RcodeToString[r.Rcode])
	}
	for qtype := range mdns.TypeToString {
		for _, name := range []string{"web.service.wharf.", "n1.node.wharf.", "wharf.", "x.wharf.", "_x._y.service.wharf."} {
			if _, err := s.Answer(func() *mdns.Msg { m := new(mdns.Msg); m.SetQuestion(name, qtype); return m }(), 512).Pack(); err != nil {
				t.Fatalf("%s %s: %v", name, mdns.TypeToString[qtype], err)
			}
		}
	}
	// The server still answers.
	if r := ask(t, s, "udp", "web.service.wharf.", mdns.TypeA, 0); len(r.Answer) != 1 {
		t.Fatalf("after garbage: %v", r)
	}
}

// TestDig asks the real dig binary.
func TestDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dig is not installed (Debian package dnsutils)")
		}
		t.Skip("dig is not installed (Debian package dnsutils)")
	}
	s, _ := newTestServer(t, inst("w1", "web", "node-1", "10.0.0.1", 8080, nil, ""),
		inst("w2", "web", "node-1", "10.0.0.9", 8081, nil, ""))
	host, port, _ := net.SplitHostPort(s.Addr())
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"web.service.wharf", "A", "+short"}, []string{"10.0.0.1", "10.0.0.9"}},
		{[]string{"web.service.consul", "SRV", "+short", "+tcp"}, []string{"1 1 8080 n1.node.consul.", "1 1 8081 0a000009.addr.consul."}},
		{[]string{"nope.service.wharf", "A"}, []string{"status: NXDOMAIN", "SOA"}},
	} {
		args := append([]string{"@" + host, "-p", port, "+time=5", "+tries=1"}, c.args...)
		out, err := exec.Command(dig, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", args, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Fatalf("dig %v: no %q in\n%s", c.args, w, out)
			}
		}
	}
}

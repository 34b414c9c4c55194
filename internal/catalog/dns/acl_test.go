package dns

import (
	"sync/atomic"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/acl"
)

// TestACLAnswersOnlyWhatItMayRead: with an ACL (the anonymous policy's
// when ACLs are on), a service is answered only with service read on its
// name, a node only with node read, and SRV targets name nodes only with
// node read; other names are NXDOMAIN, as if they did not exist.
func TestACLAnswersOnlyWhatItMayRead(t *testing.T) {
	s, _ := newTestServer(t, // answered in the test's goroutine: Answer is what ServeDNS sends
		inst("w1", "web", "node-1", "10.0.0.1", 8080, nil, "passing"),
		inst("s1", "secret", "node-1", "10.0.0.1", 9000, nil, "passing"),
	)
	var cur atomic.Pointer[acl.ACL]
	s.cfg.ACL = cur.Load
	policy := func(rules string) *acl.ACL {
		if rules == "" {
			return acl.New(nil)
		}
		p, err := acl.Parse(rules)
		if err != nil {
			t.Fatal(err)
		}
		return acl.New([]*acl.Policy{p})
	}
	for _, tc := range []struct {
		name, rules, q string
		qtype          uint16
		rcode          int
		want           []string
	}{
		{"no policy: no service", "", "web.service.wharf.", mdns.TypeA, mdns.RcodeNameError, nil},
		{"no policy: no node", "", "n1.node.wharf.", mdns.TypeA, mdns.RcodeNameError, nil},
		{"web read", `service "web" { policy = "read" }`, "web.service.wharf.", mdns.TypeA, 0, []string{"10.0.0.1"}},
		{"web read: not secret", `service "web" { policy = "read" }`, "secret.service.wharf.", mdns.TypeA, mdns.RcodeNameError, nil},
		{"web read: SRV names no node", `service "web" { policy = "read" }`, "web.service.wharf.", mdns.TypeSRV, 0, []string{"8080 0a000001.addr.wharf."}},
		{"web and node read: SRV names the node", "service \"web\" { policy = \"read\" }\nnode { policy = \"read\" }",
			"web.service.wharf.", mdns.TypeSRV, 0, []string{"8080 n1.node.wharf."}},
		{"node read", `node { policy = "read" }`, "n1.node.wharf.", mdns.TypeA, 0, []string{"10.0.0.1"}},
		{"prefix deny", "service_prefix \"\" { policy = \"read\" }\nservice \"secret\" { policy = \"deny\" }",
			"secret.service.wharf.", mdns.TypeA, mdns.RcodeNameError, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur.Store(policy(tc.rules))
			req := new(mdns.Msg)
			req.SetQuestion(tc.q, tc.qtype)
			resp := s.Answer(req, mdns.MaxMsgSize)
			if resp.Rcode != tc.rcode || !equal(answers(resp), tc.want) {
				t.Fatalf("%s %s: rcode %d %v, want %d %v", tc.q, mdns.TypeToString[tc.qtype], resp.Rcode, answers(resp), tc.rcode, tc.want)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

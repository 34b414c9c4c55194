package dns

import (
	"fmt"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkQueryUDP measures A queries over UDP for a service with 10
// instances (the DNS qps figure): ns/op is one round trip.
func BenchmarkQueryUDP(b *testing.B) {
	var regs []*structs.ServiceRegistration
	for i := 0; i < 10; i++ {
		regs = append(regs, inst(fmt.Sprint("i", i), "web", "node-1", fmt.Sprintf("10.4.0.%d", i+1), 80, nil, "passing"))
	}
	s, _ := newTestServer(b, regs...)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &mdns.Client{Net: "udp"}
		m := new(mdns.Msg)
		m.SetQuestion("web.service.wharf.", mdns.TypeA)
		for pb.Next() {
			resp, _, err := c.Exchange(m, s.Addr())
			if err != nil || len(resp.Answer) != 10 {
				b.Fatalf("%v %v", resp, err)
			}
		}
	})
}

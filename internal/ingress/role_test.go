package ingress

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/watch"
	"github.com/wharf-project/wharf/internal/structs"
)

// staticCatalog holds fixed registrations at index 7; a blocking read at
// that index waits until its context ends.
type staticCatalog struct {
	regs []*structs.ServiceRegistration
}

func (c *staticCatalog) wait(q *api.QueryOptions) (*api.QueryMeta, error) {
	if q.WaitIndex >= 7 && q.Context != nil {
		<-q.Context.Done()
		return nil, q.Context.Err()
	}
	return &api.QueryMeta{LastIndex: 7}, nil
}

func (c *staticCatalog) List(q *api.QueryOptions) ([]*structs.ServiceRegistrationListStub, *api.QueryMeta, error) {
	m, err := c.wait(q)
	if err != nil {
		return nil, nil, err
	}
	return structs.ServiceStubs(c.regs), m, nil
}

func (c *staticCatalog) Get(name string, q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	var out []*structs.ServiceRegistration
	for _, r := range c.regs {
		if r.ServiceName == name {
			out = append(out, r)
		}
	}
	return out, &api.QueryMeta{LastIndex: 7}, nil
}

func (c *staticCatalog) Instances(q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	m, err := c.wait(q)
	if err != nil {
		return nil, nil, err
	}
	return c.regs, m, nil
}

// backendCatalog serves "hello" from a backend registered as service web.
func backendCatalog(t *testing.T) *staticCatalog {
	t.Helper()
	back := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.Host)
	}))
	t.Cleanup(back.Close)
	host, port, _ := net.SplitHostPort(back.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return &staticCatalog{regs: []*structs.ServiceRegistration{{ID: "web-1", ServiceName: "web", Namespace: "default",
		Address: host, Port: p}}}
}

func httpGet(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Host = host
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s (host %s): %v", url, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRoleServesRoutesDashboardAndStops starts the role as the agent
// does: it routes a catalog service by its default host rule, serves the
// dashboard through the caller's wrapper with the caller's metrics, and
// on Stop frees every port it held.
func TestRoleServesRoutesDashboardAndStops(t *testing.T) {
	var wrapped atomic.Int64
	extra := prometheus.NewGauge(prometheus.GaugeOpts{Name: "wharf_test_role_gauge", Help: "A caller's collector."})
	r := New(Options{BindAddr: "127.0.0.1", Domain: "test", ExposedByDefault: true, EventLoops: true,
		Catalogs: []watch.BulkCatalog{backendCatalog(t)}, Collectors: []prometheus.Collector{extra},
		Dashboard: func(h http.Handler) (http.Handler, error) {
			return http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) { wrapped.Add(1); h.ServeHTTP(w, q) }), nil
		}})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			r.Stop()
		}
	})
	select {
	case <-r.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("no route table built from the catalog")
	}
	if code, body := httpGet(t, "http://"+r.Addr()+"/", "web.test"); code != 200 || body != "hello from web.test" {
		t.Fatalf("routed request: %d %q", code, body)
	}
	if code, _ := httpGet(t, "http://"+r.Addr()+"/", "other.test"); code != http.StatusNotFound {
		t.Fatalf("unrouted host: %d, want 404", code)
	}
	if code, body := httpGet(t, "http://"+r.DashboardAddr()+"/api/entrypoints", "x"); code != 200 ||
		!strings.Contains(body, `"web"`) || strings.Contains(body, "websecure") {
		t.Fatalf("entry points: %d %s", code, body)
	}
	if code, body := httpGet(t, "http://"+r.DashboardAddr()+"/metrics", "x"); code != 200 ||
		!strings.Contains(body, "wharf_test_role_gauge") || !strings.Contains(body, "wharf_ingress_") {
		t.Fatalf("metrics: %d %.300s", code, body)
	}
	if wrapped.Load() != 2 {
		t.Fatalf("%d dashboard requests through the wrapper, want 2", wrapped.Load())
	}
	addrs := []string{r.Addr(), r.DashboardAddr()}
	stopped = true
	if err := r.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("%s still held after Stop: %v", a, err)
		}
		ln.Close()
	}
}

// TestRoleStartFailureReleases makes the dashboard's port taken: Start
// names the listener that failed, and Stop frees the entry point it had
// opened already.
func TestRoleStartFailureReleases(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, port, _ := net.SplitHostPort(taken.Addr().String())
	p, _ := strconv.Atoi(port)
	r := New(Options{BindAddr: "127.0.0.1", DashboardPort: p, Catalogs: []watch.BulkCatalog{&staticCatalog{}}})
	err = r.Start()
	if err == nil || !strings.Contains(err.Error(), "listen for the ingress dashboard") {
		t.Fatalf("start: %v, want the dashboard's listen error", err)
	}
	web := r.Addr()
	if err := r.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	ln, err := net.Listen("tcp", web)
	if err != nil {
		t.Fatalf("entry point %s still held after Stop: %v", web, err)
	}
	ln.Close()
}

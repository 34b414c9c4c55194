package proxy

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// stuckWriter blocks every Write until released, like a log on a hung
// disk or a pipe nobody reads.
type stuckWriter struct {
	release chan struct{}
	mu      sync.Mutex
	b       bytes.Buffer
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *stuckWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// metricValue returns the text of metric name's sample in p's metrics.
func metricValue(t *testing.T, p *Proxy, name string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	p.Metrics().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	t.Fatalf("metrics lack %s:\n%s", name, rec.Body.String())
	return ""
}

// TestAccessLogNeverWaitsForTheWriter serves requests while the access
// log's writer is stuck: they are answered, the lines past the bound are
// dropped and counted, and the rest are written once the writer moves.
func TestAccessLogNeverWaitsForTheWriter(t *testing.T) {
	a := namedBackend(t, "A")
	w := &stuckWriter{release: make(chan struct{})}
	p := testProxy(t, Options{AccessLog: w})
	p.access.max = 2048 // about 15 lines
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{svc("web", a.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	const n = 100
	for i := range n {
		if code, body := get(t, url, "web.minipot"); code != http.StatusOK || body != "A" {
			t.Fatalf("request %d with the log stuck: %d %q", i, code, body)
		}
	}
	dropped := p.access.dropped.Load()
	if dropped == 0 || dropped >= n {
		t.Fatalf("%d of %d lines dropped, want some", dropped, n)
	}
	if got := metricValue(t, p, "wharf_ingress_access_log_dropped_total"); got == "0" {
		t.Errorf("dropped lines not in the metrics: %s", got)
	}
	close(w.release)
	p.Close()
	if lines := int64(strings.Count(w.String(), "\n")); lines+dropped != n {
		t.Errorf("%d lines written + %d dropped, want %d", lines, dropped, n)
	}
	if code, _ := get(t, url, "web.minipot"); code != http.StatusOK {
		t.Errorf("request after Close: %d", code)
	}
}

// TestAccessLogFullDisk logs to /dev/full, whose writes fail with
// ENOSPC: requests are still answered, the lost lines counted and the
// error reported.
func TestAccessLogFullDisk(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here:", err)
	}
	defer f.Close()
	a := namedBackend(t, "A")
	var logs syncBuffer
	p := testProxy(t, Options{AccessLog: f, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p.Update(cfg([]*config.Router{router("web", hostRule("web.minipot"), "web")}, []*config.Service{svc("web", a.URL)}))
	url := serve(t, p.Handler("web"), ServerOptions{})
	const n = 20
	for i := range n {
		if code, _ := get(t, url, "web.minipot"); code != http.StatusOK {
			t.Fatalf("request %d with the disk full: %d", i, code)
		}
	}
	p.Close()
	if got := p.access.failed.Load(); got != n {
		t.Errorf("%d lines counted lost, want %d", got, n)
	}
	if got := metricValue(t, p, "wharf_ingress_access_log_dropped_total"); got != "20" {
		t.Errorf("wharf_ingress_access_log_dropped_total %s, want 20", got)
	}
	if !strings.Contains(logs.String(), "no space left on device") {
		t.Errorf("the write error is not reported:\n%s", logs.String())
	}
}

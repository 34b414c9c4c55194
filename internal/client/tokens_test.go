package client

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
)

// TestClientEndpointsAnswerWithoutServers: the client's own endpoints
// answer within 2 s when every server accepts connections and answers
// nothing (frozen, or cut off mid-request): with the servers' earlier
// answer on ACLs when there is one, else 503 naming the cause, never a
// 403 and never a hang.
func TestClientEndpointsAnswerWithoutServers(t *testing.T) {
	var silent atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if silent.Load() {
			<-r.Context().Done()
			return
		}
		if r.URL.Path == "/v1/acl/token/self" {
			http.Error(w, "ACL support disabled", http.StatusBadRequest)
			return
		}
		http.Error(w, "not here", http.StatusNotFound)
	}))
	defer srv.Close()
	defer srv.CloseClientConnections()
	newClient := func() *Client {
		c, err := New(Config{Servers: []string{srv.URL, srv.URL, srv.URL}, DataDir: t.TempDir(), NodeName: "n",
			Datacenter: "dc1", Drivers: []drivers.Driver{fake.New()}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	get := func(h *httptest.Server, path string) (int, string, time.Duration) {
		t.Helper()
		start := time.Now()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(h.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), time.Since(start)
	}
	paths := []string{"/v1/client/fs/logs/a1?task=t&type=stdout", "/v1/client/allocation/a1/stats"}

	silent.Store(true)
	never := httptest.NewServer(newClient().Handler())
	defer never.Close()
	for _, p := range paths {
		code, body, took := get(never, p)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot check the token with the servers") || took > 2*time.Second {
			t.Errorf("nothing known, servers silent: %s answered %d %q after %s; want 503 naming the cause within 2s", p, code, body, took)
		}
	}

	silent.Store(false)
	known := newClient()
	kh := httptest.NewServer(known.Handler())
	defer kh.Close()
	if code, body, _ := get(kh, paths[0]); code != http.StatusNotFound {
		t.Fatalf("servers answering: %d %q, want 404 (no such allocation)", code, body)
	}
	silent.Store(true)
	for _, p := range paths {
		code, body, took := get(kh, p)
		if code == http.StatusServiceUnavailable || code == http.StatusForbidden || took > 2*time.Second {
			t.Errorf("ACLs known off, servers silent: %s answered %d %q after %s; want the endpoint's own answer within 2s", p, code, body, took)
		}
	}
}

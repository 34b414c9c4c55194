package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/dashboard"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/wharf-project/wharf/internal/testkit/certgen"
)

func TestIngressConfig(t *testing.T) {
	src := `
ingress {
  enabled        = true
  port           = 18080
  tls_port       = 18443
  dashboard_port = 19200
  domain         = "example.test"
  certificates   = [{ cert_file = "a.pem", key_file = "a.key" }, { cert_file = "b.pem", key_file = "b.key" }]
}
`
	cfg, err := Parse("agent.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	in := cfg.Ingress
	if !cfg.IngressEnabled() || in.Port != 18080 || in.TLSPort != 18443 || in.DashboardPort != 19200 ||
		in.Domain != "example.test" || *in.ExposedByDefault || len(in.Certificates) != 2 || in.Certificates[1].KeyFile != "b.key" {
		t.Fatalf("ingress = %+v", in)
	}
}

func TestIngressDefaults(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		on      bool
		exposed bool
		want    string // error
	}{
		{"dev", Config{Dev: true}, true, true, ""},
		{"server", Config{DataDir: "/x", Server: &ServerConfig{Enabled: true}}, false, false, ""},
		{"ingress only", Config{Ingress: &IngressConfig{Enabled: ptr(true)}}, true, false, ""},
		{"bad port", Config{Dev: true, Ingress: &IngressConfig{Port: 70000}}, false, false, "ingress.port"},
		{"tls without certificates", Config{Dev: true, Ingress: &IngressConfig{TLSPort: 8443}}, false, false, "ingress.certificates"},
		{"negative loop threads", Config{Dev: true, Ingress: &IngressConfig{EventLoopThreads: -1}}, false, false, "ingress.event_loop_threads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Normalize()
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in := tt.cfg.Ingress
			if tt.cfg.IngressEnabled() != tt.on || *in.ExposedByDefault != tt.exposed || in.Port != DefaultIngressPort ||
				in.DashboardPort != DefaultDashboardPort || in.Domain != DefaultIngressDomain {
				t.Fatalf("ingress = %+v", in)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fakeCatalogAPI serves one service "web" whose instance is backend.
func fakeCatalogAPI(t *testing.T, backend string, tags ...string) *httptest.Server {
	t.Helper()
	host, port, _ := net.SplitHostPort(backend)
	p, _ := strconv.Atoi(port)
	reg := &structs.ServiceRegistration{ID: "web-1", ServiceName: "web", Namespace: "default", Address: host, Port: p, Tags: tags}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("X-Nomad-Index", "5")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /v1/services", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") == "5" {
			<-r.Context().Done() // nothing changes: block like the server
			return
		}
		reply(w, structs.ServiceStubs([]*structs.ServiceRegistration{reg}))
	})
	mux.HandleFunc("GET /v1/service/web", func(w http.ResponseWriter, r *http.Request) {
		reply(w, []*structs.ServiceRegistration{reg})
	})
	mux.HandleFunc("GET /v1/services/instances", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") == "5" {
			<-r.Context().Done()
			return
		}
		reply(w, []*structs.ServiceRegistration{reg})
	})
	mux.HandleFunc("GET /v1/acl/token/self", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "ACL support disabled", http.StatusBadRequest) // as a server with ACLs off
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestIngressOnlyAgent runs an agent with just the ingress role against a
// fake API and routes a request through it.
func TestIngressOnlyAgent(t *testing.T) {
	tests := []struct {
		name        string
		pathRouting bool
		host, path  string
	}{
		{"host", false, "web.minipot", "/x"},
		{"path routing", true, "example.com", "/web/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testIngressOnlyAgent(t, tt.pathRouting, tt.host, tt.path) })
	}
}

func testIngressOnlyAgent(t *testing.T, pathRouting bool, host, path string) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "web "+r.URL.Path) }))
	defer backend.Close()
	apiSrv := fakeCatalogAPI(t, strings.TrimPrefix(backend.URL, "http://"))
	cfg := &Config{BindAddr: "127.0.0.1", Ingress: &IngressConfig{Enabled: ptr(true), ExposedByDefault: ptr(true),
		Port: freePort(t), DashboardPort: freePort(t), Servers: []string{apiSrv.URL}, PathRouting: pathRouting}}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := a.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	select {
	case <-a.IngressSynced():
	case <-time.After(10 * time.Second):
		t.Fatal("the ingress never synced with the catalog")
	}
	req, _ := http.NewRequest("GET", "http://"+a.IngressAddr()+path, nil)
	req.Host = host
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "web /x" {
		t.Fatalf("ingress answered %d %q", res.StatusCode, body)
	}
	res, err = http.Get("http://" + a.DashboardAddr() + "/api/http/routers/web@catalog")
	if err != nil {
		t.Fatal(err)
	}
	var router dashboard.RouterInfo
	_ = json.NewDecoder(res.Body).Decode(&router)
	res.Body.Close()
	if router.Status != "enabled" || router.Service != "web" || router.Requests != 1 {
		t.Fatalf("dashboard router = %+v", router)
	}
	if got := strings.Join(a.Roles(), ","); got != "ingress" {
		t.Fatalf("roles %q", got)
	}
}

// selfSigned writes a certificate for name and its key to dir.
func selfSigned(t *testing.T, dir, name string) IngressCertificateConfig {
	t.Helper()
	c := IngressCertificateConfig{CertFile: filepath.Join(dir, name+".pem"), KeyFile: filepath.Join(dir, name+".key")}
	if err := certgen.WriteSelfSigned(name, c.CertFile, c.KeyFile); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIngressTLSEntryPoint serves a service on the TLS entry point with
// the certificate chosen by SNI.
func TestIngressTLSEntryPoint(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tls ok") }))
	defer backend.Close()
	// As with Traefik, a router serves TLS entry points when tagged tls.
	apiSrv := fakeCatalogAPI(t, strings.TrimPrefix(backend.URL, "http://"), "traefik.http.routers.web.tls=true")
	dir := t.TempDir()
	certs := []IngressCertificateConfig{selfSigned(t, dir, "other.test"), selfSigned(t, dir, "web.minipot")}
	cfg := &Config{BindAddr: "127.0.0.1", Ingress: &IngressConfig{Enabled: ptr(true), ExposedByDefault: ptr(true),
		Port: freePort(t), TLSPort: freePort(t), DashboardPort: freePort(t), Servers: []string{apiSrv.URL}, Certificates: certs}}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	<-a.IngressSynced()
	// HTTP/1.1 (the fast path) and HTTP/2 (net/http) over TLS.
	for _, h2 := range []bool{false, true} {
		var peer string
		c := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: h2, TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "web.minipot",
			VerifyConnection: func(cs tls.ConnectionState) error { peer = cs.PeerCertificates[0].Subject.CommonName; return nil }}}}
		req, _ := http.NewRequest("GET", "https://"+a.IngressTLSAddr()+"/", nil)
		req.Host = "web.minipot"
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		c.CloseIdleConnections()
		if res.StatusCode != 200 || string(body) != "tls ok" || peer != "web.minipot" || (res.ProtoMajor == 2) != h2 {
			t.Fatalf("https (h2 %v): %d %q over %s, certificate %q", h2, res.StatusCode, body, res.Proto, peer)
		}
	}
}

// TestIngressBusyPortIsNamed: a dashboard port in use fails the start
// with an error naming it, and the entry point opened before is closed.
func TestIngressBusyPortIsNamed(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := freePort(t)
	cfg := &Config{BindAddr: "127.0.0.1", Ingress: &IngressConfig{Enabled: ptr(true), Port: port,
		DashboardPort: busy.Addr().(*net.TCPAddr).Port, Servers: []string{"127.0.0.1:1"}}}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "ingress dashboard on "+busy.Addr().String()) {
		t.Fatalf("err = %v, want one naming the dashboard address", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the entry point was left open: %v", err)
	}
	ln.Close()
}

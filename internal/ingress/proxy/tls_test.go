package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/testkit/certgen"
)

// selfSigned writes a self-signed certificate for name into dir.
func selfSigned(t *testing.T, dir, name string) CertFile {
	t.Helper()
	cf := CertFile{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	if err := certgen.WriteSelfSigned(name, cf.CertFile, cf.KeyFile); err != nil {
		t.Fatal(err)
	}
	return cf
}

func TestTLSEntryPoint(t *testing.T) {
	dir := t.TempDir()
	tlsCfg, err := TLSConfig([]CertFile{selfSigned(t, dir, "a.test"), selfSigned(t, dir, "b.test")})
	if err != nil {
		t.Fatal(err)
	}
	a, b := namedBackend(t, "A"), namedBackend(t, "B")
	ra, rb := router("a", hostRule("a.test"), "a"), router("b", hostRule("b.test"), "b")
	ra.TLS, rb.TLS = true, true
	ra.EntryPoints, rb.EntryPoints = nil, nil
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{ra, rb}, []*config.Service{svc("a", a.URL), svc("b", b.URL)}))
	secure := serve(t, p.Handler("websecure"), ServerOptions{TLS: tlsCfg})
	plain := serve(t, p.Handler("web"), ServerOptions{})

	for _, tt := range []struct{ sni, want string }{{"a.test", "A"}, {"b.test", "B"}} {
		client := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true,
			TLSClientConfig: &tls.Config{ServerName: tt.sni, InsecureSkipVerify: true}}}
		code, body, resp := do(t, client, http.MethodGet, secure, tt.sni, nil)
		if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != tt.sni {
			t.Errorf("SNI %s: served certificate for %s", tt.sni, cn)
		}
		if code != 200 || body != tt.want || resp.ProtoMajor != 2 {
			t.Errorf("SNI %s: %d %q over %s", tt.sni, code, body, resp.Proto)
		}
		client.CloseIdleConnections()
	}
	if code, _ := get(t, plain, "a.test"); code != http.StatusNotFound {
		t.Errorf("TLS router answered a plain request: %d", code)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		certs []CertFile
	}{
		{"none", nil},
		{"missing files", []CertFile{{CertFile: "/nonexistent.crt", KeyFile: "/nonexistent.key"}}},
	}
	for _, tt := range tests {
		if _, err := TLSConfig(tt.certs); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// TestTLSHTTP1 sends HTTP/1.1 over TLS: with the fast path on it serves
// the requests itself, a request it hands to net/http (a chunked body)
// is still known to be TLS, servers see X-Forwarded-Proto https either
// way, and a client that never completes its handshake or speaks plain
// HTTP to the TLS port is cut without harming the others.
func TestTLSHTTP1(t *testing.T) {
	dir := t.TempDir()
	tlsCfg, err := TLSConfig([]CertFile{selfSigned(t, dir, "a.test")})
	if err != nil {
		t.Fatal(err)
	}
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, r.Header.Get("X-Forwarded-Proto"))
	})
	ra := router("a", hostRule("a.test"), "a")
	ra.TLS, ra.EntryPoints = true, nil
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{ra}, []*config.Service{svc("a", back.URL)}))
	l := mustListen(t, "127.0.0.1:0")
	fs := p.NewFastServer("websecure", modeOptions(ServerOptions{TLS: tlsCfg, ReadHeaderTimeout: 300 * time.Millisecond, Logger: discardLogger()}))
	go fs.Serve(l)
	t.Cleanup(func() { fs.Close() })
	url := "https://" + l.Addr().String()
	client := &http.Client{Transport: &http.Transport{TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
		TLSClientConfig: &tls.Config{ServerName: "a.test", InsecureSkipVerify: true}}}
	t.Cleanup(client.CloseIdleConnections)

	for i := range 3 {
		code, body, resp := do(t, client, http.MethodGet, url, "a.test", nil)
		if code != 200 || body != "https" || resp.ProtoMajor != 1 {
			t.Fatalf("request %d: %d %q over %s", i, code, body, resp.Proto)
		}
	}
	if fastMode && fs.Handoffs() != 0 {
		t.Errorf("%d connections handed to net/http, want the fast path to serve them", fs.Handoffs())
	}
	// A body of unknown length goes chunked: net/http serves it.
	req, _ := http.NewRequest(http.MethodPost, url, io.MultiReader(strings.NewReader("x")))
	req.Host = "a.test"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "https" {
		t.Errorf("chunked POST: %d %q", resp.StatusCode, b)
	}
	if fastMode && fs.Handoffs() == 0 {
		t.Error("the chunked POST was not handed to net/http")
	}

	// A client that connects and says nothing is cut after the header
	// timeout; one that speaks plain HTTP gets no answer it can read.
	silent, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := silent.Read(make([]byte, 1)); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("silent client: read %v after %v, want the connection closed after ~300ms", err, time.Since(start))
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + l.Addr().String()); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP to the TLS port was answered 200")
	}
	if code, body, _ := do(t, client, http.MethodGet, url, "a.test", nil); code != 200 || body != "https" {
		t.Errorf("after the bad clients: %d %q", code, body)
	}
	if fastMode {
		waitFor(t, "the silent and the plain client's failed handshakes counted", func() bool { return fs.TLSErrors() >= 2 })
	}
}

// TestTLSIdleConnection: an idle keep-alive TLS connection (waiting
// without buffers on the fast path) is served again when its next
// request comes, in pieces or with a body, and is closed at the idle
// timeout.
func TestTLSIdleConnection(t *testing.T) {
	dir := t.TempDir()
	tlsCfg, err := TLSConfig([]CertFile{selfSigned(t, dir, "a.test")})
	if err != nil {
		t.Fatal(err)
	}
	back := echoBackend(t)
	ra := router("a", hostRule("a.test"), "a")
	ra.TLS, ra.EntryPoints = true, nil
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{ra}, []*config.Service{svc("a", back)}))
	l := mustListen(t, "127.0.0.1:0")
	fs := p.NewFastServer("websecure", modeOptions(ServerOptions{TLS: tlsCfg, IdleTimeout: time.Second, Logger: discardLogger()}))
	go fs.Serve(l)
	t.Cleanup(func() { fs.Close() })
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i, pieces := range [][]string{
		{"GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n"},
		{"G", "ET /two HTTP/1.1\r\nHo", "st: a.test\r\n\r\n"},
		{"POST /three HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\n", "abc"},
	} {
		time.Sleep(50 * time.Millisecond) // idle in between
		for j, s := range pieces {
			if j > 0 {
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := io.WriteString(c, s); err != nil {
				t.Fatal(err)
			}
		}
		resp, body, err := readResp(t, br, http.MethodGet)
		want := []string{"GET /one 0 ", "GET /two 0 ", "POST /three 3 " + sum8([]byte("abc"))}[i]
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(body, want) {
			t.Fatalf("request %d: %v %q, want %q", i, err, body, want)
		}
	}
	start := time.Now()
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("idle TLS connection still open")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v idle, want about 1s", d)
	}
}

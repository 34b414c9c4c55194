package agent

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/testutil"
	"github.com/wharf-project/wharf/internal/tlsutil"
)

// BenchmarkAPIRequestTLS measures GET /v1/jobs on a real server agent
// (embedded etcd) in one run: plain HTTP, HTTPS, and HTTPS with client
// certificates required (verify_https_client), each over a kept-alive
// connection and with a new connection (and so a TLS handshake) per
// request.
func BenchmarkAPIRequestTLS(b *testing.B) {
	dir := b.TempDir()
	files := benchPKI(b, dir)
	for _, mode := range []struct {
		name string
		tls  *TLSConfig
	}{
		{"http", nil},
		{"https", &TLSConfig{HTTP: true, CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}},
		{"https-verify-client", &TLSConfig{HTTP: true, RPC: true, VerifyHTTPSClient: true,
			CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}},
	} {
		a := startBenchServer(b, mode.tls)
		scheme := "http://"
		if mode.tls != nil {
			scheme = "https://"
		}
		url := scheme + a.HTTPAddr() + "/v1/jobs"
		for _, conn := range []struct {
			name      string
			keepAlive bool
		}{{"keepalive", true}, {"new-conn", false}} {
			b.Run(mode.name+"/"+conn.name, func(b *testing.B) {
				c := benchClient(b, files, !conn.keepAlive)
				for b.Loop() {
					resp, err := c.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		}
	}
}

func startBenchServer(b *testing.B, t *TLSConfig) *Agent {
	b.Helper()
	cfg := &Config{DataDir: b.TempDir(), BindAddr: "127.0.0.1", Server: &ServerConfig{Enabled: true},
		Ports: &Ports{HTTP: testutil.FreePort(b)}, TLS: t}
	if err := cfg.Normalize(); err != nil {
		b.Fatal(err)
	}
	a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Shutdown() })
	return a
}

// benchClient presents the cli certificate and trusts the CA.
func benchClient(b *testing.B, f tlsutil.Files, newConnEach bool) *http.Client {
	b.Helper()
	r, err := tlsutil.NewReloader(f)
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: r.ClientConfig(tlsutil.DialOptions{}), DisableKeepAlives: newConnEach,
		MaxIdleConnsPerHost: 4}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// benchPKI writes a CA and a server certificate, and returns files whose
// certificate is the server's (the benchmark client presents it too).
func benchPKI(b *testing.B, dir string) tlsutil.Files {
	b.Helper()
	caPEM, caKeyPEM, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ca, caKey, err := tlsutil.ParseCA(caPEM, caKeyPEM)
	if err != nil {
		b.Fatal(err)
	}
	certPEM, keyPEM, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: tlsutil.RoleServer, CA: ca, CAKey: caKey})
	if err != nil {
		b.Fatal(err)
	}
	f := tlsutil.Files{CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "s.pem"), KeyFile: filepath.Join(dir, "s-key.pem")}
	for p, data := range map[string][]byte{f.CAFile: caPEM, f.CertFile: certPEM, f.KeyFile: keyPEM} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/testkit/testutil"
	"github.com/wharf-project/wharf/internal/tlsutil"
)

// BenchmarkAPIRequestTLS measures GET /v1/jobs on a real server agent
// (embedded etcd) in one run: plain HTTP, HTTPS, and HTTPS with client
// certificates required (verify_https_client), each without ACLs and with
// ACLs on and a client token holding a read policy, over a kept-alive
// connection and with a new connection (and so a TLS handshake) per
// request.
func BenchmarkAPIRequestTLS(b *testing.B) {
	dir := b.TempDir()
	files := benchPKI(b, dir)
	for _, mode := range []struct {
		name string
		tls  *TLSConfig
		acl  bool
	}{
		{"http", nil, false},
		{"http-acl", nil, true},
		{"https", &TLSConfig{HTTP: true, CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}, false},
		{"https-verify-client", &TLSConfig{HTTP: true, RPC: true, VerifyHTTPSClient: true,
			CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}, false},
		{"https-verify-client-acl", &TLSConfig{HTTP: true, RPC: true, VerifyHTTPSClient: true,
			CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}, true},
	} {
		a := startBenchServer(b, mode.tls, mode.acl)
		scheme := "http://"
		if mode.tls != nil {
			scheme = "https://"
		}
		base := scheme + a.HTTPAddr()
		url := base + "/v1/jobs"
		token := ""
		if mode.acl {
			token = benchReadToken(b, benchClient(b, files, false), base)
		}
		for _, conn := range []struct {
			name      string
			keepAlive bool
		}{{"keepalive", true}, {"new-conn", false}} {
			b.Run(mode.name+"/"+conn.name, func(b *testing.B) {
				c := benchClient(b, files, !conn.keepAlive)
				req, err := http.NewRequest(http.MethodGet, url, nil)
				if err != nil {
					b.Fatal(err)
				}
				if token != "" {
					req.Header.Set("X-Nomad-Token", token)
				}
				for b.Loop() {
					resp, err := c.Do(req)
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

func startBenchServer(b *testing.B, t *TLSConfig, acl bool) *Agent {
	b.Helper()
	cfg := &Config{DataDir: b.TempDir(), BindAddr: "127.0.0.1", Server: &ServerConfig{Enabled: true},
		Ports: &Ports{HTTP: testutil.FreePort(b)}, TLS: t, ACL: &ACLConfig{Enabled: &acl}}
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

// benchReadToken bootstraps ACLs on the server at base and returns the
// secret of a client token whose policy reads every namespace: the path
// an operator's read request takes (token lookup, policy compile).
func benchReadToken(b *testing.B, c *http.Client, base string) string {
	b.Helper()
	var boot struct{ SecretID string }
	benchJSON(b, c, base+"/v1/acl/bootstrap", "", nil, &boot)
	rules := `namespace "*" { policy = "read" }`
	benchJSON(b, c, base+"/v1/acl/policy/readers", boot.SecretID, map[string]string{"Name": "readers", "Rules": rules}, nil)
	var tok struct{ SecretID string }
	benchJSON(b, c, base+"/v1/acl/token", boot.SecretID,
		map[string]any{"Name": "reader", "Type": "client", "Policies": []string{"readers"}}, &tok)
	if tok.SecretID == "" {
		b.Fatal("no secret in the created token")
	}
	return tok.SecretID
}

// benchJSON posts in as JSON with token and decodes the answer into out.
func benchJSON(b *testing.B, c *http.Client, url, token string, in, out any) {
	b.Helper()
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			b.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		b.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Nomad-Token", token)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			b.Fatalf("POST %s: %v", url, err)
		}
	}
}

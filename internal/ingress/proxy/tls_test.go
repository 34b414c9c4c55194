package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// selfSigned writes a self-signed certificate for name into dir.
func selfSigned(t *testing.T, dir, name string) CertFile {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cf := CertFile{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	writePEM(t, cf.CertFile, "CERTIFICATE", der)
	writePEM(t, cf.KeyFile, "EC PRIVATE KEY", keyDER)
	return cf
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
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

package api

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/testkit/certgen"
)

// tlsServer runs an HTTPS server that requires a client certificate and
// answers with the common name of the one it got.
func tlsServer(t *testing.T) (srv *httptest.Server, caFile string) {
	t.Helper()
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `"`+r.TLS.PeerCertificates[0].Subject.CommonName+`"`)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

func TestTLSClientPresentsItsCertificateAndVerifiesTheServer(t *testing.T) {
	srv, caFile := tlsServer(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cli.pem"), filepath.Join(dir, "cli-key.pem")
	if err := certgen.WriteSelfSigned("cli.global.wharf", cert, key); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tls     *TLSConfig
		wantErr string
	}{
		{"ca and client certificate", &TLSConfig{CACert: caFile, ClientCert: cert, ClientKey: key}, ""},
		{"server name the certificate holds", &TLSConfig{CACert: caFile, ClientCert: cert, ClientKey: key, TLSServerName: "example.com"}, ""},
		{"server name it does not hold", &TLSConfig{CACert: caFile, ClientCert: cert, ClientKey: key, TLSServerName: "server.global.wharf"},
			"not server.global.wharf"},
		{"system roots", &TLSConfig{ClientCert: cert, ClientKey: key}, "unknown authority"},
		{"skip verify", &TLSConfig{ClientCert: cert, ClientKey: key, Insecure: true}, ""},
		{"no client certificate", &TLSConfig{CACert: caFile}, "certificate required"},
		{"certificate without key", &TLSConfig{CACert: caFile, ClientCert: cert}, "go together"},
		{"ca file that is not PEM", &TLSConfig{CACert: key}, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leader, err := func() (string, error) {
				c, err := NewClient(&Config{Address: srv.URL, TLSConfig: tt.tls})
				if err != nil {
					return "", err
				}
				return c.Status().Leader()
			}()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr == "" && leader != "cli.global.wharf":
				t.Fatalf("server saw %q", leader)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTLSSettingsComeFromTheEnvironment(t *testing.T) {
	t.Setenv("NOMAD_CACERT", "/nomad/ca.pem")
	t.Setenv("WHARF_CLIENT_CERT", "/w/cli.pem")
	t.Setenv("NOMAD_CLIENT_KEY", "/nomad/cli-key.pem")
	t.Setenv("WHARF_TLS_SERVER_NAME", "server.eu.wharf")
	t.Setenv("WHARF_SKIP_VERIFY", "true")
	got := DefaultConfig().TLSConfig
	want := TLSConfig{CACert: "/nomad/ca.pem", ClientCert: "/w/cli.pem", ClientKey: "/nomad/cli-key.pem",
		TLSServerName: "server.eu.wharf", Insecure: true}
	if got == nil || *got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for _, n := range []string{"NOMAD_CACERT", "WHARF_CLIENT_CERT", "NOMAD_CLIENT_KEY", "WHARF_TLS_SERVER_NAME", "WHARF_SKIP_VERIFY"} {
		t.Setenv(n, "")
	}
	if got := DefaultConfig().TLSConfig; got != nil {
		t.Fatalf("no variables gave %+v", got)
	}
}

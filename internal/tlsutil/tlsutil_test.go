package tlsutil

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA is a CA in memory and on disk.
type testCA struct {
	cert    *x509.Certificate
	key     crypto.Signer
	file    string
	certPEM []byte
}

func newTestCA(t testing.TB, dir, name string) *testCA {
	t.Helper()
	certPEM, keyPEM, err := GenerateCA(CAOptions{Domain: name})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name+"-ca.pem")
	writeFile(t, file, certPEM)
	return &testCA{cert: cert, key: key, file: file, certPEM: certPEM}
}

// files writes a certificate of role signed by ca and returns the Files
// that use it; a non-zero start back-dates it.
func (ca *testCA) files(t testing.TB, dir, name string, role Role, start time.Time, days int) Files {
	t.Helper()
	certPEM, keyPEM, err := GenerateCert(CertOptions{Role: role, CA: ca.cert, CAKey: ca.key, NotBefore: start, Days: days})
	if err != nil {
		t.Fatal(err)
	}
	f := Files{CAFile: ca.file, CertFile: filepath.Join(dir, name+".pem"), KeyFile: filepath.Join(dir, name+"-key.pem")}
	writeFile(t, f.CertFile, certPEM)
	writeFile(t, f.KeyFile, keyPEM)
	return f
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustReloader(t *testing.T, f Files) *Reloader {
	t.Helper()
	r, err := NewReloader(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// serve runs an HTTPS server with cfg that answers "ok" and returns its
// address.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }),
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func get(url string, cfg *tls.Config) (string, error) {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", &statusError{resp.StatusCode, string(b)}
	}
	return string(b), nil
}

type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return e.body }

func TestMutualTLSRefusesWhatItShould(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "wharf")
	other := newTestCA(t, dir, "other")
	longAgo := time.Now().Add(-72 * time.Hour)
	serverFiles := ca.files(t, dir, "server", RoleServer, time.Time{}, 0)
	cli := ca.files(t, dir, "cli", RoleCLI, time.Time{}, 0)
	strict := DialOptions{Roles: []Role{RoleServer}}
	addr := serve(t, mustReloader(t, serverFiles).ServerConfig(true))
	// A server holding a client certificate, and one whose certificate
	// expired.
	clientAsServer := serve(t, mustReloader(t, ca.files(t, dir, "client", RoleClient, time.Time{}, 0)).ServerConfig(true))
	expiredServer := serve(t, mustReloader(t, ca.files(t, dir, "old-server", RoleServer, longAgo, 1)).ServerConfig(true))

	tests := []struct {
		name    string
		addr    string
		dialer  Files
		opts    DialOptions
		plain   bool
		wantErr string
	}{
		{name: "cli certificate", addr: addr, dialer: cli, opts: strict},
		{name: "client certificate", addr: addr, dialer: ca.files(t, dir, "c2", RoleClient, time.Time{}, 0), opts: strict},
		{name: "plaintext", addr: addr, plain: true, wantErr: "HTTP request to an HTTPS server"},
		{name: "no client certificate", addr: addr, dialer: Files{CAFile: ca.file}, wantErr: "certificate required"},
		{name: "client certificate of another CA", addr: addr, dialer: withCA(other.files(t, dir, "o-cli", RoleCLI, time.Time{}, 0), ca.file),
			wantErr: "unknown certificate authority"},
		{name: "expired client certificate", addr: addr, dialer: ca.files(t, dir, "old-cli", RoleCLI, longAgo, 1),
			wantErr: "expired certificate"},
		{name: "server of another CA", addr: addr, dialer: Files{CAFile: other.file, CertFile: cli.CertFile, KeyFile: cli.KeyFile},
			wantErr: "unknown authority"},
		{name: "expired server certificate", addr: expiredServer, dialer: cli, wantErr: "expired"},
		{name: "client certificate where a server is required", addr: clientAsServer, dialer: cli, opts: strict,
			wantErr: "none of the roles [server]"},
		{name: "client certificate accepted without roles", addr: clientAsServer, dialer: cli},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, cfg := "https://"+tt.addr, (*tls.Config)(nil)
			if tt.plain {
				url = "http://" + tt.addr
			} else {
				cfg = mustReloader(t, tt.dialer).ClientConfig(tt.opts)
			}
			body, err := get(url, cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr == "" && body != "ok":
				t.Fatalf("body %q", body)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCertificatesHoldTheirRoleAndUsage(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "wharf")
	tests := []struct {
		role    Role
		usages  []x509.ExtKeyUsage
		loopIP  bool
		dnsName string
	}{
		{RoleServer, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, true, "server.eu.wharf"},
		{RoleClient, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, true, "client.eu.wharf"},
		{RoleCLI, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, false, "cli.eu.wharf"},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			certPEM, _, err := GenerateCert(CertOptions{Role: tt.role, Region: "eu", CA: ca.cert, CAKey: ca.key,
				DNSNames: []string{"a.example"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.5")}})
			if err != nil {
				t.Fatal(err)
			}
			leaf := parseLeaf(t, certPEM)
			if got := PeerRole(leaf, "eu", ""); got != tt.role {
				t.Errorf("role %q, want %q", got, tt.role)
			}
			if got := PeerRole(leaf, "global", ""); got != "" {
				t.Errorf("role %q in another region", got)
			}
			if strings.Join(usageNames(leaf.ExtKeyUsage), ",") != strings.Join(usageNames(tt.usages), ",") {
				t.Errorf("usages %v, want %v", leaf.ExtKeyUsage, tt.usages)
			}
			for _, n := range []string{tt.dnsName, "localhost", "a.example"} {
				if !contains(leaf.DNSNames, n) {
					t.Errorf("names %v lack %s", leaf.DNSNames, n)
				}
			}
			if hasIP(leaf, "127.0.0.1") != tt.loopIP || !hasIP(leaf, "10.0.0.5") {
				t.Errorf("addresses %v", leaf.IPAddresses)
			}
			if leaf.NotAfter.Sub(leaf.NotBefore) < 365*24*time.Hour {
				t.Errorf("valid %s, want a year", leaf.NotAfter.Sub(leaf.NotBefore))
			}
		})
	}
}

func TestGenerateRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "wharf")
	other := newTestCA(t, dir, "other")
	otherKey, err := os.ReadFile(other.file)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKeyPEM, _ := GenerateCA(CAOptions{})
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"unknown role", func() error {
			_, _, err := GenerateCert(CertOptions{Role: "admin", CA: ca.cert, CAKey: ca.key})
			return err
		}, "must be server, client or cli"},
		{"no ca", func() error { _, _, err := GenerateCert(CertOptions{Role: RoleCLI}); return err }, "CA certificate and key are required"},
		{"negative days", func() error {
			_, _, err := GenerateCert(CertOptions{Role: RoleCLI, CA: ca.cert, CAKey: ca.key, Days: -1})
			return err
		}, "not a number of days"},
		{"key of another ca", func() error { _, _, err := ParseCA(ca.certPEM, otherKeyPEM); return err }, "does not match"},
		{"certificate as key", func() error { _, _, err := ParseCA(ca.certPEM, otherKey); return err }, "unknown PEM block"},
		{"garbage certificate", func() error { _, _, err := ParseCA([]byte("nope"), otherKeyPEM); return err }, "no PEM CERTIFICATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReloaderPicksUpNewFiles(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "wharf")
	f := ca.files(t, dir, "server", RoleServer, time.Time{}, 0)
	r := mustReloader(t, f)
	first, _ := r.current()
	ca.files(t, dir, "server", RoleServer, time.Time{}, 0) // rewrites the same files
	future := time.Now().Add(time.Minute)
	for _, p := range []string{f.CertFile, f.KeyFile} {
		if err := os.Chtimes(p, future, future); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	second, _ := r.current()
	if string(first.Certificate[0]) == string(second.Certificate[0]) {
		t.Fatal("the changed certificate was not reloaded")
	}
	writeFile(t, f.KeyFile, []byte("half written"))
	if err := os.Chtimes(f.KeyFile, future.Add(time.Minute), future.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	third, _ := r.current()
	if third != second || r.LastReloadError() == nil {
		t.Fatal("a broken key file replaced the working certificate, or its error was lost")
	}
}

func TestNewReloaderNeedsACAAndPairedFiles(t *testing.T) {
	for _, f := range []Files{{}, {CAFile: "x", CertFile: "y"}, {CAFile: filepath.Join(t.TempDir(), "missing.pem")}} {
		if _, err := NewReloader(f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

func parseLeaf(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func usageNames(us []x509.ExtKeyUsage) []string {
	var out []string
	for _, u := range us {
		out = append(out, map[x509.ExtKeyUsage]string{x509.ExtKeyUsageServerAuth: "server", x509.ExtKeyUsageClientAuth: "client"}[u])
	}
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func hasIP(c *x509.Certificate, ip string) bool {
	for _, a := range c.IPAddresses {
		if a.Equal(net.ParseIP(ip)) {
			return true
		}
	}
	return false
}

func withCA(f Files, caFile string) Files {
	f.CAFile = caFile
	return f
}

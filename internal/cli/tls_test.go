package cli

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/tlsutil"
)

// runIn runs wharf in dir and returns its exit code and output.
func runIn(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code := Run(args, &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestTLSCreateWritesCAAndRoleCertificates(t *testing.T) {
	dir := t.TempDir()
	if code, out := runIn(t, dir, "tls", "ca", "create"); code != 0 {
		t.Fatalf("ca create: %d %s", code, out)
	}
	tests := []struct {
		args     []string
		code     int
		file     string
		wantText string
	}{
		{[]string{"-server", "-additional-ipaddress", "10.1.2.3", "-additional-dnsname", "s1.example"}, 0, "global-server-wharf.pem", "Server certificate saved to: global-server-wharf.pem"},
		{[]string{"-client", "-region", "eu"}, 0, "eu-client-wharf.pem", "eu-client-wharf-key.pem"},
		{[]string{"-cli"}, 0, "global-cli-wharf.pem", "global-cli-wharf.pem"},
		{[]string{"-cli"}, 1, "", "global-cli-wharf.pem already exists"},
		{[]string{"-server", "-client"}, 1, "", "exactly one of -server, -client or -cli"},
		{[]string{}, 1, "", "exactly one of"},
		{[]string{"-server", "-additional-ipaddress", "10.1.2"}, 1, "", `"10.1.2" is not an IP address`},
		{[]string{"-server", "-domain", "other"}, 1, "", "other-agent-ca.pem"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out := runIn(t, dir, append([]string{"tls", "cert", "create"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.wantText) {
				t.Fatalf("code %d, output %q; want %d and %q", code, out, tt.code, tt.wantText)
			}
			if tt.file == "" {
				return
			}
			f := tlsutil.Files{CAFile: filepath.Join(dir, "wharf-agent-ca.pem"), CertFile: filepath.Join(dir, tt.file),
				KeyFile: filepath.Join(dir, strings.TrimSuffix(tt.file, ".pem")+"-key.pem")}
			if _, err := tlsutil.NewReloader(f); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(f.KeyFile); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v %v", st.Mode(), err)
			}
		})
	}
	if code, out := runIn(t, dir, "tls", "ca", "create"); code != 1 || !strings.Contains(out, "already exists") {
		t.Fatalf("a second ca create: %d %s", code, out)
	}
}

func TestTLSFlagsAndEnvironmentReachAnHTTPSServer(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"tls", "ca", "create"}, {"tls", "cert", "create", "-server"}, {"tls", "cert", "create", "-cli"}} {
		if code, out := runIn(t, dir, args...); code != 0 {
			t.Fatalf("%v: %s", args, out)
		}
	}
	f := seededAPI(newFakeAPI(t))
	r, err := tlsutil.NewReloader(tlsutil.Files{CAFile: filepath.Join(dir, "wharf-agent-ca.pem"),
		CertFile: filepath.Join(dir, "global-server-wharf.pem"), KeyFile: filepath.Join(dir, "global-server-wharf-key.pem")})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.srv.Config.Handler, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(tls.NewListener(ln, r.ServerConfig(true))) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := "https://" + ln.Addr().String()
	ca, cert, key := "wharf-agent-ca.pem", "global-cli-wharf.pem", "global-cli-wharf-key.pem"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"flags", nil, []string{"-ca-cert", ca, "-client-cert", cert, "-client-key", key}, 0, "nginx-minipot"},
		{"environment", map[string]string{"WHARF_CACERT": ca, "WHARF_CLIENT_CERT": cert, "WHARF_CLIENT_KEY": key}, nil, 0, "nginx-minipot"},
		{"nomad environment", map[string]string{"NOMAD_CACERT": ca, "NOMAD_CLIENT_CERT": cert, "NOMAD_CLIENT_KEY": key}, nil, 0, "nginx-minipot"},
		{"role name", nil, []string{"-ca-cert", ca, "-client-cert", cert, "-client-key", key, "-tls-server-name", "server.global.wharf"}, 0, "nginx-minipot"},
		{"flag beats environment", map[string]string{"WHARF_CACERT": "missing.pem", "WHARF_CLIENT_CERT": cert, "WHARF_CLIENT_KEY": key},
			[]string{"-ca-cert", ca}, 0, "nginx-minipot"},
		{"no client certificate", nil, []string{"-ca-cert", ca}, 1, "set -client-cert and -client-key"},
		{"no CA", nil, []string{"-client-cert", cert, "-client-key", key}, 1, "set -ca-cert or WHARF_CACERT"},
		{"plain http to https", nil, []string{"-address", strings.Replace(addr, "https", "http", 1)}, 1, "use an https:// address"},
		{"skip verify", nil, []string{"-tls-skip-verify", "-client-cert", cert, "-client-key", key}, 0, "nginx-minipot"},
		{"wrong server name", nil, []string{"-ca-cert", ca, "-client-cert", cert, "-client-key", key, "-tls-server-name", "client.global.wharf"}, 1, "set -tls-server-name"},
	}
	vars := []string{"WHARF_CACERT", "WHARF_CLIENT_CERT", "WHARF_CLIENT_KEY", "NOMAD_CACERT", "NOMAD_CLIENT_CERT", "NOMAD_CLIENT_KEY"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range vars {
				t.Setenv(k, tt.env[k])
			}
			code, out := runIn(t, dir, append([]string{"job", "status", "-address", addr}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("code %d, output %q; want %d and %q", code, out, tt.code, tt.want)
			}
		})
	}
}

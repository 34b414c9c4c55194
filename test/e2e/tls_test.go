package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/tlsutil"
)

// pkiDir holds a CA and server, client and cli certificates made by the
// real CLI, plus an expired cli certificate and another CA's.
type pkiDir struct {
	dir, other string
}

func (p pkiDir) path(name string) string { return filepath.Join(p.dir, name) }

func makePKI(t *testing.T) pkiDir {
	t.Helper()
	p := pkiDir{dir: t.TempDir(), other: t.TempDir()}
	for _, step := range []struct {
		dir  string
		args []string
	}{
		{p.dir, []string{"tls", "ca", "create"}},
		{p.dir, []string{"tls", "cert", "create", "-server"}},
		{p.dir, []string{"tls", "cert", "create", "-client"}},
		{p.dir, []string{"tls", "cert", "create", "-cli"}},
		{p.other, []string{"tls", "ca", "create"}},
		{p.other, []string{"tls", "cert", "create", "-cli"}},
	} {
		cmd := exec.Command(wharfBin, step.args...)
		cmd.Dir = step.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("wharf %v: %v\n%s", step.args, err, out)
		}
	}
	// An expired cli certificate of the right CA: the CLI makes none.
	caPEM, _ := os.ReadFile(p.path("wharf-agent-ca.pem"))
	keyPEM, _ := os.ReadFile(p.path("wharf-agent-ca-key.pem"))
	ca, caKey, err := tlsutil.ParseCA(caPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, certKey, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: tlsutil.RoleCLI, CA: ca, CAKey: caKey,
		NotBefore: time.Now().Add(-72 * time.Hour), Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"expired-cli.pem": certPEM, "expired-cli-key.pem": certKey} {
		if err := os.WriteFile(p.path(name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// tlsBlock is the agent's tls block with role's certificate.
func (p pkiDir) tlsBlock(role string) string {
	return fmt.Sprintf(`tls {
  http = true
  rpc  = true
  ca_file   = %q
  cert_file = %q
  key_file  = %q
  verify_server_hostname = true
  verify_https_client    = true
}
`, p.path("wharf-agent-ca.pem"), p.path("global-"+role+"-wharf.pem"), p.path("global-"+role+"-wharf-key.pem"))
}

// httpsClient presents cert (a file name in the pki dir, "" for none) and
// trusts caFile.
func httpsClient(t *testing.T, caFile, cert string) *http.Client {
	t.Helper()
	tc := &api.TLSConfig{CACert: caFile}
	if cert != "" {
		tc.ClientCert, tc.ClientKey = cert+".pem", cert+"-key.pem"
	}
	cfg, err := tc.Config()
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// startConfigAgent runs `wharf agent -config` with body and returns the
// process; it is stopped when the test ends.
func startConfigAgent(t *testing.T, body string) *agentProc {
	t.Helper()
	file := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"agent", "-config", file}
	if !strings.Contains(body, "acl {") {
		args = append(args, "-acl-enabled=false") // ACLs are not the point here
	}
	a := &agentProc{cmd: exec.Command(wharfBin, args...), out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(a.shutdown)
	return a
}

// getStatus GETs url with c and returns the status code, or an error.
func getStatus(c *http.Client, method, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestMutualTLSCluster runs a server and a client agent with tls http and
// rpc on and verify_https_client: a raw_exec job runs end to end (the
// client registers and heartbeats over mTLS, the server forwards its logs
// from the client over mTLS), the CLI works with its cert flags and
// variables, and plaintext, wrong-CA, expired and wrong-role peers are
// refused.
func TestMutualTLSCluster(t *testing.T) {
	p := makePKI(t)
	httpPort, consulPort := freePort(t), freePort(t)
	addr := fmt.Sprintf("https://127.0.0.1:%d", httpPort)
	startConfigAgent(t, fmt.Sprintf(`datacenter = "minipot"
data_dir  = %q
bind_addr = "127.0.0.1"
ports { http = %d }
server { enabled = true }
consul {
  enabled = true
  port    = %d
}
%s`, t.TempDir(), httpPort, consulPort, p.tlsBlock("server")))
	clientPort := freePort(t)
	startConfigAgent(t, fmt.Sprintf(`datacenter = "minipot"
data_dir  = %q
bind_addr = "127.0.0.1"
ports { http = %d }
client {
  enabled = true
  servers = ["127.0.0.1:%d"]
  options = { "driver.raw_exec.enable" = "1" }
  pot { disabled = true }
}
%s`, t.TempDir(), clientPort, httpPort, p.tlsBlock("client")))

	ca := p.path("wharf-agent-ca.pem")
	cli := httpsClient(t, ca, p.path("global-cli-wharf"))
	waitFor(t, 60*time.Second, "the client node to be ready over mTLS", func() bool {
		code, body, err := getStatus(cli, "GET", addr+"/v1/nodes")
		return err == nil && code == 200 && strings.Contains(body, `"ready"`)
	})

	certFlags := []string{"-ca-cert", ca, "-client-cert", p.path("global-cli-wharf.pem"), "-client-key", p.path("global-cli-wharf-key.pem")}
	job := rawJob(t, "tlsjob", "tls-marker", `echo "hello over tls"; while true; do sleep 1; done`, "")
	if out, code := run(t, addr, append(append([]string{"job", "run"}, certFlags...), job)...); code != 0 {
		t.Fatalf("job run with cert flags: %d\n%s", code, out)
	}
	c, err := api.NewClient(&api.Config{Address: addr, TLSConfig: &api.TLSConfig{CACert: ca,
		ClientCert: p.path("global-cli-wharf.pem"), ClientKey: p.path("global-cli-wharf-key.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a running allocation", func() bool { return len(runningAllocs(t, c, "tlsjob")) == 1 })
	alloc := runningAllocs(t, c, "tlsjob")[0]
	waitFor(t, 15*time.Second, "the task's log through the server's mTLS hop to the client", func() bool {
		out, _ := run(t, addr, append(append([]string{"alloc", "logs"}, certFlags...), alloc.ID)...)
		return strings.Contains(out, "hello over tls")
	})
	out, code := run(t, addr, append(append([]string{"alloc", "exec"}, certFlags...), alloc.ID[:8], "/bin/sh", "-c", "echo exec-$((6*7)); exit 3")...)
	if code != 3 || !strings.Contains(out, "exec-42") {
		t.Errorf("alloc exec through the server's mTLS hop: %d %q", code, out)
	}
	if out, code := run(t, addr, append([]string{"job", "status"}, certFlags...)...); code != 0 || !strings.Contains(out, "tlsjob") {
		t.Fatalf("job status with flags: %d\n%s", code, out)
	}
	if out, code := runEnv(t, []string{"WHARF_ADDR=" + addr, "WHARF_CACERT=" + ca, "WHARF_CLIENT_CERT=" + p.path("global-cli-wharf.pem"),
		"WHARF_CLIENT_KEY=" + p.path("global-cli-wharf-key.pem"), "WHARF_TLS_SERVER_NAME=server.global.wharf"}, "job", "status", "tlsjob"); code != 0 ||
		!strings.Contains(out, "running") {
		t.Fatalf("job status with variables: %d\n%s", code, out)
	}

	t.Run("nomad and consul clients", func(t *testing.T) {
		cert, key := p.path("global-cli-wharf.pem"), p.path("global-cli-wharf-key.pem")
		nc, err := nomad.NewClient(&nomad.Config{Address: addr, TLSConfig: &nomad.TLSConfig{CACert: ca, ClientCert: cert, ClientKey: key}})
		if err != nil {
			t.Fatal(err)
		}
		if jobs, _, err := nc.Jobs().List(nil); err != nil || len(jobs) != 1 || jobs[0].ID != "tlsjob" {
			t.Errorf("nomad/api over mTLS: %v %v", jobs, err)
		}
		cc, err := consul.NewClient(&consul.Config{Address: fmt.Sprintf("127.0.0.1:%d", consulPort), Scheme: "https",
			TLSConfig: consul.TLSConfig{CAFile: ca, CertFile: cert, KeyFile: key}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := cc.Catalog().Services(nil); err != nil {
			t.Errorf("consul/api over mTLS: %v", err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		consul := fmt.Sprintf("https://127.0.0.1:%d/v1/catalog/services", consulPort)
		plain := &http.Client{Timeout: 10 * time.Second}
		if code, body, err := getStatus(plain, "GET", strings.Replace(addr, "https", "http", 1)+"/v1/jobs"); err != nil || code != 400 ||
			!strings.Contains(body, "HTTPS") {
			t.Errorf("plaintext API: %d %q %v", code, body, err)
		}
		if code, _, err := getStatus(plain, "GET", strings.Replace(consul, "https", "http", 1)); err != nil || code != 400 {
			t.Errorf("plaintext Consul API: %d %v", code, err)
		}
		if code, _, err := getStatus(cli, "GET", consul); err != nil || code != 200 {
			t.Errorf("Consul API with the cli certificate: %d %v", code, err)
		}
		for _, tt := range []struct {
			name, ca, cert, want string
		}{
			{"no certificate", ca, "", "certificate required"},
			{"certificate of another CA", ca, filepath.Join(p.other, "global-cli-wharf"), "unknown certificate authority"},
			{"expired certificate", ca, p.path("expired-cli"), "expired certificate"},
			{"server of another CA", filepath.Join(p.other, "wharf-agent-ca.pem"), p.path("global-cli-wharf"), "unknown authority"},
		} {
			for _, url := range []string{addr + "/v1/jobs", consul} {
				if _, _, err := getStatus(httpsClient(t, tt.ca, tt.cert), "GET", url); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s at %s: %v, want %q", tt.name, url, err, tt.want)
				}
			}
		}
		out, code := run(t, addr, "job", "status", "-ca-cert", ca, "-client-cert", p.path("expired-cli.pem"), "-client-key", p.path("expired-cli-key.pem"))
		if code == 0 || !strings.Contains(out, "expired certificate") {
			t.Errorf("CLI with an expired certificate: %d %s", code, out)
		}
		out, code = run(t, addr, "job", "status")
		if code == 0 || !strings.Contains(out, "unknown authority") {
			t.Errorf("CLI without TLS settings: %d %s", code, out)
		}
		// A cli certificate may read, but not act as a node.
		for _, path := range []string{"/v1/node/register", "/v1/node/" + alloc.NodeID + "/heartbeat", "/v1/allocations/update"} {
			code, body, err := getStatus(cli, "PUT", addr+path)
			if err != nil || code != 403 || !strings.Contains(body, "client or server certificate") {
				t.Errorf("PUT %s with a cli certificate: %d %q %v", path, code, body, err)
			}
		}
	})

	t.Run("a client certificate where a server is required", func(t *testing.T) {
		// A second client pointed at the first client's API: that peer
		// holds a client certificate, and verify_server_hostname wants
		// server.global.wharf.
		impostor := startConfigAgent(t, fmt.Sprintf(`datacenter = "minipot"
data_dir  = %q
bind_addr = "127.0.0.1"
ports { http = %d }
client {
  enabled = true
  servers = ["127.0.0.1:%d"]
  pot { disabled = true }
}
%s`, t.TempDir(), freePort(t), clientPort, p.tlsBlock("client")))
		waitFor(t, 30*time.Second, "the second client to refuse a peer without a server certificate", func() bool {
			return strings.Contains(impostor.out.String(), "none of the roles [server]")
		})
		_, body, _ := getStatus(cli, "GET", addr+"/v1/nodes")
		if strings.Count(body, `"ID"`) != 1 {
			t.Errorf("nodes: %s", body)
		}
	})
}

// runEnv runs the wharf CLI with env added to the test's environment.
func runEnv(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wharfBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run wharf %v: %v", args, err)
	}
	return string(out), code
}

// TestDevAgentOverTLS runs a -dev agent with the tls block on: its own
// client reaches its server over mTLS with verify_server_hostname, the web
// UI, the Consul-shaped API and the registry serve HTTPS and want a
// certificate, and the ingress follows the catalog over mTLS (a job's
// service is routed) while its public entry point stays plain HTTP.
func TestDevAgentOverTLS(t *testing.T) {
	p := makePKI(t)
	cfg := filepath.Join(t.TempDir(), "tls.hcl")
	body := "client {\n  pot { disabled = true }\n}\nlimits {\n  handshake_timeout = \"1s\"\n}\n" + p.tlsBlock("server")
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{}
	args := []string{"agent", "-dev", "-config", cfg, "-bind", "127.0.0.1"}
	for _, f := range []string{"-http-port", "-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
		ports[f] = freePort(t)
		args = append(args, f, fmt.Sprint(ports[f]))
	}
	a := &agentProc{cmd: exec.Command(wharfBin, args...), out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(a.shutdown)

	ca := p.path("wharf-agent-ca.pem")
	cli := httpsClient(t, ca, p.path("global-cli-wharf"))
	url := func(flag, path string) string { return fmt.Sprintf("https://127.0.0.1:%d%s", ports[flag], path) }
	waitFor(t, 60*time.Second, "the dev node to be ready over mTLS", func() bool {
		code, body, err := getStatus(cli, "GET", url("-http-port", "/v1/nodes"))
		return err == nil && code == 200 && strings.Contains(body, `"ready"`)
	})
	for _, u := range []string{url("-http-port", "/ui/"), url("-consul-port", "/v1/catalog/services"), url("-registry-port", "/v1/images")} {
		if code, _, err := getStatus(cli, "GET", u); err != nil || code != 200 {
			t.Errorf("GET %s with the cli certificate: %d %v", u, code, err)
		}
		if _, _, err := getStatus(httpsClient(t, ca, ""), "GET", u); err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("GET %s without a certificate: %v", u, err)
		}
		if code, _, err := getStatus(&http.Client{Timeout: 10 * time.Second}, "GET", strings.Replace(u, "https", "http", 1)); err != nil || code != 400 {
			t.Errorf("plaintext GET %s: %d %v", u, code, err)
		}
	}

	waitFor(t, 10*time.Second, "the banner to name the https:// addresses", func() bool {
		out := a.out.String()
		return strings.Contains(out, "HTTP API: "+url("-http-port", "")) && strings.Contains(out, "Consul API: "+url("-consul-port", "")) &&
			strings.Contains(out, "Registry: "+url("-registry-port", ""))
	})
	t.Run("a renewed certificate is served without a restart", func(t *testing.T) {
		assertCertificateReloads(t, p, fmt.Sprintf("127.0.0.1:%d", ports["-http-port"]))
	})
	t.Run("handshakes that never finish", func(t *testing.T) {
		assertStalledHandshakesClosed(t, fmt.Sprintf("127.0.0.1:%d", ports["-http-port"]), func() bool {
			code, _, err := getStatus(cli, "GET", url("-http-port", "/v1/jobs"))
			return err == nil && code == 200
		})
	})

	env := []string{"WHARF_ADDR=" + url("-http-port", ""), "WHARF_CACERT=" + ca,
		"WHARF_CLIENT_CERT=" + p.path("global-cli-wharf.pem"), "WHARF_CLIENT_KEY=" + p.path("global-cli-wharf-key.pem")}
	if out, code := runEnv(t, env, "image", "ls", "-registry", url("-registry-port", "")); code != 0 {
		t.Errorf("image ls over TLS with the CLI's variables: %d %s", code, out)
	}
	if out, code := runEnv(t, env[:2], "image", "ls", "-registry", url("-registry-port", "")); code == 0 || !strings.Contains(out, "certificate required") {
		t.Errorf("image ls without a client certificate: %d %s", code, out)
	}
	if out, code := runEnv(t, env, "job", "run", "-detach", ingressJob(t, "tlsweb", "tlsweb", 1, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	ingress := fmt.Sprintf("127.0.0.1:%d", ports["-ingress-port"])
	plain := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 60*time.Second, "the ingress to route tlsweb.minipot (it reads the catalog over mTLS)", func() bool {
		req, _ := http.NewRequest("GET", "http://"+ingress+"/", nil)
		req.Host = "tlsweb.minipot"
		resp, err := plain.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && strings.HasPrefix(string(b), "hello from ")
	})
}

// assertStalledHandshakesClosed opens connections to addr that send
// nothing, half a ClientHello, or garbage: the API still answers while
// they are open (answers), and the agent closes each within a few
// seconds (handshake_timeout is 1s).
func assertStalledHandshakesClosed(t *testing.T, addr string, answers func() bool) {
	t.Helper()
	payloads := [][]byte{nil, {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}, []byte("\x00\xff garbage that is not TLS\r\n\r\n")}
	var conns []net.Conn
	for i := range 30 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if p := payloads[i%len(payloads)]; p != nil {
			_, _ = c.Write(p)
		}
		conns = append(conns, c)
	}
	if !answers() {
		t.Fatal("the API did not answer while stalled handshakes were open")
	}
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		start := time.Now()
		buf := make([]byte, 512)
		for {
			if _, err := c.Read(buf); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("connection %d (payload %q) still open after %s", i, payloads[i%len(payloads)], time.Since(start))
				}
				break
			}
		}
	}
}

// assertCertificateReloads renews the server certificate with the CLI,
// writes it over the agent's files, and waits for new handshakes at addr
// to get it.
func assertCertificateReloads(t *testing.T, p pkiDir, addr string) {
	t.Helper()
	serial := func() string {
		cfg, err := (&api.TLSConfig{CACert: p.path("wharf-agent-ca.pem"), ClientCert: p.path("global-cli-wharf.pem"),
			ClientKey: p.path("global-cli-wharf-key.pem")}).Config()
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			return ""
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	renew := t.TempDir()
	cmd := exec.Command(wharfBin, "tls", "cert", "create", "-server", "-ca", p.path("wharf-agent-ca.pem"), "-key", p.path("wharf-agent-ca-key.pem"))
	cmd.Dir = renew
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wharf tls cert create: %v\n%s", err, out)
	}
	// The key first, then the certificate: a reload between the two keeps
	// the old pair (the new key does not match the old certificate).
	for _, f := range []string{"global-server-wharf-key.pem", "global-server-wharf.pem"} {
		b, err := os.ReadFile(filepath.Join(renew, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p.path(f)+".tmp", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p.path(f)+".tmp", p.path(f)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 15*time.Second, "new handshakes to get the renewed certificate", func() bool {
		s := serial()
		return s != "" && s != before
	})
}

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// startHostileAgent runs a -dev agent with the configuration cfg and its
// DNS server on dnsPort.
func startHostileAgent(t *testing.T, cfg string, dnsPort int) *agentProc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return startAgent(t, "-dev", "-config", path, "-dns-port", strconv.Itoa(dnsPort))
}

// TestDNSTCPFloodCapped holds the DNS server's TCP cap with connections
// that keep asking: one more gets no answer while UDP and the API still
// answer, and the agent logs the cap.
func TestDNSTCPFloodCapped(t *testing.T) {
	dnsPort := freePort(t)
	a := startHostileAgent(t, "limits {\n  max_conns_dns = 4\n}\n", dnsPort)
	if !strings.Contains(a.out.String(), "max_conns_dns=4") {
		t.Fatalf("the budget does not name the DNS cap:\n%s", a.out)
	}
	addr := "127.0.0.1:" + strconv.Itoa(dnsPort)
	q := new(mdns.Msg)
	q.SetQuestion("nothing.service.consul.", mdns.TypeA)
	ask := func(c *mdns.Conn, within time.Duration) error {
		_ = c.SetDeadline(time.Now().Add(within))
		if err := c.WriteMsg(q); err != nil {
			return err
		}
		_, err := c.ReadMsg()
		return err
	}
	var held []*mdns.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 4 {
		c, err := mdns.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if err := ask(c, 5*time.Second); err != nil {
			t.Fatalf("a connection within the cap: %v", err)
		}
	}
	extra, err := mdns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := ask(extra, time.Second); err == nil {
		t.Fatal("a fifth TCP connection was answered beyond a cap of 4")
	}
	udp := &mdns.Client{Net: "udp", Timeout: 3 * time.Second}
	if _, _, err := udp.Exchange(q, addr); err != nil {
		t.Fatalf("udp while tcp is at its cap: %v", err)
	}
	resp, err := http.Get(a.addr + "/v1/status/leader")
	if err != nil {
		t.Fatalf("api while dns tcp is at its cap: %v", err)
	}
	resp.Body.Close()
	waitFor(t, 10*time.Second, "the cap logged", func() bool {
		return strings.Contains(a.out.String(), "connection cap reached") && strings.Contains(a.out.String(), "listener=dns")
	})
}

// rssKiB is the resident memory of process pid.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skip("needs /proc to read memory")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestParseNestedForBounded sends /v1/jobs/parse job files of 20-40 KB
// whose for expressions multiply: each grew the agent by gigabytes (10 GB
// for one request). They get a 400 naming the limit within seconds, and
// the agent's memory stays within a few hundred megabytes.
func TestParseNestedForBounded(t *testing.T) {
	a := startAgent(t, "-dev")
	chars := `"` + strings.Repeat("a", 20_000) + `"`
	tuple := "[" + strings.Repeat("1,", 10_000) + "1]"
	job := "\njob \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/true\"\n      }\n    }\n  }\n}\n"
	before := rssKiB(t, a.cmd.Process.Pid)
	for _, local := range []string{
		"[for a in split(\"\", " + chars + ") : [for b in split(\"\", " + chars + ") : 1]]",
		"[for a in " + tuple + " : [for b in " + tuple + " : b if a > 1]]",
		"{for a in split(\"\", " + chars + ") : a => [for b in split(\"\", " + chars + ") : b]...}",
	} {
		body, _ := json.Marshal(map[string]string{"JobHCL": "locals {\n  v = " + local + "\n}\n" + job})
		start := time.Now()
		client := &http.Client{Timeout: 60 * time.Second}
		resp, err := client.Post(a.addr+"/v1/jobs/parse", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%.60s: %v", local, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "compute more than the limit") {
			t.Fatalf("%.60s: %d %.300s; want 400 naming the limit", local, resp.StatusCode, msg)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("%.60s: refused after %v", local, took)
		}
	}
	if grew := rssKiB(t, a.cmd.Process.Pid) - before; grew > 512<<10 {
		t.Errorf("the agent grew by %d MiB", grew>>10)
	}
}

// TestSlowBodiesClosed sends headers and then a body that stops after
// one byte to the API, the Consul-shaped API, the ingress (for a host
// no route matches) and the registry: each
// connection is answered or closed soon after handshake_timeout, where
// it used to be held for ever; a flood of them at the API's cap leaves
// the API answering.
func TestSlowBodiesClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte("limits {\n  handshake_timeout = \"1s\"\n  max_conns_api = 6\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	consul, registry, ingress := freePort(t), freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-config", path, "-consul-port", strconv.Itoa(consul), "-registry-port", strconv.Itoa(registry),
		"-ingress-port", strconv.Itoa(ingress))
	api := strings.TrimPrefix(a.addr, "http://")
	stall := func(addr, head string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, head+"Host: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct{ name, addr, head string }{
		{"api job register", api, "PUT /v1/jobs HTTP/1.1\r\n"},
		{"api parse", api, "POST /v1/jobs/parse HTTP/1.1\r\n"},
		{"consul service register", "127.0.0.1:" + strconv.Itoa(consul), "PUT /v1/agent/service/register HTTP/1.1\r\n"},
		{"ingress, no route", "127.0.0.1:" + strconv.Itoa(ingress), "POST / HTTP/1.1\r\n"},
		{"registry upload", "127.0.0.1:" + strconv.Itoa(registry), "PUT /slow.tar.zst HTTP/1.1\r\nAuthorization: Bearer " + registryToken(t, a) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c := stall(tc.addr, tc.head)
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("still open after %v (%v): %q", time.Since(start), err, got)
			}
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("closed after %v, want soon after the 1s handshake_timeout", took)
			}
			if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 4") {
				t.Errorf("answer %.200q, want a 4xx or none", got)
			}
		})
	}

	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for range 6 {
		flood = append(flood, stall(api, "PUT /v1/jobs HTTP/1.1\r\n"))
	}
	client := &http.Client{Timeout: 15 * time.Second}
	start := time.Now()
	resp, err := client.Get(a.addr + "/v1/status/leader")
	if err != nil {
		t.Fatalf("api with its cap held by slow bodies: %v after %v", err, time.Since(start))
	}
	resp.Body.Close()
}

// registryToken is the dev agent's registry upload token.
func registryToken(t *testing.T, a *agentProc) string {
	t.Helper()
	i := strings.Index(a.out.String(), "upload token in ")
	if i < 0 {
		t.Fatalf("no registry token file printed:\n%s", a.out)
	}
	file := strings.TrimSuffix(strings.Fields(a.out.String()[i+len("upload token in "):])[0], ")")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestManyInvalidItemsSmallAnswer registers jobs of a few megabytes with
// a million invalid items: empty datacenters, unknown driver config
// keys. The 400 names a bounded number of problems, where it used to be
// 60-80 MB long and cost the agent hundreds of megabytes.
func TestManyInvalidItemsSmallAnswer(t *testing.T) {
	a := startAgent(t, "-dev")
	var dcs, keys strings.Builder
	for i := range 1_000_000 {
		if i > 0 {
			dcs.WriteString(",")
		}
		dcs.WriteString(`""`)
	}
	for i := range 250_000 {
		fmt.Fprintf(&keys, `,"u%d":1`, i)
	}
	for name, body := range map[string]string{
		"datacenters": `{"Job":{"ID":"x","Name":"x","Datacenters":[` + dcs.String() + `]}}`,
		"driver config": `{"Job":{"ID":"x","Name":"x","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/true"` +
			keys.String() + `}}]}]}}`,
	} {
		req, _ := http.NewRequest("PUT", a.addr+"/v1/jobs", strings.NewReader(body))
		resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "more problems") {
			t.Errorf("%s: %d %.300s; want 400 counting the problems it does not name", name, resp.StatusCode, msg)
		}
		if len(msg) > 64<<10 {
			t.Errorf("%s: answer of %d bytes", name, len(msg))
		}
	}
}

// TestPerClientConnectionCap holds one client address's
// max_conns_per_client of keep-alive connections to the API: its next
// connection is closed unanswered, while another client address is still
// served. Without it one client could hold every slot of the API's cap.
func TestPerClientConnectionCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte("limits {\n  max_conns_per_client = 5\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-config", path)
	api := strings.TrimPrefix(a.addr, "http://")
	get := func(from string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", api)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return c, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return c, err
		}
		resp.Body.Close()
		return c, nil
	}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// The agent's own client may hold a connection or two from this
	// address: fill up to the cap, then one more must fail.
	var refused bool
	for range 8 {
		c, err := get("127.0.0.1")
		if c != nil {
			held = append(held, c)
		}
		if err != nil {
			refused = true
			break
		}
	}
	if !refused || len(held) > 6 {
		t.Fatalf("%d keep-alive connections from one address served, refused=%v; want the cap of 5", len(held), refused)
	}
	c, err := get("127.0.0.2")
	if err != nil {
		t.Skipf("cannot reach the api from 127.0.0.2: %v", err)
	}
	c.Close()
}

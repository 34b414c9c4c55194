package harness

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/testkit/testutil"
)

// Options shape a cluster.
type Options struct {
	// Servers is the number of servers (3 when 0); they form one
	// embedded etcd cluster.
	Servers int
	// Clients is the number of client agents, each pointing at every
	// server, with raw_exec enabled and the pot driver off.
	Clients int
	// Ingress adds one ingress agent (its proxy on :8080 of its address,
	// the dashboard on :9200) that watches every server; see
	// Cluster.Ingress.
	Ingress bool
	// ACL turns ACLs on: the harness bootstraps them with Cluster.Token,
	// which every agent's client and the API clients use.
	ACL bool
	// ServerHCL and ClientHCL are merged into each server's and client's
	// configuration: attributes replace the harness's, blocks merge into
	// its blocks of the same type (e.g. `server { min_heartbeat_ttl = "2s" }`).
	ServerHCL, ClientHCL string
	// IngressHCL is merged into the ingress agent's configuration.
	IngressHCL string
}

// Cluster is a running cluster.
type Cluster struct {
	Servers []*Agent
	Clients []*Agent
	// Ingress is the ingress agent, nil unless Options.Ingress.
	Ingress *Agent
	// Token is the management token when Options.ACL, else "".
	Token string

	t    testing.TB
	dir  string // holds every agent's config and data dir
	bin  string
	net  *network
	opts Options
}

var (
	binMu   sync.Mutex
	binPath string
	binDir  string
)

// Main is the TestMain of a package of cluster tests: it builds wharf,
// removes what earlier runs killed before their cleanup left, runs the
// tests and stops every task supervisor they left. It returns the exit
// code for os.Exit.
func Main(m *testing.M) int {
	for _, l := range sweepLeftovers() {
		fmt.Fprintln(os.Stderr, "harness: removed a leftover of an earlier run:", l)
	}
	code := m.Run()
	binMu.Lock()
	defer binMu.Unlock()
	if binPath != "" {
		for _, p := range testutil.StopLeftoverTasks(binPath) {
			fmt.Fprintln(os.Stderr, "harness: stopped a process the tests left running:", p)
		}
		_ = os.RemoveAll(binDir)
	}
	return code
}

// binary builds wharf once per test process.
func binary(t testing.TB) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if binPath == "" {
		dir, bin, err := testutil.BuildWharf()
		if err != nil {
			t.Fatal(err)
		}
		binDir, binPath = dir, bin
	}
	return binPath
}

// Usable reports why cluster tests cannot run here ("" when they can):
// they need root for namespaces, veths and nftables.
func Usable() string {
	if os.Geteuid() != 0 {
		return "cluster tests need root (network namespaces, veths, nftables)"
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return "no network namespaces here"
	}
	return ""
}

// New starts a cluster and returns once every server agrees on a leader
// and every client's node is ready. Everything it made is removed when
// the test ends. Without root the test fails when CI is set and is
// skipped otherwise.
func New(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if why := Usable(); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	if opts.Servers <= 0 {
		opts.Servers = 3
	}
	// The temp dir first: its removal must run after the cleanup that
	// stops the agents writing into it.
	c := &Cluster{t: t, dir: t.TempDir(), bin: binary(t), opts: opts}
	n, err := newNetwork()
	if err != nil {
		t.Fatal(err)
	}
	c.net = n
	t.Cleanup(c.cleanup)
	c.startServers()
	if opts.ACL {
		c.bootstrapACL()
	}
	c.startClients()
	if opts.Ingress {
		c.startIngress()
	}
	c.Leader(t)
	return c
}

// All lists every agent: servers, clients, then the ingress.
func (c *Cluster) All() []*Agent {
	out := append(append([]*Agent(nil), c.Servers...), c.Clients...)
	if c.Ingress != nil {
		out = append(out, c.Ingress)
	}
	return out
}

// newAgent makes the namespace, address and data dir of an agent.
func (c *Cluster) newAgent(name string, host byte, server bool) *Agent {
	c.t.Helper()
	ip := c.net.ip(host)
	ns, err := c.net.addNamespace(name, ip)
	if err != nil {
		c.t.Fatal(err)
	}
	dir := filepath.Join(c.dir, name)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		c.t.Fatal(err)
	}
	return &Agent{Name: name, Netns: ns, IP: ip, Server: server, DataDir: filepath.Join(dir, "data"), c: c}
}

func (c *Cluster) startServers() {
	c.t.Helper()
	for i := range c.opts.Servers {
		c.Servers = append(c.Servers, c.newAgent(fmt.Sprintf("s%d", i+1), byte(11+i), true))
	}
	var peers []string
	for _, s := range c.Servers {
		peers = append(peers, fmt.Sprintf("%s=http://%s:2380", s.Name, s.IP))
	}
	for _, s := range c.Servers {
		c.configure(s, serverHCL(s, strings.Join(peers, ","), c.opts.ACL), c.opts.ServerHCL)
	}
	for _, s := range c.Servers {
		if err := s.start(); err != nil {
			c.t.Fatal(err)
		}
	}
	for _, s := range c.Servers {
		c.waitUp(c.t, s)
	}
}

func (c *Cluster) startClients() {
	c.t.Helper()
	for i := range c.opts.Clients {
		cl := c.newAgent(fmt.Sprintf("c%d", i+1), byte(51+i), false)
		c.Clients = append(c.Clients, cl)
		c.configure(cl, clientHCL(cl, c.serverAddrs(), c.opts.ACL, c.Token), c.opts.ClientHCL)
		if err := cl.start(); err != nil {
			c.t.Fatal(err)
		}
	}
	for _, cl := range c.Clients {
		c.waitUp(c.t, cl)
	}
}

func (c *Cluster) startIngress() {
	c.t.Helper()
	in := c.newAgent("i1", 91, false)
	c.Ingress = in
	c.configure(in, ingressHCL(in, c.serverAddrs(), c.opts.ACL, c.Token), c.opts.IngressHCL)
	if err := in.start(); err != nil {
		c.t.Fatal(err)
	}
	c.WaitFor(c.t, 60*time.Second, "the ingress to listen", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s:9200/", in.IP))
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
}

// serverAddrs lists the servers' API addresses.
func (c *Cluster) serverAddrs() []string {
	out := make([]string, 0, len(c.Servers))
	for _, s := range c.Servers {
		out = append(out, s.Addr())
	}
	return out
}

func (c *Cluster) configure(a *Agent, base, extra string) {
	c.t.Helper()
	body, err := mergeHCL(base, extra)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := a.writeConfig(body); err != nil {
		c.t.Fatal(err)
	}
}

// bootstrapACL makes the management token through the first server.
func (c *Cluster) bootstrapACL() {
	c.t.Helper()
	secret := randomUUID()
	body, _ := json.Marshal(map[string]string{"BootstrapSecret": secret})
	c.WaitFor(c.t, 30*time.Second, "the ACL bootstrap", func() bool {
		resp, err := http.Post(c.Servers[0].HTTPAddr()+"/v1/acl/bootstrap", "application/json", bytes.NewReader(body))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	c.Token = secret
}

// randomHex returns n random hex digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func randomUUID() string {
	h := randomHex(32)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// cleanup stops every agent and removes the namespaces and the bridge.
func (c *Cluster) cleanup() {
	if c.t.Failed() {
		for _, a := range c.All() {
			c.t.Logf("==== log of %s ====\n%s", a.Name, tail(a.Log(), 200))
		}
	}
	var wg sync.WaitGroup
	for _, a := range c.All() {
		wg.Add(1)
		go func() { defer wg.Done(); a.Kill() }()
	}
	wg.Wait()
	for _, a := range c.All() {
		if err := deleteNetns(a.Netns); err != nil {
			c.t.Error(err)
		}
	}
	if err := c.net.destroy(); err != nil {
		c.t.Error(err)
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// WaitFor polls cond every 20 ms until it holds, failing the test when d
// passes first.
func (c *Cluster) WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, d, what, cond)
}

package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/structs"
)

// potEnv is a dev agent with a private jail network and the example
// images in its registry.
type potEnv struct {
	a       *agentProc
	dataDir string
	bridge  string
	table   string
	reg     string // registry base URL
	config  string // agent config file naming the jail network
	cidr    string
}

// needJails fails (CI) or skips the test without root and runc.
func needJails(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("runc")
	if os.Geteuid() == 0 && err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("jails need root and runc (CI installs runc)")
	}
	t.Skip("jails need root and runc")
}

// startPotAgent starts `wharf agent -dev` (plus args) on a jail network
// of its own, builds the example images and pushes them to its registry.
func startPotAgent(t *testing.T, args ...string) *potEnv {
	t.Helper()
	return startPotAgentWith(t, "", args...)
}

// startPotAgentWith is startPotAgent with extra lines in the agent
// config's client block.
func startPotAgentWith(t *testing.T, client string, args ...string) *potEnv {
	t.Helper()
	needJails(t)
	skipWithoutPackages(t)
	n := rand.IntN(200) + 20
	e := &potEnv{bridge: fmt.Sprintf("we%d", n), table: fmt.Sprintf("wharf_e%d", n), cidr: fmt.Sprintf("10.252.%d.0/24", n)}
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	hcl := fmt.Sprintf("client {\n  pot {\n    bridge = %q\n    network = %q\n    nft_table = %q\n  }\n%s}\n",
		e.bridge, e.cidr, e.table, client)
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	e.config = cfg
	// Runs after the agent has stopped (cleanups run last first): a test
	// that failed half-way, or an agent with a kept data dir, leaves its
	// jails running; a driver's start-up cleanup with no live task removes
	// them all, then the network goes.
	t.Cleanup(func() {
		if _, err := os.Stat(e.dataDir); e.dataDir != "" && err == nil {
			if removed, err := e.driver(t).Reconcile(context.Background(), nil); len(removed) > 0 || err != nil {
				t.Logf("removed after the test: %q %v", removed, err)
			}
		}
		_ = netjail.DeleteTable(e.table)
		_ = netjail.DeleteBridge(e.bridge)
	})
	e.a = startAgent(t, append([]string{"-dev", "-config", cfg}, args...)...)
	m := regexp.MustCompile(`Registry: (http://\S+)\s+\(upload token in (\S+)\)`).FindStringSubmatch(e.a.out.String())
	if m == nil {
		t.Fatalf("the dev agent did not print its registry:\n%s", e.a.out)
	}
	e.reg, e.dataDir = m[1], filepath.Dir(m[2])
	out := t.TempDir()
	runBuildScript(t, "BUILD_ONLY=1", "OUT_DIR="+out)
	for _, img := range exampleImages {
		if o, code := run(t, e.a.addr, "image", "push", "-registry", e.reg, "-token-file", m[2], "-dir", out, img.name, img.tag); code != 0 {
			t.Fatalf("push %s: %s", img.name, o)
		}
	}
	return e
}

// seedJob writes examples/nginx.job with the image URL pointing at the
// agent's registry, and returns its path.
func (e *potEnv) seedJob(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../../examples/nginx.job")
	if err != nil {
		t.Fatal(err)
	}
	job := strings.Replace(string(src), "http://127.0.0.1:9080", e.reg, 1)
	if job == string(src) {
		t.Fatal("examples/nginx.job no longer names the dev registry http://127.0.0.1:9080")
	}
	path := filepath.Join(t.TempDir(), "nginx.job")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// driver is a pot driver on the agent's data dir and jail network, to
// count and remove what its jails left. Once a throw-away agent has
// removed its data dir, the driver gets an empty one of the test's (a
// driver makes its dirs, which would otherwise bring the agent's back).
func (e *potEnv) driver(t *testing.T) *pot.Driver {
	dir := filepath.Join(e.dataDir, "pot")
	if _, err := os.Stat(e.dataDir); err != nil {
		dir = t.TempDir()
	}
	return pot.New(pot.Options{Enabled: true, DataDir: dir, Bridge: e.bridge, CIDR: e.cidr, NFTTable: e.table})
}

// leftovers lists what the agent's jails left on the node (containers,
// mounts, network namespaces, veths, port forwards) and the cgroups of
// the allocations allocIDs (cgroups are host-wide, and other tests run
// jails at the same time).
func (e *potEnv) leftovers(t *testing.T, allocIDs ...string) []string {
	t.Helper()
	d := e.driver(t)
	out := d.Leftovers(context.Background(), "")
	for _, id := range allocIDs {
		out = append(out, d.Leftovers(context.Background(), id)...)
	}
	return out
}

// waitClean waits until the jails of allocIDs have left nothing behind.
func (e *potEnv) waitClean(t *testing.T, allocIDs ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := e.leftovers(t, allocIDs...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jails left behind after 30s: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostPort returns the host address of the allocation's port label.
func hostPort(t *testing.T, a *structs.Allocation, label string) string {
	t.Helper()
	if a.AllocatedResources != nil {
		for _, p := range a.AllocatedResources.Shared.Ports {
			if p.Label == label {
				return fmt.Sprintf("127.0.0.1:%d", p.Value)
			}
		}
	}
	t.Fatalf("allocation %s has no port %q", a.ID, label)
	return ""
}

// httpGet fetches url and returns the status code and body.
func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestSeedJobOnPot runs the seed's job file on jails: nginx answers on the
// dynamic port, its access log reaches `alloc logs`, `alloc exec` runs in
// the jail, `alloc status` shows resource use, and stopping the job and
// then the agent leaves nothing behind.
func TestSeedJobOnPot(t *testing.T) {
	consulPort, dnsPort := freePort(t), freePort(t)
	e := startPotAgent(t, "-consul-port", strconv.Itoa(consulPort), "-dns-port", strconv.Itoa(dnsPort))
	c := e.a.client(t)
	if out, code := run(t, e.a.addr, "job", "run", e.seedJob(t)); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 30*time.Second, "the seed job's allocation running", func() bool {
		return len(runningAllocs(t, c, "nginx-minipot")) == 1
	})
	alloc, _, err := c.Allocations().Info(runningAllocs(t, c, "nginx-minipot")[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := hostPort(t, alloc, "http")
	var code int
	var body string
	waitFor(t, 10*time.Second, "nginx answering on "+addr, func() bool {
		code, body, err = httpGet("http://" + addr + "/")
		return err == nil
	})
	if code != 200 || !strings.Contains(strings.ToLower(body), "nginx") {
		t.Errorf("GET %s: %d %q", addr, code, body)
	}
	waitFor(t, 10*time.Second, "the request in alloc logs", func() bool {
		out, _ := run(t, e.a.addr, "alloc", "logs", alloc.ID)
		return strings.Contains(out, `"GET / HTTP/1.1" 200`)
	})
	out, exit := run(t, e.a.addr, "alloc", "exec", alloc.ID, "/bin/sh", "-c", "echo hello-$((6*7)); ps; exit 3")
	if exit != 3 || !strings.Contains(out, "hello-42") || !strings.Contains(out, "nginx: master") {
		t.Errorf("alloc exec: exit %d\n%s", exit, out)
	}
	if strings.Contains(out, "wharf") {
		t.Errorf("the jail sees host processes:\n%s", out)
	}
	out, _ = run(t, e.a.addr, "alloc", "status", alloc.ID)
	if !regexp.MustCompile(`\d+/200 MHz +\d+\.\d MiB/64 MiB`).MatchString(out) || !strings.Contains(out, "Downloaded nginx-nomad-amd64-13_1_1.1.13.tar.zst") {
		t.Errorf("alloc status lacks resource use or the download event:\n%s", out)
	}
	// The seed's service: hello-web with a passing tcp check, in the
	// Consul-shaped API and in DNS, at the node's address and the port.
	cc, err := consul.NewClient(&consul.Config{Address: fmt.Sprintf("127.0.0.1:%d", consulPort)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "hello-web passing in the catalog", func() bool {
		entries, _, err := cc.Health().Service("hello-web", "www", true, nil)
		return err == nil && len(entries) == 1 && fmt.Sprintf("%s:%d", entries[0].Service.Address, entries[0].Service.Port) == addr
	})
	m := new(mdns.Msg)
	m.SetQuestion("hello-web.service.wharf.", mdns.TypeSRV)
	resp, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, fmt.Sprintf("127.0.0.1:%d", dnsPort))
	if err != nil || len(resp.Answer) != 1 || fmt.Sprint(resp.Answer[0].(*mdns.SRV).Port) != strings.Split(addr, ":")[1] {
		t.Errorf("DNS SRV hello-web: %v, %v", resp, err)
	}
	if out, code := run(t, e.a.addr, "job", "stop", "nginx-minipot"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
	e.waitClean(t, alloc.ID)
	waitFor(t, 10*time.Second, "hello-web gone from the catalog", func() bool {
		services, _, err := cc.Catalog().Services(nil)
		_, still := services["hello-web"]
		return err == nil && !still
	})
	e.a.stop(t)
	if left := e.leftovers(t, alloc.ID); len(left) > 0 {
		t.Errorf("left behind after the agent stopped: %q", left)
	}
	if _, err := os.Stat("/sys/class/net/" + e.bridge); err == nil {
		t.Errorf("the dev agent left its bridge %s", e.bridge)
	}
}

// TestJailSurvivesAgentKill kills the agent with a jail running: the jail
// keeps serving, a new agent on the same data dir re-attaches to it, and
// stopping the job then removes everything.
func TestJailSurvivesAgentKill(t *testing.T) {
	dir := t.TempDir()
	e := startPotAgent(t, "-data-dir", dir)
	c := e.a.client(t)
	if out, code := run(t, e.a.addr, "job", "run", e.seedJob(t)); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 30*time.Second, "the allocation running", func() bool { return len(runningAllocs(t, c, "nginx-minipot")) == 1 })
	id := runningAllocs(t, c, "nginx-minipot")[0].ID
	alloc, _, err := c.Allocations().Info(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := hostPort(t, alloc, "http")
	waitFor(t, 10*time.Second, "nginx answering", func() bool { _, _, err := httpGet("http://" + addr + "/"); return err == nil })
	e.a.kill()
	if code, _, err := httpGet("http://" + addr + "/"); err != nil || code != 200 {
		t.Fatalf("the jail stopped serving when the agent was killed: %d %v", code, err)
	}
	b := startAgent(t, "-dev", "-data-dir", dir, "-config", e.config,
		"-http-port", strings.TrimPrefix(e.a.addr, "http://127.0.0.1:"))
	c = b.client(t)
	waitFor(t, 45*time.Second, "the allocation running again", func() bool { return len(runningAllocs(t, c, "nginx-minipot")) == 1 })
	alloc, _, err = c.Allocations().Info(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(filterEvents(alloc, structs.TaskStarted)); n != 1 {
		t.Errorf("task started %d times, want 1 (re-attached)", n)
	}
	if code, _, err := httpGet("http://" + addr + "/"); err != nil || code != 200 {
		t.Errorf("after re-attach: %d %v", code, err)
	}
	// Draining the node moves the jail off it (nowhere else to go here):
	// nothing of it may remain.
	if out, code := run(t, b.addr, "node", "drain", "-enable", "-detach", "-yes", alloc.NodeID); code != 0 {
		t.Fatalf("node drain: %d\n%s", code, out)
	}
	e.waitClean(t, id)
	if _, _, err := httpGet("http://" + addr + "/"); err == nil {
		t.Error("the drained jail still answers")
	}
	if out, code := run(t, b.addr, "job", "stop", "nginx-minipot"); code != 0 {
		t.Fatalf("job stop: %d\n%s", code, out)
	}
}

// TestPotUnhealthyWithoutRunc: a client whose runc is missing reports the
// pot driver unhealthy with the reason, and a pot job is not placed there
// but waits with an explanation.
func TestPotUnhealthyWithoutRunc(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	hcl := "client {\n  pot {\n    runc = \"/nonexistent/runc\"\n    bridge = \"wnorunc\"\n    network = \"10.249.0.0/24\"\n    nft_table = \"wharf_norunc\"\n  }\n}\n"
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = netjail.DeleteTable("wharf_norunc")
		_ = netjail.DeleteBridge("wnorunc")
	})
	a := startAgent(t, "-dev", "-config", cfg)
	out, code := run(t, a.addr, "node", "status", "-self")
	if code != 0 {
		out, _ = run(t, a.addr, "node", "status")
		id := strings.Fields(strings.Split(out, "\n")[1])[0]
		out, _ = run(t, a.addr, "node", "status", id)
	}
	if !regexp.MustCompile(`pot +true +false +runc not found .*install Debian's runc package`).MatchString(out) {
		t.Errorf("node status does not show pot unhealthy with the reason:\n%s", out)
	}
	if out, code := run(t, a.addr, "job", "run", "-detach", "../../examples/nginx.job"); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "the placement failure", func() bool {
		out, _ = run(t, a.addr, "job", "status", "nginx-minipot")
		return strings.Contains(out, `No node has a healthy "pot" driver`)
	})
	if strings.Contains(out, "running") {
		t.Errorf("a pot allocation was placed on a node without runc:\n%s", out)
	}
}

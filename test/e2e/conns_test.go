package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startLimitedAgent runs a -dev agent under a descriptor limit of nofile
// (soft and hard) with the configuration cfg, and returns it with its
// ingress port once its node is ready.
func startLimitedAgent(t *testing.T, nofile int, cfg string) (*agentProc, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port, ingress := freePort(t), freePort(t)
	args := []string{"-c", `ulimit -n "$1" && shift && exec "$@"`, "sh", strconv.Itoa(nofile), wharfBin, "agent", "-dev",
		"-config", path, "-bind", "127.0.0.1", "-http-port", strconv.Itoa(port), "-ingress-port", strconv.Itoa(ingress)}
	for _, flag := range []string{"-registry-port", "-consul-port", "-dns-port", "-dashboard-port"} {
		args = append(args, flag, strconv.Itoa(freePort(t)))
	}
	a := &agentProc{cmd: exec.Command("sh", args...), addr: fmt.Sprintf("http://127.0.0.1:%d", port),
		out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(a.shutdown)
	waitFor(t, 60*time.Second, "the agent's node ready", func() bool {
		select {
		case <-a.done:
			t.Fatalf("agent exited early: %v\n%s", a.err, a.out)
		default:
		}
		return a.hasReadyNode()
	})
	return a, ingress
}

// openFDs counts the descriptors process pid holds.
func openFDs(pid int) int {
	names, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(names)
}

// TestIdleFloodBeyondDescriptors floods the ingress of an agent limited
// to 1024 descriptors with 1,500 connections that never send a byte:
// the ingress holds no more than its cap from the budget, the process
// never runs out of descriptors, the API answers, the client starts a
// task, and the ingress serves again once the flood ends.
func TestIdleFloodBeyondDescriptors(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to count descriptors")
	}
	a, ingress := startLimitedAgent(t, 1024, `limits { handshake_timeout = "2m" }`+"\n")
	m := regexp.MustCompile(`file descriptor budget" limit=(\d+) .*max_conns_ingress=(\d+)`).FindStringSubmatch(a.out.String())
	if m == nil || m[1] != "1024" {
		t.Fatalf("no budget logged for a limit of 1024:\n%s", a.out)
	}
	capIngress, _ := strconv.Atoi(m[2])
	pid := a.cmd.Process.Pid
	ingressAddr := "127.0.0.1:" + strconv.Itoa(ingress)

	var flood []net.Conn
	t.Cleanup(func() {
		for _, c := range flood {
			c.Close()
		}
	})
	for range 1500 {
		c, err := net.DialTimeout("tcp", ingressAddr, 2*time.Second)
		if err != nil {
			break // the kernel's queue is full: the flood is as big as it gets
		}
		flood = append(flood, c)
	}
	if len(flood) < 1100 {
		t.Fatalf("only %d flood connections opened, want more than the process's 1024 descriptors", len(flood))
	}
	before := openFDs(pid)
	waitFor(t, 10*time.Second, "the ingress at its cap", func() bool { return openFDs(pid) >= min(capIngress, 1024-64) })
	if n := openFDs(pid); n > 1024-64 {
		t.Fatalf("the agent holds %d of its 1024 descriptors under the flood (ingress cap %d; %d before)", n, capIngress, before)
	}

	start := time.Now()
	resp, err := http.Get(a.addr + "/v1/status/leader")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("API under the flood: %v %v", err, resp)
	}
	resp.Body.Close()
	t.Logf("%d idle connections, %d descriptors open, API answered in %s", len(flood), openFDs(pid), time.Since(start))

	dash := regexp.MustCompile(`Dashboard: (http://\S+)`).FindStringSubmatch(a.out.String())
	if dash == nil {
		t.Fatalf("no dashboard address printed:\n%s", a.out)
	}
	mresp, err := http.Get(dash[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		fmt.Sprintf(`wharf_listener_connection_cap{listener="ingress"} %d`, capIngress),
		fmt.Sprintf(`wharf_listener_connections{listener="ingress"} %d`, capIngress),
		"wharf_process_fd_limit 1024",
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("dashboard /metrics lacks %q", want)
		}
	}

	c := a.client(t)
	marker := fmt.Sprintf("flood-%d", time.Now().UnixNano())
	job := rawJob(t, "flood", marker, `while true; do sleep 1; done`, "")
	if out, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
		t.Fatalf("job run under the flood: %d\n%s", code, out)
	}
	waitFor(t, 30*time.Second, "a task started under the flood", func() bool { return len(runningAllocs(t, c, "flood")) == 1 })

	for _, c := range flood {
		c.Close()
	}
	flood = nil
	waitFor(t, 20*time.Second, "the ingress serving after the flood", func() bool {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ingressAddr+"/", nil)
		req.Host = "nothing.minipot"
		cl := &http.Client{Timeout: 2 * time.Second}
		resp, err := cl.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNotFound
	})
	for _, bad := range []string{"too many open files", "panic:"} {
		if strings.Contains(a.out.String(), bad) {
			t.Errorf("agent log mentions %q:\n%s", bad, a.out)
		}
	}
	select {
	case <-a.done:
		t.Fatalf("agent exited: %v\n%s", a.err, a.out)
	default:
	}
}

// TestSilentConnectionsClosedOnEveryListener opens a connection that
// never sends a byte to each of a dev agent's HTTP listeners with
// limits.handshake_timeout = 1s: every one is closed within a few
// seconds.
func TestSilentConnectionsClosedOnEveryListener(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(cfg, []byte("limits {\n  handshake_timeout = \"1s\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-config", cfg)
	for _, name := range []string{"HTTP API", "Registry", "Consul API", "Ingress", "Dashboard"} {
		m := regexp.MustCompile(regexp.QuoteMeta(name) + `: http://(\S+)`).FindStringSubmatch(a.out.String())
		if m == nil {
			t.Fatalf("the agent did not print its %s address:\n%s", name, a.out)
		}
		c, err := net.Dial("tcp", m[1])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
			t.Errorf("%s: a connection that sent nothing is still open after 5 s (handshake_timeout 1s): %v", name, err)
		}
	}
}

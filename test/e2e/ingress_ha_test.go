package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startIngressAgent runs an ingress-only agent that follows the catalog of
// the agent at api, with its entry point and dashboard on free ports. Its
// first server is an address nothing listens on: it must fail over to
// the second.
func startIngressAgent(t *testing.T, api string) (ingress, dash string) {
	t.Helper()
	ip, dp, dead := freePort(t), freePort(t), freePort(t)
	cfg := filepath.Join(t.TempDir(), "ingress.hcl")
	hcl := fmt.Sprintf("ingress {\n  enabled = true\n  port = %d\n  dashboard_port = %d\n  domain = \"minipot\"\n  exposed_by_default = true\n  servers = [\"127.0.0.1:%d\", %q]\n}\n",
		ip, dp, dead, strings.TrimPrefix(api, "http://"))
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	dash = "127.0.0.1:" + strconv.Itoa(dp)
	a := &agentProc{cmd: exec.Command(wharfBin, "agent", "-config", cfg, "-bind", "127.0.0.1"), out: &syncBuffer{},
		done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(a.shutdown)
	waitFor(t, 30*time.Second, "the ingress agent's dashboard", func() bool {
		var overview map[string]any
		return dashGet(dash, "/api/overview", &overview) == nil
	})
	return "127.0.0.1:" + strconv.Itoa(ip), dash
}

// TestIngressPairRoutesAlike runs the seed's HA pair: a second,
// ingress-only agent follows the same catalog on its own and routes
// exactly as the dev agent's ingress; a service whose instances are all
// critical answers 503 on both.
func TestIngressPairRoutesAlike(t *testing.T) {
	ingressPort, dashPort := freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort), "-dashboard-port", strconv.Itoa(dashPort))
	first, firstDash := "127.0.0.1:"+strconv.Itoa(ingressPort), "127.0.0.1:"+strconv.Itoa(dashPort)
	second, secondDash := startIngressAgent(t, a.addr)
	if out, code := run(t, a.addr, "job", "run", "-detach", ingressJob(t, "hello", "hello", 2, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	for _, dash := range []string{firstDash, secondDash} {
		waitFor(t, 60*time.Second, "two passing hello servers on "+dash, func() bool { return upServers(dash, "hello") == 2 })
	}
	c := &http.Client{Timeout: 10 * time.Second}
	for _, ingress := range []string{first, second} {
		seen := map[string]int{}
		for range 10 {
			code, body := ingressGet(t, c, ingress, "hello.minipot")
			if code != http.StatusOK {
				t.Fatalf("%s: %d %q", ingress, code, body)
			}
			seen[body]++
		}
		if len(seen) != 2 {
			t.Errorf("ingress %s did not balance over both instances: %v", ingress, seen)
		}
	}

	// A service whose only instance never passes its check: 503, not 404.
	job := ingressJob(t, "down", "down", 1, "")
	src, _ := os.ReadFile(job)
	broken := strings.Replace(string(src), "exec busybox httpd -f -p 127.0.0.1:$NOMAD_PORT_http -h local", "exec sleep 1000", 1)
	if err := os.WriteFile(job, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, a.addr, "job", "run", "-detach", job); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	for _, ingress := range []string{first, second} {
		waitFor(t, 60*time.Second, "503 for the all-critical service on "+ingress, func() bool {
			code, _ := ingressGet(t, c, ingress, "down.minipot")
			return code == http.StatusServiceUnavailable
		})
	}
}

// TestIngressEntryPointLimits: the agent's entry point cuts a client that
// sends its headers too slowly and refuses oversized headers.
func TestIngressEntryPointLimits(t *testing.T) {
	ingressPort := freePort(t)
	startAgent(t, "-dev", "-ingress-port", strconv.Itoa(ingressPort))
	addr := "127.0.0.1:" + strconv.Itoa(ingressPort)

	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = "x.minipot"
	req.Header.Set("X-Big", strings.Repeat("a", 2<<20))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("oversized header: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized header: %d, want 431", res.StatusCode)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = bufio.NewReader(conn).ReadString(0)
	}()
	line := "GET / HTTP/1.1\r\nHost: x.minipot\r\nX-Slow: "
	for i := 0; ; i++ {
		select {
		case <-closed:
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("a slowloris client was cut after %s", d)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{line[i%len(line)]}); err != nil {
			return // cut
		}
		if time.Since(start) > 40*time.Second {
			t.Fatal("a client sending one header byte every 200 ms was never cut")
		}
	}
}

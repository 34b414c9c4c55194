package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// needHaproxy returns haproxy's path; without it the test fails when CI
// is set (CI installs Debian's haproxy) and skips elsewhere.
func needHaproxy(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("haproxy")
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatal("haproxy is not installed (apt-get install haproxy)")
	}
	t.Skip("haproxy is not installed (apt-get install haproxy)")
	return ""
}

// letterBackend is an HTTP server on loopback that answers letter.
func letterBackend(t *testing.T, letter string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, letter)
	}))
	t.Cleanup(s.Close)
	return s
}

// backendReg registers srv as instance id of service hello, passing.
func backendReg(t *testing.T, id string, srv *httptest.Server) *structs.ServiceRegistration {
	t.Helper()
	port, err := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	return e2eReg(id, "hello", "e2e-template-node", "127.0.0.1", port, structs.HealthPassing)
}

// templateProc is a running `wharf template`.
type templateProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func startTemplate(t *testing.T, addr string, env []string, args ...string) *templateProc {
	t.Helper()
	p := &templateProc{cmd: exec.Command(wharfBin, append([]string{"template"}, args...)...),
		out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(append(os.Environ(), "WHARF_ADDR="+addr), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

// stop sends SIGTERM and checks the watcher exits 0.
func (p *templateProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Errorf("wharf template exited with %v:\n%s", err, p.out)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("wharf template did not stop on SIGTERM:\n%s", p.out)
	}
}

// killMatching kills the processes whose command line holds marker (a
// temp dir of this test) and waits until they are gone.
func killMatching(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := pidsMatching(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes left running: %v", pids)
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pidsMatching lists the live (not zombie) processes whose command line
// holds marker.
func pidsMatching(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(marker)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && bytes.Contains(stat, []byte(") Z ")) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// getHost sends one request with Host host, on a fresh connection.
func getHost(url, host string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestTemplateDrivesHaproxy renders the example haproxy template from a
// dev agent's catalog with the real binary, runs Debian's haproxy with it,
// and follows a deregistration through a re-render and a reload.
func TestTemplateDrivesHaproxy(t *testing.T) {
	needHaproxy(t)
	a := startAgent(t, "-dev")
	c := a.client(t)
	backA, backB := letterBackend(t, "A"), letterBackend(t, "B")
	if err := c.Services().Register([]*structs.ServiceRegistration{
		backendReg(t, "hello-a", backA), backendReg(t, "hello-b", backB)}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	t.Cleanup(func() { killMatching(t, dir) })
	cfg, pidFile := filepath.Join(dir, "haproxy.cfg"), filepath.Join(dir, "haproxy.pid")
	port := freePort(t)
	src, err := filepath.Abs("../../examples/templates/haproxy.cfg.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	reload := fmt.Sprintf("haproxy -D -p %[1]s -f %[2]s -sf $(cat %[1]s 2>/dev/null)", pidFile, cfg)
	p := startTemplate(t, a.addr, []string{fmt.Sprintf("HAPROXY_BIND=127.0.0.1:%d", port)},
		"-template", src+":"+cfg+":"+reload)

	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	seen := map[string]bool{}
	waitFor(t, 30*time.Second, "haproxy to route hello.minipot to A and B", func() bool {
		if code, body, err := getHost(url, "hello.minipot"); err == nil && code == 200 {
			seen[body] = true
		}
		return seen["A"] && seen["B"]
	})
	if code, body, err := getHost(url, "nope.minipot"); err != nil || code != 404 {
		t.Errorf("unknown host: %d %q %v", code, body, err)
	}
	rendered, _ := os.ReadFile(cfg)
	for _, want := range []string{"hdr(host) -i hello.minipot", "server hello-a 127.0.0.1:", "server hello-b 127.0.0.1:"} {
		if !bytes.Contains(rendered, []byte(want)) {
			t.Errorf("config lacks %q:\n%s", want, rendered)
		}
	}
	firstPID, _ := os.ReadFile(pidFile)

	if err := c.Services().Deregister([]string{"hello-a"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "config without hello-a", func() bool {
		b, _ := os.ReadFile(cfg)
		return !bytes.Contains(b, []byte("hello-a")) && bytes.Contains(b, []byte("hello-b"))
	})
	waitFor(t, 15*time.Second, "haproxy reloaded", func() bool {
		pid, _ := os.ReadFile(pidFile)
		return len(pid) > 0 && !bytes.Equal(pid, firstPID)
	})
	waitFor(t, 15*time.Second, "only B to answer", func() bool {
		for range 10 {
			if code, body, err := getHost(url, "hello.minipot"); err != nil || code != 200 || body != "B" {
				return false
			}
		}
		return true
	})

	p.stop(t)
	log := p.out.String()
	t.Logf("wharf template log:\n%s", log)
	for _, want := range []string{"rendered", "command ran"} {
		if !strings.Contains(log, want) {
			t.Errorf("wharf template log lacks %q:\n%s", want, log)
		}
	}
}

//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
)

// agent is a running `wharf agent -dev`.
type agent struct {
	cmd     *exec.Cmd
	out     *benchrun.SyncBuffer
	api     string
	ingress string
	done    chan struct{}
}

// startAgent starts a dev agent named name under root with jails off and
// the extra configuration, and waits for its API.
func startAgent(ctx context.Context, bin, root, name, extra string) (*agent, error) {
	ports, err := benchrun.FreePorts(6)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "agent.hcl")
	text := "client {\n  pot {\n    disabled = true\n  }\n}\n" + extra
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		return nil, err
	}
	a := &agent{out: &benchrun.SyncBuffer{}, done: make(chan struct{}),
		api: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), ingress: fmt.Sprintf("127.0.0.1:%d", ports[1])}
	a.cmd = exec.Command(bin, "agent", "-dev", "-config", cfg, "-data-dir", filepath.Join(dir, "data"), "-bind", "127.0.0.1",
		"-http-port", strconv.Itoa(ports[0]), "-ingress-port", strconv.Itoa(ports[1]), "-dashboard-port", strconv.Itoa(ports[2]),
		"-consul-port", strconv.Itoa(ports[3]), "-dns-port", strconv.Itoa(ports[4]), "-registry-port", strconv.Itoa(ports[5]))
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = a.cmd.Wait(); close(a.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(a.api + "/v1/status/leader"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return a, nil
			}
		}
		select {
		case <-a.done:
			return nil, fmt.Errorf("agent %s exited:\n%s", name, benchrun.Tail(a.out.String(), 20))
		case <-ctx.Done():
			a.kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			a.kill()
			return nil, fmt.Errorf("agent %s not up in 60 s:\n%s", name, benchrun.Tail(a.out.String(), 20))
		}
	}
}

// kill ends the agent's process group.
func (a *agent) kill() {
	_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
	}
}

// alive reports an error if the agent exited.
func (a *agent) alive() error {
	select {
	case <-a.done:
		return fmt.Errorf("the agent exited under the flood:\n%s", benchrun.Tail(a.out.String(), 20))
	default:
		return nil
	}
}

// fds counts the agent's open descriptors.
func (a *agent) fds() int {
	names, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", a.cmd.Process.Pid))
	return len(names)
}

var budgetLine = regexp.MustCompile(`file descriptor budget" limit=(\d+) .*max_conns_api=(\d+) .*max_conns_ingress=(\d+)`)

// budget is the descriptor budget the agent logged.
func (a *agent) budget() string {
	m := budgetLine.FindStringSubmatch(a.out.String())
	if m == nil {
		return "budget not logged"
	}
	return fmt.Sprintf("descriptor limit %s, API cap %s, ingress cap %s", m[1], m[2], m[3])
}

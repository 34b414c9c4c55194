package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/internal/api"
)

// benchEnv is what one run of the command owns: the wharf binary, a
// temporary root for every data directory and job file, a nonce that
// marks every task's environment, and the agents started so far.
type benchEnv struct {
	bin    string
	root   string
	nonce  string
	mu     sync.Mutex
	agents []*agent
	seq    int
}

// agent is one wharf agent process in its own process group.
type agent struct {
	cmd    *exec.Cmd
	addr   string
	dir    string
	out    *benchrun.SyncBuffer
	done   chan struct{}
	nodeID string
}

// tempDir returns a new directory under the run's root.
func (e *benchEnv) tempDir(name string) (string, error) {
	e.mu.Lock()
	e.seq++
	n := e.seq
	e.mu.Unlock()
	dir := filepath.Join(e.root, fmt.Sprintf("%s-%d", name, n))
	return dir, os.MkdirAll(dir, 0o700)
}

// marker returns the MARKER value for tasks of the named part.
func (e *benchEnv) marker(part string) string { return e.nonce + "-" + part }

// startAgent runs `wharf agent ARGS -bind 127.0.0.1 -http-port P` with a
// fresh data directory named after name; args may use {dir} for it.
func (e *benchEnv) startAgent(name string, args ...string) (*agent, error) {
	dir, err := e.tempDir(name)
	if err != nil {
		return nil, err
	}
	port, err := benchrun.FreePort()
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if a == "{dir}" {
			args[i] = filepath.Join(dir, "data")
		}
	}
	full := append([]string{"agent"}, args...)
	full = append(full, "-bind", "127.0.0.1", "-http-port", strconv.Itoa(port))
	a := &agent{cmd: exec.Command(e.bin, full...), addr: fmt.Sprintf("http://127.0.0.1:%d", port),
		dir: dir, out: &benchrun.SyncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	// raw_exec keeps its supervisors' state under the temp dir: keep it
	// under the run's root so that it goes with it.
	tmp := filepath.Join(e.root, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	a.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start agent: %w", err)
	}
	go func() { _ = a.cmd.Wait(); close(a.done) }()
	e.mu.Lock()
	e.agents = append(e.agents, a)
	e.mu.Unlock()
	return a, nil
}

// pid is the agent's process ID.
func (a *agent) pid() int { return a.cmd.Process.Pid }

// kill sends SIGKILL to the agent alone (not its group) and waits for it.
func (a *agent) kill() {
	_ = a.cmd.Process.Kill()
	<-a.done
}

// killGroup sends SIGKILL to the agent's process group and waits for it.
func (a *agent) killGroup() {
	_ = syscall.Kill(-a.pid(), syscall.SIGKILL)
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
	}
}

func (a *agent) client() (*api.Client, error) {
	return api.NewClient(&api.Config{Address: a.addr})
}

var nodeLine = regexp.MustCompile(`Node: (\S+)`)

// waitReady waits until the agent answers with a leader (server) and,
// if wantNode, until its own client has printed "node registered"; it
// records the node ID the agent printed.
func (a *agent) waitReady(ctx context.Context, server, wantNode bool) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		if a.ready(server, wantNode) {
			if m := nodeLine.FindStringSubmatch(a.out.String()); m != nil {
				a.nodeID = m[1]
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.done:
			return fmt.Errorf("agent exited early:\n%s", a.out)
		case <-deadline:
			return fmt.Errorf("agent not ready after 60s:\n%s", a.out)
		case <-tick.C:
		}
	}
}

func (a *agent) ready(server, wantNode bool) bool {
	if wantNode && !bytes.Contains([]byte(a.out.String()), []byte("node registered")) {
		return false
	}
	if !server {
		return true
	}
	resp, err := http.Get(a.addr + "/v1/status/leader")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// cleanup kills every agent's process group, every task and supervisor
// this run started (found by the marker in a task's environment or the
// run's root in a process's command line), and removes the root.
func (e *benchEnv) cleanup() {
	e.mu.Lock()
	agents := e.agents
	e.mu.Unlock()
	for _, a := range agents {
		a.killGroup()
	}
	killLeftovers(e.nonce, e.root)
	if err := os.RemoveAll(e.root); err != nil {
		fmt.Fprintln(os.Stderr, "clientbench: remove temp dir:", err)
	}
}

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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/internal/api"
)

// The pot driver of the dev agent gets a jail network of its own, so
// that its start-up cleanup never touches another agent's jails.
const (
	potBridge  = "wcatb"
	potNetwork = "10.252.0.0/24"
	potTable   = "wharf_catb"
)

// benchEnv is what one run owns: the wharf binary, a temporary root, a
// nonce that marks every task's environment, the agent, the jobs it
// registered and any other process it started.
type benchEnv struct {
	bin   string
	root  string
	nonce string
	agent *agent
	api   *api.Client

	mu    sync.Mutex
	jobs  []string
	procs []*exec.Cmd
}

// agent is the dev agent process, in its own process group.
type agent struct {
	cmd    *exec.Cmd
	http   string // http://127.0.0.1:P
	consul string // 127.0.0.1:P
	dns    string // 127.0.0.1:P (TCP and UDP)
	out    *benchrun.SyncBuffer
	done   chan struct{}
	nodeID string
}

func (a *agent) pid() int { return a.cmd.Process.Pid }

// startAgent runs `wharf agent -dev` on free ports and waits until its
// node is registered and the server has a leader.
func (e *benchEnv) startAgent(ctx context.Context) error {
	ports, err := benchrun.FreePorts(4)
	if err != nil {
		return err
	}
	cfg := filepath.Join(e.root, "agent.hcl")
	hcl := fmt.Sprintf("client {\n  pot {\n    bridge = %q\n    network = %q\n    nft_table = %q\n  }\n}\n", potBridge, potNetwork, potTable)
	if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
		return fmt.Errorf("agent config: %w", err)
	}
	tmp := filepath.Join(e.root, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	args := []string{"agent", "-dev", "-config", cfg, "-data-dir", filepath.Join(e.root, "data"), "-bind", "127.0.0.1",
		"-http-port", strconv.Itoa(ports[0]), "-consul-port", strconv.Itoa(ports[1]),
		"-dns-port", strconv.Itoa(ports[2]), "-registry-port", strconv.Itoa(ports[3])}
	a := &agent{cmd: exec.Command(e.bin, args...), http: fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		consul: fmt.Sprintf("127.0.0.1:%d", ports[1]), dns: fmt.Sprintf("127.0.0.1:%d", ports[2]),
		out: &benchrun.SyncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	// raw_exec keeps its supervisors' state under the temp dir.
	a.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		return fmt.Errorf("start agent: %w", err)
	}
	go func() { _ = a.cmd.Wait(); close(a.done) }()
	e.agent = a
	c, err := api.NewClient(&api.Config{Address: a.http})
	if err != nil {
		return err
	}
	e.api = c
	return a.waitReady(ctx)
}

var nodeLine = regexp.MustCompile(`Node: (\S+)`)

func (a *agent) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		if strings.Contains(a.out.String(), "node registered") && a.hasLeader() {
			if m := nodeLine.FindStringSubmatch(a.out.String()); m != nil {
				a.nodeID = m[1]
				return nil
			}
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

func (a *agent) hasLeader() bool {
	resp, err := http.Get(a.http + "/v1/status/leader")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// addJob records a job to stop on cleanup.
func (e *benchEnv) addJob(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.jobs = append(e.jobs, id)
}

// addProc records a helper process (dnsmasq) to kill on cleanup.
func (e *benchEnv) addProc(c *exec.Cmd) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.procs = append(e.procs, c)
}

// stopJobs stops and purges every job registered, and waits until their
// tasks are gone.
func (e *benchEnv) stopJobs() error {
	e.mu.Lock()
	jobs := e.jobs
	e.jobs = nil
	e.mu.Unlock()
	for _, id := range jobs {
		if _, err := e.api.Jobs().Deregister(id, true); err != nil {
			return fmt.Errorf("stop job %s: %w", id, err)
		}
	}
	if len(jobs) > 0 && !waitGone(e.nonce, 60*time.Second) {
		return fmt.Errorf("tasks still running 60s after their jobs were stopped")
	}
	return nil
}

// stopAgent stops the jobs, then the agent with SIGINT, and waits for it.
func (e *benchEnv) stopAgent() error {
	if e.agent == nil {
		return nil
	}
	jobErr := e.stopJobs()
	_ = e.agent.cmd.Process.Signal(os.Interrupt)
	select {
	case <-e.agent.done:
	case <-time.After(20 * time.Second):
		return fmt.Errorf("agent still running 20s after SIGINT")
	}
	return jobErr
}

// cleanup stops what is still running, removes the pot driver's private
// network if the agent left it, and removes the temporary root.
func (e *benchEnv) cleanup() {
	for _, p := range e.procs {
		if p.Process != nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	if e.agent != nil {
		select {
		case <-e.agent.done:
		default:
			if err := e.stopAgent(); err != nil {
				fmt.Fprintln(os.Stderr, "catalogbench: stop:", err)
			}
			_ = syscall.Kill(-e.agent.pid(), syscall.SIGKILL)
		}
	}
	killLeftovers(e.nonce, e.root)
	benchrun.RemovePotNetwork("catalogbench", potBridge, potTable)
	if err := os.RemoveAll(e.root); err != nil {
		fmt.Fprintln(os.Stderr, "catalogbench: remove temp dir:", err)
	}
}

package harness

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/testkit/testutil"
)

// HTTPPort is the API port of every agent (each has its own address).
const HTTPPort = 4646

// Agent is one wharf agent of the cluster, in its own network namespace.
type Agent struct {
	// Name is the agent's name ("s1", "c2"): its node name for a client
	// and its etcd member name for a server.
	Name string
	// Netns is the name of its network namespace (under /var/run/netns).
	Netns string
	// IP is its address on the test bridge.
	IP net.IP
	// Server reports whether the agent holds the server role.
	Server bool
	// DataDir is its data directory, kept across Restart.
	DataDir string

	c      *Cluster
	config string // path of its HCL file
	out    testutil.Buffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// HTTPAddr is the agent's API URL, "http://IP:4646".
func (a *Agent) HTTPAddr() string {
	return fmt.Sprintf("http://%s", net.JoinHostPort(a.IP.String(), fmt.Sprint(HTTPPort)))
}

// Addr is the agent's API address as servers advertise it, "IP:4646".
func (a *Agent) Addr() string { return net.JoinHostPort(a.IP.String(), fmt.Sprint(HTTPPort)) }

// API returns wharf's API client for this agent (with the cluster's
// management token when ACLs are on).
func (a *Agent) API() *api.Client {
	c, err := api.NewClient(&api.Config{Address: a.HTTPAddr(), Token: a.c.Token,
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		a.c.t.Fatalf("harness: API client for %s: %v", a.Name, err)
	}
	return c
}

// NomadAPI returns Nomad's official API client for this agent.
func (a *Agent) NomadAPI() *nomadapi.Client {
	cfg := nomadapi.DefaultConfig()
	cfg.Address, cfg.SecretID = a.HTTPAddr(), a.c.Token
	cfg.HttpClient = &http.Client{Timeout: 30 * time.Second}
	c, err := nomadapi.NewClient(cfg)
	if err != nil {
		a.c.t.Fatalf("harness: Nomad API client for %s: %v", a.Name, err)
	}
	return c
}

// Log returns the agent's combined output so far, across restarts.
func (a *Agent) Log() string { return a.out.String() }

// Running reports whether the agent's process runs (a stopped one runs).
func (a *Agent) Running() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == nil {
		return false
	}
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// start runs the agent's process inside its namespace.
func (a *Agent) start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(&a.out, "==== harness: starting %s at %s\n", a.Name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(a.c.bin, "agent", "-config", a.config)
	cmd.Stdout, cmd.Stderr = &a.out, &a.out
	cmd.Env = append(os.Environ(), "WHARF_ADDR="+a.HTTPAddr())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := inNetns(a.Netns, cmd.Start); err != nil {
		return fmt.Errorf("harness: start %s: %w", a.Name, err)
	}
	done := make(chan struct{})
	a.cmd, a.done = cmd, done
	go func() { err := cmd.Wait(); a.mu.Lock(); a.err = err; a.mu.Unlock(); close(done) }()
	return nil
}

// signal sends sig to the agent's process.
func (a *Agent) signal(sig syscall.Signal) {
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
	default:
		_ = cmd.Process.Signal(sig)
	}
}

// Kill ends the agent's process with SIGKILL, as a crash would, and waits
// for it to be gone. Its task supervisors keep running, as they would.
func (a *Agent) Kill() {
	a.signal(syscall.SIGCONT) // a frozen process dies only once it runs
	a.signal(syscall.SIGKILL)
	a.wait()
	fmt.Fprintf(&a.out, "==== harness: killed %s at %s\n", a.Name, time.Now().Format(time.RFC3339Nano))
}

// Stop freezes the agent's process (SIGSTOP): it holds its sockets and
// answers nothing, as a machine that hangs.
func (a *Agent) Stop() { a.signal(syscall.SIGSTOP) }

// Cont lets a frozen agent run again (SIGCONT).
func (a *Agent) Cont() { a.signal(syscall.SIGCONT) }

// Interrupt stops the agent like Ctrl-C and waits up to 30 s for it to
// exit, then kills it.
func (a *Agent) Interrupt() {
	a.signal(syscall.SIGCONT)
	a.signal(syscall.SIGINT)
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		a.Kill()
	}
}

// Restart kills the agent if it runs and starts it again with the same
// data dir and address; it returns once its API answers (a server: once
// it knows a leader; a client: once its node is ready again).
func (a *Agent) Restart() {
	a.c.t.Helper()
	if a.Running() {
		a.Kill()
	}
	if err := a.start(); err != nil {
		a.c.t.Fatal(err)
	}
	a.c.waitUp(a.c.t, a)
}

// Start starts an agent that was killed or interrupted, without waiting
// for it to be up (see Restart).
func (a *Agent) Start() {
	a.c.t.Helper()
	if a.Running() {
		return
	}
	if err := a.start(); err != nil {
		a.c.t.Fatal(err)
	}
}

func (a *Agent) wait() {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Partition drops every packet between this agent and others (every
// other agent of the cluster when none are named), both ways, with
// nftables rules in this agent's namespace. The test process (on the
// bridge's own address) still reaches it. A second call replaces the
// first.
func (a *Agent) Partition(others ...*Agent) {
	a.c.t.Helper()
	if len(others) == 0 {
		for _, o := range a.c.All() {
			if o != a {
				others = append(others, o)
			}
		}
	}
	ips := make([]net.IP, 0, len(others))
	for _, o := range others {
		ips = append(ips, o.IP)
	}
	if err := partition(a.Netns, ips); err != nil {
		a.c.t.Fatal(err)
	}
	fmt.Fprintf(&a.out, "==== harness: partitioned %s from %d agents at %s\n", a.Name, len(ips), time.Now().Format(time.RFC3339Nano))
}

// Heal removes this agent's partition rules.
func (a *Agent) Heal() {
	a.c.t.Helper()
	if err := heal(a.Netns); err != nil {
		a.c.t.Fatal(err)
	}
	fmt.Fprintf(&a.out, "==== harness: healed %s at %s\n", a.Name, time.Now().Format(time.RFC3339Nano))
}

// writeConfig writes the agent's HCL file into its data dir's parent.
func (a *Agent) writeConfig(body string) error {
	a.config = filepath.Join(filepath.Dir(a.DataDir), a.Name+".hcl")
	return os.WriteFile(a.config, []byte(body), 0o600)
}

//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/bench/internal/procfs"
)

// env is what one run owns: a temporary root, a nonce in the environment
// of every process it starts, the processes, and the backends' ports.
type env struct {
	root     string
	nonce    string
	self     string
	backends []int
	// backend is the process (group) serving the backends.
	backend *proc
	// wharfEnv is added to the wharf proxy's environment (-wharf-env).
	wharfEnv []string
	// cert, key and pem (both in one file) are the certificate every
	// proxy terminates TLS with (-tls), "" for plain HTTP.
	cert, key, pem string

	mu    sync.Mutex
	procs []*proc
}

// proc is a process the run started, in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *benchrun.SyncBuffer
	done chan struct{}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// start runs name with args in its own process group, marked with the
// run's nonce, output captured; extra is added to the environment.
func (e *env) start(name string, extra []string, bin string, args ...string) (*proc, error) {
	p := &proc{name: name, cmd: exec.Command(bin, args...), out: &benchrun.SyncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(append(os.Environ(), "MARKER="+e.nonce), extra...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p, nil
}

// stop ends p's process group with SIGTERM, then SIGKILL after 5 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

// waitListening waits until addr accepts TCP connections, p is alive.
func waitListening(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("%s exited early:\n%s", p.name, benchrun.Tail(p.out.String(), 20))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %s after 30s:\n%s", p.name, addr, benchrun.Tail(p.out.String(), 20))
		}
	}
}

// cleanup stops every process the run started (last first), kills any
// left with the nonce, and removes the temporary root.
func (e *env) cleanup() {
	e.mu.Lock()
	procs := e.procs
	e.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop()
	}
	for _, pid := range procfs.PIDsWhere("environ", "MARKER="+e.nonce) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if err := os.RemoveAll(e.root); err != nil {
		fmt.Fprintln(os.Stderr, "ingressbench: remove temp dir:", err)
	}
}

// freePorts returns n distinct ports free on 127.0.0.1 (TCP and UDP,
// for the agent's DNS).

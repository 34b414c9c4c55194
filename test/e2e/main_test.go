// Package e2e runs the real wharf binary and CLI: agents on random ports
// with temp data dirs, driven by the CLI, wharf's API client and Nomad's
// official Go client.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/testkit/testutil"
)

// wharfBin is the binary under test, built once by TestMain.
var wharfBin string

func TestMain(m *testing.M) {
	dir, bin, err := testutil.BuildWharf()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wharfBin = bin
	code := m.Run()
	// Agents stopped with a kept data dir, or killed, leave their tasks
	// running by design: stop what the tests left before the binary goes.
	for _, p := range testutil.StopLeftoverTasks(wharfBin) {
		fmt.Fprintln(os.Stderr, "e2e: stopped a task supervisor the tests left running:", p)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output safely.
type syncBuffer = testutil.Buffer

// freePort returns a loopback port for an agent's listener.
func freePort(t testing.TB) int {
	t.Helper()
	return testutil.FreePort(t)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, d, what, cond)
}

// agentProc is a running `wharf agent`.
type agentProc struct {
	cmd    *exec.Cmd
	addr   string // http://127.0.0.1:port
	out    *syncBuffer
	done   chan struct{}
	err    error
	stopMu sync.Mutex
}

// startAgent runs `wharf agent args... -http-port P` and waits until it
// has a leader. The agent is stopped when the test ends.
func startAgent(t *testing.T, args ...string) *agentProc {
	t.Helper()
	port := freePort(t)
	if i := slices.Index(args, "-http-port"); i >= 0 && i+1 < len(args) {
		port, _ = strconv.Atoi(args[i+1])
	} else {
		args = append(args, "-http-port", strconv.Itoa(port))
	}
	// A -dev agent listens on every role's port: give each one it was not
	// given a free port, so tests running at once never collide.
	if slices.Contains(args, "-dev") {
		for _, flag := range []string{"-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
			if !slices.Contains(args, flag) {
				args = append(args, flag, strconv.Itoa(freePort(t)))
			}
		}
	}
	// ACLs are on by default outside -dev; tests where they are not the
	// point turn them off (the ACL tests pass -acl-enabled themselves).
	if !slices.Contains(args, "-dev") && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-acl-enabled") }) {
		args = append(args, "-acl-enabled=false")
	}
	if !slices.Contains(args, "-bind") {
		args = append(args, "-bind", "127.0.0.1")
	}
	args = append([]string{"agent"}, args...)
	a := &agentProc{cmd: exec.Command(wharfBin, args...), addr: fmt.Sprintf("http://127.0.0.1:%d", port),
		out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(a.shutdown)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(a.addr + "/v1/status/leader")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && (!slices.Contains(args, "-dev") || a.hasReadyNode()) {
				return a
			}
		}
		select {
		case <-a.done:
			t.Fatalf("agent exited early: %v\n%s", a.err, a.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not elect a leader in time:\n%s", a.out)
		}
	}
}

// hasReadyNode reports whether a node has registered and is ready (the
// dev agent's own client registers in the background).
func (a *agentProc) hasReadyNode() bool {
	resp, err := http.Get(a.addr + "/v1/nodes")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var nodes []struct{ Status string }
	if json.NewDecoder(resp.Body).Decode(&nodes) != nil {
		return false
	}
	for _, n := range nodes {
		if n.Status == "ready" {
			return true
		}
	}
	return false
}

// stop interrupts the agent like Ctrl-C and checks it exits cleanly.
func (a *agentProc) stop(t *testing.T) {
	t.Helper()
	_ = a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.kill()
		t.Fatalf("agent did not stop on SIGINT:\n%s", a.out)
	}
	if a.err != nil {
		t.Fatalf("agent exited with %v:\n%s", a.err, a.out)
	}
}

// shutdown stops the agent like Ctrl-C (so a -dev agent removes its data
// dir and its tasks), and kills its process group if it does not stop.
func (a *agentProc) shutdown() { testutil.Interrupt(a.cmd, a.done, 20*time.Second) }

// kill ends the agent's whole process group.
func (a *agentProc) kill() { testutil.Kill(a.cmd, a.done) }

func (a *agentProc) client(t *testing.T) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs the wharf CLI against addr and returns its output and exit code.
func run(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wharfBin, args...)
	cmd.Env = append(os.Environ(), "WHARF_ADDR="+addr)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run wharf %v: %v", args, err)
	}
	return string(out), code
}

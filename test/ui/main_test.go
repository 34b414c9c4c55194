// Package ui_test drives wharf's web UI in a real headless Chromium
// (Debian's chromium, through chromedp): it builds the wharf binary, runs
// `wharf agent -dev` on free ports and clicks through the pages like a
// user. Screenshots of each page go to $WHARF_UI_ARTIFACTS, or to a test
// temp dir. Without chromium the tests skip, except when CI is set, where
// they fail.
//
// The package drives the binary and a browser from outside; it must never
// import wharf's internal packages, except the pot driver and netjail to
// clean up after the jail test.
package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/testkit/testutil"
)

// wharfBin is the binary under test, built once by TestMain.
var wharfBin string

// TestMain builds the binary, or takes $WHARF_BIN when set (a binary
// built from this tree), and runs the tests.
func TestMain(m *testing.M) {
	dir := ""
	wharfBin = os.Getenv("WHARF_BIN")
	if wharfBin == "" {
		var err error
		if dir, wharfBin, err = testutil.BuildWharf(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	stopBrowser()
	for _, p := range testutil.StopLeftoverTasks(wharfBin) {
		fmt.Fprintln(os.Stderr, "ui: stopped a task supervisor the tests left running:", p)
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
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

// agentProc is a running `wharf agent -dev`.
type agentProc struct {
	cmd  *exec.Cmd
	addr string // http://127.0.0.1:port
	out  *syncBuffer
	done chan struct{}
	err  error
}

// startDevAgent runs `wharf agent -dev` (plus extra flags) with every
// listener on a free loopback port and waits until its node is ready. The
// agent is stopped when the test ends.
func startDevAgent(t testing.TB, extra ...string) *agentProc {
	t.Helper()
	port := freePort(t)
	args := append([]string{"agent", "-dev", "-bind", "127.0.0.1", "-http-port", strconv.Itoa(port)}, extra...)
	for _, flag := range []string{"-registry-port", "-consul-port", "-dns-port", "-ingress-port", "-dashboard-port"} {
		args = append(args, flag, strconv.Itoa(freePort(t)))
	}
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
	for !a.hasReadyNode() {
		select {
		case <-a.done:
			t.Fatalf("agent exited early: %v\n%s", a.err, a.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not get a ready node in time:\n%s", a.out)
		}
	}
	return a
}

// hasReadyNode reports whether the dev agent's own client is ready.
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

// shutdown stops the agent like Ctrl-C (so a -dev agent removes its data
// dir and its tasks), and kills its process group if it does not stop.
func (a *agentProc) shutdown() { testutil.Interrupt(a.cmd, a.done, 20*time.Second) }

// kill ends the agent's whole process group at once.
func (a *agentProc) kill() { testutil.Kill(a.cmd, a.done) }

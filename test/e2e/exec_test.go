package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestAllocExec runs commands in a raw_exec task of the dev agent: through
// the wharf CLI (output, task environment, exit code), and as a terminal
// session through Nomad's official client, whose size changes reach the
// command.
func TestAllocExec(t *testing.T) {
	a := startAgent(t, "-dev")
	c := a.client(t)
	marker := fmt.Sprintf("exec-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	if out, code := run(t, a.addr, "job", "run", rawJob(t, "ex", marker, `while true; do sleep 1; done`, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "a running allocation", func() bool { return len(runningAllocs(t, c, "ex")) == 1 })
	alloc := runningAllocs(t, c, "ex")[0]

	out, code := run(t, a.addr, "alloc", "exec", alloc.ID[:8], "/bin/sh", "-c", `echo hello-$((6*7)) $MARKER; pwd; exit 3`)
	if code != 3 || !strings.Contains(out, "hello-42 "+marker) {
		t.Errorf("wharf alloc exec: exit %d, output %q; want 3 and hello-42 %s", code, out, marker)
	}
	if !strings.Contains(out, filepath.Join(alloc.ID, "t")) {
		t.Errorf("the command did not run in the task directory: %q", out)
	}
	out, code = run(t, a.addr, "alloc", "exec", "-task", "nosuch", alloc.ID[:8], "true")
	if code != 1 || !strings.Contains(out, `no task "nosuch"`) {
		t.Errorf("unknown task: exit %d, output %q", code, out)
	}

	nomadTTYSession(t, a.addr, alloc.ID)

	if out, code := run(t, a.addr, "job", "stop", "ex"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "no task or exec process left", func() bool { return len(markerPIDs(marker)) == 0 })
}

// nomadTTYSession opens a shell on a terminal with Nomad's client, checks
// the terminal's size follows tty_size frames, and exits it with 4.
func nomadTTYSession(t *testing.T, addr, allocID string) {
	t.Helper()
	nc, err := nomad.NewClient(&nomad.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	nalloc, _, err := nc.Allocations().Info(allocID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	sizes := make(chan nomad.TerminalSize, 1)
	out := &syncBuffer{}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := nc.Allocations().Exec(ctx, nalloc, "t", true, []string{"/bin/sh"}, stdinR, out, out, sizes, nil)
		done <- result{code, err}
	}()
	for _, size := range []nomad.TerminalSize{{Height: 31, Width: 97}, {Height: 45, Width: 120}} {
		sizes <- size
		want := fmt.Sprintf("%d %d", size.Height, size.Width)
		waitFor(t, 20*time.Second, "stty size to print "+want, func() bool {
			select {
			case r := <-done:
				t.Fatalf("session ended early: %d, %v\n%s", r.code, r.err, out)
			default:
			}
			_, _ = io.WriteString(stdinW, "stty size\n")
			time.Sleep(50 * time.Millisecond)
			return strings.Contains(out.String(), want)
		})
	}
	_, _ = io.WriteString(stdinW, "exit 4\n")
	select {
	case r := <-done:
		if r.err != nil || r.code != 4 {
			t.Errorf("nomad Exec: %d, %v; want 4\n%s", r.code, r.err, out)
		}
	case <-ctx.Done():
		t.Fatalf("the terminal session did not end:\n%s", out)
	}
}

// TestAllocExecThroughServer runs `wharf alloc exec` against a server
// agent whose allocation runs on a separate client agent: the server
// proxies the websocket to the node.
func TestAllocExecThroughServer(t *testing.T) {
	srv := startAgent(t, "-config", serverConfig(t, "5s"))
	server := strings.TrimPrefix(srv.addr, "http://")
	cfg := filepath.Join(t.TempDir(), "client.hcl")
	body := `datacenter = "minipot"
data_dir = "` + t.TempDir() + `"
client {
  enabled = true
  servers = ["` + server + `"]
  network_interface = "lo"
  options = { "driver.raw_exec.enable" = "1" }
}
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	startClientAgent(t, cfg)
	c := srv.client(t)
	marker := fmt.Sprintf("exec-proxy-%d", time.Now().UnixNano())
	t.Cleanup(func() { killMarked(marker) })
	if out, code := run(t, srv.addr, "job", "run", rawJob(t, "exp", marker, `while true; do sleep 1; done`, "")); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	waitFor(t, 20*time.Second, "a running allocation", func() bool { return len(runningAllocs(t, c, "exp")) == 1 })
	alloc := runningAllocs(t, c, "exp")[0]
	out, code := run(t, srv.addr, "alloc", "exec", alloc.ID[:8], "t", "/bin/sh", "-c", `echo via-proxy-$((2+3)); exit 5`)
	if code != 5 || !strings.Contains(out, "via-proxy-5") {
		t.Errorf("exec through the server: exit %d, output %q", code, out)
	}
	if out, code := run(t, srv.addr, "job", "stop", "exp"); code != 0 {
		t.Fatalf("stop: %d\n%s", code, out)
	}
	waitFor(t, 15*time.Second, "no task or exec process left", func() bool { return len(markerPIDs(marker)) == 0 })
}

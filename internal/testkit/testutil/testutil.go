// Package testutil holds what the end-to-end and browser tests share when
// they drive the real wharf binary: building it, free loopback ports, a
// goroutine-safe output buffer, waiting for a condition, and stopping a
// process group.
//
// testutil must only be imported by tests; it must never import
// internal/client, internal/server or internal/state.
package testutil

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer collects a process's output safely.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// handedOut holds the ports FreePort has returned.
var handedOut sync.Map

// FreePort returns a loopback port nobody listens on right now, below the
// kernel's ephemeral range (32768-60999 by default) and the scheduler's
// dynamic ports (20000-32000), so that an outgoing connection does not
// take it before the agent binds it; never the same port twice in one
// test process.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 1000 {
		port := 10000 + rand.IntN(10000)
		if _, taken := handedOut.LoadOrStore(port, true); taken {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port in 10000-19999")
	return 0
}

// WaitFor polls cond until it holds or d passes.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BuildWharf builds ../../cmd/wharf (the tests' packages sit two levels
// below the repository root) into a new temp dir, which it returns with
// the binary's path; the caller removes the dir.
func BuildWharf() (dir, bin string, err error) {
	dir, err = os.MkdirTemp("", "wharf-test-")
	if err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "wharf")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/wharf")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("build wharf: %w", err)
	}
	return dir, bin, nil
}

// Interrupt stops a process started in its own process group like Ctrl-C
// (a -dev agent then removes its data dir and tasks), and kills the whole
// group if it has not exited (done closed) after grace.
func Interrupt(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(grace):
		Kill(cmd, done)
	}
}

// Kill ends the process group of cmd at once and waits for done.
func Kill(cmd *exec.Cmd, done <-chan struct{}) {
	select {
	case <-done:
	default:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

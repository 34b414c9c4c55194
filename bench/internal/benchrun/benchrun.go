// Package benchrun holds what every benchmark command needs around the
// measurement itself: a context bounded by the run's timeout and stopped
// by an interrupt, a temporary root, the wharf binary's path, free
// loopback ports, captured process output, and the removal of a private
// jail network an agent may leave behind.
package benchrun

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Start returns a context that ends after timeout or on SIGINT/SIGTERM,
// and a new temporary directory named after prog. stop releases the
// context; the caller removes the directory.
func Start(prog string, timeout time.Duration) (ctx context.Context, stop func(), root string, err error) {
	root, err = os.MkdirTemp("", prog+"-")
	if err != nil {
		return nil, nil, "", fmt.Errorf("temp dir: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	ctx, unsignal := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	return ctx, func() { unsignal(); cancel() }, root, nil
}

// Wharf returns the absolute path of the wharf binary at path, or an
// error that says how to build it.
func Wharf(path string) (string, error) {
	bin, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("wharf binary: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("wharf binary: %w (build it with go build -o bin/wharf ./cmd/wharf)", err)
	}
	return bin, nil
}

// FreePorts returns n distinct ports free on 127.0.0.1 for TCP and UDP
// alike (an agent's DNS port takes both).
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 20*n {
			return nil, fmt.Errorf("free port: no %d ports free for both TCP and UDP", n)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l) // held, so that the next one differs
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			u.Close()
			out = append(out, port)
		}
	}
	return out, nil
}

// FreePort is FreePorts(1)[0].
func FreePort() (int, error) {
	ports, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// SyncBuffer is a bytes.Buffer safe for a writer and concurrent readers:
// a process's captured output.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// RemovePotNetwork deletes the private jail network an agent was given
// (its bridge, the bridge's network namespaces and its nftables table)
// and says on stderr, as prog, what the agent had left.
func RemovePotNetwork(prog, bridge, table string) {
	var left []string
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], bridge+"-") {
				left = append(left, "netns "+f[0])
				_ = exec.Command("ip", "netns", "delete", f[0]).Run()
			}
		}
	}
	if exec.Command("ip", "link", "show", bridge).Run() == nil {
		left = append(left, "bridge "+bridge)
		_ = exec.Command("ip", "link", "delete", bridge).Run()
	}
	if exec.Command("nft", "list", "table", "ip", table).Run() == nil {
		left = append(left, "nft table "+table)
		_ = exec.Command("nft", "delete", "table", "ip", table).Run()
	}
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "%s: removed the jail network the agent keeps (its data dir is not thrown away): %s\n", prog, strings.Join(left, ", "))
	}
}

package executor

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
)

// syncBuffer is a bytes.Buffer safe for the session's writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sh(script string) *Command { return &Command{Cmd: exec.Command("sh", "-c", script)} }

func run(t *testing.T, ctx context.Context, c *Command, opts *drivers.ExecOptions, end <-chan struct{}) *drivers.ExitResult {
	t.Helper()
	res, err := RunSession(ctx, c, opts, end)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSessionPipes(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		stdin      io.Reader
		wantOut    string
		wantErr    string
		wantCode   int
		wantSignal int
	}{
		{"streams apart", "echo out; echo err >&2; exit 3", nil, "out\n", "err\n", 3, 0},
		{"stdin to EOF", "cat; echo done", strings.NewReader("in\n"), "in\ndone\n", "", 0, 0},
		{"no stdin reads EOF", "cat; echo done", nil, "done\n", "", 0, 0},
		{"signalled", "kill -9 $$", nil, "", "", 128 + 9, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut syncBuffer
			res := run(t, context.Background(), sh(tc.script),
				&drivers.ExecOptions{Stdin: tc.stdin, Stdout: &out, Stderr: &errOut}, nil)
			if res.ExitCode != tc.wantCode || res.Signal != tc.wantSignal {
				t.Errorf("exit %+v, want code %d signal %d", res, tc.wantCode, tc.wantSignal)
			}
			if out.String() != tc.wantOut || errOut.String() != tc.wantErr {
				t.Errorf("stdout %q stderr %q, want %q %q", out.String(), errOut.String(), tc.wantOut, tc.wantErr)
			}
		})
	}
}

// TestSessionOneWriterForBoth: a plain bytes.Buffer as both stdout and
// stderr gets every byte in order (one pipe, one writer), as os/exec does.
func TestSessionOneWriterForBoth(t *testing.T) {
	for range 20 {
		var out bytes.Buffer
		run(t, context.Background(), sh("echo 1; echo 2 >&2; echo 3; echo 4 >&2"),
			&drivers.ExecOptions{Stdout: &out, Stderr: &out}, nil)
		if out.String() != "1\n2\n3\n4\n" {
			t.Fatalf("output %q, want all four lines in order", out.String())
		}
	}
}

func TestSessionStartError(t *testing.T) {
	_, err := RunSession(context.Background(), &Command{Cmd: exec.Command("/nonexistent/wharf-nosuch")},
		&drivers.ExecOptions{}, nil)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("start error = %v, want the OS's words", err)
	}
}

func TestSessionTerminalSize(t *testing.T) {
	tests := []struct {
		name  string
		sizes []drivers.TerminalSize
		want  string
	}{
		{"default", nil, "24 80"},
		{"latest queued", []drivers.TerminalSize{{Height: 10, Width: 20}, {Height: 30, Width: 100}}, "30 100"},
		{"empty sizes ignored", []drivers.TerminalSize{{Height: 30, Width: 100}, {}, {Height: -1, Width: 5}}, "30 100"},
		{"huge size clamped", []drivers.TerminalSize{{Height: 1 << 30, Width: 1 << 30}}, "65535 65535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resize := make(chan drivers.TerminalSize, len(tc.sizes)+1)
			for _, s := range tc.sizes {
				resize <- s
			}
			var out syncBuffer
			res := run(t, context.Background(), sh("stty size; tty >/dev/null && echo is-a-tty"),
				&drivers.ExecOptions{Tty: true, Stdout: &out, Resize: resize}, nil)
			got := strings.ReplaceAll(out.String(), "\r", "")
			if res.ExitCode != 0 || got != tc.want+"\nis-a-tty\n" {
				t.Errorf("exit %d, output %q, want %q on a terminal", res.ExitCode, got, tc.want)
			}
		})
	}
}

// TestSessionCutKillsGroup: ending ctx or the task kills the command and
// what it started in the background.
func TestSessionCutKillsGroup(t *testing.T) {
	for _, how := range []string{"ctx", "task end"} {
		t.Run(how, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			end := make(chan struct{})
			var out syncBuffer
			done := make(chan *drivers.ExitResult, 1)
			go func() {
				res, _ := RunSession(ctx, sh("sleep 1000 & echo $!; wait"), &drivers.ExecOptions{Stdout: &out}, end)
				done <- res
			}()
			pid := waitPID(t, &out)
			if how == "ctx" {
				cancel()
			} else {
				close(end)
			}
			res := <-done
			if res.Signal != int(syscall.SIGKILL) {
				t.Errorf("exit %+v, want killed", res)
			}
			waitGone(t, pid)
		})
	}
}

// TestSessionInterrupt: a command with an Interrupt gets it first, and is
// killed alone when it ignores it.
func TestSessionInterrupt(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   drivers.ExitResult
	}{
		{"heeds it", `trap "exit 5" TERM; echo $$; while :; do sleep 0.01; done`, drivers.ExitResult{ExitCode: 5}},
		{"ignores it", `trap "" TERM; echo $$; while :; do sleep 0.01; done`,
			drivers.ExitResult{ExitCode: 128 + 9, Signal: 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := sh(tc.script)
			c.Interrupt, c.InterruptGrace = syscall.SIGTERM, 200*time.Millisecond
			var out syncBuffer
			done := make(chan *drivers.ExitResult, 1)
			go func() {
				res, _ := RunSession(ctx, c, &drivers.ExecOptions{Stdout: &out}, nil)
				done <- res
			}()
			waitPID(t, &out)
			cancel()
			if res := <-done; *res != tc.want {
				t.Errorf("exit %+v, want %+v", res, tc.want)
			}
		})
	}
}

// waitPID waits for the first line of out, a PID.
func waitPID(t *testing.T, out *syncBuffer) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if line, _, ok := strings.Cut(out.String(), "\n"); ok {
			var pid int
			for _, c := range line {
				pid = pid*10 + int(c-'0')
			}
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the command never printed its pid")
	return 0
}

// waitGone waits until pid no longer runs.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("pid %d outlived the session", pid)
}

package rawexec_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/driverstest"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/supervise"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSleeper starts a long-running task and returns the driver and its
// config; the task is destroyed when the test ends.
func startSleeper(t *testing.T) (*rawexec.Driver, *drivers.TaskConfig) {
	t.Helper()
	d := rawexec.New(testOptions(t, &supervise.Cgroups{Mode: supervise.CgroupNone}))
	cfg := newTaskConfig(t, shell("echo ready; exec sleep 1000"))
	cfg.Env["GREETING"] = "hello-from-task-env"
	ctx := context.Background()
	if _, err := d.StartTask(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(context.Background(), cfg.ID, true) })
	waitLog(t, cfg, "stdout", "ready")
	return d, cfg
}

func TestExecPipes(t *testing.T) {
	d, cfg := startSleeper(t)
	var out, errOut lockedBuffer
	res, err := d.ExecTask(context.Background(), cfg.ID, &drivers.ExecOptions{
		Command: []string{"sh", "-c", `echo "$GREETING"; pwd; echo oops >&2; read x; echo "got-$x"; exit 3`},
		Stdin:   strings.NewReader("line\n"), Stdout: &out, Stderr: &errOut,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", res.ExitCode)
	}
	want := "hello-from-task-env\n" + cfg.TaskDir + "\ngot-line\n"
	if out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	if errOut.String() != "oops\n" {
		t.Errorf("stderr %q", errOut.String())
	}
}

func TestExecTty(t *testing.T) {
	d, cfg := startSleeper(t)
	resize := make(chan drivers.TerminalSize, 4)
	resize <- drivers.TerminalSize{Height: 10, Width: 20}
	resize <- drivers.TerminalSize{Height: 33, Width: 111}
	inR, inW := io.Pipe()
	defer inW.Close()
	var out lockedBuffer
	done := make(chan *drivers.ExitResult, 1)
	go func() {
		res, err := d.ExecTask(context.Background(), cfg.ID, &drivers.ExecOptions{
			Command: []string{"sh"}, Tty: true, Stdin: inR, Stdout: &out, Resize: resize})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	_, _ = io.WriteString(inW, "stty size; tty >/dev/null && echo is-a-tty\n")
	waitOutput(t, &out, "33 111")
	waitOutput(t, &out, "is-a-tty")
	resize <- drivers.TerminalSize{Height: 50, Width: 70}
	waitSize(t, inW, &out, "50 70")
	_, _ = io.WriteString(inW, "exit 5\n")
	select {
	case res := <-done:
		if res == nil || res.ExitCode != 5 {
			t.Errorf("exit = %+v, want code 5", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the shell did not exit")
	}
}

// waitSize asks the shell for its size until it prints want (the resize
// is applied asynchronously).
func waitSize(t *testing.T, in io.Writer, out *lockedBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never held %q:\n%s", want, out.String())
		}
		_, _ = io.WriteString(in, "stty size\n")
		time.Sleep(50 * time.Millisecond)
	}
}

// waitOutput waits until out holds want.
func waitOutput(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never held %q:\n%s", want, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExecCancelKillsEverything(t *testing.T) {
	d, cfg := startSleeper(t)
	before := taskProcesses(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan *drivers.ExitResult, 1)
	go func() {
		res, _ := d.ExecTask(ctx, cfg.ID, &drivers.ExecOptions{
			Command: []string{"sh", "-c", "sleep 1000 & echo started; wait"}, Stdout: &out})
		done <- res
	}()
	waitOutput(t, &out, "started")
	cancel()
	select {
	case res := <-done:
		if res == nil || res.Signal != 9 {
			t.Errorf("exit = %+v, want SIGKILL", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ExecTask did not return after cancel")
	}
	waitProcesses(t, cfg, before)
}

func TestExecLeavesNoBackgroundProcess(t *testing.T) {
	d, cfg := startSleeper(t)
	before := taskProcesses(t, cfg)
	res, err := d.ExecTask(context.Background(), cfg.ID, &drivers.ExecOptions{
		Command: []string{"sh", "-c", "sleep 1000 >/dev/null 2>&1 & exit 0"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exec: %+v, %v", res, err)
	}
	waitProcesses(t, cfg, before)
}

func TestExecErrors(t *testing.T) {
	d, cfg := startSleeper(t)
	if err := os.WriteFile(cfg.TaskDir+"/plain", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id string
		cmd      []string
		want     string
	}{
		{"unknown task", "nosuch/web", []string{"true"}, "task not found"},
		{"no command", cfg.ID, nil, "no command given"},
		{"not in PATH", cfg.ID, []string{"wharf-nosuch"}, `"wharf-nosuch": executable file not found in $PATH`},
		{"not executable", cfg.ID, []string{"./plain"}, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.ExecTask(context.Background(), tt.id, &drivers.ExecOptions{Command: tt.cmd})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := d.ExecTask(context.Background(), "nosuch/web", &drivers.ExecOptions{Command: []string{"true"}}); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("unknown task: %v, want ErrTaskNotFound", err)
	}
}

func TestExecEndsWithTask(t *testing.T) {
	d, cfg := startSleeper(t)
	var out lockedBuffer
	done := make(chan *drivers.ExitResult, 1)
	go func() {
		res, _ := d.ExecTask(context.Background(), cfg.ID, &drivers.ExecOptions{
			Command: []string{"sh", "-c", "echo started; exec sleep 1000"}, Stdout: &out})
		done <- res
	}()
	waitOutput(t, &out, "started")
	if err := d.StopTask(context.Background(), cfg.ID, 5*time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res == nil || res.Signal != 9 {
			t.Errorf("exit = %+v, want SIGKILL", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the exec outlived its task")
	}
	if _, err := os.Stat(cfg.TaskDir); err != nil {
		t.Fatal(err)
	}
}

// waitProcesses waits until want processes carry the task's marker (a
// killed process takes a moment to go).
// taskProcesses counts the task's processes once it has some: while the
// task's shell execs its sleep, /proc may briefly show none.
func taskProcesses(t *testing.T, cfg *drivers.TaskConfig) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := len(driverstest.ProcessesOf(cfg)); n > 0 {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatal("the task has no process")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitProcesses(t *testing.T, cfg *drivers.TaskConfig, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := len(driverstest.ProcessesOf(cfg))
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d processes carry the task's marker after the exec, want %d", n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopLeftoverTasks runs a copy of sh that starts a child, as a
// supervisor runs its task: both are gone after the sweep, and a process
// of another binary is left alone.
func TestStopLeftoverTasks(t *testing.T) {
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("no /proc here")
	}
	src, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "supervisor")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "child")
	sup := exec.Command(bin, "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	var child int
	WaitFor(t, 10*time.Second, "the supervisor's child", func() bool {
		b, err := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && child > 0
	})
	stopped := StopLeftoverTasks(bin)
	if len(stopped) != 1 || !strings.Contains(stopped[0], strconv.Itoa(sup.Process.Pid)) {
		t.Fatalf("stopped %q, want the supervisor %d", stopped, sup.Process.Pid)
	}
	_ = sup.Wait()
	WaitFor(t, 10*time.Second, "the child gone", func() bool {
		return syscall.Kill(child, 0) != nil
	})
	if err := syscall.Kill(other.Process.Pid, 0); err != nil {
		t.Errorf("a process of another binary was stopped: %v", err)
	}
}

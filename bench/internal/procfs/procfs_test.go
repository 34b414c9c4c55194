//go:build linux

package procfs

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestOwnProcess(t *testing.T) {
	pid := os.Getpid()
	if kb, err := RSSKB(pid); err != nil || kb <= 0 {
		t.Errorf("RSSKB = %d, %v", kb, err)
	}
	own, err := CPUTicks(pid)
	if err != nil {
		t.Fatal(err)
	}
	if PPID(pid) != os.Getppid() {
		t.Errorf("PPID = %d, want %d", PPID(pid), os.Getppid())
	}
	if !strings.Contains(Cmdline(pid), os.Args[0]) {
		t.Errorf("Cmdline %q lacks %q", Cmdline(pid), os.Args[0])
	}
	pgid, _ := syscall.Getpgid(pid)
	if g := GroupCPU(pgid); g < own {
		t.Errorf("GroupCPU of our group %d < our own %d", g, own)
	}
	if IdleTicks() == 0 {
		t.Error("no idle time in /proc/stat")
	}
	if _, err := StatusKB(pid, "status", "NoSuchField"); err == nil {
		t.Error("StatusKB found a field that does not exist")
	}
	if _, err := CPUTicks(-1); err == nil {
		t.Error("CPUTicks of pid -1 did not fail")
	}
}

func TestPIDsWhereFindsAMarkedChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.Env = append(os.Environ(), "MARKER=procfs-test-"+t.Name())
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if got := PIDsWhere("environ", "MARKER=procfs-test-"+t.Name()); !slices.Equal(got, []int{cmd.Process.Pid}) {
		t.Errorf("PIDsWhere = %v, want [%d]", got, cmd.Process.Pid)
	}
}

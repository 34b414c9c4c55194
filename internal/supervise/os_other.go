//go:build !linux

package supervise

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"syscall"
)

// ProcessStart returns 0: only Linux exposes a start time to guard
// against PID reuse here.
func ProcessStart(int) (uint64, error) { return 0, nil }

// Alive reports whether process pid exists (start is ignored off Linux).
func Alive(pid int, _ uint64) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// groupAlive reports whether process group pgid has a member.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// becomeSubreaper does nothing off Linux: orphans go to init, which reaps
// them.
func becomeSubreaper() error { return nil }

// taskAttrs puts the task in its own process group.
func taskAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// startInCgroup starts the command: there are no cgroups off Linux.
func startInCgroup(newCmd func() *exec.Cmd, _ *Cgroup) (*exec.Cmd, error) {
	cmd := newCmd()
	return cmd, cmd.Start()
}

// DetectCgroups reports mode none: cgroups are a Linux feature.
func DetectCgroups() Cgroups {
	return Cgroups{Mode: CgroupNone, Reason: "no cgroups on " + runtime.GOOS}
}

func (cg *Cgroup) create(context.Context) error { return nil }

// Procs returns nothing off Linux.
func (cg *Cgroup) Procs() ([]int, error) { return nil, nil }

// Kill does nothing off Linux.
func (cg *Cgroup) Kill(context.Context) error { return nil }

// OOMKilled is false off Linux.
func (cg *Cgroup) OOMKilled() bool { return false }

// Remove does nothing off Linux.
func (cg *Cgroup) Remove(context.Context) error { return nil }

// Exists is false off Linux.
func (cg *Cgroup) Exists() bool { return false }

package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// procStat returns a process's state letter and start time (clock ticks
// since boot) from /proc/<pid>/stat.
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	return fields[0][0], start, err
}

// ProcessStart returns the start time of process pid (clock ticks since
// boot), which with the PID identifies the process across PID reuse.
func ProcessStart(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	return start, err
}

// Alive reports whether process pid is running (not a zombie) and, when
// start is not zero, is the process that started at start.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	state, st, err := procStat(pid)
	if err != nil || state == 'Z' || state == 'X' {
		return false
	}
	return start == 0 || st == start
}

// groupAlive reports whether a process of group pgid runs (zombies, which
// only wait to be reaped, do not count).
func groupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, group, err := procGroup(pid); err == nil && group == pgid && state != 'Z' && state != 'X' {
			return true
		}
	}
	return false
}

// procGroup returns a process's state letter and process group.
func procGroup(pid int) (state byte, pgid int, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	i := strings.LastIndexByte(string(data), ')')
	fields := strings.Fields(string(data[i+1:]))
	if i < 0 || len(fields) < 3 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	pgid, err = strconv.Atoi(fields[2])
	return fields[0][0], pgid, err
}

// becomeSubreaper makes orphaned descendants (the task's background
// children) this process's children, so the supervisor reaps them even
// where PID 1 does not.
func becomeSubreaper() error {
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// taskAttrs is the task's process attributes: its own process group.
// (No Pdeathsig: it fires when the forking thread ends, not the process,
// and would kill only the main process; a driver that finds its
// supervisor dead kills the whole tree instead.)
func taskAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// startInCgroup starts the command newCmd makes with its process already
// in cg, so that nothing the task execs or forks runs outside it: on v2
// the child is cloned straight into the cgroup; on v1 (or a kernel without
// CLONE_INTO_CGROUP) the supervisor joins the cgroup for the fork and
// leaves it right after.
func startInCgroup(newCmd func() *exec.Cmd, cg *Cgroup) (*exec.Cmd, error) {
	cmd := newCmd()
	if cg == nil {
		return cmd, cmd.Start()
	}
	if cg.Mode == CgroupV2 {
		err := startCloneInto(cmd, cg.Dirs[V2Key])
		if !errors.Is(err, syscall.ENOSYS) && !errors.Is(err, syscall.EINVAL) {
			return cmd, err
		}
		cmd = newCmd()
	}
	leave, err := cg.enter()
	if err != nil {
		return cmd, err
	}
	startErr := cmd.Start()
	if err := leave(); err != nil {
		if startErr == nil {
			_ = cmd.Process.Kill()
		}
		return cmd, err
	}
	return cmd, startErr
}

// startCloneInto starts cmd with CLONE_INTO_CGROUP.
func startCloneInto(cmd *exec.Cmd, dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	defer f.Close()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(f.Fd())
	return cmd.Start()
}

// enter moves this process into every directory of cg and returns the
// function that moves it back to the cgroups it was in.
func (cg *Cgroup) enter() (leave func() error, err error) {
	own, err := ownCgroupDirs()
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	pid := strconv.Itoa(os.Getpid())
	var joined []string
	leave = func() error {
		var errs []error
		for _, key := range joined {
			errs = append(errs, writeFile(filepath.Join(own[key], "cgroup.procs"), pid))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("cgroup: leave task cgroup: %w", err)
		}
		return nil
	}
	for key, dir := range cg.Dirs {
		if _, ok := own[key]; !ok {
			_ = leave()
			return nil, fmt.Errorf("cgroup: no %s hierarchy for this process", key)
		}
		if err := writeFile(filepath.Join(dir, "cgroup.procs"), pid); err != nil {
			_ = leave()
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		joined = append(joined, key)
	}
	return leave, nil
}

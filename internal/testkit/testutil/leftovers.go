package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// StopLeftoverTasks kills every process run from bin that is still alive
// (task supervisors that agents killed or stopped with a kept data dir
// left behind, as they are meant to survive an agent), together with
// their descendants (the tasks), and returns what it stopped, one line
// each. A suite calls it after its tests with the binary it built, so a
// test that leaves tasks behind never leaves them on the machine. It
// reads /proc and finds nothing where there is none.
func StopLeftoverTasks(bin string) []string {
	procs := readProcs()
	var stopped []string
	for pid, p := range procs {
		if p.exe != bin {
			continue
		}
		for _, d := range descendants(procs, pid) {
			_ = syscall.Kill(d, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		stopped = append(stopped, fmt.Sprintf("%d %s", pid, p.cmdline))
	}
	return stopped
}

type proc struct {
	ppid    int
	exe     string
	cmdline string
}

// readProcs lists the processes of /proc with their parent, executable
// and command line.
func readProcs() map[int]proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	procs := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		exe, _ := os.Readlink(filepath.Join(dir, "exe"))
		cmd, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		procs[pid] = proc{ppid: ppid, exe: exe, cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))}
	}
	return procs
}

// descendants returns the processes below pid, deepest last.
func descendants(procs map[int]proc, pid int) []int {
	var out []int
	for child, p := range procs {
		if p.ppid == pid {
			out = append(out, child)
			out = append(out, descendants(procs, child)...)
		}
	}
	return out
}

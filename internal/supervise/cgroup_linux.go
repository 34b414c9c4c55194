package supervise

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// create makes the cgroup's directories and sets its limits. A directory
// left by an earlier run of the same task is emptied and reused.
func (cg *Cgroup) create(ctx context.Context) error {
	if cg.Mode == CgroupV2 {
		enableV2Controllers(cg.Root, filepath.Dir(cg.Dirs[V2Key]))
	}
	if err := cg.Kill(ctx); err != nil {
		return fmt.Errorf("cgroup: empty leftover: %w", err)
	}
	for _, dir := range cg.sortedDirs() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
	}
	if err := cg.setLimits(); err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	return nil
}

// enableV2Controllers enables cpu, memory and pids (those offered) in the
// subtree of every level from root down to parent, creating the levels.
// It is best effort: a limit whose controller is missing is not enforced.
func enableV2Controllers(root, parent string) {
	rel, err := filepath.Rel(root, parent)
	if err != nil || strings.HasPrefix(rel, "..") {
		return
	}
	level := root
	for _, elem := range append([]string{""}, strings.Split(rel, string(filepath.Separator))...) {
		level = filepath.Join(level, elem)
		if err := os.MkdirAll(level, 0o755); err != nil {
			return
		}
		offered, _ := os.ReadFile(filepath.Join(level, "cgroup.controllers"))
		enabled, _ := os.ReadFile(filepath.Join(level, "cgroup.subtree_control"))
		for _, c := range v2Controllers {
			if containsField(offered, c) && !containsField(enabled, c) {
				_ = writeFile(filepath.Join(level, "cgroup.subtree_control"), "+"+c)
			}
		}
	}
}

func containsField(data []byte, s string) bool {
	for _, f := range strings.Fields(string(data)) {
		if f == s {
			return true
		}
	}
	return false
}

// setLimits writes the memory and cpu limits into the controllers that
// exist; a missing controller leaves its limit unenforced.
func (cg *Cgroup) setLimits() error {
	l := cg.Limits
	hard, soft := max(l.MemoryMB, l.MemoryMaxMB)<<20, int64(0)
	if l.MemoryMaxMB > l.MemoryMB && l.MemoryMB > 0 {
		soft = l.MemoryMB << 20
	}
	var writes [][2]string
	if cg.Mode == CgroupV2 {
		d := cg.Dirs[V2Key]
		writes = [][2]string{
			{filepath.Join(d, "memory.max"), limitValue(hard)},
			{filepath.Join(d, "memory.low"), limitValue(soft)},
			{filepath.Join(d, "cpu.weight"), limitValue(cpuWeight(l.CPUShares))},
		}
	} else {
		mem, cpu := cg.Dirs["memory"], cg.Dirs["cpu"]
		writes = [][2]string{
			{filepath.Join(mem, "memory.limit_in_bytes"), limitValue(hard)},
			{filepath.Join(mem, "memory.soft_limit_in_bytes"), limitValue(soft)},
			{filepath.Join(cpu, "cpu.shares"), limitValue(cpuShares(l.CPUShares))},
		}
	}
	for _, w := range writes {
		if w[1] == "" || !fileExists(w[0]) {
			continue
		}
		if err := writeFile(w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// limitValue formats a positive limit; zero means "do not set".
func limitValue(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// cpuShares returns v1 cpu.shares for shares (at least 2; 0 when unset).
func cpuShares(shares int64) int64 {
	if shares <= 0 {
		return 0
	}
	return max(shares, 2)
}

// cpuWeight maps v1 cpu shares (2..262144) onto v2 cpu.weight (1..10000).
func cpuWeight(shares int64) int64 {
	if shares <= 0 {
		return 0
	}
	shares = min(max(shares, 2), 262144)
	return 1 + (shares-2)*9999/262142
}

// Procs returns the PIDs in the cgroup and its descendants.
func (cg *Cgroup) Procs() ([]int, error) {
	dir, _ := cg.killDir()
	return procsUnder(dir)
}

// procsUnder lists cgroup.procs of dir and every cgroup below it.
func procsUnder(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids, err
}

// Kill kills every process in the cgroup (freezing it first when it can,
// so nothing forks away) until it is empty or ctx ends. A cgroup that does
// not exist is empty.
func (cg *Cgroup) Kill(ctx context.Context) error {
	dir, freezer := cg.killDir()
	for {
		pids, err := procsUnder(dir)
		if err != nil {
			return fmt.Errorf("cgroup %s: %w", dir, err)
		}
		if len(pids) == 0 {
			return nil
		}
		cg.killOnce(dir, freezer, pids)
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup %s still holds %d processes: %w", dir, len(pids), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// killOnce sends SIGKILL to the tree once.
func (cg *Cgroup) killOnce(dir string, freezer bool, pids []int) {
	switch {
	case cg.Mode == CgroupV2 && fileExists(filepath.Join(dir, "cgroup.kill")):
		_ = writeFile(filepath.Join(dir, "cgroup.kill"), "1")
	case cg.Mode == CgroupV2:
		_ = writeFile(filepath.Join(dir, "cgroup.freeze"), "1")
		killPIDs(dir)
		_ = writeFile(filepath.Join(dir, "cgroup.freeze"), "0")
	case freezer:
		freezeV1(dir)
		killPIDs(dir)
		_ = writeFile(filepath.Join(dir, "freezer.state"), "THAWED")
	default:
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// freezeV1 freezes a v1 freezer cgroup and waits (briefly) until it is.
func freezeV1(dir string) {
	state := filepath.Join(dir, "freezer.state")
	if writeFile(state, "FROZEN") != nil {
		return
	}
	for i := 0; i < 200; i++ {
		data, err := os.ReadFile(state)
		if err != nil || strings.TrimSpace(string(data)) == "FROZEN" {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// killPIDs sends SIGKILL to the processes listed in dir now.
func killPIDs(dir string) {
	pids, _ := procsUnder(dir)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// OOMKilled reports whether the kernel's OOM killer killed a process of
// the cgroup (the oom_kill counter of the memory controller).
func (cg *Cgroup) OOMKilled() bool {
	if cg.Mode == CgroupV2 {
		return counter(filepath.Join(cg.Dirs[V2Key], "memory.events"), "oom_kill") > 0
	}
	if d, ok := cg.Dirs["memory"]; ok {
		return counter(filepath.Join(d, "memory.oom_control"), "oom_kill") > 0
	}
	return false
}

// counter reads "key value" from a flat-keyed cgroup file.
func counter(path, key string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// Remove removes the cgroup's directories (and any cgroup the task made
// below them), retrying while the kernel still counts exiting processes.
func (cg *Cgroup) Remove(ctx context.Context) error {
	for _, dir := range cg.sortedDirs() {
		if err := removeCgroupDir(ctx, dir); err != nil {
			return err
		}
	}
	return nil
}

func removeCgroupDir(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupDir(ctx, filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Exists reports whether any of the cgroup's directories exists.
func (cg *Cgroup) Exists() bool {
	for _, d := range cg.Dirs {
		if fileExists(d) {
			return true
		}
	}
	return false
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeFile writes s to a cgroup control file.
func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

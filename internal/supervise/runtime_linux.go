package supervise

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// containerCgroup returns the cgroup the runtime put process pid (the
// container's init) in, read from /proc/<pid>/cgroup: one directory per
// hierarchy, keyed by controller (and V2Key for the unified hierarchy).
// A hierarchy where the container shares this process's cgroup (or one
// above it) is left out, so killing or removing the result can never hit
// the supervisor. It fails when no hierarchy that lists the whole tree
// (v1 freezer or pids, or v2) is left.
func containerCgroup(pid int) (*Cgroup, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil, fmt.Errorf("container cgroup: %w", err)
	}
	mounts, err := cgroupMountOptions()
	if err != nil {
		return nil, fmt.Errorf("container cgroup: %w", err)
	}
	own, err := ownCgroupPaths()
	if err != nil {
		return nil, fmt.Errorf("container cgroup: %w", err)
	}
	cg := &Cgroup{Mode: CgroupV2, Dirs: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		keys, v2 := strings.Split(parts[1], ","), parts[0] == "0" && parts[1] == ""
		if v2 {
			keys = []string{V2Key}
		}
		path := parts[2]
		if mine := own[keys[0]]; path == "/" || path == mine || strings.HasPrefix(mine, path+"/") {
			continue
		}
		m, ok := findMount(mounts, v2, keys[0])
		if !ok {
			continue
		}
		dir := filepath.Join(m.point, relToMount(path, m.root))
		for _, k := range keys {
			cg.Dirs[k] = dir
		}
		if !v2 {
			cg.Mode = CgroupV1
		}
	}
	if dir, _ := cg.killDir(); dir == "" {
		return nil, errors.New("container cgroup: no freezer, pids or unified hierarchy of its own")
	}
	return cg, nil
}

// optMount is a cgroup mount with all its super options.
type optMount struct {
	point, root string
	v2          bool
	opts        []string
}

// cgroupMountOptions returns this process's cgroup and cgroup2 mounts.
func cgroupMountOptions() ([]optMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []optMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 5 || len(fields) < sep+4 {
			continue
		}
		m := optMount{root: unescapeMount(fields[3]), point: unescapeMount(fields[4])}
		switch fields[sep+1] {
		case "cgroup2":
			m.v2 = true
		case "cgroup":
			m.opts = strings.Split(fields[sep+3], ",")
		default:
			continue
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// findMount returns the first v2 mount, or the first v1 mount with the
// option key (a controller, or name=<name>).
func findMount(mounts []optMount, v2 bool, key string) (optMount, bool) {
	for _, m := range mounts {
		if v2 && m.v2 || !v2 && slices.Contains(m.opts, key) {
			return m, true
		}
	}
	return optMount{}, false
}

// containerOOM reports whether the OOM killer struck in the container's
// memory cgroup: v1 memory.oom_control (oom_kill counted, or under_oom
// still set), v2 memory.events oom_kill.
func containerOOM(cg *Cgroup) bool {
	if d, ok := cg.Dirs["memory"]; ok {
		f := filepath.Join(d, "memory.oom_control")
		return counter(f, "oom_kill") > 0 || counter(f, "under_oom") > 0
	}
	if d, ok := cg.Dirs[V2Key]; ok {
		return counter(filepath.Join(d, "memory.events"), "oom_kill") > 0
	}
	return false
}

package supervise

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// v1Controllers are the v1 hierarchies a task's cgroup joins: freezer or
// pids to find and kill the whole tree, memory and cpu for the limits,
// cpuacct for the CPU time stats report.
var v1Controllers = []string{"freezer", "pids", "memory", "cpu", "cpuacct"}

// v2Controllers are the controllers enabled for task cgroups in v2.
var v2Controllers = []string{"cpu", "memory", "pids"}

// cgroupMount is one cgroup filesystem mount from /proc/self/mountinfo.
type cgroupMount struct {
	point       string // where it is mounted
	root        string // the cgroup path that is mounted there
	v2          bool
	controllers []string // v1 only
}

// readCgroupMounts returns the cgroup and cgroup2 mounts of this process.
func readCgroupMounts() ([]cgroupMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []cgroupMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := parseMountinfoLine(sc.Text()); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// parseMountinfoLine reads one mountinfo line: ID, parent, dev, root,
// mount point, options, optional fields, "-", fs type, source, super
// options.
func parseMountinfoLine(line string) (cgroupMount, bool) {
	fields := strings.Fields(line)
	sep := slices.Index(fields, "-")
	if sep < 5 || len(fields) < sep+4 {
		return cgroupMount{}, false
	}
	m := cgroupMount{root: unescapeMount(fields[3]), point: unescapeMount(fields[4])}
	switch fields[sep+1] {
	case "cgroup2":
		m.v2 = true
	case "cgroup":
		for _, opt := range strings.Split(fields[sep+3], ",") {
			if slices.Contains(v1Controllers, opt) {
				m.controllers = append(m.controllers, opt)
			}
		}
	default:
		return cgroupMount{}, false
	}
	return m, true
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &c); err == nil {
				b.WriteByte(byte(c))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownCgroupPaths returns this process's cgroup path per v1 controller, and
// under V2Key its path in the unified hierarchy (/proc/self/cgroup).
func ownCgroupPaths() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			out[V2Key] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}

// ownCgroupDirs returns the directory of this process's own cgroup for
// each hierarchy key (v1 controller or V2Key) that is mounted.
func ownCgroupDirs() (map[string]string, error) {
	mounts, err := readCgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroupPaths()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range mounts {
		keys := m.controllers
		if m.v2 {
			keys = []string{V2Key}
		}
		for _, k := range keys {
			if p, ok := own[k]; ok {
				if _, seen := out[k]; !seen {
					out[k] = filepath.Join(m.point, relToMount(p, m.root))
				}
			}
		}
	}
	return out, nil
}

// relToMount returns cgroup path p relative to the root of the mount that
// shows it (not "/" when a container sees a bind-mounted subtree).
func relToMount(p, root string) string {
	if root == "/" || root == "" {
		return p
	}
	if rest, ok := strings.CutPrefix(p, root); ok {
		return "/" + strings.TrimPrefix(rest, "/")
	}
	return p
}

// DetectCgroups finds how this host can contain task trees: cgroup v2
// when the unified hierarchy has the memory or pids controller, else the
// v1 freezer and/or pids hierarchies (plus memory and cpu), else a
// controller-less unified hierarchy (which can still kill a tree), else
// none. Task cgroups go under <v2 root>/wharf, or in v1 under
// <hierarchy>/<this process's cgroup>/wharf so they stay inside whatever
// limits the agent itself runs under.
func DetectCgroups() Cgroups {
	if os.Geteuid() != 0 {
		return Cgroups{Mode: CgroupNone, Reason: "not running as root"}
	}
	mounts, err := readCgroupMounts()
	if err != nil {
		return Cgroups{Mode: CgroupNone, Reason: fmt.Sprintf("read mounts: %v", err)}
	}
	for _, m := range mounts {
		if m.v2 && hasAnyController(m.point, "memory", "pids") && writable(m.point) {
			return Cgroups{Mode: CgroupV2, Root: m.point,
				Parents: map[string]string{V2Key: filepath.Join(m.point, "wharf")}}
		}
	}
	if c, ok := detectV1(); ok {
		return c
	}
	for _, m := range mounts {
		if m.v2 && writable(m.point) {
			return Cgroups{Mode: CgroupV2, Root: m.point, Reason: "no controllers in the unified hierarchy: limits not enforced",
				Parents: map[string]string{V2Key: filepath.Join(m.point, "wharf")}}
		}
	}
	return Cgroups{Mode: CgroupNone, Reason: "no writable cgroup v2 hierarchy and no v1 freezer or pids hierarchy"}
}

// detectV1 returns the v1 setup when a freezer or pids hierarchy is
// mounted and writable.
func detectV1() (Cgroups, bool) {
	own, err := ownCgroupDirs()
	if err != nil {
		return Cgroups{}, false
	}
	c := Cgroups{Mode: CgroupV1, Parents: map[string]string{}}
	for _, ctrl := range v1Controllers {
		if dir, ok := own[ctrl]; ok && writable(dir) {
			c.Parents[ctrl] = filepath.Join(dir, "wharf")
		}
	}
	if c.Parents["freezer"] == "" && c.Parents["pids"] == "" {
		return Cgroups{}, false
	}
	if c.Parents["memory"] == "" {
		c.Reason = "no memory hierarchy: memory limits not enforced"
	}
	return c, true
}

// hasAnyController reports whether the cgroup2 directory dir offers one
// of the controllers.
func hasAnyController(dir string, ctrls ...string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return false
	}
	for _, c := range strings.Fields(string(data)) {
		if slices.Contains(ctrls, c) {
			return true
		}
	}
	return false
}

// writable reports whether dir can be written (not a read-only mount).
func writable(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == nil
}

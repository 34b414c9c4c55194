package supervise

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// Cgroup modes.
const (
	// CgroupV2: one cgroup in the unified hierarchy.
	CgroupV2 = "v2"
	// CgroupV1: one cgroup in each v1 hierarchy used (freezer and/or pids
	// to kill the tree, memory and cpu for limits).
	CgroupV1 = "v1"
	// CgroupNone: no cgroups (not root, or none mounted); the task's tree
	// is its process group.
	CgroupNone = "none"
)

// V2Key is the key of the unified hierarchy in Cgroups.Parents and
// Cgroup.Dirs.
const V2Key = "unified"

// Cgroups is how a node contains task process trees: the mode detected
// and, per hierarchy (a v1 controller name, or V2Key), the directory under
// which each task gets its own cgroup.
type Cgroups struct {
	Mode    string            `json:"mode"`
	Parents map[string]string `json:"parents,omitempty"`
	// Root is the mount point of the unified hierarchy (v2), where
	// controllers are enabled for the parents below it.
	Root string `json:"root,omitempty"`
	// Reason says why the mode is none, or what a v1 setup lacks.
	Reason string `json:"reason,omitempty"`
}

// Limits are the resources a task's cgroup enforces.
type Limits struct {
	// MemoryMB is the reservation; MemoryMaxMB, when larger, the hard
	// limit (as Nomad's memory and memory_max).
	MemoryMB    int64 `json:"memory_mb,omitempty"`
	MemoryMaxMB int64 `json:"memory_max_mb,omitempty"`
	CPUShares   int64 `json:"cpu_shares,omitempty"`
}

// Cgroup is one task's cgroup: its directory in each hierarchy and the
// limits to set when it is created. It is all that is needed to kill the
// task's tree and remove the cgroup, from the supervisor or, when the
// supervisor is gone, from the driver.
type Cgroup struct {
	Mode   string            `json:"mode"`
	Root   string            `json:"root,omitempty"`
	Dirs   map[string]string `json:"dirs,omitempty"`
	Limits Limits            `json:"limits"`
}

// EscapeID turns a task ID ("<allocID>/<task>") into one path element.
func EscapeID(id string) string {
	s := url.PathEscape(id)
	if s == "" || s == "." || s == ".." {
		s = "_" + s
	}
	return s
}

// For returns the cgroup of the task id: wharf/<escaped id> under each
// parent. It returns nil in mode none.
func (c Cgroups) For(id string, limits Limits) *Cgroup {
	if c.Mode == "" || c.Mode == CgroupNone || len(c.Parents) == 0 {
		return nil
	}
	cg := &Cgroup{Mode: c.Mode, Root: c.Root, Dirs: map[string]string{}, Limits: limits}
	for key, parent := range c.Parents {
		cg.Dirs[key] = filepath.Join(parent, EscapeID(id))
	}
	return cg
}

// Describe says in one line how task trees are contained, for the
// driver's fingerprint.
func (c Cgroups) Describe() string {
	switch c.Mode {
	case CgroupV2:
		return fmt.Sprintf("cgroup v2 under %s", c.Parents[V2Key])
	case CgroupV1:
		s := "cgroup v1 (" + strings.Join(c.controllers(), ",") + ")"
		if c.Reason != "" {
			s += "; " + c.Reason
		}
		return s
	}
	reason := c.Reason
	if reason == "" {
		reason = "cgroups unavailable"
	}
	return reason + ": tasks are killed by process group"
}

// controllers returns the v1 controllers in use, sorted.
func (c Cgroups) controllers() []string {
	out := make([]string, 0, len(c.Parents))
	for k := range c.Parents {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// killDir returns the directory whose cgroup.procs lists every process of
// the tree, and whether it is a v1 freezer (which can stop the tree while
// it is being killed).
func (cg *Cgroup) killDir() (dir string, freezer bool) {
	if cg.Mode == CgroupV2 {
		return cg.Dirs[V2Key], false
	}
	if d, ok := cg.Dirs["freezer"]; ok {
		return d, true
	}
	return cg.Dirs["pids"], false
}

// String returns the cgroup's main directory.
func (cg *Cgroup) String() string {
	if cg == nil {
		return "no cgroup"
	}
	d, _ := cg.killDir()
	return d
}

// sortedDirs returns the cgroup's directories in a stable order.
func (cg *Cgroup) sortedDirs() []string {
	out := make([]string, 0, len(cg.Dirs))
	for _, d := range cg.Dirs {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

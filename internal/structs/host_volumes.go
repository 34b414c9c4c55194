package structs

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// ClientHostVolumeConfig is a host directory a client offers to jobs, as
// Nomad's node HostVolumes.
type ClientHostVolumeConfig struct {
	Name     string
	Path     string
	ReadOnly bool
}

// HostMount is one host path a task asks its driver to mount (the host
// side of a pot "src:dst" mount entry), as written in the job.
type HostMount struct {
	// Key is the driver config key: "mount", "mount_read_only" or "copy".
	Key string
	// Entry is the entry as written, e.g. "/srv/x:/data".
	Entry string
	// Src is the host path, cleaned.
	Src      string
	ReadOnly bool
}

// hostMountKeys are the pot config keys that bring host paths into a
// jail (bind mounts, and copy, which copies host files into the rootfs),
// and whether they are read-only.
var hostMountKeys = []struct {
	key string
	ro  bool
}{{"mount", false}, {"mount_read_only", true}, {"copy", true}}

// TaskHostMounts lists the host paths a pot task mounts; other drivers
// mount none. Malformed entries are left to the driver's config check.
func TaskHostMounts(t *Task) []HostMount {
	if t == nil || t.Driver != "pot" {
		return nil
	}
	var out []HostMount
	for _, k := range hostMountKeys {
		for _, e := range stringList(t.Config[k.key]) {
			src, _, ok := strings.Cut(e, ":")
			if !ok || src == "" {
				continue
			}
			out = append(out, HostMount{Key: k.key, Entry: e, Src: src, ReadOnly: k.ro})
		}
	}
	return out
}

// stringList reads a list of strings from a decoded config value.
func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// VolumeFor returns the host volume among vols whose path contains p (the
// longest such path), or nil. p must be absolute; it is compared after
// cleaning, so ".." cannot climb out of a volume, and a volume /srv/x
// contains /srv/x and /srv/x/a but not /srv/x2. Symlinks are not
// resolved here: the client resolves them before it mounts.
func VolumeFor(vols map[string]*ClientHostVolumeConfig, p string) *ClientHostVolumeConfig {
	if !path.IsAbs(p) {
		return nil
	}
	p = path.Clean(p)
	var best *ClientHostVolumeConfig
	for _, name := range sortedVolumeNames(vols) {
		v := vols[name]
		if v == nil || !path.IsAbs(v.Path) {
			continue
		}
		if within(p, path.Clean(v.Path)) && (best == nil || len(v.Path) > len(best.Path)) {
			best = v
		}
	}
	return best
}

// within reports whether p is dir or inside it; both are clean.
func within(p, dir string) bool {
	if dir == "/" {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// sortedVolumeNames returns the volume names in order, for stable results.
func sortedVolumeNames(vols map[string]*ClientHostVolumeConfig) []string {
	names := make([]string, 0, len(vols))
	for n := range vols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UncoveredMount returns the first host mount of tg's tasks that no host
// volume of the node contains, with the task's name, or ok when all are
// covered.
func UncoveredMount(n *Node, tg *TaskGroup) (task string, m HostMount, ok bool) {
	for _, t := range tg.Tasks {
		for _, hm := range TaskHostMounts(t) {
			if VolumeFor(n.HostVolumes, hm.Src) == nil {
				return t.Name, hm, false
			}
		}
	}
	return "", HostMount{}, true
}

// MountRefusal says why a task's host mount is refused.
func MountRefusal(task string, m HostMount) string {
	return fmt.Sprintf("task %q: config.%s %q: the host path %s is not inside any host volume "+
		`(declare one with client { host_volume "name" { path = "..." } })`, task, m.Key, m.Entry, m.Src)
}

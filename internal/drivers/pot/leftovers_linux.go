package pot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharf-project/wharf/internal/netjail"
)

// Leftovers lists what the driver's jails hold on the node right now:
// runc containers, mounts under its data dir, network namespaces, veths on
// its bridge, port forwards in its table, task directories, and the
// cgroups of the containers whose IDs start with cgroupPrefix (cgroups are
// host-wide; an empty prefix skips them). With no jail running it is empty;
// tests use it to prove a teardown complete.
func (d *Driver) Leftovers(ctx context.Context, cgroupPrefix string) []string {
	var out []string
	if list, err := d.listContainers(ctx); err == nil {
		for _, c := range list {
			out = append(out, "container "+c.ID)
		}
	}
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(mounts), "\n") {
			if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], d.opts.DataDir+"/") {
				out = append(out, "mount "+f[4])
			}
		}
	}
	names, _ := netjail.NetNSNames(d.opts.Bridge)
	for _, n := range names {
		out = append(out, "netns "+n)
	}
	left, _ := netjail.Leftovers(d.opts.Bridge, d.opts.NFTTable)
	for _, l := range left {
		if !strings.Contains(l, "wharf:static") {
			out = append(out, l)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.opts.DataDir, "tasks")); len(ents) > 0 {
		out = append(out, fmt.Sprintf("%d task dirs", len(ents)))
	}
	if cgroupPrefix != "" {
		cgs, _ := filepath.Glob("/sys/fs/cgroup/*/wharf/" + containerID(cgroupPrefix) + "*")
		out = append(out, cgs...)
	}
	return out
}

package supervise

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func init() { hybridV2 = linuxHybridV2 }

// linuxHybridV2 finds a writable cgroup2 mount without the memory and
// pids controllers (the unified hierarchy of a hybrid host).
func linuxHybridV2() (Cgroups, bool) {
	mounts, _ := readCgroupMounts()
	for _, m := range mounts {
		if m.v2 && writable(m.point) && !hasAnyController(m.point, "memory", "pids") {
			return Cgroups{Mode: CgroupV2, Root: m.point,
				Parents: map[string]string{V2Key: filepath.Join(m.point, "wharf")}}, true
		}
	}
	return Cgroups{}, false
}

func TestParseMountinfoLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		ok   bool
		want cgroupMount
	}{
		{"v1 freezer", "30 25 0:26 / /sys/fs/cgroup/freezer rw,relatime shared:12 - cgroup cgroup rw,freezer",
			true, cgroupMount{point: "/sys/fs/cgroup/freezer", root: "/", controllers: []string{"freezer"}}},
		{"v1 combined cpu", "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct",
			true, cgroupMount{point: "/sys/fs/cgroup/cpu,cpuacct", root: "/", controllers: []string{"cpu", "cpuacct"}}},
		{"v1 named hierarchy", "32 25 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd",
			true, cgroupMount{point: "/sys/fs/cgroup/systemd", root: "/"}},
		{"v2 without optional fields", "33 25 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate",
			true, cgroupMount{point: "/sys/fs/cgroup/unified", root: "/", v2: true}},
		{"container subtree", "40 39 0:30 /docker/abc /sys/fs/cgroup/pids ro master:3 - cgroup cgroup rw,pids",
			true, cgroupMount{point: "/sys/fs/cgroup/pids", root: "/docker/abc", controllers: []string{"pids"}}},
		{"escaped space", `41 25 0:31 / /mnt/my\040cg rw - cgroup2 none rw`,
			true, cgroupMount{point: "/mnt/my cg", root: "/", v2: true}},
		{"not a cgroup", "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw", false, cgroupMount{}},
		{"garbage", "nonsense", false, cgroupMount{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseMountinfoLine(tc.line)
			if ok != tc.ok || got.point != tc.want.point || got.root != tc.want.root || got.v2 != tc.want.v2 ||
				!slices.Equal(got.controllers, tc.want.controllers) {
				t.Errorf("parse = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRelToMount(t *testing.T) {
	tests := []struct{ path, root, want string }{
		{"/process_api/x", "/", "/process_api/x"},
		{"/docker/abc/sub", "/docker/abc", "/sub"},
		{"/docker/abc", "/docker/abc", "/"},
		{"/elsewhere", "/docker/abc", "/elsewhere"},
	}
	for _, tc := range tests {
		if got := relToMount(tc.path, tc.root); got != tc.want {
			t.Errorf("relToMount(%q, %q) = %q, want %q", tc.path, tc.root, got, tc.want)
		}
	}
}

func TestCgroupNaming(t *testing.T) {
	tests := []struct{ id, want string }{
		{"8f3a/web", "8f3a%2Fweb"},
		{"a b/c", "a%20b%2Fc"},
		{"..", "_.."},
		{"", "_"},
	}
	for _, tc := range tests {
		if got := EscapeID(tc.id); got != tc.want {
			t.Errorf("EscapeID(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
	c := Cgroups{Mode: CgroupV1, Parents: map[string]string{"pids": "/cg/pids/x/wharf", "memory": "/cg/memory/wharf"},
		Reason: "no freezer"}
	cg := c.For("a1/web", Limits{MemoryMB: 10})
	if cg.Dirs["pids"] != "/cg/pids/x/wharf/a1%2Fweb" || cg.Dirs["memory"] != "/cg/memory/wharf/a1%2Fweb" ||
		cg.String() != "/cg/pids/x/wharf/a1%2Fweb" || cg.Limits.MemoryMB != 10 {
		t.Errorf("For = %+v", cg)
	}
	if got := c.Describe(); got != "cgroup v1 (memory,pids); no freezer" {
		t.Errorf("Describe = %q", got)
	}
	if (Cgroups{Mode: CgroupNone}).For("a1/web", Limits{}) != nil {
		t.Error("mode none gave a cgroup")
	}
}

func TestCPUWeight(t *testing.T) {
	for shares, want := range map[int64]int64{0: 0, 1: 1, 2: 1, 1024: 39, 262144: 10000, 1 << 30: 10000} {
		if got := cpuWeight(shares); got != want {
			t.Errorf("cpuWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestCounter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "memory.events")
	if err := os.WriteFile(path, []byte("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := counter(path, "oom_kill"); got != 1 {
		t.Errorf("oom_kill = %d", got)
	}
	if got := counter(path, "absent"); got != 0 {
		t.Errorf("absent = %d", got)
	}
}

// readControl returns a cgroup control file's content.
func readControl(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestCgroupLifecycle(t *testing.T) {
	requireRoot(t)
	for name, c := range cgroupSetups(t) {
		if c.Mode == CgroupNone {
			continue
		}
		t.Run(name, func(t *testing.T) {
			cg := c.For(randomID(t), Limits{MemoryMB: 64, MemoryMaxMB: 128, CPUShares: 500})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := cg.create(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cg.Kill(ctx); _ = cg.Remove(ctx) })
			if d := cg.Dirs["memory"]; d != "" {
				if got := readControl(t, filepath.Join(d, "memory.limit_in_bytes")); got != "134217728" {
					t.Errorf("memory limit = %s", got)
				}
				if got := readControl(t, filepath.Join(d, "memory.soft_limit_in_bytes")); got != "67108864" {
					t.Errorf("memory soft limit = %s", got)
				}
			}
			if d := cg.Dirs["cpu"]; d != "" {
				if got := readControl(t, filepath.Join(d, "cpu.shares")); got != "500" {
					t.Errorf("cpu shares = %s", got)
				}
			}
			newCmd := func() *exec.Cmd { return exec.Command("sh", "-c", "sleep 1000 & sleep 1000") }
			cmd, err := startInCgroup(newCmd, cg)
			if err != nil {
				t.Fatal(err)
			}
			go cmd.Wait()
			waitFor(t, "sh and its sleeps in the cgroup", func() bool {
				pids, _ := cg.Procs()
				return len(pids) == 3 && slices.Contains(pids, cmd.Process.Pid)
			})
			if own, _ := ownCgroupDirs(); slices.Contains(slices.Collect(maps.Values(own)), cg.String()) {
				t.Error("the starting process stayed in the task's cgroup")
			}
			if err := cg.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			if pids, _ := cg.Procs(); len(pids) != 0 {
				t.Errorf("processes survive Kill: %v", pids)
			}
			if err := cg.Remove(ctx); err != nil || cg.Exists() {
				t.Errorf("Remove = %v; exists %v", err, cg.Exists())
			}
			if err := cg.Remove(ctx); err != nil {
				t.Errorf("second Remove = %v", err)
			}
		})
	}
}

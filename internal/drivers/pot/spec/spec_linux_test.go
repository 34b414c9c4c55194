//go:build linux

package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/jail"
)

func testInput(t *testing.T, mode string) Input {
	t.Helper()
	raw := seedConfig()
	raw["mount_read_only"] = []any{"/etc/ssl:/etc/ssl"}
	raw["mount"] = []any{"/data:/data"}
	if mode != "" {
		raw["network_mode"] = mode
	}
	c, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	return Input{
		Task: &drivers.TaskConfig{
			ID: "a1b2/web", AllocDir: root + "/a1b2", TaskDir: root + "/a1b2/web",
			Env:      map[string]string{"Z": "1", "A": "2", "NOMAD_TASK_DIR": "/host/x"},
			MemoryMB: 64, CPUShares: 200,
		},
		Conf: c, RootfsPath: root + "/rootfs", Hostname: "web", NetNSPath: "/var/run/netns/x",
		CPUTotalMHz: 8000, CPUCores: 4,
	}
}

func build(t *testing.T, in Input) *specs.Spec {
	t.Helper()
	s, err := BuildSpec(in)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func nsTypes(s *specs.Spec) map[specs.LinuxNamespaceType]string {
	m := map[specs.LinuxNamespaceType]string{}
	for _, n := range s.Linux.Namespaces {
		m[n.Type] = n.Path
	}
	return m
}

func TestBuildSpecNamespaces(t *testing.T) {
	ns := nsTypes(build(t, testInput(t, "")))
	for _, typ := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace} {
		if _, ok := ns[typ]; !ok {
			t.Errorf("missing %s namespace", typ)
		}
	}
	if p, ok := ns[specs.NetworkNamespace]; !ok || p != "/var/run/netns/x" {
		t.Errorf("network namespace = %q, %v", p, ok)
	}
	if _, ok := nsTypes(build(t, testInput(t, "host")))[specs.NetworkNamespace]; ok {
		t.Error("host mode has a network namespace")
	}
}

func TestBuildSpecProcess(t *testing.T) {
	p := build(t, testInput(t, "")).Process
	want := []string{"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
		"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	for name, set := range map[string][]string{"bounding": p.Capabilities.Bounding, "effective": p.Capabilities.Effective, "permitted": p.Capabilities.Permitted} {
		got := slices.Clone(set)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s caps = %v", name, got)
		}
		if slices.Contains(set, "CAP_SYS_ADMIN") {
			t.Errorf("%s has CAP_SYS_ADMIN", name)
		}
	}
	if len(p.Capabilities.Inheritable)+len(p.Capabilities.Ambient) != 0 {
		t.Error("inheritable or ambient caps granted")
	}
	if !p.NoNewPrivileges || p.Terminal || p.User.UID != 0 || p.Cwd != "/" {
		t.Errorf("process = %+v", p)
	}
	if !reflect.DeepEqual(p.Args, []string{"nginx", "-g", "daemon off;"}) {
		t.Errorf("args = %q", p.Args)
	}
	if !sort.StringsAreSorted(p.Env) || !slices.Contains(p.Env, "NOMAD_TASK_DIR=/local") || !slices.Contains(p.Env, "A=2") {
		t.Errorf("env = %q", p.Env)
	}
}

func TestBuildSpecLinux(t *testing.T) {
	in := testInput(t, "")
	l := build(t, in).Linux
	if !slices.Contains(l.MaskedPaths, "/proc/kcore") || !slices.Contains(l.ReadonlyPaths, "/proc/sys") {
		t.Errorf("masked %v readonly %v", l.MaskedPaths, l.ReadonlyPaths)
	}
	if *l.Resources.Memory.Limit != 64<<20 || l.Resources.Memory.Reservation != nil {
		t.Errorf("memory = %+v", l.Resources.Memory)
	}
	if *l.Resources.Pids.Limit != jail.DefaultPidsLimit {
		t.Errorf("pids = %d", *l.Resources.Pids.Limit)
	}
	if *l.Resources.CPU.Shares != 200*1024/2000 || l.Resources.CPU.Quota != nil {
		t.Errorf("cpu = %+v", l.Resources.CPU)
	}
	if d := l.Resources.Devices[0]; d.Allow || d.Access != "rwm" || d.Major != nil {
		t.Errorf("first device rule is not deny-all: %+v", d)
	}
	if l.Seccomp == nil || l.Seccomp.DefaultAction != specs.ActErrno || len(l.Seccomp.Syscalls) == 0 {
		t.Errorf("seccomp = %+v", l.Seccomp)
	}
	if l.CgroupsPath != "wharf/a1b2_web" {
		t.Errorf("cgroups path = %q", l.CgroupsPath)
	}
	in.Task.MemoryMaxMB, in.CPUHardLimit, in.PidsLimit = 256, true, 50
	l = build(t, in).Linux
	if *l.Resources.Memory.Limit != 256<<20 || *l.Resources.Memory.Reservation != 64<<20 ||
		*l.Resources.Pids.Limit != 50 || *l.Resources.CPU.Quota != 10000 {
		t.Errorf("resources = %+v %+v", l.Resources.Memory, l.Resources.CPU)
	}
}

func TestBuildSpecMounts(t *testing.T) {
	in := testInput(t, "")
	in.HostsPath = "/run/wharf/hosts"
	s := build(t, in)
	byDst := map[string]specs.Mount{}
	for _, m := range s.Mounts {
		byDst[m.Destination] = m
	}
	want := map[string]string{
		"/local": in.Task.TaskDir + "/local", "/secrets": in.Task.TaskDir + "/secrets",
		"/alloc": in.Task.AllocDir + "/alloc", "/data": "/data", "/etc/ssl": "/etc/ssl", "/etc/hosts": "/run/wharf/hosts",
	}
	for dst, src := range want {
		if byDst[dst].Source != src {
			t.Errorf("mount %s source = %q, want %q", dst, byDst[dst].Source, src)
		}
	}
	if !slices.Contains(byDst["/etc/ssl"].Options, "ro") || !slices.Contains(byDst["/data"].Options, "rw") {
		t.Errorf("options ro=%v rw=%v", byDst["/etc/ssl"].Options, byDst["/data"].Options)
	}
	for _, dst := range []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"} {
		if _, ok := byDst[dst]; !ok {
			t.Errorf("missing %s", dst)
		}
	}
	if s.Root.Readonly || s.Root.Path != in.RootfsPath || s.Hostname != "web" {
		t.Errorf("root %+v hostname %q", s.Root, s.Hostname)
	}
}

func TestBuildSpecJSONRoundTrip(t *testing.T) {
	s := build(t, testInput(t, ""))
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back specs.Spec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Error("spec does not round-trip through JSON")
	}
}

func TestBuildSpecErrors(t *testing.T) {
	for name, mut := range map[string]func(*Input){
		"no memory":  func(in *Input) { in.Task.MemoryMB = 0 },
		"named user": func(in *Input) { in.Task.User = "www" },
		"no rootfs":  func(in *Input) { in.RootfsPath = "" },
		"no command": func(in *Input) { in.Conf.Command = "" },
	} {
		in := testInput(t, "")
		mut(&in)
		if _, err := BuildSpec(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

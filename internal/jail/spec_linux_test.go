//go:build linux

package jail

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// plainInput is a jail input with every field a caller usually sets.
func plainInput() Input {
	return Input{
		Args: []string{"/bin/sh", "-c", "echo hi"}, Env: map[string]string{"B": "2", "A": "1"},
		RootfsPath: "/r/rootfs", Hostname: "h", NetNSPath: "/var/run/netns/x",
		Mounts:    []Mount{{Src: "/d", Dst: "/data"}, {Src: "/etc/ssl", Dst: "/etc/ssl", ReadOnly: true}},
		HostsPath: "/r/hosts", ResolvConfPath: "/r/resolv.conf",
		MemoryMB: 64, CPUMHz: 200, CPUTotalMHz: 8000, CPUCores: 4, CgroupsPath: "wharf/x",
	}
}

func mustBuild(t *testing.T, in Input) *specs.Spec {
	t.Helper()
	s, err := BuildSpec(in)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildSpecProcess(t *testing.T) {
	tests := []struct {
		name     string
		mut      func(*Input)
		env      []string
		uid, gid uint32
	}{
		{"defaults", func(*Input) {}, []string{"A=1", "B=2", "PATH=" + DefaultPath}, 0, 0},
		{"own path", func(in *Input) { in.Env["PATH"] = "/x" }, []string{"A=1", "B=2", "PATH=/x"}, 0, 0},
		{"nil env", func(in *Input) { in.Env = nil }, []string{"PATH=" + DefaultPath}, 0, 0},
		{"root", func(in *Input) { in.User = "root" }, nil, 0, 0},
		{"uid", func(in *Input) { in.User = "1000" }, nil, 1000, 1000},
		{"uid and gid", func(in *Input) { in.User = "1000:50" }, nil, 1000, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := plainInput()
			tt.mut(&in)
			p := mustBuild(t, in).Process
			if tt.env != nil && !reflect.DeepEqual(p.Env, tt.env) {
				t.Errorf("env = %q, want %q", p.Env, tt.env)
			}
			if p.User.UID != tt.uid || p.User.GID != tt.gid {
				t.Errorf("user = %+v", p.User)
			}
			if !reflect.DeepEqual(p.Args, in.Args) || !p.NoNewPrivileges || p.Terminal || p.Cwd != "/" {
				t.Errorf("process = %+v", p)
			}
			if len(p.Rlimits) != 1 || p.Rlimits[0].Hard != NofileLimit || p.Rlimits[0].Soft != NofileLimit {
				t.Errorf("rlimits = %+v", p.Rlimits)
			}
			if slices.Contains(p.Capabilities.Bounding, "CAP_SYS_ADMIN") || len(p.Capabilities.Ambient) != 0 {
				t.Errorf("capabilities = %+v", p.Capabilities)
			}
		})
	}
}

func TestBuildSpecArgsAreCopied(t *testing.T) {
	in := plainInput()
	s := mustBuild(t, in)
	in.Args[0] = "/changed"
	if s.Process.Args[0] != "/bin/sh" {
		t.Error("the spec shares the caller's argv")
	}
}

func TestBuildSpecNetwork(t *testing.T) {
	tests := []struct {
		name   string
		host   bool
		netns  string
		want   bool
		wantNS string
	}{
		{"joins a namespace", false, "/var/run/netns/x", true, "/var/run/netns/x"},
		{"fresh namespace", false, "", true, ""},
		{"host network", true, "/var/run/netns/x", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := plainInput()
			in.HostNetwork, in.NetNSPath = tt.host, tt.netns
			var got *specs.LinuxNamespace
			types := map[specs.LinuxNamespaceType]bool{}
			for _, ns := range mustBuild(t, in).Linux.Namespaces {
				types[ns.Type] = true
				if ns.Type == specs.NetworkNamespace {
					got = &ns
				}
			}
			if (got != nil) != tt.want || got != nil && got.Path != tt.wantNS {
				t.Errorf("network namespace = %+v", got)
			}
			for _, typ := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace} {
				if !types[typ] {
					t.Errorf("missing %s namespace", typ)
				}
			}
		})
	}
}

func TestBuildSpecMountsInOrder(t *testing.T) {
	s := mustBuild(t, plainInput())
	var binds []string
	for _, m := range s.Mounts {
		if m.Type == "bind" {
			binds = append(binds, m.Source+">"+m.Destination+":"+m.Options[len(m.Options)-1])
		}
	}
	want := []string{"/d>/data:rw", "/etc/ssl>/etc/ssl:ro", "/r/hosts>/etc/hosts:ro", "/r/resolv.conf>/etc/resolv.conf:ro"}
	if !reflect.DeepEqual(binds, want) {
		t.Errorf("binds = %q, want %q", binds, want)
	}
	if s.Mounts[0].Destination != "/proc" || s.Root.Path != "/r/rootfs" || s.Root.Readonly {
		t.Errorf("mounts[0] %+v root %+v", s.Mounts[0], s.Root)
	}
	in := plainInput()
	in.Mounts, in.HostsPath, in.ResolvConfPath = nil, "", ""
	if n := len(mustBuild(t, in).Mounts); n != len(defaultMounts()) {
		t.Errorf("%d mounts without binds, want the %d kernel filesystems", n, len(defaultMounts()))
	}
}

func TestBuildSpecResources(t *testing.T) {
	tests := []struct {
		name                     string
		mut                      func(*Input)
		limit, reservation, pids int64
		shares                   uint64
		quota                    int64
	}{
		{"reserved", func(*Input) {}, 64 << 20, 0, DefaultPidsLimit, 200 * 1024 / 2000, 0},
		{"memory max", func(in *Input) { in.MemoryMaxMB = 256 }, 256 << 20, 64 << 20, DefaultPidsLimit, 102, 0},
		{"hard cpu, pids", func(in *Input) { in.CPUHardLimit, in.PidsLimit = true, 50 }, 64 << 20, 0, 50, 102, 10000},
		{"no node figures", func(in *Input) { in.CPUTotalMHz = 0 }, 64 << 20, 0, DefaultPidsLimit, 200, 0},
		{"tiny cpu", func(in *Input) { in.CPUMHz = 1 }, 64 << 20, 0, DefaultPidsLimit, minShares, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := plainInput()
			tt.mut(&in)
			r := mustBuild(t, in).Linux.Resources
			if *r.Memory.Limit != tt.limit || (r.Memory.Reservation == nil) != (tt.reservation == 0) ||
				r.Memory.Reservation != nil && *r.Memory.Reservation != tt.reservation {
				t.Errorf("memory = %+v", r.Memory)
			}
			if *r.Pids.Limit != tt.pids || *r.CPU.Shares != tt.shares {
				t.Errorf("pids %d shares %d", *r.Pids.Limit, *r.CPU.Shares)
			}
			if (r.CPU.Quota == nil) != (tt.quota == 0) || r.CPU.Quota != nil && *r.CPU.Quota != tt.quota {
				t.Errorf("cpu = %+v", r.CPU)
			}
			if d := r.Devices[0]; d.Allow || d.Access != "rwm" {
				t.Errorf("first device rule is not deny-all: %+v", d)
			}
		})
	}
	in := plainInput()
	in.CPUMHz = 0
	if mustBuild(t, in).Linux.Resources.CPU != nil {
		t.Error("no cpu reserved, yet a cpu limit")
	}
}

func TestBuildSpecHardening(t *testing.T) {
	s := mustBuild(t, plainInput())
	l := s.Linux
	if l.CgroupsPath != "wharf/x" || !slices.Contains(l.MaskedPaths, "/proc/kcore") || !slices.Contains(l.ReadonlyPaths, "/proc/sys") {
		t.Errorf("linux = %+v", l)
	}
	if l.Seccomp == nil || l.Seccomp.DefaultAction != specs.ActErrno || len(l.Seccomp.Syscalls) == 0 {
		t.Errorf("seccomp = %+v", l.Seccomp)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back specs.Spec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, s) {
		t.Errorf("spec does not round-trip through JSON: %v", err)
	}
}

func TestBuildSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Input)
		want string
	}{
		{"no args", func(in *Input) { in.Args = nil }, "no command to run"},
		{"no rootfs", func(in *Input) { in.RootfsPath = "" }, "rootfs path and cgroups path are required"},
		{"no cgroups path", func(in *Input) { in.CgroupsPath = "" }, "rootfs path and cgroups path are required"},
		{"named user", func(in *Input) { in.User = "www" }, `user "www": only numeric`},
		{"bad gid", func(in *Input) { in.User = "1:x" }, `user "1:x": only numeric`},
		{"huge uid", func(in *Input) { in.User = "4294967296" }, "only numeric"},
		{"no memory", func(in *Input) { in.MemoryMB = 0 }, "resources.memory must be positive"},
		{"negative memory", func(in *Input) { in.MemoryMB = -1 }, "resources.memory must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := plainInput()
			tt.mut(&in)
			_, err := BuildSpec(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "build spec: ") {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

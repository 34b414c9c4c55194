package jail

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Mount is a host path bind-mounted into the jail at Dst.
type Mount struct {
	Src      string
	Dst      string
	ReadOnly bool
}

// Input is everything BuildSpec needs for one jail. It is plain data: the
// caller (a driver, the flavour builder) turns its own notions, such as a
// task's directories and variables, into argv, environment and mounts.
type Input struct {
	// Args is the jail's argv; Args[0] is looked up in the jail's PATH.
	Args []string
	// Env is the jail's environment; PATH defaults to DefaultPath.
	Env map[string]string
	// User is "", "root", "uid" or "uid:gid" (host ids: no user
	// namespace is used, and names are not resolved).
	User string
	// RootfsPath is the jail's root directory (an overlay, usually).
	RootfsPath string
	Hostname   string
	// HostNetwork shares the host's network stack. Otherwise the jail
	// gets its own network namespace: NetNSPath joins an existing one,
	// empty means the runtime creates a fresh one.
	HostNetwork bool
	NetNSPath   string
	// Mounts are bind mounts, in order, after the kernel filesystems.
	Mounts []Mount
	// HostsPath and ResolvConfPath, when set, are host files bind-mounted
	// read-only at /etc/hosts and /etc/resolv.conf, after Mounts.
	HostsPath      string
	ResolvConfPath string
	// MemoryMB is the memory limit; with MemoryMaxMB above it, MemoryMaxMB
	// is the limit and MemoryMB the soft reservation.
	MemoryMB    int64
	MemoryMaxMB int64
	// CPUMHz is the reserved cpu; zero sets no cpu limit. With
	// CPUTotalMHz and CPUCores (the node's) cpu shares are scaled so one
	// core's worth of MHz is 1024 shares. CPUHardLimit adds a CFS quota
	// equal to the reserved MHz.
	CPUMHz       int64
	CPUTotalMHz  int64
	CPUCores     int64
	CPUHardLimit bool
	// PidsLimit defaults to DefaultPidsLimit.
	PidsLimit int64
	// NofileLimit is the soft and hard RLIMIT_NOFILE; NofileLimit (the
	// constant) when zero. The jail cannot raise it above the runtime's
	// own hard limit: see MaxNofile.
	NofileLimit uint64
	// CgroupsPath is the jail's cgroup, relative to the runtime's root
	// cgroup; required.
	CgroupsPath string
}

// BuildSpec builds the hardened OCI spec of one jail: own pid, mount, ipc,
// uts, cgroup and (unless host network) network namespaces, Docker's
// default capabilities and seccomp profile, no_new_privs, masked /proc
// paths, the standard devices only, and memory, cpu and pids limits.
func BuildSpec(in Input) (*specs.Spec, error) {
	if in.RootfsPath == "" || in.CgroupsPath == "" {
		return nil, errors.New("build spec: rootfs path and cgroups path are required")
	}
	proc, err := process(in)
	if err != nil {
		return nil, fmt.Errorf("build spec: %w", err)
	}
	res, err := resources(in)
	if err != nil {
		return nil, fmt.Errorf("build spec: %w", err)
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Process:  proc,
		Root:     &specs.Root{Path: in.RootfsPath},
		Hostname: in.Hostname,
		Mounts:   specMounts(in),
		Linux: &specs.Linux{
			Namespaces:    namespaces(in),
			Resources:     res,
			CgroupsPath:   in.CgroupsPath,
			MaskedPaths:   append([]string(nil), MaskedPaths...),
			ReadonlyPaths: append([]string(nil), ReadonlyPaths...),
		},
	}
	if s.Linux.Seccomp, err = defaultSeccomp(s); err != nil {
		return nil, fmt.Errorf("build spec: %w", err)
	}
	return s, nil
}

// ErrNoArgs: the jail has nothing to run.
var ErrNoArgs = errors.New("no command to run")

// process builds the jail's process: argv, env, user, capabilities.
func process(in Input) (*specs.Process, error) {
	if len(in.Args) == 0 {
		return nil, ErrNoArgs
	}
	uid, gid, err := parseUser(in.User)
	if err != nil {
		return nil, err
	}
	caps := append([]string(nil), DefaultCapabilities...)
	return &specs.Process{
		Args: append([]string(nil), in.Args...),
		Env:  env(in.Env),
		Cwd:  "/",
		User: specs.User{UID: uid, GID: gid},
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  caps,
			Effective: append([]string(nil), caps...),
			Permitted: append([]string(nil), caps...),
		},
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: nofile(in), Soft: nofile(in)}},
		NoNewPrivileges: true,
	}, nil
}

// nofile is the jail's RLIMIT_NOFILE.
func nofile(in Input) uint64 {
	if in.NofileLimit > 0 {
		return in.NofileLimit
	}
	return NofileLimit
}

// parseUser accepts "", "root", "uid" or "uid:gid". User namespaces are not
// used, so ids are host ids; names are not resolved (that needs the image's
// /etc/passwd).
func parseUser(u string) (uint32, uint32, error) {
	if u == "" || u == "root" {
		return 0, 0, nil
	}
	us, gs, hasGID := strings.Cut(u, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("user %q: only numeric \"uid[:gid]\" is supported", u)
	}
	gid := uid
	if hasGID {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("user %q: only numeric \"uid[:gid]\" is supported", u)
		}
	}
	return uint32(uid), uint32(gid), nil
}

// env renders the environment as sorted "K=V", defaulting PATH.
func env(m map[string]string) []string {
	out := make([]string, 0, len(m)+1)
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	if _, ok := m["PATH"]; !ok {
		out = append(out, "PATH="+DefaultPath)
	}
	sort.Strings(out)
	return out
}

// namespaces lists the jail's namespaces; host network shares the host's
// network stack.
func namespaces(in Input) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.CgroupNamespace},
	}
	if !in.HostNetwork {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNSPath})
	}
	return ns
}

// specMounts lists the kernel filesystems, the bind mounts and the etc
// files.
func specMounts(in Input) []specs.Mount {
	ms := defaultMounts()
	bind := func(src, dst string, ro bool) {
		opt := []string{"rbind", "rprivate", "nosuid", "nodev", "rw"}
		if ro {
			opt[len(opt)-1] = "ro"
		}
		ms = append(ms, specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opt})
	}
	for _, m := range in.Mounts {
		bind(m.Src, m.Dst, m.ReadOnly)
	}
	if in.HostsPath != "" {
		bind(in.HostsPath, "/etc/hosts", true)
	}
	if in.ResolvConfPath != "" {
		bind(in.ResolvConfPath, "/etc/resolv.conf", true)
	}
	return ms
}

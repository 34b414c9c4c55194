package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf-project/wharf/internal/drivers"
)

// Input is everything BuildSpec needs for one task.
type Input struct {
	Task *drivers.TaskConfig
	Conf *Config
	// RootfsPath is the mounted overlay (image lower, per-alloc upper).
	RootfsPath string
	Hostname   string
	// NetNSPath joins an existing network namespace (bridge mode); empty
	// means runc creates a fresh one. Ignored in host mode.
	NetNSPath string
	// ImageCmd is the image's default command, used when Conf.Command is
	// empty.
	ImageCmd []string
	// CPUTotalMHz and CPUCores describe the node; with both set cpu shares
	// are scaled so one core's worth of MHz is 1024 shares.
	CPUTotalMHz int64
	CPUCores    int64
	// CPUHardLimit adds a CFS quota equal to the reserved MHz.
	CPUHardLimit bool
	// PidsLimit defaults to DefaultPidsLimit.
	PidsLimit int64
	// NofileLimit is the soft and hard RLIMIT_NOFILE; NofileLimit (the
	// constant) when zero. The jail cannot raise it above the runtime's
	// own hard limit, so the driver passes the lower of the two.
	NofileLimit uint64
	// CgroupsPath defaults to "wharf/<escaped task id>".
	CgroupsPath string
	// HostsPath and ResolvConfPath, when set, are host files bind-mounted
	// read-only at /etc/hosts and /etc/resolv.conf.
	HostsPath      string
	ResolvConfPath string
}

// Paths of Nomad's task directories inside the task.
const (
	LocalDir   = "/local"
	SecretsDir = "/secrets"
	AllocDir   = "/alloc"
)

// BuildSpec builds the hardened OCI spec of one pot task: own pid, mount,
// ipc, uts, cgroup and (unless host mode) network namespaces, Docker's
// default capabilities and seccomp profile, no_new_privs, masked /proc
// paths, the standard devices only, and memory, cpu and pids limits.
func BuildSpec(in Input) (*specs.Spec, error) {
	if in.Task == nil || in.Conf == nil || in.RootfsPath == "" {
		return nil, errors.New("build spec: task, config and rootfs path are required")
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
			CgroupsPath:   cgroupsPath(in),
			MaskedPaths:   append([]string(nil), MaskedPaths...),
			ReadonlyPaths: append([]string(nil), ReadonlyPaths...),
		},
	}
	if s.Linux.Seccomp, err = defaultSeccomp(s); err != nil {
		return nil, fmt.Errorf("build spec: %w", err)
	}
	return s, nil
}

// process builds the task's process: argv, env, root user, capabilities.
func process(in Input) (*specs.Process, error) {
	args, err := ProcessArgs(in.Conf, in.ImageCmd)
	if err != nil {
		return nil, err
	}
	uid, gid, err := parseUser(in.Task.User)
	if err != nil {
		return nil, err
	}
	caps := append([]string(nil), DefaultCapabilities...)
	return &specs.Process{
		Args: args,
		Env:  env(in.Task.Env),
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
// /etc/passwd, which the driver would have to read).
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

// env renders the environment as sorted "K=V", pointing Nomad's directory
// variables at the in-task paths and defaulting PATH.
func env(m map[string]string) []string {
	e := make(map[string]string, len(m)+4)
	for k, v := range m {
		e[k] = v
	}
	e["NOMAD_TASK_DIR"], e["NOMAD_SECRETS_DIR"], e["NOMAD_ALLOC_DIR"] = LocalDir, SecretsDir, AllocDir
	if _, ok := e["PATH"]; !ok {
		e["PATH"] = DefaultPath
	}
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// namespaces lists the task's namespaces; host mode shares the host's
// network stack.
func namespaces(in Input) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.CgroupNamespace},
	}
	if in.Conf.NetworkMode != NetworkHost {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNSPath})
	}
	return ns
}

// specMounts lists kernel filesystems, task dirs, user mounts and etc files.
func specMounts(in Input) []specs.Mount {
	ms := defaultMounts()
	bind := func(src, dst string, ro bool) {
		opt := []string{"rbind", "rprivate", "nosuid", "nodev", "rw"}
		if ro {
			opt[len(opt)-1] = "ro"
		}
		ms = append(ms, specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opt})
	}
	bind(filepath.Join(in.Task.TaskDir, "local"), LocalDir, false)
	bind(filepath.Join(in.Task.TaskDir, "secrets"), SecretsDir, false)
	bind(filepath.Join(in.Task.AllocDir, "alloc"), AllocDir, false)
	for _, m := range in.Conf.Mounts {
		bind(m.Src, m.Dst, false)
	}
	for _, m := range in.Conf.MountsReadOnly {
		bind(m.Src, m.Dst, true)
	}
	if in.HostsPath != "" {
		bind(in.HostsPath, "/etc/hosts", true)
	}
	if in.ResolvConfPath != "" {
		bind(in.ResolvConfPath, "/etc/resolv.conf", true)
	}
	return ms
}

// cgroupsPath is Input.CgroupsPath or wharf/<task id with / and : escaped>.
func cgroupsPath(in Input) string {
	if in.CgroupsPath != "" {
		return in.CgroupsPath
	}
	return "wharf/" + strings.NewReplacer("/", "_", ":", "_").Replace(in.Task.ID)
}

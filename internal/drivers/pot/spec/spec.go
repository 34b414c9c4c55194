package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/jail"
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
	// PidsLimit defaults to jail.DefaultPidsLimit.
	PidsLimit int64
	// NofileLimit is the soft and hard RLIMIT_NOFILE; jail.NofileLimit
	// when zero. The driver passes jail.MaxNofile().
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

// BuildSpec builds the hardened OCI spec of one pot task (see
// jail.BuildSpec): the task's argv from its config and image, its
// environment with Nomad's directory variables pointing at the in-task
// paths, its directories, mounts and resources.
func BuildSpec(in Input) (*specs.Spec, error) {
	jin, err := jailInput(in)
	if err != nil {
		return nil, err
	}
	return jail.BuildSpec(jin)
}

// jailInput turns a pot task into the jail's plain input.
func jailInput(in Input) (jail.Input, error) {
	if in.Task == nil || in.Conf == nil || in.RootfsPath == "" {
		return jail.Input{}, errors.New("build spec: task, config and rootfs path are required")
	}
	args, err := ProcessArgs(in.Conf, in.ImageCmd)
	if err != nil {
		return jail.Input{}, fmt.Errorf("build spec: %w", err)
	}
	t := in.Task
	return jail.Input{
		Args: args, Env: taskEnv(t.Env), User: t.User,
		RootfsPath: in.RootfsPath, Hostname: in.Hostname,
		HostNetwork: in.Conf.NetworkMode == NetworkHost, NetNSPath: in.NetNSPath,
		Mounts:    taskMounts(in),
		HostsPath: in.HostsPath, ResolvConfPath: in.ResolvConfPath,
		MemoryMB: t.MemoryMB, MemoryMaxMB: t.MemoryMaxMB,
		CPUMHz: t.CPUShares, CPUTotalMHz: in.CPUTotalMHz, CPUCores: in.CPUCores, CPUHardLimit: in.CPUHardLimit,
		PidsLimit: in.PidsLimit, NofileLimit: in.NofileLimit, CgroupsPath: cgroupsPath(in),
	}, nil
}

// taskEnv is the task's environment with Nomad's directory variables
// pointing at the in-task paths.
func taskEnv(m map[string]string) map[string]string {
	e := make(map[string]string, len(m)+3)
	for k, v := range m {
		e[k] = v
	}
	e["NOMAD_TASK_DIR"], e["NOMAD_SECRETS_DIR"], e["NOMAD_ALLOC_DIR"] = LocalDir, SecretsDir, AllocDir
	return e
}

// taskMounts lists the task directories, then the user's mounts.
func taskMounts(in Input) []jail.Mount {
	ms := []jail.Mount{
		{Src: filepath.Join(in.Task.TaskDir, "local"), Dst: LocalDir},
		{Src: filepath.Join(in.Task.TaskDir, "secrets"), Dst: SecretsDir},
		{Src: filepath.Join(in.Task.AllocDir, "alloc"), Dst: AllocDir},
	}
	for _, m := range in.Conf.Mounts {
		ms = append(ms, jail.Mount{Src: m.Src, Dst: m.Dst})
	}
	for _, m := range in.Conf.MountsReadOnly {
		ms = append(ms, jail.Mount{Src: m.Src, Dst: m.Dst, ReadOnly: true})
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

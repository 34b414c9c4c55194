package pot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	jailrt "github.com/wharf-project/wharf/internal/jail"
	"github.com/wharf-project/wharf/internal/supervise"
)

// jailFile is the jail record in the task's directory.
const jailFile = "jail.json"

// jail is everything one task's jail holds on the node, recorded before
// each piece is made so a crashed agent's successor can undo it.
type jail struct {
	TaskID      string `json:"task_id"`
	ContainerID string `json:"container_id"`
	// Dir is the task's directory: bundle (config.json), rootfs mount
	// point, overlay upper and work dirs, hosts and resolv.conf files.
	Dir string `json:"dir"`
	// Image is "<pot>_<tag>" and Lower the cached rootfs it runs on.
	Image string `json:"image"`
	Lower string `json:"lower"`
	// Mounted is set once the overlay is mounted.
	Mounted bool `json:"mounted,omitempty"`
	// NetNS names the network namespace (bridge mode); IP is the leased
	// address, NetKey the key of the lease, veth and port forwards.
	NetNS  string `json:"netns,omitempty"`
	IP     string `json:"ip,omitempty"`
	NetKey string `json:"net_key,omitempty"`
	// Ports maps each port label to the port inside the jail.
	Ports map[string]int `json:"ports,omitempty"`
	// CgroupsPath is the container's cgroups path.
	CgroupsPath string `json:"cgroups_path"`
	// DiskMB is the group's ephemeral_disk, enforced on DiskPaths.
	DiskMB    int64    `json:"disk_mb,omitempty"`
	DiskPaths []string `json:"disk_paths,omitempty"`
}

// rootfs is the jail's root mount point.
func (j *jail) rootfs() string { return filepath.Join(j.Dir, "rootfs") }

// save writes the jail record.
func (j *jail) save() error {
	return supervise.WriteJSON(filepath.Join(j.Dir, jailFile), j)
}

// readJail reads the jail record of a task directory.
func readJail(dir string) (*jail, error) {
	var j jail
	if err := supervise.ReadJSON(filepath.Join(dir, jailFile), &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// unsafeChars are the characters runc refuses in container IDs.
var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.+-]`)

// containerID returns the runc container ID of a task: readable, and
// unique per task ID.
func containerID(taskID string) string {
	return "wharf-" + unsafeChars.ReplaceAllString(supervise.EscapeID(taskID), "_")
}

// taskDir returns the directory of a task under DataDir.
func (d *Driver) taskDir(id string) string {
	return filepath.Join(d.opts.DataDir, "tasks", containerID(id))
}

// imagesDir is the default image cache.
func (d *Driver) imagesDir() string { return filepath.Join(d.opts.DataDir, "images") }

// prepare builds the jail of a task: image, rootfs, network, bundle. On
// error it undoes what it made.
func (d *Driver) prepare(ctx context.Context, cfg *drivers.TaskConfig) (_ *jail, err error) {
	conf, err := spec.ParseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	if err := confineMounts(conf, d.opts.HostVolumes); err != nil {
		return nil, err
	}
	if err := checkNetworkMode(conf, d.opts.AllowHostNetwork); err != nil {
		return nil, err
	}
	if cfg.ID == "" || cfg.TaskDir == "" || cfg.LogDir == "" {
		return nil, fmt.Errorf("pot: task %q needs an ID, a task dir and a log dir", cfg.ID)
	}
	lower, m, err := d.cache.Get(ctx, conf.Image, conf.Pot, conf.Tag, progressEvents(cfg))
	if err != nil {
		return nil, fmt.Errorf("pot: image %s_%s from %s: %w", conf.Pot, conf.Tag, conf.Image, err)
	}
	dir := d.taskDir(cfg.ID)
	if err := d.clearStale(ctx, cfg.ID, dir); err != nil {
		return nil, err
	}
	j := &jail{TaskID: cfg.ID, ContainerID: containerID(cfg.ID), Dir: dir, Image: m.Ref(), Lower: lower,
		CgroupsPath: path.Join("wharf", containerID(cfg.ID)), DiskMB: cfg.DiskMB}
	j.DiskPaths = diskPaths(j, cfg.TaskDir, cfg.AllocDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pot: task dir: %w", err)
	}
	defer func() {
		if err != nil {
			d.teardown(context.Background(), j)
		}
	}()
	if err := j.save(); err != nil {
		return nil, fmt.Errorf("pot: record jail: %w", err)
	}
	if err := d.mountRootfs(j, conf); err != nil {
		return nil, err
	}
	if err := pinMounts(j, conf); err != nil {
		return nil, err
	}
	if err := taskDirs(cfg); err != nil {
		return nil, err
	}
	in := spec.Input{Task: cfg, Conf: conf, RootfsPath: j.rootfs(), Hostname: hostname(cfg),
		ImageCmd: m.Cmd, CPUTotalMHz: d.opts.CPUTotalMHz, CPUCores: d.opts.CPUCores, CgroupsPath: j.CgroupsPath,
		NofileLimit: jailrt.MaxNofile()}
	in.Task = withImageEnv(cfg, m.Env)
	args, err := spec.ProcessArgs(conf, m.Cmd)
	if err != nil {
		return nil, fmt.Errorf("pot: %w", err)
	}
	if err := checkCommand(j.rootfs(), args, in.Task.Env["PATH"], j.Image); err != nil {
		return nil, err
	}
	if conf.NetworkMode == spec.NetworkBridge {
		if in.NetNSPath, err = d.attachNetwork(j, cfg, conf); err != nil {
			return nil, err
		}
	}
	if err := d.writeEtcFiles(j, &in, conf); err != nil {
		return nil, err
	}
	if err := writeBundle(j.Dir, in); err != nil {
		return nil, err
	}
	return j, nil
}

// taskDirs makes sure the host directories mounted at /local, /secrets
// and /alloc exist.
func taskDirs(cfg *drivers.TaskConfig) error {
	for _, dir := range []string{filepath.Join(cfg.TaskDir, "local"), filepath.Join(cfg.TaskDir, "secrets"),
		filepath.Join(cfg.AllocDir, "alloc")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("pot: task dir: %w", err)
		}
	}
	return nil
}

// clearStale removes what an earlier, finished run of the same task left
// in its directory (a crash between start and destroy).
func (d *Driver) clearStale(ctx context.Context, id, dir string) error {
	old, err := readJail(dir)
	if err != nil {
		if err := unpinMounts(dir); err != nil {
			return err
		}
		return os.RemoveAll(dir)
	}
	return d.teardown(ctx, old)
}

// hostname is the jail's hostname: the task name and the allocation's
// first eight characters.
func hostname(cfg *drivers.TaskConfig) string {
	short := cfg.AllocID
	if len(short) > 8 {
		short = short[:8]
	}
	name := unsafeChars.ReplaceAllString(cfg.TaskName, "-")
	if len(name) > 50 {
		name = name[:50]
	}
	return name + "-" + short
}

// withImageEnv returns cfg with the image's environment under the task's.
func withImageEnv(cfg *drivers.TaskConfig, imageEnv []string) *drivers.TaskConfig {
	if len(imageEnv) == 0 {
		return cfg
	}
	c := *cfg
	c.Env = make(map[string]string, len(cfg.Env)+len(imageEnv))
	for _, kv := range imageEnv {
		if k, v, ok := cutEnv(kv); ok {
			c.Env[k] = v
		}
	}
	for k, v := range cfg.Env {
		c.Env[k] = v
	}
	return &c
}

// cutEnv splits "K=V".
func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], i > 0
		}
	}
	return "", "", false
}

// writeBundle writes the OCI config.json of the jail.
func writeBundle(dir string, in spec.Input) error {
	s, err := spec.BuildSpec(in)
	if err != nil {
		return fmt.Errorf("pot: %w", err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("pot: encode config.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		return fmt.Errorf("pot: write config.json: %w", err)
	}
	return nil
}

// supervisorSpec is the supervisor's spec for the jail.
func (j *jail) supervisorSpec(cfg *drivers.TaskConfig, d *Driver) *supervise.Spec {
	name := cfg.TaskName
	if name == "" {
		name = path.Base(cfg.ID)
	}
	return &supervise.Spec{
		ID: cfg.ID, Dir: j.Dir, LogDir: cfg.LogDir, LogName: name, LogMaxFiles: cfg.LogMaxFiles,
		LogMaxBytes: int64(cfg.LogMaxFileSizeMB) << 20,
		Runtime: &supervise.Runtime{Path: d.runc, Root: d.opts.RuncRoot, Bundle: j.Dir,
			ContainerID: j.ContainerID, CgroupsPath: j.CgroupsPath},
	}
}

// teardown undoes everything a jail holds, in reverse order; it is safe to
// call on a partly built jail and twice.
func (d *Driver) teardown(ctx context.Context, j *jail) error {
	var errs []error
	if err := d.deleteContainer(ctx, j.ContainerID); err != nil {
		errs = append(errs, err)
	}
	if err := d.detachNetwork(j); err != nil {
		errs = append(errs, err)
	}
	if err := unmountRootfs(j); err != nil {
		errs = append(errs, err)
	}
	if err := unpinMounts(j.Dir); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(j.Dir); err != nil {
			errs = append(errs, fmt.Errorf("pot: remove %s: %w", j.Dir, err))
		}
	}
	return errors.Join(errs...)
}

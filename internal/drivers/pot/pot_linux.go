package pot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/image/fetch"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/structs"
)

// Driver is the pot driver on Linux. It prepares each jail (image, overlay
// rootfs, network, OCI bundle) and leaves running and following the jail's
// supervisor to a raw_exec core that runs supervisors in runtime mode.
type Driver struct {
	opts     Options
	core     *rawexec.Driver
	cache    *fetch.Cache
	cacheErr error
	runc     string // resolved runtime path
	runcVer  string
	runcErr  error

	net       netState
	netErr    error // the configured jail network overlaps the host
	netPicked bool  // the jail network was chosen, not configured

	mu       sync.Mutex
	jails    map[string]*jail      // by task ID
	starting map[string]bool       // task IDs whose StartTask is under way
	disk     map[string]*diskWatch // ephemeral_disk watches, by task ID
}

var (
	_ drivers.Driver     = (*Driver)(nil)
	_ drivers.Execer     = (*Driver)(nil)
	_ drivers.Stater     = (*Driver)(nil)
	_ drivers.Reconciler = (*Driver)(nil)
	_ drivers.Networker  = (*Driver)(nil)
)

// New returns a pot driver; it looks for runc now, once.
func New(opts Options) *Driver {
	opts = opts.withDefaults()
	d := &Driver{opts: opts, jails: map[string]*jail{}, starting: map[string]bool{}, disk: map[string]*diskWatch{}}
	d.core = rawexec.New(rawexec.Options{Enabled: true, StateDir: opts.StateDir,
		SupervisorCommand: opts.SupervisorCommand, Label: Name})
	d.cache = opts.Cache
	if d.cache == nil {
		d.cache, d.cacheErr = fetch.NewCache(fetch.Config{Dir: d.imagesDir()})
	}
	d.runc, d.runcVer, d.runcErr = findRunc(opts.RuncPath)
	if opts.Enabled {
		d.resolveNetwork()
	}
	return d
}

// resolveNetwork sets the jail network: the configured one if it shadows
// nothing of the host, else a free one (see chooseNetwork).
func (d *Driver) resolveNetwork() {
	host, err := netjail.ReadHostNet(d.opts.Bridge, d.opts.ResolvConf)
	if err != nil {
		d.netErr = fmt.Errorf("pot: read the host's network: %w", err)
		return
	}
	d.opts.CIDR, d.netPicked, d.netErr = chooseNetwork(d.opts, host)
}

// NetworkError says why the jail network cannot be used (it overlaps the
// host's routes, addresses or resolvers), or nil.
func (d *Driver) NetworkError() error { return d.netErr }

// NetworkPicked reports whether the jail network was chosen by the driver
// (none was configured).
func (d *Driver) NetworkPicked() bool { return d.netPicked }

// findRunc resolves the runtime binary and reads its version.
func findRunc(name string) (path, version string, err error) {
	path, err = exec.LookPath(name)
	if err != nil {
		return "", "", fmt.Errorf("runc not found (%w): install Debian's runc package", err)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s --version: %w", path, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return path, strings.TrimSpace(strings.TrimPrefix(first, "runc version ")), nil
}

// Name returns "pot".
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver healthy when it is enabled, runs as root,
// finds runc and overlayfs, and its jail network is usable.
func (d *Driver) Fingerprint(context.Context) *structs.DriverInfo {
	info := &structs.DriverInfo{Attributes: map[string]string{}, UpdateTime: time.Now(), Detected: true}
	switch {
	case !d.opts.Enabled:
		info.HealthDescription = "disabled"
	case os.Geteuid() != 0:
		info.HealthDescription = "jails need root: the agent runs as uid " + fmt.Sprint(os.Geteuid())
	case d.runcErr != nil:
		info.HealthDescription = d.runcErr.Error()
	case d.cacheErr != nil:
		info.HealthDescription = "image cache: " + d.cacheErr.Error()
	case d.netErr != nil:
		info.HealthDescription = "jail network: " + d.netErr.Error()
	case !overlaySupported():
		info.HealthDescription = "the kernel has no overlay filesystem (modprobe overlay)"
	default:
		if err := d.net.lastErr(); err != nil {
			info.HealthDescription = "jail network: " + err.Error()
			break
		}
		info.Healthy, info.HealthDescription = true, "Healthy"
		info.Attributes["driver.pot"] = "1"
		info.Attributes[AttrRuntime] = "runc " + d.runcVer
		info.Attributes[AttrNetwork] = d.opts.Bridge + " " + d.opts.CIDR
	}
	return info
}

// overlaySupported reports whether the kernel knows overlayfs.
func overlaySupported() bool {
	data, err := os.ReadFile("/proc/filesystems")
	return err == nil && strings.Contains(string(data), "\toverlay\n")
}

// DriverState is what a pot TaskHandle carries: the raw_exec core's state
// (the supervisor) and the jail's record.
type DriverState struct {
	Version int             `json:"version"`
	Core    json.RawMessage `json:"core,omitempty"`
	Jail    *jail           `json:"jail,omitempty"`
}

// StartTask prepares the jail and starts it under a supervisor. Every
// error names what failed in the words of the OS, runc or the registry,
// and leaves nothing behind.
func (d *Driver) StartTask(ctx context.Context, cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if err := d.usable(); err != nil {
		return nil, err
	}
	if !d.reserve(cfg.ID) {
		return nil, fmt.Errorf("pot task %s is already started", cfg.ID)
	}
	defer d.unreserve(cfg.ID)
	j, err := d.prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h, err := d.core.StartSpec(ctx, cfg, j.supervisorSpec(cfg, d))
	if err != nil {
		d.teardown(context.Background(), j)
		return nil, err
	}
	d.hold(j)
	return d.wrapHandle(h, j)
}

// usable says why the driver cannot start tasks now, if it cannot.
func (d *Driver) usable() error {
	switch {
	case !d.opts.Enabled:
		return fmt.Errorf("pot: %w", drivers.ErrDisabled)
	case d.runcErr != nil:
		return fmt.Errorf("pot: %w", d.runcErr)
	case d.cacheErr != nil:
		return fmt.Errorf("pot: image cache: %w", d.cacheErr)
	case d.netErr != nil:
		return fmt.Errorf("pot: jail network: %w", d.netErr)
	}
	return nil
}

// wrapHandle turns the core's handle into a pot handle.
func (d *Driver) wrapHandle(h *drivers.TaskHandle, j *jail) (*drivers.TaskHandle, error) {
	raw, err := json.Marshal(DriverState{Version: 1, Core: h.DriverState, Jail: j})
	if err != nil {
		return nil, err
	}
	h.Driver, h.DriverState = Name, raw
	return h, nil
}

// RecoverTask re-attaches to a jail a previous agent started. Without
// saved driver state it finds the jail by its task ID.
func (d *Driver) RecoverTask(ctx context.Context, h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("pot: recover: handle without task config")
	}
	var ds DriverState
	if len(h.DriverState) > 0 {
		if err := json.Unmarshal(h.DriverState, &ds); err != nil {
			return fmt.Errorf("pot: recover %s: driver state: %w", h.Config.ID, err)
		}
	}
	j := ds.Jail
	if j == nil {
		j, _ = readJail(d.taskDir(h.Config.ID))
	}
	core := *h
	core.DriverState = ds.Core
	if err := d.core.RecoverTask(ctx, &core); err != nil {
		if j != nil && errors.Is(err, drivers.ErrTaskNotFound) {
			d.teardown(ctx, j)
		}
		return err
	}
	if j != nil {
		d.hold(j)
		if err := d.reallowNetwork(j); err != nil {
			return fmt.Errorf("pot: recover %s: %w", h.Config.ID, err)
		}
	}
	return nil
}

// WaitTask yields the jail's exit.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	ch, err := d.core.WaitTask(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.withDiskError(id, ch), nil
}

// StopTask sends signal (SIGTERM when empty) to the jail's init and kills
// the jail after timeout. Only signals the init process handles reach it
// (it is pid 1 of its namespace); SIGKILL always does.
func (d *Driver) StopTask(ctx context.Context, id string, timeout time.Duration, signal string) error {
	return d.core.StopTask(ctx, id, timeout, signal)
}

// DestroyTask removes the container and everything the jail held: overlay
// mount and dirs, network namespace, veth, port forwards and IP lease.
func (d *Driver) DestroyTask(ctx context.Context, id string, force bool) error {
	err := d.core.DestroyTask(ctx, id, force)
	if err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		return err
	}
	j := d.release(id)
	if j == nil {
		j, _ = readJail(d.taskDir(id))
	}
	if j != nil {
		if terr := d.teardown(ctx, j); terr != nil {
			return terr
		}
		return nil
	}
	return err
}

// InspectTask returns the jail's state.
func (d *Driver) InspectTask(ctx context.Context, id string) (*drivers.TaskStatus, error) {
	return d.core.InspectTask(ctx, id)
}

// SignalTask sends a signal to the jail's init process.
func (d *Driver) SignalTask(ctx context.Context, id string, signal string) error {
	return d.core.SignalTask(ctx, id, signal)
}

// reserve marks an ID as being started, unless its jail is held or
// already being started.
func (d *Driver) reserve(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.jails[id]; ok || d.starting[id] {
		return false
	}
	d.starting[id] = true
	return true
}

// unreserve ends a start.
func (d *Driver) unreserve(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.starting, id)
}

// hold records a jail the driver runs.
func (d *Driver) hold(j *jail) {
	d.mu.Lock()
	d.jails[j.TaskID] = j
	d.mu.Unlock()
	d.startDiskWatch(j)
}

// release forgets a jail and returns it.
func (d *Driver) release(id string) *jail {
	d.stopDiskWatch(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.jails[id]
	delete(d.jails, id)
	return j
}

// held returns the jail of a task.
func (d *Driver) held(id string) (*jail, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j, ok := d.jails[id]
	if !ok {
		return nil, fmt.Errorf("pot task %s: %w", id, drivers.ErrTaskNotFound)
	}
	return j, nil
}

// Options returns the driver's options, defaults filled in: New(d.Options())
// makes the driver a restarted agent would have.
func (d *Driver) Options() Options {
	o := d.opts
	o.Cache = d.cache
	return o
}

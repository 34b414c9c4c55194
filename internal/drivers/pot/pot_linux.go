package pot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/shared/executor"
	"github.com/wharf-project/wharf/internal/image/fetch"
	jailrt "github.com/wharf-project/wharf/internal/jail"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/structs"
)

// Driver is the pot driver on Linux. It prepares each jail (image, overlay
// rootfs, network, OCI bundle) and leaves running, following, stopping and
// exec'ing into the jail's supervisor (in runtime mode) to the shared
// supervised-task core, whose task table holds each task's jail.
type Driver struct {
	opts     Options
	core     *executor.Executor
	cache    *fetch.Cache
	cacheErr error
	runc     string // resolved runtime path
	runcVer  string
	runcErr  error

	net       netState
	netErr    error // the configured jail network overlaps the host
	netPicked bool  // the jail network was chosen, not configured

	mu   sync.Mutex
	disk map[string]*diskWatch // ephemeral_disk watches, by task ID
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
	d := &Driver{opts: opts, disk: map[string]*diskWatch{}}
	d.core = executor.New(executor.Options{Label: Name, StateDir: opts.StateDir,
		SupervisorCommand: opts.SupervisorCommand, Measure: d.measure})
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
	case !jailrt.OverlaySupported():
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

// DriverState is what a pot TaskHandle carries: the supervised-task
// core's state (the supervisor) and the jail's record.
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
	release, err := d.core.Reserve(cfg.ID)
	if err != nil {
		return nil, err
	}
	defer release()
	j, err := d.prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h, err := d.core.Start(ctx, cfg, j.supervisorSpec(cfg, d), j)
	if err != nil {
		d.teardown(context.Background(), j)
		return nil, err
	}
	d.startDiskWatch(j)
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
	if err := d.core.Recover(ctx, &core, j); err != nil {
		if j != nil && errors.Is(err, drivers.ErrTaskNotFound) {
			d.teardown(ctx, j)
		}
		return err
	}
	if j != nil {
		d.startDiskWatch(j)
		if err := d.reallowNetwork(j); err != nil {
			return fmt.Errorf("pot: recover %s: %w", h.Config.ID, err)
		}
	}
	return nil
}

// WaitTask yields the jail's exit.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	ch, err := d.core.Wait(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.withDiskError(id, ch), nil
}

// StopTask sends signal (SIGTERM when empty) to the jail's init and kills
// the jail after timeout. Only signals the init process handles reach it
// (it is pid 1 of its namespace); SIGKILL always does.
func (d *Driver) StopTask(ctx context.Context, id string, timeout time.Duration, signal string) error {
	return d.core.Stop(ctx, id, timeout, signal)
}

// DestroyTask removes the container and everything the jail held: overlay
// mount and dirs, network namespace, veth, port forwards and IP lease.
func (d *Driver) DestroyTask(ctx context.Context, id string, force bool) error {
	j, _ := d.held(id)
	err := d.core.Destroy(ctx, id, force)
	if err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		return err
	}
	d.stopDiskWatch(id)
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
	return d.core.Inspect(ctx, id)
}

// SignalTask sends a signal to the jail's init process.
func (d *Driver) SignalTask(ctx context.Context, id string, signal string) error {
	return d.core.Signal(ctx, id, signal)
}

// held returns the jail of a task the core holds.
func (d *Driver) held(id string) (*jail, error) {
	t, err := d.core.Get(id)
	if err != nil {
		return nil, err
	}
	return jailOf(t)
}

// jailOf returns the jail the core holds with a task; a task recovered
// without its jail record has none.
func jailOf(t *executor.Task) (*jail, error) {
	j, ok := t.Data().(*jail)
	if !ok || j == nil {
		return nil, fmt.Errorf("pot task %s has no jail record: %w", t.Config().ID, drivers.ErrTaskNotFound)
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

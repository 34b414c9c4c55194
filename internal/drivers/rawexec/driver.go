// Package rawexec is the raw_exec task driver: it runs a task's command
// and args as a plain host process, each task under its own supervisor
// process (internal/supervise, the wharf binary re-executed as the hidden
// `wharf supervise` command), through the shared supervised-task core
// (drivers/shared/executor). The supervisor owns the task's rotated log
// files and records its exit, so restarting or killing the agent does not
// stop the task: a new agent's driver re-attaches with RecoverTask. The
// task's process tree is kept in a cgroup (v2, or v1 freezer/pids plus
// memory and cpu) and killed as a whole; without root or cgroups the
// driver falls back to the task's process group and says so in its
// fingerprint.
//
// rawexec must never import internal/client, internal/server,
// internal/state, internal/drivers/pot or internal/drivers/fake: drivers
// stay apart.
package rawexec

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/shared/executor"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/wharf-project/wharf/internal/supervise"
)

// Name is the driver name jobs use.
const Name = "raw_exec"

// Fingerprint attributes beyond "driver.raw_exec".
const (
	// AttrCgroup is the containment mode: "v2", "v1" or "none".
	AttrCgroup = "driver.raw_exec.cgroup"
	// AttrCgroupDetail says in words how task trees are contained and
	// why, when they are not (e.g. not running as root).
	AttrCgroupDetail = "driver.raw_exec.cgroup.detail"
)

// Options configure a Driver.
type Options struct {
	// Enabled: the client enables raw_exec (in -dev, or by its plugin
	// configuration). A disabled driver fingerprints as detected but
	// unhealthy and refuses to start tasks.
	Enabled bool
	// StateDir holds one directory per task (spec, state, exit, socket,
	// supervisor log). It must survive an agent restart, and be short:
	// unix socket paths are limited to 103 bytes. Default: the system
	// temp dir's "wharf-raw_exec".
	StateDir string
	// SupervisorCommand runs supervise.Main with the state directory
	// appended. Default: this executable and "supervise" (the hidden
	// `wharf supervise` command).
	SupervisorCommand []string
	// Cgroups overrides the detected containment (tests use it to force a
	// mode).
	Cgroups *supervise.Cgroups
}

// Driver is the raw_exec driver. Its zero value is not usable; use New.
type Driver struct {
	opts    Options
	cgroups supervise.Cgroups
	core    *executor.Executor
}

var (
	_ drivers.Driver = (*Driver)(nil)
	_ drivers.Execer = (*Driver)(nil)
	_ drivers.Stater = (*Driver)(nil)
)

// New returns a raw_exec driver; it detects cgroups now, once.
func New(opts Options) *Driver {
	d := &Driver{opts: opts}
	d.core = executor.New(executor.Options{Label: Name, StateDir: opts.StateDir,
		SupervisorCommand: opts.SupervisorCommand})
	co := d.core.Options()
	d.opts.StateDir, d.opts.SupervisorCommand = co.StateDir, co.SupervisorCommand
	if opts.Cgroups != nil {
		d.cgroups = *opts.Cgroups
	} else {
		d.cgroups = supervise.DetectCgroups()
	}
	return d
}

// Name returns "raw_exec".
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver detected on Linux and FreeBSD, healthy
// when enabled, with the containment mode in its attributes.
func (d *Driver) Fingerprint(context.Context) *structs.DriverInfo {
	info := &structs.DriverInfo{Attributes: map[string]string{}, UpdateTime: time.Now()}
	switch {
	case runtime.GOOS != "linux" && runtime.GOOS != "freebsd":
		info.HealthDescription = "raw_exec runs on Linux and FreeBSD only"
	case !d.opts.Enabled:
		info.Detected, info.HealthDescription = true, "disabled"
	case d.core.SupervisorError() != nil:
		info.Detected, info.HealthDescription = true, fmt.Sprintf("cannot find the wharf binary: %v", d.core.SupervisorError())
	default:
		info.Detected, info.Healthy, info.HealthDescription = true, true, "Healthy"
		info.Attributes["driver.raw_exec"] = "1"
		info.Attributes[AttrCgroup] = d.cgroups.Mode
		info.Attributes[AttrCgroupDetail] = d.cgroups.Describe()
	}
	return info
}

// Options returns the driver's options, defaults filled in: New(d.Options())
// makes the driver a restarted agent would have.
func (d *Driver) Options() Options {
	o := d.opts
	c := d.cgroups
	o.Cgroups = &c
	return o
}

// Cgroups returns how the driver contains task trees.
func (d *Driver) Cgroups() supervise.Cgroups { return d.cgroups }

// StateDirFor returns the state directory the driver uses for task id.
func (d *Driver) StateDirFor(id string) string { return d.core.StateDirFor(id) }

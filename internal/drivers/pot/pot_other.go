//go:build !linux

package pot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	jailrt "github.com/wharf-project/wharf/internal/jail"
	"github.com/wharf-project/wharf/internal/structs"
)

// errNotHere is returned by every task operation on this system: the jail
// runtime (internal/jail) has no pot(8) side yet.
var errNotHere = fmt.Errorf("pot: %w (pot(8) support is planned)", jailrt.ErrUnsupported)

// Driver is the pot driver; on this system it reports itself undetected.
type Driver struct{ opts Options }

var _ drivers.Driver = (*Driver)(nil)

// New returns a pot driver.
func New(opts Options) *Driver {
	opts = opts.withDefaults()
	if opts.CIDR == "" {
		opts.CIDR = DefaultCIDR
	}
	return &Driver{opts: opts}
}

// NetworkError is nil: the jail network is not checked on this system.
func (d *Driver) NetworkError() error { return nil }

// NetworkPicked reports false: the jail network is not chosen here.
func (d *Driver) NetworkPicked() bool { return false }

// Name returns "pot".
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver undetected with the reason.
func (d *Driver) Fingerprint(context.Context) *structs.DriverInfo {
	return &structs.DriverInfo{Attributes: map[string]string{}, UpdateTime: time.Now(),
		HealthDescription: errNotHere.Error()}
}

// StartTask fails: not implemented on this system.
func (d *Driver) StartTask(context.Context, *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	return nil, errNotHere
}

// RecoverTask finds nothing.
func (d *Driver) RecoverTask(context.Context, *drivers.TaskHandle) error {
	return fmt.Errorf("pot: %w", drivers.ErrTaskNotFound)
}

// WaitTask finds nothing.
func (d *Driver) WaitTask(context.Context, string) (<-chan *drivers.ExitResult, error) {
	return nil, fmt.Errorf("pot: %w", drivers.ErrTaskNotFound)
}

// StopTask finds nothing.
func (d *Driver) StopTask(context.Context, string, time.Duration, string) error {
	return fmt.Errorf("pot: %w", drivers.ErrTaskNotFound)
}

// DestroyTask finds nothing.
func (d *Driver) DestroyTask(context.Context, string, bool) error {
	return fmt.Errorf("pot: %w", drivers.ErrTaskNotFound)
}

// InspectTask finds nothing.
func (d *Driver) InspectTask(context.Context, string) (*drivers.TaskStatus, error) {
	return nil, fmt.Errorf("pot: %w", drivers.ErrTaskNotFound)
}

// SignalTask finds nothing.
func (d *Driver) SignalTask(context.Context, string, string) error {
	return errors.Join(errNotHere, drivers.ErrTaskNotFound)
}

// DeleteNetwork does nothing: there is no jail network on this system.
func (d *Driver) DeleteNetwork() error { return nil }

// Options returns the driver's options, defaults filled in.
func (d *Driver) Options() Options { return d.opts }

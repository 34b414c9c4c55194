package pot

import (
	"context"
	"fmt"

	jailrt "github.com/wharf-project/wharf/internal/jail"
)

// runtime is the jail runtime of the driver's containers: runc with the
// driver's state root.
func (d *Driver) runtime() *jailrt.Runtime {
	return &jailrt.Runtime{Path: d.runc, Root: d.opts.RuncRoot}
}

// findRunc resolves the runtime binary and reads its version.
func findRunc(name string) (path, version string, err error) {
	path, err = jailrt.LookPath(name)
	if err != nil {
		return "", "", fmt.Errorf("runc not found (%w): install Debian's runc package", err)
	}
	version, err = (&jailrt.Runtime{Path: path}).Version(context.Background())
	if err != nil {
		return "", "", err
	}
	return path, version, nil
}

// deleteContainer force-deletes a container (killing what runs in it and
// removing its cgroup); one that does not exist is not an error.
func (d *Driver) deleteContainer(ctx context.Context, id string) error {
	if d.runc == "" {
		return nil
	}
	if err := d.runtime().Delete(ctx, id); err != nil {
		return fmt.Errorf("pot: container %s: %w", id, err)
	}
	return nil
}

// listContainers lists the containers in the driver's runc root.
func (d *Driver) listContainers(ctx context.Context) ([]jailrt.Container, error) {
	list, err := d.runtime().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("pot: %w", err)
	}
	return list, nil
}

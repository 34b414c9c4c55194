package pot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/wharf-project/wharf/internal/netjail"
)

// Reconcile sets up the jail network and releases whatever belongs to no
// task in live: jails recorded in DataDir, runc containers in the
// driver's root, overlay mounts, network namespaces, port forwards and IP
// leases (a crashed agent's leftovers). It returns what it removed.
func (d *Driver) Reconcile(ctx context.Context, live map[string]bool) ([]string, error) {
	if d.netErr != nil {
		return nil, fmt.Errorf("pot: jail network: %w", d.netErr)
	}
	if d.usable() != nil {
		return nil, nil
	}
	var removed []string
	var errs []error
	liveContainers, liveNetNS := map[string]bool{}, map[string]bool{}
	for id := range live {
		liveContainers[containerID(id)] = true
		liveNetNS[netjail.NetNSName(d.opts.Bridge, id)] = true
	}
	r, err := d.reconcileJails(ctx, live)
	removed, errs = append(removed, r...), append(errs, err)
	r, err = d.reconcileContainers(ctx, liveContainers)
	removed, errs = append(removed, r...), append(errs, err)
	r, err = d.reconcileNetwork(live, liveNetNS)
	removed, errs = append(removed, r...), append(errs, err)
	return removed, errors.Join(errs...)
}

// reconcileJails tears down the recorded jails of tasks not in live.
func (d *Driver) reconcileJails(ctx context.Context, live map[string]bool) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(d.opts.DataDir, "tasks", "*"))
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, dir := range dirs {
		j, err := readJail(dir)
		if err != nil {
			j = &jail{Dir: dir, ContainerID: filepath.Base(dir)}
		} else if live[j.TaskID] {
			continue
		}
		if err := d.teardown(ctx, j); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "jail "+filepath.Base(dir))
	}
	return removed, errors.Join(errs...)
}

// reconcileContainers deletes containers of the driver's runc root that
// belong to no live task.
func (d *Driver) reconcileContainers(ctx context.Context, live map[string]bool) ([]string, error) {
	list, err := d.listContainers(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, c := range list {
		if live[c.ID] || !strings.HasPrefix(c.ID, "wharf-") {
			continue
		}
		if err := d.deleteContainer(ctx, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "container "+c.ID)
	}
	return removed, errors.Join(errs...)
}

// reconcileNetwork sets up the jail network and drops forwards, leases
// and namespaces of tasks not in live.
func (d *Driver) reconcileNetwork(live, liveNetNS map[string]bool) ([]string, error) {
	ipam, nat, err := d.network()
	if err != nil {
		return nil, fmt.Errorf("pot: jail network: %w", err)
	}
	var removed []string
	var errs []error
	rules, err := nat.Reconcile(live)
	errs = append(errs, err)
	for _, id := range rules {
		removed = append(removed, "port forwards of "+id)
		errs = append(errs, netjail.Detach(id))
	}
	leases, err := ipam.Reconcile(live)
	errs = append(errs, err)
	for _, id := range leases {
		removed = append(removed, "ip lease of "+id)
		errs = append(errs, netjail.Detach(id))
	}
	names, err := netjail.NetNSNames(d.opts.Bridge)
	errs = append(errs, err)
	for _, n := range names {
		if liveNetNS[n] {
			continue
		}
		if err := netjail.DeleteNetNS(n); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "netns "+n)
	}
	return removed, errors.Join(errs...)
}

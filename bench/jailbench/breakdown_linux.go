package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	"github.com/wharf-project/wharf/internal/jail"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/supervise"
)

// The steps of a bridged jail start that the breakdown times, in order.
var steps = []string{
	"image cache hit (fetch.Cache.Get: verify the downloaded files)",
	"overlay rootfs (mkdir the upper, work and rootfs dirs, mount)",
	"IP lease (netjail.IPAM.Lease)",
	"network namespace (netjail.CreateNetNS)",
	"veth on the bridge, address, route (netjail.Attach)",
	"port forward (netjail.NAT.AddPortMap)",
	"OCI bundle (spec.ParseConfig, BuildSpec, write config.json)",
	"`runc run --detach` of that bundle (even rounds)",
	"supervisor: spawn + runc create + runc start (supervise.Launch, odd rounds)",
}

// breakdown runs a copy of the driver's start steps with the package
// functions it calls, timing each, for rounds rounds (at most 20). Even
// rounds end with a bare `runc run --detach` of the bundle, odd ones with
// the supervisor that StartTask launches, so their difference is the
// supervisor's own cost. Not timed: the jail record saves, the command
// check, /etc/hosts and resolv.conf, which the driver also does.
func (e *startEnv) breakdown(ctx context.Context, rounds int) error {
	rounds = min(rounds, 20)
	ipam, err := netjail.NewIPAM(benchCIDR, filepath.Join(e.root, "bd-ipam"))
	if err != nil {
		return err
	}
	nat, err := netjail.NewNAT(benchTable, benchBridge, ipam.Network())
	if err != nil {
		return err
	}
	res := make([]durations, len(steps))
	for i := 0; i < rounds; i++ {
		b := &bdRun{e: e, ipam: ipam, nat: nat, i: i}
		err := b.run(ctx, res)
		if terr := b.teardown(); err == nil {
			err = terr
		}
		if err != nil {
			return fmt.Errorf("breakdown round %d: %w", i, err)
		}
	}
	fmt.Printf("where a bridged jail start goes: the driver's steps run one by one, %d rounds\n\n", rounds)
	header("step")
	var sum time.Duration
	for k, name := range steps {
		row(name, res[k])
		if k < len(steps)-2 {
			sum += res[k].pct(50)
		}
	}
	fmt.Printf("\nsum of the p50s before runc: %s; supervisor's own cost (Launch - runc run, p50): %s\n",
		ms(sum), ms(res[len(steps)-1].pct(50)-res[len(steps)-2].pct(50)))
	return nil
}

// bdRun is one round of the breakdown and what it made, for teardown.
type bdRun struct {
	e       *startEnv
	ipam    *netjail.IPAM
	nat     *netjail.NAT
	i       int
	key     string
	dir     string
	netns   string
	mounted bool
	ctr     string // runc container started directly
	sup     *supervise.Supervisor
	allocs  string
}

// timed runs f and appends its duration to res[k].
func timed(res []durations, k int, f func() error) error {
	t0 := time.Now()
	err := f()
	res[k] = append(res[k], time.Since(t0))
	return err
}

// run makes the jail step by step.
func (b *bdRun) run(ctx context.Context, res []durations) error {
	e := b.e
	cfg, err := e.taskConfig("bridge", 1000+b.i)
	if err != nil {
		return err
	}
	b.allocs, b.key = cfg.AllocDir, cfg.ID
	b.dir = filepath.Join(e.root, "bd", fmt.Sprint(b.i))
	var lower string
	if err := timed(res, 0, func() (err error) {
		lower, _, err = e.cache.Get(ctx, e.url, startPot, startTag, nil)
		return err
	}); err != nil {
		return err
	}
	rootfs := filepath.Join(b.dir, "rootfs")
	if err := timed(res, 1, func() error {
		err := jail.MountOverlay(rootfs, lower, filepath.Join(b.dir, "upper"), filepath.Join(b.dir, "work"))
		b.mounted = err == nil
		return err
	}); err != nil {
		return fmt.Errorf("mount overlay: %w", err)
	}
	var ip net.IP
	if err := timed(res, 2, func() (err error) { ip, err = b.ipam.Lease(b.key); return err }); err != nil {
		return err
	}
	b.netns = netjail.NetNSName(benchBridge, b.key)
	var nsPath string
	if err := timed(res, 3, func() (err error) { nsPath, err = netjail.CreateNetNS(b.netns); return err }); err != nil {
		return err
	}
	ones, _ := b.ipam.Network().Mask.Size()
	if err := timed(res, 4, func() error {
		return netjail.Attach(benchBridge, nsPath, b.key, &net.IPNet{IP: ip, Mask: net.CIDRMask(ones, 32)}, b.ipam.Gateway())
	}); err != nil {
		return err
	}
	if err := timed(res, 5, func() error {
		return b.nat.AddPortMap(b.key, []netjail.Mapping{{HostPort: cfg.Ports[0].Value, Port: 80, IP: ip}})
	}); err != nil {
		return err
	}
	cgroups := fmt.Sprintf("wharf/jailbench-bd-%d", b.i)
	if err := timed(res, 6, func() error {
		conf, err := spec.ParseConfig(cfg.Config)
		if err != nil {
			return err
		}
		s, err := spec.BuildSpec(spec.Input{Task: cfg, Conf: conf, RootfsPath: rootfs, Hostname: "t-bench",
			NetNSPath: nsPath, CgroupsPath: cgroups, NofileLimit: jail.MaxNofile()})
		if err != nil {
			return err
		}
		data, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o600)
	}); err != nil {
		return err
	}
	id := fmt.Sprintf("jailbench-bd-%d", b.i)
	rt := &supervise.Runtime{Path: e.runc, Root: filepath.Join(e.root, "bd-runc"), Bundle: b.dir,
		ContainerID: id, CgroupsPath: cgroups}
	if b.i%2 == 0 {
		return timed(res, 7, func() error { return b.runcRun(ctx, rt) })
	}
	return timed(res, 8, func() (err error) {
		b.sup, err = supervise.Launch(ctx, e.opts.SupervisorCommand, filepath.Join(e.root, "s", "bd"+fmt.Sprint(b.i)),
			&supervise.Spec{ID: id, Dir: b.dir, LogDir: cfg.LogDir, LogName: "t", StopGrace: 100 * time.Millisecond, Runtime: rt})
		return err
	})
}

// runcRun runs the bundle with `runc run --detach`; its output goes to a
// file, since the container inherits it and a pipe would stay open.
func (b *bdRun) runcRun(ctx context.Context, rt *supervise.Runtime) error {
	outf, err := os.Create(filepath.Join(rt.Bundle, "runc.out"))
	if err != nil {
		return err
	}
	defer outf.Close()
	cmd := exec.CommandContext(ctx, rt.Path, "--root", rt.Root, "run", "--detach", "--bundle", rt.Bundle, rt.ContainerID)
	cmd.Stdout, cmd.Stderr = outf, outf
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(outf.Name())
		return fmt.Errorf("runc run: %w: %s", err, out)
	}
	b.ctr = rt.ContainerID
	return nil
}

// teardown undoes what run made, in reverse.
func (b *bdRun) teardown() error {
	var errs []error
	if b.sup != nil {
		_ = syscall.Kill(b.sup.State.SupervisorPID, syscall.SIGTERM)
		select {
		case <-b.sup.Exited:
		case <-time.After(30 * time.Second):
			errs = append(errs, fmt.Errorf("supervisor %d did not exit", b.sup.State.SupervisorPID))
		}
		os.RemoveAll(b.sup.State.Dir)
	}
	if b.ctr != "" {
		if out, err := exec.Command(b.e.runc, "--root", filepath.Join(b.e.root, "bd-runc"), "delete", "--force", b.ctr).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("runc delete: %w: %s", err, out))
		}
	}
	if b.key != "" {
		errs = append(errs, b.nat.RemovePortMaps(b.key), netjail.Detach(b.key))
	}
	if b.netns != "" {
		errs = append(errs, netjail.DeleteNetNS(b.netns))
	}
	if b.key != "" {
		errs = append(errs, b.ipam.Release(b.key))
	}
	if b.mounted {
		errs = append(errs, jail.UnmountOverlay(filepath.Join(b.dir, "rootfs")))
	}
	if b.dir != "" {
		errs = append(errs, os.RemoveAll(b.dir))
	}
	if b.allocs != "" {
		errs = append(errs, os.RemoveAll(b.allocs))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

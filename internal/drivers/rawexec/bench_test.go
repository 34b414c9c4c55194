package rawexec_test

import (
	"context"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/supervise"
)

// BenchmarkTaskLifecycle measures one task's whole life through the
// driver: StartTask (supervisor re-exec, cgroup, exec handshake), the
// task's exit, WaitTask and DestroyTask (cgroup and state removed), for
// each containment this host offers.
func BenchmarkTaskLifecycle(b *testing.B) {
	setups := map[string]supervise.Cgroups{"none": {Mode: supervise.CgroupNone}}
	if c := supervise.DetectCgroups(); c.Mode != supervise.CgroupNone {
		setups[c.Mode] = c
	}
	for name, cg := range setups {
		b.Run(name, func(b *testing.B) {
			d := rawexec.New(testOptions(b, &cg))
			ctx := context.Background()
			for b.Loop() {
				cfg := newTaskConfig(b, shell("exit 0"))
				if _, err := d.StartTask(ctx, cfg); err != nil {
					b.Fatal(err)
				}
				ch, err := d.WaitTask(ctx, cfg.ID)
				if err != nil {
					b.Fatal(err)
				}
				if r := <-ch; !r.Successful() {
					b.Fatalf("exit = %+v", r)
				}
				if err := d.DestroyTask(ctx, cfg.ID, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

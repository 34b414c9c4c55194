package rawexec_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/driverstest"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/supervise"
)

func TestFingerprint(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		t.Skip("raw_exec runs on Linux and FreeBSD")
	}
	v1 := supervise.Cgroups{Mode: supervise.CgroupV1, Parents: map[string]string{
		"freezer": "/sys/fs/cgroup/freezer/wharf", "memory": "/sys/fs/cgroup/memory/wharf"}}
	none := supervise.Cgroups{Mode: supervise.CgroupNone, Reason: "not running as root"}
	tests := []struct {
		name        string
		enabled     bool
		cgroups     supervise.Cgroups
		healthy     bool
		description string
		attrs       map[string]string
	}{
		{name: "enabled with cgroups", enabled: true, cgroups: v1, healthy: true, description: "Healthy",
			attrs: map[string]string{"driver.raw_exec": "1", rawexec.AttrCgroup: "v1",
				rawexec.AttrCgroupDetail: "cgroup v1 (freezer,memory)"}},
		{name: "enabled without cgroups", enabled: true, cgroups: none, healthy: true, description: "Healthy",
			attrs: map[string]string{"driver.raw_exec": "1", rawexec.AttrCgroup: "none",
				rawexec.AttrCgroupDetail: "not running as root: tasks are killed by process group"}},
		{name: "disabled", cgroups: v1, description: "disabled", attrs: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(t, &tc.cgroups)
			opts.Enabled = tc.enabled
			info := rawexec.New(opts).Fingerprint(context.Background())
			if !info.Detected || info.Healthy != tc.healthy || info.HealthDescription != tc.description {
				t.Errorf("Fingerprint = %+v", info)
			}
			if len(info.Attributes) != len(tc.attrs) {
				t.Errorf("attributes = %v, want %v", info.Attributes, tc.attrs)
			}
			for k, v := range tc.attrs {
				if info.Attributes[k] != v {
					t.Errorf("attribute %s = %q, want %q", k, info.Attributes[k], v)
				}
			}
		})
	}
}

func TestDisabledDriverStartsNothing(t *testing.T) {
	opts := testOptions(t, &supervise.Cgroups{Mode: supervise.CgroupNone})
	opts.Enabled = false
	_, err := rawexec.New(opts).StartTask(context.Background(), newTaskConfig(t, shell("exit 0")))
	if !errors.Is(err, drivers.ErrDisabled) {
		t.Errorf("StartTask on a disabled driver = %v, want ErrDisabled", err)
	}
}

func TestBadConfigNamesTheField(t *testing.T) {
	d := rawexec.New(testOptions(t, &supervise.Cgroups{Mode: supervise.CgroupNone}))
	_, err := d.StartTask(context.Background(), newTaskConfig(t, map[string]any{"args": []any{"x"}}))
	if err == nil || !strings.Contains(err.Error(), `"command"`) {
		t.Errorf("StartTask without command = %v, want an error naming command", err)
	}
}

func TestSupervisorKilledByHandIsNoticed(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := rawexec.New(testOptions(t, &cg))
			cfg := newTaskConfig(t, configFor(driverstest.KindTree))
			h, err := d.StartTask(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.DestroyTask(context.Background(), cfg.ID, true) })
			waitLog(t, cfg, "stdout", "ready")
			var ds rawexec.DriverState
			if err := json.Unmarshal(h.DriverState, &ds); err != nil {
				t.Fatal(err)
			}
			if ds.Version != 1 || ds.Dir != d.StateDirFor(cfg.ID) || ds.TaskPID <= 0 {
				t.Errorf("driver state = %+v", ds)
			}
			if err := syscall.Kill(ds.SupervisorPID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			r := waitResult(t, d, cfg.ID)
			if r.Err == nil || !strings.Contains(r.Err.Error(), "supervisor died") ||
				!strings.Contains(r.Err.Error(), "was still running and was killed") {
				t.Errorf("exit = %+v, want the supervisor's death", r)
			}
			// The driver cleaned up when it noticed, before any destroy.
			if pids := driverstest.ProcessesOf(cfg); len(pids) > 0 {
				t.Errorf("processes of the task survive its supervisor: %v", pids)
			}
			st, err := d.InspectTask(context.Background(), cfg.ID)
			if err != nil || st.State != drivers.TaskStateExited || st.ExitResult.Err == nil {
				t.Errorf("InspectTask = %+v, %v", st, err)
			}
			if err := d.DestroyTask(context.Background(), cfg.ID, false); err != nil {
				t.Fatal(err)
			}
			if left := leftovers(t, d, cfg); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

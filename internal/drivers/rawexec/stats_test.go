package rawexec_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/supervise"
)

// holdScript keeps 20 MB in a shell variable, burns some CPU, and waits.
const holdScript = `x=$(head -c 20000000 /dev/zero | tr '\0' a); i=0
while [ $i -lt 20000 ]; do i=$((i+1)); done
echo ready; sleep 1000`

// TestTaskStats reads a running task's use in each containment, then
// checks the errors for an ended and an unknown task.
func TestTaskStats(t *testing.T) {
	for name, cg := range cgroupSetups(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := rawexec.New(testOptions(t, &cg))
			ctx := context.Background()
			cfg := newTaskConfig(t, shell(holdScript))
			if _, err := d.StartTask(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.DestroyTask(ctx, cfg.ID, true) })
			waitLog(t, cfg, "stdout", "ready")

			st, err := d.TaskStats(ctx, cfg.ID)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %+v", name, st)
			checkTaskStats(t, st, hasMemoryController(cg.For(cfg.ID, supervise.Limits{})))

			if err := d.StopTask(ctx, cfg.ID, 5*time.Second, "SIGKILL"); err != nil {
				t.Fatal(err)
			}
			if _, err := d.TaskStats(ctx, cfg.ID); !errors.Is(err, supervise.ErrExited) {
				t.Errorf("stats of an ended task: %v, want ErrExited", err)
			}
			if _, err := d.TaskStats(ctx, "nope/web"); !errors.Is(err, drivers.ErrTaskNotFound) {
				t.Errorf("stats of an unknown task: %v, want ErrTaskNotFound", err)
			}
		})
	}
}

// hasMemoryController reports whether the task's cgroup has a memory
// controller (v1 memory hierarchy, or memory enabled in v2).
func hasMemoryController(cg *supervise.Cgroup) bool {
	if cg == nil {
		return false
	}
	if d := cg.Dirs["memory"]; d != "" {
		return exists(filepath.Join(d, "memory.usage_in_bytes"))
	}
	return exists(filepath.Join(cg.Dirs[supervise.V2Key], "memory.current"))
}

// checkTaskStats checks the reading of a holdScript task.
func checkTaskStats(t *testing.T, st *drivers.TaskStats, memCgroup bool) {
	t.Helper()
	if st.MemoryRSS < 16<<20 || st.MemoryRSS > 256<<20 {
		t.Errorf("RSS = %d MiB, want about 20 MiB", st.MemoryRSS>>20)
	}
	if st.CPUTotalNanos == 0 || st.Timestamp.IsZero() || time.Since(st.Timestamp) > time.Minute {
		t.Errorf("CPU time %d ns at %v", st.CPUTotalNanos, st.Timestamp)
	}
	// Only a memory cgroup measures the whole charge; /proc gives RSS.
	if got := slices.Contains(st.Measured, supervise.MeasuredUsage); got != memCgroup {
		t.Errorf("Measured = %q: Usage measured %v, want %v", st.Measured, got, memCgroup)
	}
	if !slices.Contains(st.Measured, supervise.MeasuredRSS) || !slices.Contains(st.Measured, supervise.MeasuredTotalTicks) {
		t.Errorf("Measured = %q", st.Measured)
	}
}

package taskrunner

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// statingDriver is the fake driver with canned stats: each reading is
// 100 ms after the previous one, with 30 ms more user and 20 ms more
// system time.
type statingDriver struct {
	*fake.Driver
	mu sync.Mutex
	n  int64
}

var _ drivers.Stater = (*statingDriver)(nil)

var statsBase = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func (d *statingDriver) TaskStats(_ context.Context, id string) (*drivers.TaskStats, error) {
	if _, err := d.InspectTask(context.Background(), id); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	user, sys := uint64(d.n*30e6), uint64(d.n*20e6)
	return &drivers.TaskStats{Timestamp: statsBase.Add(time.Duration(d.n) * 100 * time.Millisecond),
		MemoryRSS: 5 << 20, CPUUserNanos: user, CPUSystemNanos: sys, CPUTotalNanos: user + sys,
		Measured: []string{"RSS", "Total Ticks"}}, nil
}

func TestStatsAndUsage(t *testing.T) {
	h := newHarness(t, "service", nil)
	tr := h.newRunner(&statingDriver{Driver: h.driver})
	h.run(tr)
	h.waitState(tr, structs.TaskStateRunning)
	ctx := context.Background()
	st, err := tr.Stats(ctx)
	if err != nil || st.MemoryRSS != 5<<20 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
	u, err := tr.Usage(ctx, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !near(u.CPUPercent, 50) || !near(u.UserPercent, 30) || !near(u.SystemPercent, 20) {
		t.Errorf("percents %.2f %.2f %.2f, want 50 30 20", u.CPUPercent, u.UserPercent, u.SystemPercent)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tr.Usage(cctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Usage with an ended context: %v", err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestStatsErrors(t *testing.T) {
	t.Run("driver without stats", func(t *testing.T) {
		h := newHarness(t, "service", nil)
		h.run(h.tr)
		h.waitState(h.tr, structs.TaskStateRunning)
		if _, err := h.tr.Stats(context.Background()); !errors.Is(err, ErrStatsNotSupported) {
			t.Errorf("err = %v, want ErrStatsNotSupported", err)
		}
	})
	t.Run("task not running", func(t *testing.T) {
		h := newHarness(t, "batch", map[string]any{"run_for": "1ms"})
		tr := h.newRunner(&statingDriver{Driver: h.driver})
		h.run(tr)
		h.waitDone(tr)
		if _, err := tr.Stats(context.Background()); !errors.Is(err, ErrTaskNotRunning) {
			t.Errorf("err = %v, want ErrTaskNotRunning", err)
		}
	})
}

func TestCPUPercents(t *testing.T) {
	at := func(ms int, total, user, sys uint64) *drivers.TaskStats {
		return &drivers.TaskStats{Timestamp: statsBase.Add(time.Duration(ms) * time.Millisecond),
			CPUTotalNanos: total, CPUUserNanos: user, CPUSystemNanos: sys}
	}
	tests := []struct {
		name              string
		prev, cur         *drivers.TaskStats
		total, user, syst float64
	}{
		{"one core busy", at(0, 0, 0, 0), at(1000, 1e9, 6e8, 4e8), 100, 60, 40},
		{"two cores busy", at(0, 1e9, 0, 0), at(500, 2e9, 1e9, 0), 200, 200, 0},
		{"counter went back", at(0, 5e9, 5e9, 0), at(1000, 1e9, 1e9, 0), 0, 0, 0},
		{"same time", at(0, 0, 0, 0), at(0, 1e9, 0, 0), 0, 0, 0},
		{"no previous", nil, at(0, 1e9, 0, 0), 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			total, user, sys := CPUPercents(tc.prev, tc.cur)
			if !near(total, tc.total) || !near(user, tc.user) || !near(sys, tc.syst) {
				t.Errorf("got %.2f %.2f %.2f, want %.2f %.2f %.2f", total, user, sys, tc.total, tc.user, tc.syst)
			}
		})
	}
}

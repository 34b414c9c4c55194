package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
)

// ErrStatsNotSupported is returned by Stats when the task's driver does
// not report resource use (it is no drivers.Stater).
var ErrStatsNotSupported = errors.New("driver does not report resource use")

// Stats returns the running task's resource use as its driver reads it
// now. ErrTaskNotRunning when the task does not run; ErrStatsNotSupported
// when its driver cannot say.
func (tr *TaskRunner) Stats(ctx context.Context) (*drivers.TaskStats, error) {
	if err := tr.checkRunning(); err != nil {
		return nil, err
	}
	if tr.cfg.Driver == nil {
		return nil, fmt.Errorf("task %s: %w", tr.cfg.Task.Name, ErrTaskNotRunning)
	}
	st, ok := tr.cfg.Driver.(drivers.Stater)
	if !ok {
		return nil, fmt.Errorf("task %s (driver %s): %w", tr.cfg.Task.Name, tr.cfg.Driver.Name(), ErrStatsNotSupported)
	}
	s, err := st.TaskStats(ctx, tr.taskID)
	if err != nil {
		return nil, fmt.Errorf("stats of task %s: %w", tr.cfg.Task.Name, err)
	}
	return s, nil
}

// TaskUsage is a task's resource use with its CPU share over a window.
type TaskUsage struct {
	// Stats is the second (latest) reading.
	Stats *drivers.TaskStats
	// Percents of one core the task used over the window (above 100 when
	// it used several cores), in all and in user and system mode.
	CPUPercent    float64
	UserPercent   float64
	SystemPercent float64
}

// Usage reads the task's use twice, window apart, and computes its CPU
// share between the two readings. Nothing is kept between calls, so every
// call takes at least window.
func (tr *TaskRunner) Usage(ctx context.Context, window time.Duration) (*TaskUsage, error) {
	first, err := tr.Stats(ctx)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(window)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("stats of task %s: %w", tr.cfg.Task.Name, ctx.Err())
	case <-timer.C:
	}
	second, err := tr.Stats(ctx)
	if err != nil {
		return nil, err
	}
	u := &TaskUsage{Stats: second}
	u.CPUPercent, u.UserPercent, u.SystemPercent = CPUPercents(first, second)
	return u, nil
}

// CPUPercents returns the share of one core used between two readings of
// a task, in all and in user and system mode. A counter that went back
// (a process left the set summed from /proc) counts as no use.
func CPUPercents(prev, cur *drivers.TaskStats) (total, user, system float64) {
	if prev == nil || cur == nil {
		return 0, 0, 0
	}
	wall := cur.Timestamp.Sub(prev.Timestamp)
	if wall <= 0 {
		return 0, 0, 0
	}
	pct := func(a, b uint64) float64 {
		if b <= a {
			return 0
		}
		return float64(b-a) / float64(wall.Nanoseconds()) * 100
	}
	return pct(prev.CPUTotalNanos, cur.CPUTotalNanos), pct(prev.CPUUserNanos, cur.CPUUserNanos),
		pct(prev.CPUSystemNanos, cur.CPUSystemNanos)
}

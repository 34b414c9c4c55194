package restarts

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// clock is a fake clock advanced by the test.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newTracker(p *structs.RestartPolicy, jobType string) (*Tracker, *clock) {
	c := &clock{now: time.Unix(1_000_000, 0)}
	t := New(p, jobType)
	t.Now = c.Now
	t.Jitter = func(time.Duration) time.Duration { return 0 }
	return t, c
}

var (
	exit0 = &drivers.ExitResult{ExitCode: 0}
	exit1 = &drivers.ExitResult{ExitCode: 1}
)

func TestTracker(t *testing.T) {
	failPolicy := &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Second, Mode: "fail"}
	delayPolicy := &structs.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 5 * time.Second, Mode: "delay"}
	type step struct {
		advance time.Duration
		res     *drivers.ExitResult
		start   error
		state   string
		delay   time.Duration
		reason  string
	}
	tests := []struct {
		name    string
		policy  *structs.RestartPolicy
		jobType string
		steps   []step
	}{
		{"batch success completes", failPolicy, structs.JobTypeBatch, []step{
			{res: exit0, state: structs.TaskTerminated},
		}},
		{"batch failure restarts then gives up", failPolicy, structs.JobTypeBatch, []step{
			{res: exit1, state: structs.TaskRestarting, delay: 10 * time.Second, reason: ReasonWithinPolicy},
			{res: exit1, state: structs.TaskRestarting, delay: 10 * time.Second},
			{res: exit1, state: structs.TaskNotRestarting,
				reason: `Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"`},
		}},
		{"service success is restarted", failPolicy, structs.JobTypeService, []step{
			{res: exit0, state: structs.TaskRestarting, delay: 10 * time.Second},
		}},
		{"interval end resets the count", failPolicy, structs.JobTypeService, []step{
			{res: exit1, state: structs.TaskRestarting},
			{res: exit1, state: structs.TaskRestarting},
			{advance: 61 * time.Second, res: exit1, state: structs.TaskRestarting},
			{res: exit1, state: structs.TaskRestarting},
			{res: exit1, state: structs.TaskNotRestarting},
		}},
		{"delay mode waits for the interval", delayPolicy, structs.JobTypeService, []step{
			{res: exit1, state: structs.TaskRestarting, delay: 5 * time.Second},
			{advance: 20 * time.Second, res: exit1, state: structs.TaskRestarting, delay: 40 * time.Second, reason: ReasonDelay},
			{advance: 41 * time.Second, res: exit1, state: structs.TaskRestarting, delay: 5 * time.Second, reason: ReasonWithinPolicy},
		}},
		{"no attempts", &structs.RestartPolicy{Interval: time.Minute, Mode: "fail"}, structs.JobTypeService, []step{
			{res: exit1, state: structs.TaskNotRestarting, reason: ReasonNoRestarts},
		}},
		{"start failures count", failPolicy, structs.JobTypeBatch, []step{
			{start: errors.New("exec: not found"), state: structs.TaskRestarting},
			{start: errors.New("exec: not found"), state: structs.TaskRestarting},
			{start: errors.New("exec: not found"), state: structs.TaskNotRestarting},
		}},
		{"lost task (nil result) counts", failPolicy, structs.JobTypeBatch, []step{
			{res: nil, state: structs.TaskRestarting},
		}},
		{"default policy", nil, structs.JobTypeService, []step{
			{res: exit1, state: structs.TaskRestarting, delay: 15 * time.Second},
			{res: exit1, state: structs.TaskRestarting},
			{res: exit1, state: structs.TaskNotRestarting},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, c := newTracker(tt.policy, tt.jobType)
			for i, s := range tt.steps {
				c.now = c.now.Add(s.advance)
				var d Decision
				if s.start != nil {
					d = tr.StartFailed(s.start)
				} else {
					d = tr.Exited(s.res)
				}
				if d.State != s.state || (s.delay != 0 && d.Delay != s.delay) || (s.reason != "" && d.Reason != s.reason) {
					t.Fatalf("step %d: got %+v, want state %q delay %v reason %q", i, d, s.state, s.delay, s.reason)
				}
			}
		})
	}
}

func TestJitterBounds(t *testing.T) {
	tr := New(&structs.RestartPolicy{Attempts: 100, Interval: time.Hour, Delay: 100 * time.Millisecond}, structs.JobTypeService)
	for range 50 {
		d := tr.Exited(exit1)
		if d.Delay < 100*time.Millisecond || d.Delay > 125*time.Millisecond {
			t.Fatalf("delay %v outside [100ms, 125ms]", d.Delay)
		}
	}
}

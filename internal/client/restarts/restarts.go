// Package restarts decides whether a task that ended is started again in
// place, following its group's restart policy as Nomad's client does:
// at most Attempts restarts within Interval, each after Delay (plus up to
// a quarter of it as jitter); past that, mode "fail" gives up and mode
// "delay" waits for the interval to end. A batch task that exits 0 is
// complete and never restarted; a service task is restarted whatever its
// exit.
//
// restarts must never import any other wharf package except
// internal/structs, internal/drivers and internal/backoff.
package restarts

import (
	"fmt"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Reasons given with a decision (Nomad's wording).
const (
	ReasonWithinPolicy = "Restart within policy"
	ReasonNoRestarts   = "Policy allows no restarts"
	ReasonDelay        = "Exceeded allowed attempts, applying a delay"
)

// Decision is what to do after a task ended or failed to start.
type Decision struct {
	// State is structs.TaskRestarting, structs.TaskNotRestarting, or
	// structs.TaskTerminated (a batch task completed: nothing to do).
	State string
	// Delay is how long to wait before starting again.
	Delay time.Duration
	// Reason says why, for the task event.
	Reason string
}

// Tracker counts a task's restarts within the policy's interval. It is
// safe for concurrent use.
type Tracker struct {
	mu     sync.Mutex
	policy structs.RestartPolicy
	batch  bool
	count  int
	start  time.Time

	// Now and Jitter are replaceable for tests; Jitter returns a duration
	// in [0, max].
	Now    func() time.Time
	Jitter func(max time.Duration) time.Duration
}

// New returns a tracker for a task of a job of jobType. A nil policy
// means Nomad's default for the job type.
func New(policy *structs.RestartPolicy, jobType string) *Tracker {
	if policy == nil {
		policy = structs.DefaultRestartPolicy(jobType)
	}
	p := *policy
	if p.Mode == "" {
		p.Mode = structs.RestartPolicyModeFail
	}
	return &Tracker{policy: p, batch: jobType == structs.JobTypeBatch, Now: time.Now, Jitter: backoff.UpTo}
}

// Exited decides after the task exited with res (nil when its fate is
// unknown, e.g. it was lost).
func (t *Tracker) Exited(res *drivers.ExitResult) Decision {
	if t.batch && res.Successful() {
		return Decision{State: structs.TaskTerminated}
	}
	return t.next()
}

// StartFailed decides after the task could not be started. Drivers do not
// tell transient errors from permanent ones, so a start failure counts as
// one attempt, like an exit.
func (t *Tracker) StartFailed(error) Decision { return t.next() }

// next counts one attempt and decides.
func (t *Tracker) next() Decision {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	if t.start.IsZero() || now.Sub(t.start) > t.policy.Interval {
		t.start, t.count = now, 0
	}
	t.count++
	if t.count <= t.policy.Attempts {
		return Decision{State: structs.TaskRestarting, Reason: ReasonWithinPolicy,
			Delay: t.policy.Delay + t.Jitter(t.policy.Delay/4)}
	}
	if t.policy.Mode == structs.RestartPolicyModeDelay {
		wait := t.start.Add(t.policy.Interval).Sub(now)
		return Decision{State: structs.TaskRestarting, Reason: ReasonDelay, Delay: max(wait, t.policy.Delay)}
	}
	if t.policy.Attempts == 0 {
		return Decision{State: structs.TaskNotRestarting, Reason: ReasonNoRestarts}
	}
	return Decision{State: structs.TaskNotRestarting, Reason: fmt.Sprintf(
		"Exceeded allowed attempts %d in interval %v and mode is %q", t.policy.Attempts, t.policy.Interval, t.policy.Mode)}
}

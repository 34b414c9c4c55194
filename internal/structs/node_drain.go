package structs

import "time"

// DrainSpec is how an operator asks a node to drain (Nomad's fields).
// Deadline is how long allocations may take to migrate before the rest are
// stopped: 0 means no deadline, a negative value stops everything at once
// (-force).
type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// DrainStrategy is a node's drain in progress: the spec, when it started
// and when what is left is forced off (zero without a deadline).
type DrainStrategy struct {
	DrainSpec
	ForceDeadline time.Time
	StartedAt     time.Time
}

// Drain statuses of DrainMetadata.
const (
	DrainStatusDraining = "draining"
	DrainStatusComplete = "complete"
	DrainStatusCanceled = "canceled"
)

// DrainMetadata describes a node's latest drain.
type DrainMetadata struct {
	StartedAt  time.Time
	UpdatedAt  time.Time
	Status     string
	AccessorID string
	Meta       map[string]string
}

// NewDrainStrategy returns the strategy of a drain of spec started at now.
func NewDrainStrategy(spec DrainSpec, now time.Time) *DrainStrategy {
	d := &DrainStrategy{DrainSpec: spec, StartedAt: now}
	switch {
	case spec.Deadline < 0:
		d.ForceDeadline = now
	case spec.Deadline > 0:
		d.ForceDeadline = now.Add(spec.Deadline)
	}
	return d
}

// DeadlinePassed reports whether the drain's deadline has passed at now.
func (d *DrainStrategy) DeadlinePassed(now time.Time) bool {
	return d != nil && !d.ForceDeadline.IsZero() && !now.Before(d.ForceDeadline)
}

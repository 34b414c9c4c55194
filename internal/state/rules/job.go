package rules

import (
	"errors"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// MaxJobVersions is how many versions of a job are kept.
const MaxJobVersions = 6

// DefaultNamespace is the namespace of objects written without one.
const DefaultNamespace = "default"

// ErrInvalid marks a write refused because an object lacks a required
// field; nothing was written.
var ErrInvalid = errors.New("invalid object")

// Namespace returns ns, or the default namespace when ns is empty.
func Namespace(ns string) string {
	if ns == "" {
		return DefaultNamespace
	}
	return ns
}

// JobChange is what a register or deregister writes.
type JobChange struct {
	// Job is the new current version, also stored as a version; nil when
	// the job does not change.
	Job *structs.Job
	// Purge deletes the job and all its versions.
	Purge bool
	// DropVersions are stored versions to delete to keep MaxJobVersions.
	DropVersions []uint64
	// JobModifyIndex is the existing job's, for evals when Job is nil.
	JobModifyIndex uint64
}

// Register decides what registering job does, given the existing job and
// its stored versions (newest first). The new version's indexes are left
// for the store to set (CreateIndex is kept from the existing job).
func Register(existing *structs.Job, versions []*structs.Job, job *structs.Job, enforce *uint64, now time.Time) (*JobChange, error) {
	if job == nil || job.ID == "" {
		return nil, fmt.Errorf("register job: job ID is required: %w", ErrInvalid)
	}
	if err := checkEnforce(existing, enforce); err != nil {
		return nil, err
	}
	next := job.Copy()
	next.Namespace = Namespace(job.Namespace)
	if existing != nil && !existing.SpecChanged(next) {
		return &JobChange{JobModifyIndex: existing.JobModifyIndex}, nil
	}
	return newVersion(existing, versions, next, now), nil
}

// checkEnforce refuses a register whose expected JobModifyIndex is not
// the existing job's (0 meaning the job must not exist).
func checkEnforce(existing *structs.Job, enforce *uint64) error {
	if enforce == nil {
		return nil
	}
	var cur uint64
	if existing != nil {
		cur = existing.JobModifyIndex
	}
	if cur != *enforce {
		return fmt.Errorf("register job: enforced index %d, job modify index is %d: %w", *enforce, cur, state.ErrConflict)
	}
	return nil
}

// Deregister decides what stopping (or, with purge, deleting) a job does.
func Deregister(existing *structs.Job, versions []*structs.Job, purge bool, now time.Time) (*JobChange, error) {
	if existing == nil {
		return nil, fmt.Errorf("deregister job: %w", state.ErrNotFound)
	}
	if purge {
		return &JobChange{Purge: true, JobModifyIndex: existing.JobModifyIndex}, nil
	}
	if existing.Stop {
		return &JobChange{JobModifyIndex: existing.JobModifyIndex}, nil
	}
	next := existing.Copy()
	next.Stop = true
	return newVersion(existing, versions, next, now), nil
}

// newVersion turns next into the version following existing's and lists
// the versions that fall out of the kept window.
func newVersion(existing *structs.Job, versions []*structs.Job, next *structs.Job, now time.Time) *JobChange {
	next.Version, next.CreateIndex = 0, 0
	if existing != nil {
		next.Version, next.CreateIndex = existing.Version+1, existing.CreateIndex
	}
	next.Status = structs.JobStatusPending
	next.StatusDescription = ""
	next.Stable = false
	next.SubmitTime = now.UnixNano()
	next.ModifyIndex, next.JobModifyIndex = 0, 0
	c := &JobChange{Job: next}
	for i, v := range versions {
		if i >= MaxJobVersions-1 {
			c.DropVersions = append(c.DropVersions, v.Version)
		}
	}
	return c
}

// PrepareEval returns a copy of e ready to store: default namespace,
// CreateTime (when unset) and ModifyTime set.
func PrepareEval(e *structs.Evaluation, now time.Time) (*structs.Evaluation, error) {
	if e == nil || e.ID == "" {
		return nil, fmt.Errorf("write eval: eval ID is required: %w", ErrInvalid)
	}
	c := e.Copy()
	c.Namespace = Namespace(e.Namespace)
	if c.CreateTime == 0 {
		c.CreateTime = now.UnixNano()
	}
	c.ModifyTime = now.UnixNano()
	return c, nil
}

// PrepareEvals prepares a list of evaluations (see PrepareEval).
func PrepareEvals(evals []*structs.Evaluation, now time.Time) ([]*structs.Evaluation, error) {
	out := make([]*structs.Evaluation, 0, len(evals))
	for _, e := range evals {
		c, err := PrepareEval(e, now)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

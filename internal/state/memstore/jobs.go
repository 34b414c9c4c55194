package memstore

import (
	"context"
	"time"

	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// RegisterJob stores job as its next version (when its spec changed) and
// writes evals, in one transaction.
func (s *Store) RegisterJob(ctx context.Context, job *structs.Job, evals []*structs.Evaluation, enforceIndex *uint64) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		if job == nil {
			_, err := rules.Register(nil, nil, nil, nil, now)
			return err
		}
		snap := t.Snapshot()
		ns := rules.Namespace(job.Namespace)
		ch, err := rules.Register(snap.Job(ns, job.ID), snap.JobVersions(ns, job.ID), job, enforceIndex, now)
		if err != nil {
			return err
		}
		return applyJobChange(t, ns, job.ID, ch, evals, idx, now)
	})
}

// DeregisterJob stops the job (a new version with Stop set) or, with
// purge, deletes it and its versions; evals are written with it.
func (s *Store) DeregisterJob(ctx context.Context, namespace, jobID string, purge bool, evals []*structs.Evaluation) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		snap := t.Snapshot()
		ns := rules.Namespace(namespace)
		ch, err := rules.Deregister(snap.Job(ns, jobID), snap.JobVersions(ns, jobID), purge, now)
		if err != nil {
			return err
		}
		return applyJobChange(t, ns, jobID, ch, evals, idx, now)
	})
}

// applyJobChange writes a job change and its evals at idx.
func applyJobChange(t *index.Txn, ns, jobID string, ch *rules.JobChange, evals []*structs.Evaluation, idx uint64, now time.Time) error {
	prepared, err := rules.PrepareEvals(evals, now)
	if err != nil {
		return err
	}
	jmi := ch.JobModifyIndex
	switch {
	case ch.Purge:
		t.DeleteJob(ns, jobID)
		for _, v := range t.Snapshot().JobVersions(ns, jobID) {
			t.DeleteJobVersion(ns, jobID, v.Version)
		}
	case ch.Job != nil:
		for _, v := range ch.DropVersions {
			t.DeleteJobVersion(ns, jobID, v)
		}
		j := ch.Job
		if j.CreateIndex == 0 {
			j.CreateIndex = idx
		}
		j.ModifyIndex, j.JobModifyIndex, jmi = idx, idx, idx
		version := *j
		version.CreateIndex = idx
		t.UpsertJob(j)
		t.UpsertJobVersion(&version)
	}
	for _, e := range prepared {
		e.JobModifyIndex = jmi
		upsertEval(t, e, idx)
	}
	return nil
}

// upsertEval stores a prepared eval at idx, keeping its CreateIndex.
func upsertEval(t *index.Txn, e *structs.Evaluation, idx uint64) {
	e.CreateIndex = idx
	if old := t.Snapshot().Eval(e.ID); old != nil {
		e.CreateIndex = old.CreateIndex
	}
	e.ModifyIndex = idx
	t.UpsertEval(e)
}

// writeEvals prepares and stores evals at idx.
func writeEvals(t *index.Txn, evals []*structs.Evaluation, idx uint64, now time.Time) error {
	prepared, err := rules.PrepareEvals(evals, now)
	if err != nil {
		return err
	}
	for _, e := range prepared {
		upsertEval(t, e, idx)
	}
	return nil
}

// UpsertEvals creates or replaces evaluations.
func (s *Store) UpsertEvals(ctx context.Context, evals []*structs.Evaluation) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, idx uint64, now time.Time) error {
		return writeEvals(t, evals, idx, now)
	})
}

// DeleteEvals removes evaluations; unknown IDs are ignored.
func (s *Store) DeleteEvals(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, func(t *index.Txn, _ uint64, _ time.Time) error {
		for _, id := range ids {
			t.DeleteEval(id)
		}
		return nil
	})
}

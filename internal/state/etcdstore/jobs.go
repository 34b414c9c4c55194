package etcdstore

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state/index"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

// RegisterJob stores job as its next version (when its spec changed) and
// writes evals, in one transaction guarded by the job key's revision.
func (s *Store) RegisterJob(ctx context.Context, job *structs.Job, evals []*structs.Evaluation, enforceIndex *uint64) (uint64, error) {
	if job == nil || job.ID == "" {
		_, err := rules.Register(nil, nil, job, nil, s.now())
		return 0, err
	}
	ns := rules.Namespace(job.Namespace)
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		now := s.now()
		existing := snap.Job(ns, job.ID)
		ch, err := rules.Register(existing, snap.JobVersions(ns, job.ID), job, enforceIndex, now)
		if err != nil {
			return nil, err
		}
		return s.jobChangePart(existing, ns, job.ID, ch, evals, now)
	})
}

// DeregisterJob stops the job (a new version with Stop set) or, with
// purge, deletes it and its versions; evals are written with it.
func (s *Store) DeregisterJob(ctx context.Context, namespace, jobID string, purge bool, evals []*structs.Evaluation) (uint64, error) {
	ns := rules.Namespace(namespace)
	return s.writeOne(ctx, func(snap *index.Snapshot) (*part, error) {
		now := s.now()
		existing := snap.Job(ns, jobID)
		ch, err := rules.Deregister(existing, snap.JobVersions(ns, jobID), purge, now)
		if err != nil {
			return nil, err
		}
		return s.jobChangePart(existing, ns, jobID, ch, evals, now)
	})
}

// jobChangePart writes a job change and its evals, guarded by the job
// key still being at the revision the change was computed from.
func (s *Store) jobChangePart(existing *structs.Job, ns, jobID string, ch *rules.JobChange, evals []*structs.Evaluation, now time.Time) (*part, error) {
	prepared, err := rules.PrepareEvals(evals, now)
	if err != nil {
		return nil, err
	}
	p := &part{}
	key := s.keys.job(ns, jobID)
	var rev uint64
	if existing != nil {
		rev = existing.ModifyIndex
	}
	p.modRevIs(key, rev)
	switch {
	case ch.Purge:
		p.del(key)
		p.del(s.keys.versions(ns, jobID), clientv3.WithPrefix())
	case ch.Job != nil:
		if err := s.putJobVersion(p, ns, jobID, ch); err != nil {
			return nil, err
		}
	}
	for _, e := range prepared {
		e.JobModifyIndex = ch.JobModifyIndex
		v, err := encodeEval(e, ch.Job != nil)
		if err != nil {
			return nil, err
		}
		p.put(s.keys.eval(e.ID), v)
	}
	return p, nil
}

// putJobVersion puts the new current job and its version key, and deletes
// the versions that fall out of the kept window.
func (s *Store) putJobVersion(p *part, ns, jobID string, ch *rules.JobChange) error {
	v, err := encodeJob(ch.Job, true)
	if err != nil {
		return err
	}
	p.put(s.keys.job(ns, jobID), v)
	p.put(s.keys.version(ns, jobID, ch.Job.Version), v)
	for _, old := range ch.DropVersions {
		p.del(s.keys.version(ns, jobID, old))
	}
	return nil
}

// UpsertEvals creates or replaces evaluations, in as many transactions as
// they need.
func (s *Store) UpsertEvals(ctx context.Context, evals []*structs.Evaluation) (uint64, error) {
	prepared, err := rules.PrepareEvals(evals, s.now())
	if err != nil {
		return 0, err
	}
	return s.write(ctx, len(prepared), func(_ *index.Snapshot, b *builder, from int) (int, error) {
		return s.fillEvals(b, prepared, from)
	}, nil)
}

// fillEvals adds puts of evals from index from on to b while they fit.
func (s *Store) fillEvals(b *builder, evals []*structs.Evaluation, from int) (int, error) {
	i := from
	for ; i < len(evals); i++ {
		v, err := encodeEval(evals[i], false)
		if err != nil {
			return i, err
		}
		p := &part{}
		p.put(s.keys.eval(evals[i].ID), v)
		if !b.add(p) {
			break
		}
	}
	return i, nil
}

// DeleteEvals removes evaluations; unknown IDs are ignored.
func (s *Store) DeleteEvals(ctx context.Context, ids []string) (uint64, error) {
	return s.write(ctx, len(ids), func(snap *index.Snapshot, b *builder, from int) (int, error) {
		i := from
		for ; i < len(ids); i++ {
			if snap.Eval(ids[i]) == nil {
				continue
			}
			p := &part{}
			p.del(s.keys.eval(ids[i]))
			if !b.add(p) {
				break
			}
		}
		return i, nil
	}, nil)
}

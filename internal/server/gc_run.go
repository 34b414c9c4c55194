package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/state"
)

// GCResult says what one collection deleted (the answer of PUT
// /v1/system/gc; Nomad answers with an empty body, which its clients
// ignore).
type GCResult struct {
	Jobs, Evals, Allocs, Nodes int
	// ACLTokens counts the expired ACL tokens deleted.
	ACLTokens int
	// Reclaimed is set when etcd's space was reclaimed after the
	// collection (compaction, and defragmentation when much of the
	// database was freed or its space was short, alarm disarmed).
	Reclaimed bool `json:",omitempty"`
	// ReclaimError says why reclaiming etcd space failed.
	ReclaimError string `json:",omitempty"`
}

// gcForceTimeout bounds how long PUT /v1/system/gc waits for the leader's
// collector to take the request.
const gcForceTimeout = time.Minute

// gcRequest asks the leader's collector for a forced collection.
type gcRequest struct {
	reply chan gcReply
}

type gcReply struct {
	res GCResult
	err error
}

// gcState hands forced collections to the leader's collector; its zero
// value is ready.
type gcState struct {
	once     sync.Once
	requests chan gcRequest
}

func (g *gcState) queue() chan gcRequest {
	g.once.Do(func() { g.requests = make(chan gcRequest) })
	return g.requests
}

// gcLoop collects garbage every GC interval, and whenever PUT
// /v1/system/gc asks, until ctx (the leadership) ends. Every delete is
// made under ctx, so a deposed leader's collection is refused.
func (s *Server) gcLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.GC.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			res, err := s.collectGarbage(ctx, false)
			if err != nil && !s.leadershipLost(ctx, err, "garbage collection") && ctx.Err() == nil {
				s.log.Error("garbage collection", "err", err)
			}
			if err == nil && res.deleted() >= largeCollection {
				s.reclaim(ctx, &res)
			}
		case req := <-s.gc.queue():
			var rep gcReply
			if err := s.safely("garbage collection", func() { rep.res, rep.err = s.collectGarbage(ctx, true) }); err != nil {
				rep.err = err
			}
			if rep.err == nil && rep.res.deleted() > 0 {
				s.reclaim(ctx, &rep.res)
			} else {
				s.leadershipLost(ctx, rep.err, "forced garbage collection")
			}
			req.reply <- rep
		}
	}
}

// collectGarbage finds and deletes what may be collected now (force:
// whatever the thresholds) and returns what it deleted. Dead jobs go
// first, each with its evaluations and allocations in one step; then
// the evaluations and allocations of live jobs; nodes last, as Nomad's.
func (s *Server) collectGarbage(ctx context.Context, force bool) (GCResult, error) {
	g := findGarbage(s.store.Snapshot(), s.cfg.GC.cutoffs(time.Now(), force))
	var res GCResult
	if g.empty() {
		return res, nil
	}
	if _, err := s.store.PurgeJobs(ctx, g.jobs); err != nil {
		return res, fmt.Errorf("purge dead jobs: %w", err)
	}
	snap := s.store.Snapshot()
	for _, j := range g.jobs {
		if snap.Job(j.Namespace, j.ID) == nil {
			res.Jobs, res.Evals, res.Allocs = res.Jobs+1, res.Evals+len(j.Evals), res.Allocs+len(j.Allocs)
		}
	}
	if _, err := s.store.DeleteAllocs(ctx, g.allocs); err != nil {
		return res, fmt.Errorf("delete terminal allocations: %w", err)
	}
	res.Allocs += len(g.allocs)
	if _, err := s.store.DeleteEvals(ctx, g.evals); err != nil {
		return res, fmt.Errorf("delete terminal evaluations: %w", err)
	}
	res.Evals += len(g.evals)
	if _, err := s.store.DeleteNodes(ctx, g.nodes); err != nil {
		return res, fmt.Errorf("delete down nodes: %w", err)
	}
	res.Nodes = len(g.nodes)
	for ids := g.tokens; len(ids) > 0; {
		n := min(len(ids), tokenDeleteBatch)
		if _, err := s.store.DeleteACLTokens(ctx, ids[:n]); err != nil {
			return res, fmt.Errorf("delete expired ACL tokens: %w", err)
		}
		res.ACLTokens, ids = res.ACLTokens+n, ids[n:]
	}
	s.log.Info("garbage collected", "forced", force, "jobs", res.Jobs, "evals", res.Evals,
		"allocs", res.Allocs, "nodes", res.Nodes, "acl_tokens", res.ACLTokens)
	return res, nil
}

// tokenDeleteBatch bounds the tokens deleted in one write (one etcd
// transaction).
const tokenDeleteBatch = 64

// largeCollection is the number of objects a periodic collection must
// delete to reclaim etcd space after it, as every forced one does.
const largeCollection = 1000

// deleted is the number of objects the collection deleted.
func (r GCResult) deleted() int { return r.Jobs + r.Evals + r.Allocs + r.Nodes + r.ACLTokens }

// reclaim frees etcd space after a forced or large collection, when the
// agent gave a way to: deletes only add revisions to etcd's history, so
// without a compaction the database grows with every collection.
func (s *Server) reclaim(ctx context.Context, res *GCResult) {
	if s.cfg.Reclaim == nil {
		return
	}
	done, err := s.cfg.Reclaim(ctx)
	if err != nil {
		res.ReclaimError = err.Error()
		s.log.Error("reclaim etcd space after garbage collection", "err", err)
	}
	res.Reclaimed = done && err == nil
}

// systemGC is PUT /v1/system/gc: a forced collection on the leader
// (leaderOnly forwards it there), answered once it is done.
func (s *Server) systemGC(_ http.ResponseWriter, r *http.Request) (any, uint64, error) {
	req := gcRequest{reply: make(chan gcReply, 1)}
	timer := time.NewTimer(gcForceTimeout)
	defer timer.Stop()
	select {
	case s.gc.queue() <- req:
	case <-r.Context().Done():
		return nil, 0, r.Context().Err()
	case <-timer.C:
		return nil, 0, errorf(http.StatusServiceUnavailable, "the leader's garbage collector did not take the request within %s", gcForceTimeout)
	}
	select {
	case rep := <-req.reply:
		if rep.err != nil {
			return nil, s.store.Snapshot().Index(), gcError(rep.err)
		}
		return rep.res, s.store.Snapshot().Index(), nil
	case <-r.Context().Done():
		return nil, 0, r.Context().Err()
	}
}

// gcError gives a collection's error its status: 503 when etcd is out of
// space (deletes still work, so this is rare) or the leadership ended
// (the collection was refused: retry on the new leader).
func gcError(err error) error {
	if errors.Is(err, state.ErrNoSpace) || errors.Is(err, state.ErrNotLeader) || errors.Is(err, context.Canceled) {
		return errorf(http.StatusServiceUnavailable, "garbage collection: %v", err)
	}
	return err
}

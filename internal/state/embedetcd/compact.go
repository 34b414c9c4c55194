package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/storage/mvcc"
)

// Housekeeping defaults. Compaction itself is etcd's periodic
// auto-compaction (CompactionRetention): it keeps that window of
// revisions, so watches and the stores' blocking waits keep working, and
// a watch that falls behind a compaction reloads.
const (
	// DefaultDefragInterval is how often a member looks whether
	// defragmenting is worth it.
	DefaultDefragInterval = time.Hour
	// disarmBelow is the share of the quota (in percent) the database
	// must be under for the space alarm to be disarmed.
	disarmBelow = 90
)

// Housekeeping timings; variables so tests can shorten them.
var (
	// defragMinFree is the least free space inside the database file
	// that makes a scheduled defragmentation worth blocking the member
	// for (it also needs a quarter of the file free).
	defragMinFree int64 = 64 << 20
	// alarmCheckEvery is how often a member looks for a space alarm to
	// recover from; alarmRetryAfter is how long it waits after a recovery
	// that found too little room when nothing was deleted since (a
	// delete moves the revision and makes it try again at the next
	// check).
	alarmCheckEvery = 10 * time.Second
	alarmRetryAfter = time.Minute
)

// ErrNoRoom is wrapped by Reclaim's error when compaction and
// defragmentation left the database too close to its quota.
var ErrNoRoom = errors.New("etcd database still too close to its space quota")

// housekeep runs the member's scheduled upkeep until ctx ends: a
// defragmentation when enough of the file is free, and recovery from
// etcd's space alarm (compact, defragment, disarm once there is room),
// and a defragmentation soon after a compaction that freed most of the
// file (compact_follow.go).
func (s *Server) housekeep(ctx context.Context) {
	defrag := time.NewTicker(s.defragInterval())
	defer defrag.Stop()
	alarm := time.NewTicker(alarmCheckEvery)
	defer alarm.Stop()
	// retryAt and failedRev are the time and the revision of a
	// recovery that found too little room: a new attempt waits for a
	// delete (a new revision) or for retryAt, since compacting and
	// defragmenting the same data again frees nothing.
	var retryAt time.Time
	var failedRev int64
	compacted := &compactFollower{rev: s.compactRev()}
	for {
		select {
		case <-ctx.Done():
			return
		case <-defrag.C:
			if s.defragWorthIt() {
				if err := s.Defragment(); err != nil {
					s.log.Error("scheduled etcd defragmentation", "err", err)
				}
			}
		case now := <-alarm.C:
			s.followDefrag(compacted, now)
			if !s.ownSpaceAlarm() || s.guardAlarm() {
				continue
			}
			rev := s.etcd.Server.KV().Rev()
			if rev == failedRev && now.Before(retryAt) {
				continue
			}
			if err := s.Reclaim(ctx); err != nil {
				retryAt, failedRev = now.Add(alarmRetryAfter), rev
				s.log.Error("etcd space alarm: recovery found too little room", "err", err)
			}
		}
	}
}

func (s *Server) defragInterval() time.Duration {
	if s.cfg.DefragInterval > 0 {
		return s.cfg.DefragInterval
	}
	return DefaultDefragInterval
}

// defragWorthIt reports whether enough of the database file is free.
func (s *Server) defragWorthIt() bool {
	be := s.etcd.Server.Backend()
	// Pages freed by a compaction count as free only after a later
	// commit; a quiet member may have none, so commit now.
	be.ForceCommit()
	free := be.Size() - be.SizeInUse()
	return free >= defragMinFree && free >= be.Size()/4
}

// Compact compacts the key history up to the current revision and waits
// until the space is free for reuse. Watches behind it end with
// ErrCompacted (the stores then reload), so only Reclaim uses it;
// periodic compaction keeps a window.
func (s *Server) Compact(ctx context.Context) error {
	rev := s.etcd.Server.KV().Rev()
	_, err := s.etcd.Server.Compact(ctx, &pb.CompactionRequest{Revision: rev, Physical: true})
	if err != nil && !errors.Is(err, mvcc.ErrCompacted) {
		return fmt.Errorf("embedetcd: compact to revision %d: %w", rev, err)
	}
	return nil
}

// Defragment rewrites the member's database file without its free pages,
// giving the space back to the file system. The member serves nothing
// while it runs.
func (s *Server) Defragment() error {
	be := s.etcd.Server.Backend()
	before := be.Size()
	start := time.Now()
	if err := be.Defrag(); err != nil {
		return fmt.Errorf("embedetcd: defragment: %w", err)
	}
	s.log.Info("etcd defragmented", "before", size(before), "after", size(be.Size()), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Reclaim frees the database's space after deletes: it compacts to the
// current revision, defragments, and disarms the member's space alarm
// when the database is under 90% of its quota. It returns an error
// wrapping ErrNoRoom when it is not.
func (s *Server) Reclaim(ctx context.Context) error {
	if err := s.Compact(ctx); err != nil {
		return err
	}
	if err := s.Defragment(); err != nil {
		return err
	}
	used, quota := s.etcd.Server.Backend().Size(), s.Quota()
	if used*100 >= quota*disarmBelow {
		return fmt.Errorf("embedetcd: %w: %s of %s after compaction and defragmentation: delete more (wharf system gc) or raise etcd.quota_backend_bytes",
			ErrNoRoom, size(used), size(quota))
	}
	if !s.ownSpaceAlarm() || s.guardAlarm() {
		return nil
	}
	if err := s.alarm(ctx, pb.AlarmRequest_DEACTIVATE); err != nil {
		return fmt.Errorf("embedetcd: disarm the space alarm: %w", err)
	}
	s.log.Info("etcd space alarm disarmed", "used", size(used), "quota", size(quota))
	return nil
}

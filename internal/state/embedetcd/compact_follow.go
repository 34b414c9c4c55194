package embedetcd

import (
	"time"

	"go.etcd.io/etcd/server/v3/storage/mvcc"
)

// A large garbage collection deletes much of the state, but the deleted
// keys' history stays in the database until a compaction, and the freed
// pages stay in the file until a defragmentation. The leader compacts
// after such a collection (a compaction is replicated to every member);
// each member then defragments its own file when at least half of it is
// free (followDefrag), without waiting for the scheduled look.

// compactRev is the revision the member's key history is compacted to.
func (s *Server) compactRev() int64 {
	r := s.etcd.Server.KV().Read(mvcc.ConcurrentReadTxMode, nil)
	defer r.End()
	return r.FirstRev()
}

// MostlyFree reports whether at least half of the database file, and at
// least defragMinFree, is free: a defragmentation then gives much of the
// file back.
func (s *Server) MostlyFree() bool {
	be := s.etcd.Server.Backend()
	be.ForceCommit()
	free := be.Size() - be.SizeInUse()
	return free >= defragMinFree && free >= be.Size()/2
}

// followWindow is how long after seeing a new compaction a member keeps
// looking whether its file is mostly free: the compaction revision moves
// at once, the pages are freed by etcd's background compaction after.
const followWindow = time.Minute

// compactFollower is what a member knows of the last compaction it saw.
type compactFollower struct {
	rev   int64
	until time.Time
}

// followDefrag defragments once, within followWindow of a compaction
// newer than f's, when most of the file is free.
func (s *Server) followDefrag(f *compactFollower, now time.Time) {
	if rev := s.compactRev(); rev > f.rev {
		f.rev, f.until = rev, now.Add(followWindow)
	}
	if !now.Before(f.until) || !s.MostlyFree() {
		return
	}
	f.until = time.Time{}
	if err := s.Defragment(); err != nil {
		s.log.Error("etcd defragmentation after a compaction", "err", err)
	}
}

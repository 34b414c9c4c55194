package server

import (
	"context"
	"time"
)

// quorumAware is an Elector that knows whether the store under it has a
// quorum (EtcdElector); without one, every other elector's store always
// has one.
type quorumAware interface {
	// quorumLost returns the last check's QuorumError, nil with a quorum.
	quorumLost() error
	// checkQuorum checks now, within about a second, for a write that
	// is taking long and started in etcd raft term startTerm: an error
	// when there is no quorum or the term changed (ErrLeaderChanged).
	checkQuorum(ctx context.Context, startTerm uint64) error
	// raftTerm is the etcd raft term last seen (0 when unknown).
	raftTerm() uint64
	// lastContact is how long ago the store last had a quorum (0 while
	// it has one).
	lastContact() time.Duration
}

var _ quorumAware = (*EtcdElector)(nil)

func (e *EtcdElector) quorumLost() error { e.init(); return e.quorum.lost() }

func (e *EtcdElector) checkQuorum(ctx context.Context, startTerm uint64) error {
	e.init()
	return e.quorum.checkWrite(ctx, startTerm)
}

// raftTerm returns the etcd raft term last seen, asking the local member
// (within quorumAskTimeout) when none was seen yet: a write must know the
// term it started in to tell a lost proposal.
func (e *EtcdElector) raftTerm() uint64 {
	e.init()
	if t := e.quorum.term(); t != 0 {
		return t
	}
	ctx, cancel := context.WithTimeout(context.Background(), quorumAskTimeout)
	defer cancel()
	_ = e.quorum.check(ctx)
	return e.quorum.term()
}

func (e *EtcdElector) lastContact() time.Duration { e.init(); return e.quorum.lastContact() }

// stepDownAfter is how long a leader keeps leading while its etcd member
// follows no leader: longer than etcd's own elections take, so a change
// of etcd leader does not also change the wharf leader.
const stepDownAfter = 3 * time.Second

// stepDownWithoutQuorum ends the term (cancel) once the etcd cluster has
// had no quorum for stepDownAfter: such a leader can write nothing, and
// the majority side elects another.
func (e *EtcdElector) stepDownWithoutQuorum(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(quorumEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := e.quorum.lost(); err != nil && e.quorum.lastContact() >= stepDownAfter {
			e.logger().Warn("giving up leadership: no etcd quorum", "err", err)
			cancel()
			return
		}
	}
}

// suspectLeader records that a request forwarded to the leader at addr
// got no answer, so lookups stop naming it until it answers a probe.
func (e *EtcdElector) suspectLeader(addr string) {
	e.init()
	c, ok, _ := e.watch.leader()
	if !ok || c.addr != addr || addr == e.Addr {
		return
	}
	now := time.Now()
	// Two failures back-dated past suspectAfter: the probe's next success
	// clears them.
	e.probe.note(c.key, errForwardFailed, now.Add(-suspectAfter))
	e.probe.note(c.key, errForwardFailed, now)
}

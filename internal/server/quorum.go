package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Quorum timings: how often the monitor asks the local etcd member
// whether it follows a leader, how long one question may take (to the
// local member, or to another member to count it as reachable), and how
// often the member list is read again.
const (
	quorumEvery      = 300 * time.Millisecond
	quorumAskTimeout = 500 * time.Millisecond
	membersRefresh   = 10 * time.Second
	// quorumSilence is how long the local member may leave the monitor's
	// questions unanswered before that alone counts as a lost quorum: a
	// member cut off from a majority still answers at once (that it
	// follows no leader), so an unanswered question mostly means this
	// process is starved of CPU, not that the cluster lost its quorum.
	quorumSilence = 2 * time.Second
	// quorumProgress is how recently the local member must have seen its
	// raft commit index move for a slow write's check to trust that the
	// cluster still commits: only a quorum commits, so a moving index
	// proves one whatever the peers' status answers say (on a machine
	// short of CPU they time out while the cluster works).
	quorumProgress = time.Second
)

// QuorumError says that the etcd cluster under this server has no quorum
// (its members follow no leader), with how many members this server
// reaches; writes are refused with it at once instead of hanging.
type QuorumError struct {
	Reachable, Members int
}

func (e *QuorumError) Error() string {
	if e.Members > 0 && e.Reachable > e.Members/2 {
		return fmt.Sprintf("no etcd quorum: the members are electing a leader (%d of %d members reachable)", e.Reachable, e.Members)
	}
	return fmt.Sprintf("no etcd quorum: %d of %d members reachable", e.Reachable, e.Members)
}

// ErrLeaderChanged says that etcd elected a new leader while a write was
// waiting: etcd drops the proposals a follower forwarded to the old
// leader and answers them only after its request timeout (7 s), so the
// write is given up early; it may or may not have been applied (as
// Nomad's "leadership lost while committing log").
var ErrLeaderChanged = errors.New("etcd leader changed while the write was in flight: it may or may not have been applied; retry")

// quorumState is what the monitor last found.
type quorumState struct {
	err      error     // nil while the local member follows a leader
	lastOK   time.Time // when it last did
	answered time.Time // when the local member last answered at all
	at       time.Time // when this was found
	term     uint64    // the etcd raft term the local member was in
	// timedOut is set when the last write check found no majority only
	// because peers' dials timed out (see checkWrite).
	timedOut bool
}

// quorumMonitor knows whether the etcd cluster has a quorum, by asking
// the local member (answered without quorum) whether it follows a leader:
// a member cut off from a majority loses its leader within etcd's
// election timeout. It never blocks a request for longer than one check.
type quorumMonitor struct {
	cli *clientv3.Client
	// dial asks the member at an etcd client URL for its status
	// (askStatus by default; tests replace it): a member counts as
	// reachable only when it answers, so a frozen one, whose kernel still
	// accepts connections, does not.
	dial func(ctx context.Context, clientURL string) error
	// ask asks the local member whether it follows a leader
	// (localLeader by default; tests replace it).
	ask func(ctx context.Context) (self, term uint64, answered, ok bool)

	state   atomic.Pointer[quorumState]
	checkMu sync.Mutex
	self    atomic.Uint64 // the local member's ID, once known

	// commit is the local member's raft commit index last seen, and
	// progressAt (Unix nanoseconds) when it was last seen to move.
	commit     atomic.Uint64
	progressAt atomic.Int64

	membersMu sync.Mutex
	members   []*pb.Member
	membersAt time.Time
}

func newQuorumMonitor(cli *clientv3.Client) *quorumMonitor {
	q := &quorumMonitor{cli: cli}
	q.dial = q.askStatus
	q.ask = q.localLeader
	now := time.Now()
	q.state.Store(&quorumState{lastOK: now, answered: now})
	return q
}

// askStatus asks the member at clientURL for its status: a real request,
// answered by the member's process. A refused connection is told at once
// (etcd's client would retry it until the deadline, which reads as a
// timeout); a frozen process, whose kernel still accepts connections,
// times out.
func (q *quorumMonitor) askStatus(ctx context.Context, clientURL string) error {
	u, err := url.Parse(clientURL)
	if err != nil {
		return err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	c.Close()
	_, err = q.cli.Status(ctx, clientURL)
	return err
}

// run checks every quorumEvery until ctx ends.
func (q *quorumMonitor) run(ctx context.Context) {
	t := time.NewTicker(quorumEvery)
	defer t.Stop()
	for {
		q.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// lost returns the last check's QuorumError, or nil while there is a
// quorum.
func (q *quorumMonitor) lost() error { return q.state.Load().err }

// lastContact is how long ago the local member last followed a leader
// (0 while it does).
func (q *quorumMonitor) lastContact() time.Duration {
	st := q.state.Load()
	if st.err == nil {
		return 0
	}
	return time.Since(st.lastOK)
}

// check asks now (or returns a check made in the last quorumEvery/2) and
// returns a QuorumError when there is no quorum. A question the local
// member leaves unanswered changes nothing until it has been silent for
// quorumSilence: then the members are counted as for a loss.
func (q *quorumMonitor) check(ctx context.Context) error {
	q.checkMu.Lock()
	defer q.checkMu.Unlock()
	if st := q.state.Load(); time.Since(st.at) < quorumEvery/2 && st.term != 0 {
		return st.err
	}
	prev := q.state.Load()
	st := &quorumState{lastOK: prev.lastOK, answered: prev.answered, at: time.Now(), term: prev.term,
		err: prev.err, timedOut: prev.timedOut}
	self, term, answered, hasLeader := q.ask(ctx)
	if term != 0 {
		st.term = term
	}
	switch {
	case hasLeader:
		st.lastOK, st.answered, st.err = st.at, st.at, nil
		if time.Since(q.membersFetchedAt()) > membersRefresh {
			q.refreshMembers(ctx)
		}
	case answered || st.at.Sub(prev.answered) >= quorumSilence:
		if answered {
			st.answered = st.at
		}
		if self == 0 {
			self = q.self.Load()
		}
		reach, total := q.reachable(ctx, self)
		st.err = &QuorumError{Reachable: reach, Members: total}
	}
	q.state.Store(st)
	return st.err
}

// checkWrite is check for a write that is taking long: with the local
// member still following a leader (it notices a loss only after etcd's
// election timeout), it also counts the members it reaches, and reports
// the quorum lost when they are no majority. Peers that refuse a
// connection count at once; peers whose dial only timed out count when
// the previous write check found the same, since a process starved of
// CPU also sees its dials time out.
func (q *quorumMonitor) checkWrite(ctx context.Context, startTerm uint64) error {
	if err := q.check(ctx); err != nil {
		return err
	}
	if t := q.term(); startTerm != 0 && t != startTerm {
		return ErrLeaderChanged
	}
	if q.committedWithin(quorumProgress) {
		return nil
	}
	self := q.self.Load()
	reach, total, timedOut := q.reachableWhy(ctx, self)
	lost := self != 0 && reach <= total/2
	q.checkMu.Lock()
	defer q.checkMu.Unlock()
	st := *q.state.Load()
	again := st.timedOut
	st.timedOut = lost && timedOut
	q.state.Store(&st)
	if lost && (!timedOut || again) {
		return &QuorumError{Reachable: reach, Members: total}
	}
	return nil
}

// localLeader asks the member behind each endpoint for its status and
// reports whether any answered and whether one follows a leader, with the
// ID and raft term of the first member that answered.
func (q *quorumMonitor) localLeader(ctx context.Context) (self, term uint64, answered, ok bool) {
	for _, ep := range q.cli.Endpoints() {
		sctx, cancel := context.WithTimeout(ctx, quorumAskTimeout)
		resp, err := q.cli.Status(sctx, ep)
		cancel()
		if err != nil {
			continue
		}
		answered = true
		if self == 0 && resp.Header != nil {
			self, term = resp.Header.MemberId, resp.RaftTerm
			q.self.Store(self)
			q.sawCommit(resp.RaftIndex, time.Now())
		}
		if resp.Leader != 0 {
			return self, resp.RaftTerm, true, true
		}
	}
	return self, term, answered, false
}

// sawCommit records the local member's raft commit index seen at now,
// and when it moved.
func (q *quorumMonitor) sawCommit(index uint64, now time.Time) {
	if q.commit.Swap(index) != index {
		q.progressAt.Store(now.UnixNano())
	}
}

// committedWithin reports whether the local member's commit index moved
// within d: the cluster had a quorum then.
func (q *quorumMonitor) committedWithin(d time.Duration) bool {
	at := q.progressAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < d
}

// term is the etcd raft term of the last check.
func (q *quorumMonitor) term() uint64 { return q.state.Load().term }

func (q *quorumMonitor) membersFetchedAt() time.Time {
	q.membersMu.Lock()
	defer q.membersMu.Unlock()
	return q.membersAt
}

// refreshMembers reads the member list from the local member.
func (q *quorumMonitor) refreshMembers(ctx context.Context) {
	mctx, cancel := context.WithTimeout(ctx, quorumAskTimeout)
	defer cancel()
	resp, err := q.cli.MemberList(mctx, clientv3.WithSerializable())
	if err != nil {
		return
	}
	q.membersMu.Lock()
	q.members, q.membersAt = resp.Members, time.Now()
	q.membersMu.Unlock()
}

// reachable counts the voting members that answer a status request
// within quorumAskTimeout (the local member always counts), and the
// voting members.
func (q *quorumMonitor) reachable(ctx context.Context, self uint64) (reach, total int) {
	reach, total, _ = q.reachableWhy(ctx, self)
	return reach, total
}

// reachableWhy is reachable, also reporting whether a member counted as
// unreachable only because its dial timed out.
func (q *quorumMonitor) reachableWhy(ctx context.Context, self uint64) (reach, total int, timedOut bool) {
	q.membersMu.Lock()
	members := q.members
	q.membersMu.Unlock()
	if members == nil {
		q.refreshMembers(ctx)
		q.membersMu.Lock()
		members = q.members
		q.membersMu.Unlock()
	}
	var n, slow atomic.Int32
	var wg sync.WaitGroup
	for _, m := range members {
		if m.IsLearner {
			continue
		}
		total++
		if m.ID == self {
			n.Add(1)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch q.peerReachable(ctx, m.ClientURLs) {
			case peerUp:
				n.Add(1)
			case peerTimedOut:
				slow.Add(1)
			}
		}()
	}
	wg.Wait()
	if total == 0 {
		return 1, 1, false // no member list yet: the local member is all we know
	}
	return int(n.Load()), total, slow.Load() > 0
}

// peerAnswer is what dialling a peer found.
type peerAnswer int

const (
	peerDown     peerAnswer = iota // refused, or no usable address
	peerUp                         // answered a status request
	peerTimedOut                   // no answer within quorumAskTimeout
)

// peerReachable asks the member at each of its client URLs for its
// status until one answers.
func (q *quorumMonitor) peerReachable(ctx context.Context, urls []string) peerAnswer {
	out := peerDown
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, quorumAskTimeout)
		err = q.dial(dctx, u)
		cancel()
		if err == nil {
			return peerUp
		}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			out = peerTimedOut
		}
	}
	return out
}

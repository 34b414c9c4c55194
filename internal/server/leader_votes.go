package server

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// votePrefix is where followers record that they cannot reach the
// leader: votePrefix + <the leader's election lease, hex> + "/" + <the
// follower's address>, each under a short lease of the follower's own,
// so that a vote lapses when its follower stops renewing it. It lies
// outside the election prefix: a vote is not a candidacy.
const votePrefix = "/wharf/probe/unreachable/"

// Vote timings: a vote lives voteTTL seconds without renewal (etcd's
// shortest lease with its default timings), and each vote request or
// count may take voteTimeout.
const (
	voteTTL     = 2
	voteTimeout = 500 * time.Millisecond
)

// unreachableVotes is this server's vote, as a follower, that the leader
// does not answer it. It is used by the probe loop alone.
type unreachableVotes struct {
	cli  *clientv3.Client
	self string // this server's address, the voter's name

	lease   clientv3.LeaseID // the lease of the vote cast, 0 when none
	subject string           // the leader it is about
}

// voteSubject names a leader in vote keys: its election lease, which no
// other leader ever holds.
func voteSubject(leader clientv3.LeaseID) string { return fmt.Sprintf("%x", int64(leader)) }

// cast records (or renews) this server's vote that the leader with the
// election lease leader does not answer.
func (v *unreachableVotes) cast(ctx context.Context, leader clientv3.LeaseID) error {
	subject := voteSubject(leader)
	if v.lease != 0 && v.subject == subject {
		if _, err := v.cli.KeepAliveOnce(ctx, v.lease); err == nil {
			return nil
		}
		v.lease = 0 // expired: vote again
	}
	v.withdraw(ctx)
	g, err := v.cli.Grant(ctx, voteTTL)
	if err != nil {
		return fmt.Errorf("grant a vote lease: %w", err)
	}
	if _, err := v.cli.Put(ctx, votePrefix+subject+"/"+v.self, v.self, clientv3.WithLease(g.ID)); err != nil {
		_, _ = v.cli.Revoke(ctx, g.ID)
		return fmt.Errorf("record the vote: %w", err)
	}
	v.lease, v.subject = g.ID, subject
	return nil
}

// withdraw removes this server's vote, if it cast one.
func (v *unreachableVotes) withdraw(ctx context.Context) {
	if v.lease == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, voteTimeout)
	defer cancel()
	_, _ = v.cli.Revoke(rctx, v.lease)
	v.lease, v.subject = 0, ""
}

// count returns how many servers (this one included) currently vote that
// the leader with the election lease leader does not answer them: a
// linearizable read, so it needs the etcd quorum.
func (v *unreachableVotes) count(ctx context.Context, leader clientv3.LeaseID) (int, error) {
	resp, err := v.cli.Get(ctx, votePrefix+voteSubject(leader)+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("count the votes: %w", err)
	}
	return int(resp.Count), nil
}

// votesNeeded is how many servers must find the leader unreachable before
// one of them deposes it, with candidates servers in the election (the
// leader included): a majority of them, but never more than there are
// followers (a lone follower of two servers decides alone).
func votesNeeded(candidates int) int {
	return max(1, min(candidates/2+1, candidates-1))
}

package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Leader probe timings: every follower asks the leader's API whether it
// answers every probeEvery, waiting up to probeTimeout. After
// suspectAfter of nothing but failures the leader is reported as gone
// (status/leader names none, forwarded requests wait for the next one).
// From the second failure in a row the follower records in etcd that the
// leader does not answer it (leader_votes.go); after deposeAfter (and at
// least three failures), when a majority of the servers so vote, it
// revokes the leader's election lease, so the next candidate leads at
// once instead of after the lease's TTL, which etcd renews in full
// whenever its own leader changes. The majority keeps a follower cut off
// from the leader alone (a partial partition) from deposing a leader the
// others reach. A leader frozen for up to about 2 s is not deposed:
// failures are counted from the end of the first probe that got no
// answer, and a probe sent right after it is answered once the leader
// runs again.
const (
	probeEvery   = 250 * time.Millisecond
	probeTimeout = 750 * time.Millisecond
	suspectAfter = 500 * time.Millisecond
	deposeAfter  = 1500 * time.Millisecond
)

// leaderProbe is what a follower knows of the leader's answers.
type leaderProbe struct {
	mu           sync.Mutex
	key          string    // the leader's election key the rest is about
	failingSince time.Time // zero while it answers
	failures     int
	shortLogged  bool // the follower said it was outvoted about key
}

// note records one probe of the leader with key.
func (p *leaderProbe) note(key string, err error, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != key {
		p.key, p.failingSince, p.failures, p.shortLogged = key, time.Time{}, 0, false
	}
	if err == nil {
		p.failingSince, p.failures, p.shortLogged = time.Time{}, 0, false
		return
	}
	if p.failingSince.IsZero() {
		p.failingSince = now
	}
	p.failures++
}

// failingFor is how long the leader with key has failed every probe (0
// when it answers or is not known to the probe).
func (p *leaderProbe) failingFor(key string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != key || p.failingSince.IsZero() {
		return 0
	}
	return now.Sub(p.failingSince)
}

// failed returns the number of failed probes in a row of key.
func (p *leaderProbe) failed(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != key {
		return 0
	}
	return p.failures
}

// firstShortVote reports whether this is the first time, in this spell
// of failures of the leader with key, that too few servers voted against
// it (said once, not on every probe).
func (p *leaderProbe) firstShortVote(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != key || p.shortLogged {
		return false
	}
	p.shortLogged = true
	return true
}

// probeLeader probes the leader while this server follows, until ctx
// ends, votes while the leader does not answer, and revokes the lease of
// a leader that a majority of the servers find unreachable.
func (e *EtcdElector) probeLeader(ctx context.Context) {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	votes := &unreachableVotes{cli: e.Client, self: e.Addr}
	defer votes.withdraw(context.WithoutCancel(ctx))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, ok, _ := e.watch.leader()
		if !ok || c.addr == e.Addr {
			votes.withdraw(ctx)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := e.ping(pctx, c.addr)
		cancel()
		now := time.Now()
		e.probe.note(c.key, err, now)
		failing, failed := e.probe.failingFor(c.key, now), e.probe.failed(c.key)
		if err == nil || failed < 2 {
			votes.withdraw(ctx)
			continue
		}
		if e.voteAgainst(ctx, votes, c, failing >= deposeAfter && failed >= 3) {
			e.depose(ctx, c, err)
			votes.withdraw(ctx)
		}
	}
}

// voteAgainst casts or renews this server's vote that the leader c does
// not answer and, when decide is set, reports whether enough servers so
// vote to depose it.
func (e *EtcdElector) voteAgainst(ctx context.Context, votes *unreachableVotes, c candidate, decide bool) bool {
	if e.quorum.lost() != nil || c.lease == 0 {
		return false // nothing can be recorded or revoked without a quorum
	}
	vctx, cancel := context.WithTimeout(ctx, voteTimeout)
	defer cancel()
	if err := votes.cast(vctx, c.lease); err != nil {
		e.logger().Debug("cannot vote that the leader does not answer", "leader", c.addr, "err", err)
		return false
	}
	if !decide {
		return false
	}
	n, err := votes.count(vctx, c.lease)
	if err != nil {
		return false
	}
	peers, _ := e.watch.peers()
	need := votesNeeded(len(peers))
	if n < need && e.probe.firstShortVote(c.key) {
		e.logger().Warn("the leader does not answer this server, but the other servers reach it: not deposing it",
			"leader", c.addr, "votes", n, "needed", need)
	}
	return n >= need
}

// depose revokes the election lease of a leader that stopped answering:
// its key goes, and the next candidate's campaign ends. A leader that was
// only slow learns it lost when its session ends, and its writes are
// fenced from the moment its key is gone.
func (e *EtcdElector) depose(ctx context.Context, c candidate, cause error) {
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := e.Client.Revoke(rctx, c.lease); err != nil {
		e.logger().Warn("cannot revoke the lease of a leader that does not answer", "leader", c.addr, "err", err)
		return
	}
	e.logger().Warn("leader stopped answering a majority of the servers: revoked its election lease", "leader", c.addr,
		"for", e.probe.failingFor(c.key, time.Now()).Round(time.Millisecond), "err", cause)
}

// suspect reports whether the leader c has failed every probe for
// suspectAfter.
func (e *EtcdElector) suspect(c candidate) bool {
	return c.addr != e.Addr && e.probe.failingFor(c.key, time.Now()) >= suspectAfter
}

// ping asks the API at addr for its regions: any answer means the server
// runs and is reachable.
func (e *EtcdElector) ping(ctx context.Context, addr string) error {
	if e.Ping != nil {
		return e.Ping(ctx, addr)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v1/regions", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("leader answered %s", resp.Status)
	}
	return nil
}

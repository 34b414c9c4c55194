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
// (status/leader names none, forwarded requests wait for the next one);
// after deposeAfter the follower revokes the leader's election lease, so
// the next candidate leads at once instead of after the lease's TTL,
// which etcd renews in full whenever its own leader changes.
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
}

// note records one probe of the leader with key.
func (p *leaderProbe) note(key string, err error, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != key {
		p.key, p.failingSince, p.failures = key, time.Time{}, 0
	}
	if err == nil {
		p.failingSince, p.failures = time.Time{}, 0
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

// probeLeader probes the leader while this server follows, until ctx
// ends, and revokes the lease of a leader that stopped answering.
func (e *EtcdElector) probeLeader(ctx context.Context) {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, ok, _ := e.watch.leader()
		if !ok || c.addr == e.Addr {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := e.ping(pctx, c.addr)
		cancel()
		now := time.Now()
		e.probe.note(c.key, err, now)
		if err != nil && e.probe.failingFor(c.key, now) >= deposeAfter && e.probe.failed(c.key) >= 3 {
			e.depose(ctx, c, err)
		}
	}
}

// depose revokes the election lease of a leader that stopped answering:
// its key goes, and the next candidate's campaign ends. A leader that was
// only slow learns it lost when its session ends, and its writes are
// fenced from the moment its key is gone.
func (e *EtcdElector) depose(ctx context.Context, c candidate, cause error) {
	if e.quorum.lost() != nil || c.lease == 0 {
		return // nothing can be revoked without a quorum
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := e.Client.Revoke(rctx, c.lease); err != nil {
		e.logger().Warn("cannot revoke the lease of a leader that does not answer", "leader", c.addr, "err", err)
		return
	}
	e.logger().Warn("leader stopped answering: revoked its election lease", "leader", c.addr,
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

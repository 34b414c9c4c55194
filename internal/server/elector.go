package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/wharf-project/wharf/internal/state"
)

// Elector decides which server leads.
type Elector interface {
	// Run campaigns until ctx ends. Each time this server wins, it calls
	// lead with a context that ends when leadership is lost and carries
	// the leadership's fence (state.WithFence): store writes made with it
	// commit only while that leadership holds.
	Run(ctx context.Context, lead func(ctx context.Context)) error
	// Leader returns the advertised address of the current leader.
	Leader(ctx context.Context) (string, error)
	// Peers returns the advertised addresses of every live server.
	Peers(ctx context.Context) ([]string, error)
}

// LocalElector always leads: a single server, or tests.
type LocalElector struct {
	// Addr is the address this server advertises.
	Addr string
}

var _ Elector = (*LocalElector)(nil)

// Run leads until ctx ends.
func (l *LocalElector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	lead(state.WithFence(ctx, localFence(ctx)))
	return nil
}

// Leader returns this server's address.
func (l *LocalElector) Leader(context.Context) (string, error) { return l.addr(), nil }

// Peers returns this server's address.
func (l *LocalElector) Peers(context.Context) ([]string, error) { return []string{l.addr()}, nil }

func (l *LocalElector) addr() string {
	if l.Addr == "" {
		return "127.0.0.1:4646"
	}
	return l.Addr
}

// electionPrefix is where candidates of the leader election live in etcd.
const electionPrefix = "/wharf/election/leader"

// EtcdElector elects a leader among servers sharing one etcd cluster.
type EtcdElector struct {
	Client *clientv3.Client
	// Addr is the address this server advertises.
	Addr string
	// TTL is the session lease: how long a leader that can no longer renew
	// it keeps leading. Default 5s. A leader that dies or stops answering
	// its API is deposed sooner by the followers' probes (leader_probe.go).
	TTL time.Duration
	// Ping checks that the API of the server at addr answers; a plain
	// HTTP request by default (the server sets its TLS transport).
	Ping func(ctx context.Context, addr string) error
	// Logger receives the elector's warnings; slog.Default() when nil.
	Logger *slog.Logger

	initOnce sync.Once
	watch    *leaderWatch
	quorum   *quorumMonitor
	probe    leaderProbe
}

func (e *EtcdElector) init() {
	e.initOnce.Do(func() {
		e.watch = newLeaderWatch(e.Client)
		e.quorum = newQuorumMonitor(e.Client)
	})
}

func (e *EtcdElector) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

var _ Elector = (*EtcdElector)(nil)

// Run campaigns, leads while it holds the election, and campaigns again
// when it loses it, until ctx ends.
func (e *EtcdElector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	ttl := int(e.TTL / time.Second)
	if ttl <= 0 {
		ttl = 5
	}
	e.init()
	go e.watch.run(ctx)
	go e.quorum.run(ctx)
	go e.probeLeader(ctx)
	e.revokeOwnStaleCandidacy(ctx)
	for ctx.Err() == nil {
		if err := e.term(ctx, ttl, lead); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// revokeOwnStaleCandidacy drops a candidacy left by an earlier process of
// this same server (same advertised address) that died without resigning:
// without it, a restarted leader waits for its own old lease to expire.
// Addresses are unique among live servers, so the lease can only be ours.
func (e *EtcdElector) revokeOwnStaleCandidacy(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := e.Client.Get(ctx, electionPrefix+"/", clientv3.WithPrefix())
	if err != nil {
		return
	}
	for _, kv := range resp.Kvs {
		if string(kv.Value) == e.Addr && kv.Lease != 0 {
			_, _ = e.Client.Revoke(ctx, clientv3.LeaseID(kv.Lease))
		}
	}
}

// term is one candidacy: campaign, lead until the session ends, resign.
func (e *EtcdElector) term(ctx context.Context, ttl int, lead func(ctx context.Context)) error {
	sess, err := concurrency.NewSession(e.Client, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("election session: %w", err)
	}
	defer sess.Close()
	el := concurrency.NewElection(sess, electionPrefix)
	if err := el.Campaign(ctx, e.Addr); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	fence, keyGone := electionFence(sess, el)
	leadCtx, cancel := context.WithCancel(state.WithFence(ctx, fence))
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-leadCtx.Done():
		}
	}()
	go watchTermKey(leadCtx, e.Client, el.Key(), el.Rev(), func() { keyGone(); cancel() })
	go e.stepDownWithoutQuorum(leadCtx, cancel)
	lead(leadCtx)
	cancel()
	rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer rcancel()
	_ = el.Resign(rctx)
	return nil
}

// Leader returns the leader's address from the view the election watch
// keeps (no etcd request once it has synced): an error when the etcd
// cluster has no quorum (a QuorumError), when there is no candidate, or
// when the leader has stopped answering the followers' probes.
func (e *EtcdElector) Leader(ctx context.Context) (string, error) {
	e.init()
	if err := e.quorum.lost(); err != nil {
		return "", err
	}
	c, ok, synced := e.watch.leader()
	if !synced {
		return e.readLeader(ctx)
	}
	if !ok {
		return "", errors.New("no leader elected")
	}
	if e.suspect(c) {
		return "", fmt.Errorf("the leader %s stopped answering: electing another", c.addr)
	}
	return c.addr, nil
}

// readLeader reads the candidate with the oldest key from etcd, within a
// second: before the watch has synced.
func (e *EtcdElector) readLeader(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := e.Client.Get(ctx, electionPrefix+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("read leader: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", errors.New("no leader elected")
	}
	return string(resp.Kvs[0].Value), nil
}

// Peers lists every candidate, leader first, from the election watch's
// view (read from etcd within a second before it has synced).
func (e *EtcdElector) Peers(ctx context.Context) ([]string, error) {
	e.init()
	if peers, synced := e.watch.peers(); synced {
		return peers, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := e.Client.Get(ctx, electionPrefix+"/", clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		return nil, fmt.Errorf("read peers: %w", err)
	}
	out := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, string(kv.Value))
	}
	return out, nil
}

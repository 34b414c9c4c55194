package server

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
)

// TestElectorDeposesALeaderThatStopsAnswering runs two electors on a real
// etcd: the follower names the leader from its watch; once the leader's
// API stops answering (its probe fails), the follower names no leader
// within about a second, revokes the leader's lease, and leads itself
// long before the leader's one-minute lease would expire; the deposed
// leader's term ends.
func TestElectorDeposesALeaderThatStopsAnswering(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ec, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd"), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ec.Close() })
	st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: ec.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })

	var s1Answers atomic.Bool
	s1Answers.Store(true)
	ping := func(_ context.Context, addr string) error {
		if addr == "s1:4646" && s1Answers.Load() {
			return nil
		}
		return errors.New("connection refused")
	}
	s1 := &EtcdElector{Client: st.Client(), Addr: "s1:4646", TTL: time.Minute, Ping: ping}
	first := recvTerm(t, campaignFor(t, s1), "s1")
	s2 := &EtcdElector{Client: st.Client(), Addr: "s2:4646", TTL: time.Minute, Ping: ping}
	second := campaignFor(t, s2)
	waitUntil(t, "s2 to name s1 from its watch", func() bool {
		addr, err := s2.Leader(ctx)
		return err == nil && addr == "s1:4646"
	})
	waitUntil(t, "both candidates in the peers, the leader first", func() bool {
		peers, err := s2.Peers(ctx)
		return err == nil && len(peers) == 2 && peers[0] == "s1:4646" && peers[1] == "s2:4646"
	})

	s1Answers.Store(false)
	stopped := time.Now()
	waitUntil(t, "s2 to name no leader", func() bool {
		_, err := s2.Leader(ctx)
		return err != nil
	})
	if d := time.Since(stopped); d > 2*time.Second {
		t.Errorf("s2 named the silent leader for %s", d)
	}
	recvTerm(t, second, "s2")
	if d := time.Since(stopped); d > 5*time.Second {
		t.Errorf("s2 led %s after s1 stopped answering, want within 5s", d)
	}
	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the deposed leader's term did not end")
	}
	// s2's watch sees s1's key go just after s2's campaign ends.
	waitUntil(t, "s2 to name itself", func() bool {
		addr, err := s2.Leader(ctx)
		return err == nil && addr == "s2:4646"
	})
}

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

func TestVotesNeeded(t *testing.T) {
	for _, tc := range []struct{ candidates, want int }{
		{0, 1}, {1, 1}, {2, 1}, {3, 2}, {4, 3}, {5, 3}, {7, 4},
	} {
		if got := votesNeeded(tc.candidates); got != tc.want {
			t.Errorf("votesNeeded(%d) = %d, want %d", tc.candidates, got, tc.want)
		}
	}
}

// TestElectorNeedsAMajorityToDepose runs three electors on a real etcd.
// When only s3 cannot reach the leader s1 (a partial partition), s1 keeps
// leading well past the deposition delay and s3's vote is in etcd; once
// s2 cannot reach it either, s1 is deposed within seconds and another
// server leads. A vote lapses with its voter's lease.
func TestElectorNeedsAMajorityToDepose(t *testing.T) {
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

	var s2Cut, s3Cut atomic.Bool
	s3Cut.Store(true)
	pingFrom := func(cut *atomic.Bool) func(context.Context, string) error {
		return func(_ context.Context, addr string) error {
			if addr == "s1:4646" && cut != nil && cut.Load() {
				return errors.New("i/o timeout")
			}
			return nil
		}
	}
	s1 := &EtcdElector{Client: st.Client(), Addr: "s1:4646", TTL: time.Minute, Ping: pingFrom(nil)}
	first := recvTerm(t, campaignFor(t, s1), "s1")
	s2 := &EtcdElector{Client: st.Client(), Addr: "s2:4646", TTL: time.Minute, Ping: pingFrom(&s2Cut)}
	second := campaignFor(t, s2)
	s3 := &EtcdElector{Client: st.Client(), Addr: "s3:4646", TTL: time.Minute, Ping: pingFrom(&s3Cut)}
	third := campaignFor(t, s3)
	waitUntil(t, "three candidates", func() bool {
		peers, err := s2.Peers(ctx)
		return err == nil && len(peers) == 3
	})
	c, _, _ := s3.watch.leader()
	votes := &unreachableVotes{cli: st.Client()}
	waitUntil(t, "s3's vote against s1", func() bool {
		n, err := votes.count(ctx, c.lease)
		return err == nil && n == 1
	})
	time.Sleep(2 * deposeAfter) // s3 alone would have deposed s1 by now
	select {
	case <-first.Done():
		t.Fatal("s1 was deposed by one follower of three")
	default:
	}
	if addr, err := s2.Leader(ctx); err != nil || addr != "s1:4646" {
		t.Fatalf("s2 names %q, %v; want s1 still", addr, err)
	}

	s2Cut.Store(true)
	cut := time.Now()
	select {
	case <-first.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("s1 was not deposed once a majority could not reach it")
	}
	if d := time.Since(cut); d > 5*time.Second {
		t.Errorf("s1 deposed %s after the majority lost it, want within 5s", d)
	}
	select {
	case <-second:
	case <-third:
	case <-time.After(10 * time.Second):
		t.Fatal("no other server leads after s1 was deposed")
	}
	waitUntil(t, "the votes against the deposed s1 to go", func() bool {
		n, err := votes.count(ctx, c.lease)
		return err == nil && n == 0
	})
}

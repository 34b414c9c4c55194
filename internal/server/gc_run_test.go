package server

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestGCExpiredACLTokens: tokens expired for longer than
// acl_token_gc_threshold are collected by the periodic collection, a
// forced one takes every expired token, and tokens that have not expired
// or never do stay, in both stores.
func TestGCExpiredACLTokens(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) (state.Store, func() state.Store)
	}{
		{"memstore", func(t *testing.T) (state.Store, func() state.Store) { return memstore.New(), nil }},
		{"etcdstore", openGCEtcdStore},
	}
	now := time.Now()
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	tokens := []*structs.ACLToken{
		{AccessorID: "expired-2h", ExpirationTime: at(-2 * time.Hour)},
		{AccessorID: "expired-10m", ExpirationTime: at(-10 * time.Minute)},
		{AccessorID: "expires-1h", ExpirationTime: at(time.Hour)},
		{AccessorID: "never"},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			st, reopen := sc.open(t)
			f := newGCFixture(t, st)
			for _, tok := range tokens {
				c := tok.Copy()
				c.Name, c.Type, c.SecretHash = tok.AccessorID, structs.ACLClientToken, structs.HashSecret(tok.AccessorID)
				c.Policies = []string{"readers"}
				f.must(st.UpsertACLTokens(f.ctx, []*structs.ACLToken{c}))
			}
			cfg := GCConfig{}.withDefaults()
			if got := findGarbage(st.Snapshot(), cfg.cutoffs(now, false)).tokens; !slices.Equal(got, []string{"expired-2h"}) {
				t.Fatalf("periodic collection takes tokens %v, want only the one expired past the threshold", got)
			}
			res, err := newGCServer(t, st, GCConfig{}).collectGarbage(f.ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if res.ACLTokens != 2 {
				t.Fatalf("forced collection deleted %d tokens, want 2", res.ACLTokens)
			}
			check := func(st state.Store) {
				t.Helper()
				var left []string
				for _, tok := range st.Snapshot().ACLTokens() {
					left = append(left, tok.AccessorID)
				}
				slices.Sort(left)
				if !slices.Equal(left, []string{"expires-1h", "never"}) {
					t.Fatalf("tokens left %v", left)
				}
			}
			check(st)
			if reopen != nil {
				check(reopen())
			}
		})
	}
}

// TestLargePeriodicCollectionReclaims: a periodic collection that deletes
// at least largeCollection objects asks the agent to reclaim etcd space
// (a compaction), a small one does not.
func TestLargePeriodicCollectionReclaims(t *testing.T) {
	st := memstore.New()
	f := newGCFixture(t, st)
	f.batchJobs(largeCollection)
	var calls atomic.Int32
	ns := time.Nanosecond
	srv, err := New(Config{Store: st, Logger: slog.New(slog.DiscardHandler),
		GC: GCConfig{Interval: 20 * time.Millisecond, JobThreshold: ns, EvalThreshold: ns, BatchEvalThreshold: ns,
			NodeThreshold: ns, ACLTokenThreshold: ns},
		Reclaim: func(context.Context) (bool, error) { calls.Add(1); return true, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.gcLoop(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, "the large collection and its reclaim", func() bool {
		return len(st.Snapshot().Jobs("*")) == 0 && calls.Load() == 1
	})
	allocs := f.job("small", structs.JobTypeBatch, 1)
	f.finish(allocs, structs.AllocClientStatusComplete, f.evalsOf("small")...)
	waitUntil(t, "the small collection", func() bool { return st.Snapshot().Job("default", "small") == nil })
	time.Sleep(100 * time.Millisecond) // a few more rounds, with nothing to delete
	if n := calls.Load(); n != 1 {
		t.Fatalf("reclaimed %d times, want once (after the large collection only)", n)
	}
}

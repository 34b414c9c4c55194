package etcdstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/operator"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
)

// reached counts the members that answered, by name.
func reached(cl operator.EtcdCluster) map[string]bool {
	out := map[string]bool{}
	for _, m := range cl.Members {
		out[m.Name] = m.Reached && m.RaftIndex > 0
	}
	return out
}

// TestEtcdMemberChanges adds a member to a three-member cluster (the
// same join twice answers the same member; another join waits for it to
// start), starts it with the initial cluster the join returned, and
// removes a member: the listing follows every step.
func TestEtcdMemberChanges(t *testing.T) {
	ctx := testContext(t)
	srvs := startCluster(t, 3)
	s := open(t, embeddedConfig(srvs[0], etcdstore.DefaultPrefix))
	cl, err := s.EtcdCluster(ctx)
	if err != nil || len(cl.Members) != 3 || cl.LeaderID == "" || cl.LocalID == "" {
		t.Fatalf("cluster %+v %v", cl, err)
	}
	if r := reached(cl); !r["s0"] || !r["s1"] || !r["s2"] {
		t.Fatalf("members reached: %v", r)
	}

	cp, _ := embedetcd.FreePort()
	pp, _ := embedetcd.FreePort()
	peer := fmt.Sprintf("http://127.0.0.1:%d", pp)
	added, all, err := s.AddEtcdMember(ctx, "s3", peer)
	if err != nil || len(all) != 4 || added.Name != "s3" {
		t.Fatalf("add: %+v %v %v", added, all, err)
	}
	again, _, err := s.AddEtcdMember(ctx, "s3", peer)
	if err != nil || again.ID != added.ID {
		t.Fatalf("the same join again: %+v %v, want member %s", again, err, added.ID)
	}
	if _, _, err := s.AddEtcdMember(ctx, "s4", "http://127.0.0.1:1"); !errors.Is(err, operator.ErrMemberUnstarted) {
		t.Fatalf("a join while one is unstarted: %v", err)
	}
	var initial []string
	for _, m := range all {
		initial = append(initial, m.Name+"="+m.PeerURLs[0])
	}
	cfg := embedetcd.Config{DataDir: t.TempDir(), Name: "s3", UnsafeNoFsync: true, ClientURL: fmt.Sprintf("http://127.0.0.1:%d", cp),
		PeerURL: peer, InitialCluster: strings.Join(initial, ","), ClusterState: "existing"}
	s3, err := embedetcd.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start the new member: %v", err)
	}
	t.Cleanup(func() { _ = s3.Close() })
	// The new member publishes its name through raft as it starts: the
	// member s0 lists from may apply that entry a moment after Start
	// returned, so the listing is awaited, not read once.
	waitListing(t, s, "after the join", func(cl operator.EtcdCluster, r map[string]bool) bool {
		return len(cl.Members) == 4 && r["s0"] && r["s1"] && r["s2"] && r["s3"]
	})

	if _, err := s.RemoveEtcdMember(ctx, "nope"); !errors.Is(err, operator.ErrNoMember) {
		t.Fatalf("remove unknown: %v", err)
	}
	gone, err := s.RemoveEtcdMember(ctx, "s2")
	if err != nil || gone.Name != "s2" {
		t.Fatalf("remove: %+v %v", gone, err)
	}
	waitListing(t, s, "after the removal", func(cl operator.EtcdCluster, r map[string]bool) bool {
		return len(cl.Members) == 3 && r["s0"] && r["s1"] && r["s3"]
	})
}

// waitListing waits up to 20 s for the store's member listing to meet
// ok, and fails with the last listing otherwise.
func waitListing(t *testing.T, s *etcdstore.Store, what string, ok func(operator.EtcdCluster, map[string]bool) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		cl, err := s.EtcdCluster(testContext(t))
		if err == nil && ok(cl, reached(cl)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v %v", what, reached(cl), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

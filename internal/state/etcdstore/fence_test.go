package etcdstore_test

import (
	"errors"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// campaign wins an election of its own on cli and returns the fence of
// that leadership (with no Held, so only etcd's compare guards writes)
// and a function that revokes the session's lease, as etcd does when a
// leader stops renewing it.
func campaign(t *testing.T, cli *clientv3.Client) (state.Fence, func()) {
	t.Helper()
	ctx := testContext(t)
	sess, err := concurrency.NewSession(cli, concurrency.WithTTL(30))
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	el := concurrency.NewElection(sess, newPrefix()+"election")
	if err := el.Campaign(ctx, "me"); err != nil {
		t.Fatalf("campaign: %v", err)
	}
	f := state.Fence{Key: el.Key(), Rev: el.Rev()}
	return f, func() {
		if _, err := cli.Revoke(ctx, sess.Lease()); err != nil {
			t.Fatalf("revoke the leader's lease: %v", err)
		}
	}
}

func etcdFence(t *testing.T, s state.Store) (state.Fence, func()) {
	return campaign(t, s.(*etcdstore.Store).Client())
}

func TestFenceConformance(t *testing.T) {
	statetest.RunFence(t, func(t *testing.T) state.Store {
		return open(t, embeddedConfig(shared(), newPrefix()))
	}, etcdFence)
}

// TestFenceConformanceExternalLimits splits every plan into many small
// transactions, each of which must carry the fence.
func TestFenceConformanceExternalLimits(t *testing.T) {
	statetest.RunFence(t, func(t *testing.T) state.Store {
		return open(t, etcdstore.Config{Endpoints: shared().Endpoints(), Prefix: newPrefix(), MaxTxnOps: 16})
	}, etcdFence)
}

// TestFenceLeaseRevokedMidTerm: a leader writes, its lease is revoked
// (another server may now lead), and its next write, though its process
// still believes it leads, is refused by etcd and not applied.
func TestFenceLeaseRevokedMidTerm(t *testing.T) {
	ctx := testContext(t)
	s := open(t, embeddedConfig(shared(), newPrefix()))
	f, revoke := campaign(t, s.Client())
	fenced := state.WithFence(ctx, f)
	n := statetest.NewNode("n1")
	if _, err := s.UpsertNode(fenced, n); err != nil {
		t.Fatalf("fenced write while leading: %v", err)
	}
	revoke()
	writes := s.Writes()
	_, err := s.UpdateNodeStatus(fenced, n.ID, structs.NodeStatusDown, nil)
	if !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("write after the lease was revoked: error %v, want %v", err, state.ErrNotLeader)
	}
	if got := s.Writes() - writes; got != 1 {
		t.Fatalf("refused write sent %d transactions, want 1 (never retried)", got)
	}
	resp, err := s.Client().Get(ctx, f.Key)
	if err != nil || len(resp.Kvs) != 0 {
		t.Fatalf("election key after revoke: %v %v", resp, err)
	}
	if got := s.Snapshot().Node(n.ID).Status; got != structs.NodeStatusReady {
		t.Fatalf("node status %s after a refused write, want ready", got)
	}
}

// TestFenceNewTermDoesNotRevive: a leader that wins again gets a new key
// revision; writes under the old term's fence stay refused.
func TestFenceNewTermDoesNotRevive(t *testing.T) {
	ctx := testContext(t)
	s := open(t, embeddedConfig(shared(), newPrefix()))
	cli := s.Client()
	sess, err := concurrency.NewSession(cli, concurrency.WithTTL(30))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	pfx := newPrefix() + "election"
	el := concurrency.NewElection(sess, pfx)
	if err := el.Campaign(ctx, "me"); err != nil {
		t.Fatal(err)
	}
	old := state.Fence{Key: el.Key(), Rev: el.Rev()}
	if err := el.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	// The same session campaigns again: the key is the same (it is named
	// by the lease), its CreateRevision is not.
	el = concurrency.NewElection(sess, pfx)
	if err := el.Campaign(ctx, "me"); err != nil {
		t.Fatal(err)
	}
	if el.Key() != old.Key || el.Rev() == old.Rev {
		t.Fatalf("new term key %s rev %d, old %s rev %d", el.Key(), el.Rev(), old.Key, old.Rev)
	}
	if _, err := s.UpsertNode(state.WithFence(ctx, old), statetest.NewNode("n1")); !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("write under the old term: error %v, want %v", err, state.ErrNotLeader)
	}
	if _, err := s.UpsertNode(state.WithFence(ctx, state.Fence{Key: el.Key(), Rev: el.Rev()}), statetest.NewNode("n2")); err != nil {
		t.Fatalf("write under the new term: %v", err)
	}
}

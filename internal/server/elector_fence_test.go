package server

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// campaignFor runs e until the test ends and returns the context of its
// first term.
func campaignFor(t *testing.T, e *EtcdElector) <-chan context.Context {
	t.Helper()
	terms := make(chan context.Context, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx, func(lctx context.Context) {
			select {
			case terms <- lctx:
			default:
			}
			<-lctx.Done()
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return terms
}

func recvTerm(t *testing.T, terms <-chan context.Context, who string) context.Context {
	t.Helper()
	select {
	case ctx := <-terms:
		return ctx
	case <-time.After(20 * time.Second):
		t.Fatalf("%s never led", who)
		return nil
	}
}

// TestElectorFenceRevokedMidTerm: on a real etcd, the first leader's lease
// is revoked while its process still holds a live leadership context;
// another server is elected, and the first one's write under its old
// context is refused while the new leader's commits.
func TestElectorFenceRevokedMidTerm(t *testing.T) {
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
	node := fakeNode("n1", "dc1", "raw_exec")
	if _, err := st.UpsertNode(ctx, node); err != nil {
		t.Fatal(err)
	}

	// A long TTL: the first leader's client does not learn of the revoke
	// from a keepalive during the test, as a frozen process would not.
	first := recvTerm(t, campaignFor(t, &EtcdElector{Client: st.Client(), Addr: "s1:4646", TTL: time.Minute}), "s1")
	if _, err := st.UpsertEvals(first, []*structs.Evaluation{newEval(testJob("web", 1, "raw_exec"), "test")}); err != nil {
		t.Fatalf("write while leading: %v", err)
	}
	secondTerms := campaignFor(t, &EtcdElector{Client: st.Client(), Addr: "s2:4646", TTL: time.Minute})
	resp, err := st.Client().Get(ctx, electionPrefix+"/", clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) == 0 || string(resp.Kvs[0].Value) != "s1:4646" {
		t.Fatalf("leader key: %v %v", resp, err)
	}
	if _, err := st.Client().Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	second := recvTerm(t, secondTerms, "s2")
	// The first term's context ends as soon as its key is gone (see
	// TestElectorTermEndsWhenKeyRevoked), and its fence then refuses
	// writes before sending them. A write already under way is refused by
	// etcd: the fence's key and revision, without the process's view.
	select {
	case <-first.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first term went on after its key was revoked")
	}
	fence, ok := state.FenceFrom(first)
	if !ok {
		t.Fatal("the leadership context carries no fence")
	}
	if _, err := st.UpsertEvals(state.WithFence(ctx, fence), nil); !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("write under the ended term's fence: error %v, want %v", err, state.ErrNotLeader)
	}
	inFlight := state.WithFence(ctx, state.Fence{Key: fence.Key, Rev: fence.Rev})
	_, err = st.UpdateNodeStatus(inFlight, node.ID, structs.NodeStatusDown, nil)
	if !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("deposed leader's write: error %v, want %v", err, state.ErrNotLeader)
	}
	if got := st.Snapshot().Node(node.ID).Status; got != structs.NodeStatusReady {
		t.Fatalf("node %s after the deposed leader's write", got)
	}
	if _, err := st.UpdateNodeStatus(second, node.ID, structs.NodeStatusDown, nil); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
}

// TestElectorTermEndsWhenKeyRevoked: etcd revokes the leader's lease
// while its session still renews it (as a member resuming from a freeze
// does); the term ends within a second, not at the session's next
// keepalive (20 s with a one-minute TTL).
func TestElectorTermEndsWhenKeyRevoked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ec, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd"), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ec.Close() })
	cli, err := clientv3.New(clientv3.Config{Endpoints: ec.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	term := recvTerm(t, campaignFor(t, &EtcdElector{Client: cli, Addr: "s1:4646", TTL: time.Minute}), "s1")
	resp, err := cli.Get(ctx, electionPrefix+"/", clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("election keys: %v %v", resp, err)
	}
	revoked := time.Now()
	if _, err := cli.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-term.Done():
		t.Logf("term ended %s after the revoke", time.Since(revoked))
	case <-time.After(time.Second):
		t.Fatal("the term went on a second after its key was revoked")
	}
}

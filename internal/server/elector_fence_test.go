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
	_, err = st.UpdateNodeStatus(first, node.ID, structs.NodeStatusDown, nil)
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

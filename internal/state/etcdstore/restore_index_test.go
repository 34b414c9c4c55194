package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
)

var allTables = []state.Table{state.TableJobs, state.TableJobVersions, state.TableEvals, state.TableAllocs,
	state.TableNodes, state.TableServices, state.TableACLPolicies, state.TableACLTokens}

// TestRestoreNeverMovesIndexesBack restores a snapshot taken at a high
// index into a fresh cluster (whose revision starts low) that held other
// objects, among them services and ACL objects the snapshot lacks: every
// table's index ends above the snapshot's, a server that loads the state
// afterwards reports the same table indexes as the one that watched the
// restore (delete markers), a blocking query with the snapshot's index
// answers at once, and one with the restored index wakes on the next
// change.
func TestRestoreNeverMovesIndexesBack(t *testing.T) {
	ctx := testContext(t)
	a := open(t, embeddedConfig(shared(), newPrefix()))
	populate(t, a)
	n := statetest.NewNode("busy")
	for range 300 {
		if _, err := a.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	path, sm := save(t, a)

	fresh := startEtcd(t, embedetcd.Config{DataDir: t.TempDir()})
	b := open(t, embeddedConfig(fresh, etcdstore.DefaultPrefix))
	populateAll(t, b)
	if b.Snapshot().Index() >= sm.Index {
		t.Fatalf("the fresh cluster is at %d already, the snapshot at %d: nothing to test", b.Snapshot().Index(), sm.Index)
	}
	if _, err := restore(t, b, path); err != nil {
		t.Fatal(err)
	}
	snap := b.Snapshot()
	if len(snap.ServiceRegistrations()) != 0 || len(snap.ACLTokens()) != 0 {
		t.Fatal("objects the snapshot lacks survived the restore")
	}
	for _, tb := range allTables {
		if got := snap.TableIndex(tb); got <= sm.Index {
			t.Errorf("table %s at index %d after the restore, snapshot at %d", tb, got, sm.Index)
		}
	}

	c := open(t, embeddedConfig(fresh, etcdstore.DefaultPrefix))
	for _, tb := range allTables {
		if got, want := c.Snapshot().TableIndex(tb), snap.TableIndex(tb); got != want {
			t.Errorf("table %s: a server loading after the restore reports %d, the watching one %d", tb, got, want)
		}
	}

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if got, err := b.WaitForChange(wctx, sm.Index, state.TableServices); err != nil || got <= sm.Index {
		t.Fatalf("blocking query with the snapshot's index: %d, %v", got, err)
	}
	restored := snap.TableIndex(state.TableNodes)
	woke := make(chan uint64, 1)
	go func() {
		got, _ := c.WaitForChange(wctx, restored, state.TableNodes)
		woke <- got
	}()
	if _, err := b.UpsertNode(ctx, statetest.NewNode("after")); err != nil {
		t.Fatal(err)
	}
	if got := <-woke; got <= restored {
		t.Fatalf("a blocking query with the restored index woke at %d, want past %d", got, restored)
	}
}

package etcdstore_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

var everyTable = []state.Table{state.TableJobs, state.TableJobVersions, state.TableEvals, state.TableAllocs,
	state.TableNodes, state.TableServices, state.TableACLPolicies, state.TableACLTokens}

// agreeAt waits until every store applied revision rev and checks that
// each table's index is the same on all of them and equals want[table]
// where given.
func agreeAt(t *testing.T, rev uint64, want map[state.Table]uint64, stores map[string]*etcdstore.Store) {
	t.Helper()
	ctx := testContext(t)
	for name, s := range stores {
		if _, err := s.WaitForChange(ctx, rev-1); err != nil && s.Snapshot().Index() < rev {
			t.Fatalf("%s never applied revision %d: %v", name, rev, err)
		}
	}
	for _, tb := range everyTable {
		seen := map[uint64][]string{}
		for name, s := range stores {
			idx := s.Snapshot().TableIndex(tb)
			seen[idx] = append(seen[idx], name)
			if w, ok := want[tb]; ok && idx != w {
				t.Errorf("table %s on %s: index %d, want %d (its last change)", tb, name, idx, w)
			}
		}
		if len(seen) != 1 {
			t.Errorf("table %s: servers disagree: %v", tb, seen)
		}
	}
}

// TestTableIndexesAgreeAfterDeletes: a store that watched every write, the
// store that wrote, and stores opened after writes and deletions (and
// reopened, as a restarted server) report the same index for every
// table: the revision of its last change, a deletion included.
func TestTableIndexesAgreeAfterDeletes(t *testing.T) {
	ctx := testContext(t)
	prefix := newPrefix()
	cfg := embeddedConfig(shared(), prefix)
	watcher := open(t, cfg)
	w := open(t, cfg)
	m := func(idx uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return idx
	}

	job := statetest.NewJob("web")
	m(w.RegisterJob(ctx, job, []*structs.Evaluation{statetest.NewEval(job)}, nil))
	gone := statetest.NewJob("gone")
	m(w.RegisterJob(ctx, gone, nil, nil))
	nodes := []*structs.Node{statetest.NewNode("n1"), statetest.NewNode("n2")}
	for _, n := range nodes {
		m(w.UpsertNode(ctx, n))
	}
	plan := bigPlan(w, nodes[:1], 4)
	m(w.ApplyPlan(ctx, plan, nil))
	var placed []string
	for _, a := range plan.NodeAllocation[nodes[0].ID] {
		placed = append(placed, a.ID)
	}
	stop := structs.NewPlan(statetest.NewEval(job), w.Snapshot().Index())
	for _, id := range placed[:2] {
		stop.AppendStop(w.Snapshot().Alloc(id), "done", "")
	}
	m(w.ApplyPlan(ctx, stop, nil))
	ev := statetest.NewEval(job)
	m(w.UpsertEvals(ctx, []*structs.Evaluation{ev}))
	reg := statetest.NewServiceRegistration("web", nodes[0].ID, placed[2], 20001)
	m(w.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{reg}))
	m(w.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: "p", Rules: `namespace "*" { policy = "read" }`}}))
	tok := statetest.NewACLToken("t", "secret-t", "p")
	m(w.UpsertACLTokens(ctx, []*structs.ACLToken{tok}))

	// The last change of every table is a deletion.
	want := map[state.Table]uint64{}
	purge := m(w.DeregisterJob(ctx, "default", "gone", true, nil))
	want[state.TableJobs], want[state.TableJobVersions] = purge, purge
	want[state.TableEvals] = m(w.DeleteEvals(ctx, []string{ev.ID}))
	want[state.TableAllocs] = m(w.DeleteAllocs(ctx, placed[:2]))
	want[state.TableNodes] = m(w.DeleteNode(ctx, nodes[1].ID))
	want[state.TableServices] = m(w.DeleteServiceRegistrations(ctx, []string{reg.ID}))
	want[state.TableACLPolicies] = m(w.DeleteACLPolicies(ctx, []string{"p"}))
	last := m(w.DeleteACLTokens(ctx, []string{tok.AccessorID}))
	want[state.TableACLTokens] = last

	late := open(t, cfg)
	agreeAt(t, last, want, map[string]*etcdstore.Store{"writer": w, "watcher": watcher, "opened after": late})

	// Deletions seen through the watch by the late store, then a restart.
	last = m(w.DeleteAllocs(ctx, placed[2:3]))
	want[state.TableAllocs] = last
	agreeAt(t, last, want, map[string]*etcdstore.Store{"writer": w, "watcher": watcher, "opened after": late})
	_ = late.Close()
	restarted := open(t, cfg)
	agreeAt(t, last, want, map[string]*etcdstore.Store{"writer": w, "watcher": watcher, "restarted": restarted})
}

// TestDeletesRunOutOfSpace: with etcd's NOSPACE alarm raised every put is
// refused, delete markers included; deletions still go through (without
// their markers) so garbage collection can free space.
func TestDeletesRunOutOfSpace(t *testing.T) {
	ctx := testContext(t)
	srv := startEtcd(t, embedetcd.Config{DataDir: t.TempDir(), QuotaBackendBytes: 1 << 20,
		Log: slog.New(slog.DiscardHandler)})
	s := open(t, embeddedConfig(srv, newPrefix()))
	var stored []string
	for i := 0; ; i++ {
		n := statetest.NewNode(fmt.Sprintf("n%d", i))
		n.Meta = map[string]string{"pad": strings.Repeat("x", 60<<10)}
		_, err := s.UpsertNode(ctx, n)
		if errors.Is(err, state.ErrNoSpace) {
			break
		}
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		stored = append(stored, n.ID)
		if i == 1000 {
			t.Fatal("1000 nodes of 60 KiB within a 1 MiB quota")
		}
	}
	if len(stored) < 2 {
		t.Fatalf("only %d nodes stored before the quota", len(stored))
	}
	idx, err := s.DeleteNode(ctx, stored[0])
	if err != nil {
		t.Fatalf("delete under the NOSPACE alarm: %v", err)
	}
	snap := s.Snapshot()
	if snap.Node(stored[0]) != nil || snap.TableIndex(state.TableNodes) != idx {
		t.Fatalf("deleted node still there or nodes index %d, want %d", snap.TableIndex(state.TableNodes), idx)
	}
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// bigJob is a service job of count small instances, a few hundred per
// node.
func bigJob(id string, count int) *structs.Job {
	return &structs.Job{
		ID: id, Name: id, Type: structs.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "g", Count: count,
			Tasks: []*structs.Task{{
				Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"},
				Resources: &structs.Resources{CPU: 10, MemoryMB: 10},
			}},
		}},
	}
}

// reportAs sends, per node, the client status of the given allocations
// as that node does (PUT /v1/allocations/update with its secret).
func (ts *testServer) reportAs(allocs []*structs.Allocation, status string) {
	ts.t.Helper()
	byNode := map[string][]*structs.Allocation{}
	for _, a := range allocs {
		byNode[a.NodeID] = append(byNode[a.NodeID], &structs.Allocation{ID: a.ID, ClientStatus: status})
	}
	for node, ups := range byNode {
		ts.mustDoAsNode(node, http.MethodPut, "/v1/allocations/update", structs.AllocUpdateRequest{Alloc: ups}, nil)
	}
}

// TestStoppedBigJobIsCollected: a job of 1,200 allocations placed on
// four nodes, reported running, then stopped: every allocation is
// stopped, the nodes report them complete (one node is marked down
// meanwhile, as a node that misses its heartbeat while the leader is
// busy stopping: its allocations become lost), the job is dead, and one
// PUT /v1/system/gc removes the job, every evaluation and allocation from
// the store and the index, in both stores.
func TestStoppedBigJobIsCollected(t *testing.T) {
	const count = 1200
	stores := []struct {
		name string
		open func(t *testing.T) (state.Store, func() state.Store)
	}{
		{"memstore", func(t *testing.T) (state.Store, func() state.Store) { return memstore.New(), nil }},
		{"etcdstore", openGCEtcdStore},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			st, reopen := sc.open(t)
			ts := newTestServer(t, func(c *Config) { c.Store = st })
			ts.store = st
			var nodes []*structs.Node
			for i := range 4 {
				n := fakeNode(fmt.Sprintf("n%d", i), "dc1", "raw_exec")
				ts.registerNode(n)
				nodes = append(nodes, n)
			}
			before := rows(st)
			ts.register(bigJob("big", count))
			ts.waitFor("every allocation placed", func() bool { return len(ts.liveAllocs("big")) == count })
			ts.reportAs(ts.liveAllocs("big"), structs.AllocClientStatusRunning)

			ts.mustDo(http.MethodDelete, "/v1/job/big", nil, nil)
			ts.waitFor("every allocation stopped", func() bool {
				for _, a := range st.Snapshot().AllocsByJob("default", "big") {
					if a.DesiredStatus == structs.AllocDesiredStatusRun {
						return false
					}
				}
				return true
			})
			ts.srv.nodeExpired(context.Background(), nodes[0].ID)
			if n := st.Snapshot().Node(nodes[0].ID); n.Status != structs.NodeStatusDown {
				t.Fatalf("node %s is %s, want down", n.Name, n.Status)
			}
			var reported []*structs.Allocation
			for _, a := range st.Snapshot().AllocsByJob("default", "big") {
				if a.NodeID != nodes[0].ID {
					reported = append(reported, a)
				}
			}
			ts.reportAs(reported, structs.AllocClientStatusComplete)
			ts.waitFor("the job dead and its evaluations done", func() bool {
				snap := st.Snapshot()
				if j := snap.Job("default", "big"); j == nil || j.Status != structs.JobStatusDead {
					return false
				}
				for _, e := range snap.EvalsByJob("default", "big") {
					if !e.TerminalStatus() {
						return false
					}
				}
				return true
			})

			var res GCResult
			ts.mustDo(http.MethodPut, "/v1/system/gc", nil, &res)
			if res.Jobs != 1 || res.Allocs < count {
				t.Fatalf("collected %+v, want the job and its %d allocations", res, count)
			}
			// The down node goes too; the others keep their usage rows.
			ignoreNodes := func(r map[string]int) map[string]int {
				r["nodes"], r["node_usage"] = 0, 0
				return r
			}
			before = ignoreNodes(before)
			after := ignoreNodes(rows(st))
			if !mapsEqual(after, before) {
				t.Fatalf("index rows after GC %v, want as before the job %v", after, before)
			}
			if reopen != nil {
				again := ignoreNodes(rows(reopen()))
				if !mapsEqual(again, before) {
					t.Fatalf("a store opened after GC loads %v, want %v", again, before)
				}
			}
		})
	}
}

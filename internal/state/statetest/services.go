package statetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/rules"
	"github.com/wharf-project/wharf/internal/structs"
)

var serviceTests = []testCase{
	{"ServiceUpsertAndLists", testServiceLists},
	{"ServiceReplaceKeepsCreateIndex", testServiceReplace},
	{"ServiceUnchangedUpsertWritesNothing", testServiceUnchanged},
	{"ServiceDelete", testServiceDelete},
	{"ServiceWaitForChange", testServiceWait},
	{"ServiceValidation", testServiceValidation},
	{"ServiceBatch1000", testServiceBatch},
	{"ServiceConditionalUpsert", testServiceConditional},
}

// NewServiceRegistration returns a registration of service name for a
// task "app" of job "web" in the default namespace, on node and alloc,
// with one passing tcp check. Its ID follows the task-service scheme.
func NewServiceRegistration(name, nodeID, allocID string, port int) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{
		ID:          fmt.Sprintf("_wharf-task-%s-app-%s-http", allocID, name),
		ServiceName: name, Namespace: "default", NodeID: nodeID, Datacenter: "dc1",
		JobID: "web", AllocID: allocID, Task: "app",
		Tags: []string{"v1", "http"}, Address: "127.0.0.1", Port: port,
		Meta: map[string]string{"owner": "statetest"},
		Checks: []*structs.CheckStatus{{ID: "alive", Name: "alive", Type: "tcp",
			Status: structs.HealthPassing, Interval: "1s", Timeout: "1s"}},
	}
}

func serviceIDs(rs []*structs.ServiceRegistration) []string {
	return ids(rs, func(r *structs.ServiceRegistration) string { return r.ID })
}

// upsertServices stores regs and returns the write index.
func (e *env) upsertServices(regs ...*structs.ServiceRegistration) uint64 {
	e.t.Helper()
	return e.must(e.s.UpsertServiceRegistrations(e.ctx, regs))
}

func testServiceLists(t *testing.T, e *env) {
	web1 := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	web2 := NewServiceRegistration("web", "node-2", "alloc-2", 20002)
	db := NewServiceRegistration("db", "node-1", "alloc-1", 20003)
	other := NewServiceRegistration("web", "node-2", "alloc-3", 20004)
	other.Namespace = "other"
	ext := &structs.ServiceRegistration{ID: "pg", ServiceName: "db", Address: "10.0.0.9", Port: 5432}
	dup := web2.Copy()
	dup.Port = 1 // replaced by the later web2 of the same ID in the batch
	idx := e.upsertServices(dup, web1, db, other, ext, web2)
	web1.Port = 1 // the store must not share the caller's registration
	snap := e.snap()
	got := snap.ServiceRegistration(web1.ID)
	if got == nil || got.Port != 20001 || got.CreateIndex != idx || got.ModifyIndex != idx || got.Health() != structs.HealthPassing {
		t.Fatalf("web1 = %+v, want port 20001 at index %d", got, idx)
	}
	if got := snap.ServiceRegistration(web2.ID); got == nil || got.Port != 20002 {
		t.Fatalf("the last registration of an ID in a batch must win: %+v", got)
	}
	if got := snap.ServiceRegistration(ext.ID); got == nil || got.Namespace != "default" {
		t.Fatalf("an empty namespace must become default: %+v", got)
	}
	if snap.TableIndex(state.TableServices) != idx || snap.ServiceRegistration("nope") != nil {
		t.Fatal("services table index is not the write, or an unknown ID was found")
	}
	sortedIDs := func(rs ...*structs.ServiceRegistration) []string {
		out := serviceIDs(rs)
		slices.Sort(out)
		return out
	}
	dbs, webs := sortedIDs(db, ext), sortedIDs(web1, web2, other)
	for _, c := range []struct {
		name string
		got  []*structs.ServiceRegistration
		want []string
	}{
		{"all (name, ID)", snap.ServiceRegistrations(), append(slices.Clone(dbs), webs...)},
		{"web in default", snap.ServiceRegistrationsByName("default", "web"), sortedIDs(web1, web2)},
		{"web in *", snap.ServiceRegistrationsByName("*", "web"), webs},
		{"web in other", snap.ServiceRegistrationsByName("other", "web"), []string{other.ID}},
		{"prefix is no match", snap.ServiceRegistrationsByName("*", "we"), nil},
		{"node-1", snap.ServiceRegistrationsByNode("node-1"), sortedIDs(web1, db)},
		{"node none", snap.ServiceRegistrationsByNode(""), nil},
		{"alloc-2", snap.ServiceRegistrationsByAlloc("alloc-2"), []string{web2.ID}},
		{"alloc-1", snap.ServiceRegistrationsByAlloc("alloc-1"), sortedIDs(web1, db)},
	} {
		if got := serviceIDs(c.got); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func testServiceReplace(t *testing.T, e *env) {
	r := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	r.Checks[0].Status = structs.HealthCritical
	first := e.upsertServices(r)
	r.Checks[0].Status, r.Checks[0].Output = structs.HealthPassing, "connected"
	r.CreateIndex, r.ModifyIndex = 999999, 999999 // ignored
	second := e.upsertServices(r)
	got := e.snap().ServiceRegistration(r.ID)
	if second <= first || got.CreateIndex != first || got.ModifyIndex != second || got.Health() != structs.HealthPassing {
		t.Fatalf("replaced = %+v (writes %d, %d)", got, first, second)
	}
	if e.snap().TableIndex(state.TableServices) != second {
		t.Fatal("services table index is not the last write")
	}
}

func testServiceUnchanged(t *testing.T, e *env) {
	a := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	b := NewServiceRegistration("web", "node-2", "alloc-2", 20002)
	first := e.upsertServices(a, b)
	before := e.snap().Index()
	a.CreateIndex, a.ModifyIndex = 7, 7 // indexes are not content
	idx := e.upsertServices(a.Copy(), b.Copy())
	snap := e.snap()
	if idx < before || snap.TableIndex(state.TableServices) != first || snap.ServiceRegistration(a.ID).ModifyIndex != first {
		t.Fatalf("unchanged upsert wrote: returned %d (index was %d), table index %d, want %d",
			idx, before, snap.TableIndex(state.TableServices), first)
	}
	if idx := e.upsertServices(); idx < before {
		t.Fatalf("empty upsert returned %d, below %d", idx, before)
	}
	b.Tags = append(b.Tags, "canary")
	second := e.upsertServices(a, b)
	snap = e.snap()
	if second <= first || snap.ServiceRegistration(a.ID).ModifyIndex != first ||
		snap.ServiceRegistration(b.ID).ModifyIndex != second {
		t.Fatal("in a mixed batch the unchanged registration was rewritten or the changed one was not")
	}
}

func testServiceDelete(t *testing.T, e *env) {
	a := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	b := NewServiceRegistration("web", "node-2", "alloc-2", 20002)
	e.upsertServices(a, b)
	idx := e.must(e.s.DeleteServiceRegistrations(e.ctx, []string{"unknown", a.ID}))
	snap := e.snap()
	if snap.ServiceRegistration(a.ID) != nil || snap.ServiceRegistration(b.ID) == nil ||
		snap.TableIndex(state.TableServices) != idx || len(snap.ServiceRegistrationsByNode("node-1")) != 0 {
		t.Fatal("delete removed the wrong registration, left the index entries or the table index")
	}
	before := snap.Index()
	got := e.must(e.s.DeleteServiceRegistrations(e.ctx, []string{"unknown", a.ID, ""}))
	if got < before || e.snap().TableIndex(state.TableServices) != idx {
		t.Fatalf("deleting unknown IDs wrote: returned %d (index was %d)", got, before)
	}
	e.must(e.s.DeleteServiceRegistrations(e.ctx, nil))
}

func testServiceWait(t *testing.T, e *env) {
	start := e.snap().TableIndex(state.TableServices)
	nodes := e.waitAsync(e.ctx, e.node("a").ModifyIndex, state.TableNodes)
	services := e.waitAsync(e.ctx, start, state.TableServices)
	r := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	up := e.upsertServices(r)
	if res := <-services; res.err != nil || res.idx != up {
		t.Fatalf("services waiter after upsert = %d, %v; want %d", res.idx, res.err, up)
	}
	del := e.waitAsync(e.ctx, up, state.TableServices)
	down := e.must(e.s.DeleteServiceRegistrations(e.ctx, []string{r.ID}))
	if res := <-del; res.err != nil || res.idx != down || down <= up {
		t.Fatalf("services waiter after delete = %d, %v; want %d", res.idx, res.err, down)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if _, err := e.s.WaitForChange(ctx, down, state.TableServices); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait past the last services write: %v, want context.Canceled", err)
	}
	select {
	case res := <-nodes:
		t.Fatalf("service writes woke a nodes waiter: %+v", res)
	default:
	}
}

func testServiceValidation(t *testing.T, e *env) {
	start := e.snap().TableIndex(state.TableServices)
	ok := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	noID := NewServiceRegistration("web", "node-1", "alloc-1", 20002)
	noID.ID = ""
	noName := NewServiceRegistration("web", "node-1", "alloc-1", 20003)
	noName.ServiceName = ""
	for _, c := range []struct {
		name  string
		regs  []*structs.ServiceRegistration
		field string
	}{
		{"no ID", []*structs.ServiceRegistration{ok, noID}, "ID"},
		{"no ServiceName", []*structs.ServiceRegistration{ok, noName}, "ServiceName"},
		{"null", []*structs.ServiceRegistration{ok, nil}, "null"},
	} {
		_, err := e.s.UpsertServiceRegistrations(e.ctx, c.regs)
		if !errors.Is(err, rules.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %v, want rules.ErrInvalid naming %s", c.name, err, c.field)
		}
	}
	if e.snap().ServiceRegistration(ok.ID) != nil || e.snap().TableIndex(state.TableServices) != start {
		t.Fatal("a refused batch wrote its valid registrations")
	}
}

func testServiceBatch(t *testing.T, e *env) {
	const n = 1000
	regs := make([]*structs.ServiceRegistration, n)
	all := make([]string, n)
	for i := range regs {
		regs[i] = NewServiceRegistration("web", fmt.Sprintf("node-%02d", i%10), fmt.Sprintf("alloc-%04d", i), 20000+i)
		all[i] = regs[i].ID
	}
	idx := e.upsertServices(regs...)
	snap := e.snap()
	if got := snap.ServiceRegistrationsByName("default", "web"); len(got) != n {
		t.Fatalf("%d of %d registrations stored", len(got), n)
	}
	if snap.TableIndex(state.TableServices) != idx || len(snap.ServiceRegistrationsByNode("node-03")) != n/10 {
		t.Fatal("batch: wrong table index or node lists")
	}
	if again := e.upsertServices(regs...); again < idx || e.snap().TableIndex(state.TableServices) != idx {
		t.Fatal("repeating the batch wrote")
	}
	del := e.must(e.s.DeleteServiceRegistrations(e.ctx, all))
	if len(e.snap().ServiceRegistrations()) != 0 || del <= idx {
		t.Fatal("deleting the batch left registrations")
	}
}

// testServiceConditional plays the race of a check made on a snapshot
// and the write it allows: every write between the check's snapshot and
// the conditional write makes the write fail with ErrConflict and change
// nothing, and a write with nothing in between goes through.
func testServiceConditional(t *testing.T, e *env) {
	task := NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	e.upsertServices(task)
	outside := func(id string) *structs.ServiceRegistration {
		r := NewServiceRegistration("web", "", "", 6666)
		r.ID, r.JobID, r.AllocID, r.Task, r.Address = id, "", "", "", "10.6.6.6"
		return r
	}
	refused := func(what string, regs []*structs.ServiceRegistration, seen map[string]uint64) {
		t.Helper()
		before := e.snap().Index()
		if _, err := e.s.UpsertServiceRegistrationsIf(e.ctx, regs, seen); !errors.Is(err, state.ErrConflict) {
			t.Fatalf("%s: error = %v, want a conflict", what, err)
		}
		if got := e.snap().Index(); got != before {
			t.Fatalf("%s: refused write moved the index from %d to %d", what, before, got)
		}
	}

	// Absent when checked, registered by a task before the write.
	check := e.snap()
	newID := "_wharf-task-alloc-2-app-web-http"
	seen := map[string]uint64{newID: 0}
	if check.ServiceRegistration(newID) != nil {
		t.Fatal("fixture: the ID is stored already")
	}
	taskReg := NewServiceRegistration("web", "node-2", "alloc-2", 20002)
	e.upsertServices(taskReg)
	refused("absent at the check, stored since", []*structs.ServiceRegistration{outside(newID)}, seen)
	if got := e.snap().ServiceRegistration(newID); got.Address != "127.0.0.1" || got.AllocID != "alloc-2" {
		t.Fatalf("the task's instance was overwritten: %+v", got)
	}

	// Stored when checked, changed before the write; and a batch where
	// one of two is stale writes neither.
	check = e.snap()
	seen = map[string]uint64{task.ID: check.ServiceRegistration(task.ID).ModifyIndex}
	moved := task.Copy()
	moved.Port = 20009
	e.upsertServices(moved)
	refused("changed since the check", []*structs.ServiceRegistration{outside(task.ID)}, seen)
	fresh := outside("ext-1")
	seen[fresh.ID] = 0
	refused("a batch with one stale entry", []*structs.ServiceRegistration{fresh, outside(task.ID)}, seen)
	if e.snap().ServiceRegistration(fresh.ID) != nil {
		t.Fatal("a refused batch stored its other registration")
	}

	// Stored when checked, removed before the write.
	seen = map[string]uint64{task.ID: e.snap().ServiceRegistration(task.ID).ModifyIndex}
	e.must(e.s.DeleteServiceRegistrations(e.ctx, []string{task.ID}))
	refused("removed since the check", []*structs.ServiceRegistration{outside(task.ID)}, seen)
	if e.snap().ServiceRegistration(task.ID) != nil {
		t.Fatal("a refused write stored the removed registration")
	}

	// Nothing in between: the write goes through, new and replacing.
	idx := e.must(e.s.UpsertServiceRegistrationsIf(e.ctx, []*structs.ServiceRegistration{fresh}, nil))
	got := e.snap().ServiceRegistration(fresh.ID)
	if got == nil || got.ModifyIndex != idx {
		t.Fatalf("conditional write of a new ID: %+v at %d", got, idx)
	}
	again := fresh.Copy()
	again.Port = 7777
	idx2 := e.must(e.s.UpsertServiceRegistrationsIf(e.ctx, []*structs.ServiceRegistration{again},
		map[string]uint64{fresh.ID: got.ModifyIndex}))
	if got := e.snap().ServiceRegistration(fresh.ID); idx2 <= idx || got.Port != 7777 || got.CreateIndex != idx {
		t.Fatalf("conditional replace: %+v at %d", got, idx2)
	}
	refused("an old index after a replace", []*structs.ServiceRegistration{fresh},
		map[string]uint64{fresh.ID: idx})
}

package allocrunner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestRunAndStop(t *testing.T) {
	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "web"}, &structs.Task{Name: "side"})
	ar := h.newRunner(a)
	h.run(ar)
	up := h.waitStatus(ar, structs.AllocClientStatusRunning)
	waitFor(t, "both tasks running", func() bool {
		s := ar.Alloc().TaskStates
		return s["web"].State == structs.TaskStateRunning && s["side"].State == structs.TaskStateRunning
	})
	if up.ID != a.ID || up.ClientDescription != DescRunning || up.Job != nil {
		t.Fatalf("update %+v", up)
	}
	if _, err := os.Stat(filepath.Join(h.root, a.ID, "web", "local")); err != nil {
		t.Fatalf("alloc dir not built: %v", err)
	}
	stopped := a.Copy()
	stopped.DesiredStatus = structs.AllocDesiredStatusStop
	ar.Update(stopped)
	up = h.waitStatus(ar, structs.AllocClientStatusComplete)
	for name, st := range up.TaskStates {
		if got := eventTypes(st); got != "Received,Task Setup,Started,Killing,Terminated,Killed" {
			t.Errorf("%s events %s", name, got)
		}
	}
	if len(h.driver.Tasks()) != 0 {
		t.Fatalf("driver still holds %v", h.driver.Tasks())
	}
	if !ar.IsDead() {
		t.Fatal("alloc not dead after stop")
	}
}

func TestSiblingFailureKillsOthers(t *testing.T) {
	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "web"},
		&structs.Task{Name: "db", Config: map[string]any{"run_for": "5ms", "exit_code": 2}})
	ar := h.newRunner(a)
	h.run(ar)
	up := h.waitStatus(ar, structs.AllocClientStatusFailed)
	waitFor(t, "web killed", func() bool { return ar.Alloc().TaskStates["web"].State == structs.TaskStateDead })
	up = ar.Alloc()
	if up.ClientDescription != DescFailed {
		t.Fatalf("description %q", up.ClientDescription)
	}
	web := up.TaskStates["web"]
	if got := eventTypes(web); got != "Received,Task Setup,Started,Sibling Task Failed,Terminated,Killed" {
		t.Fatalf("web events %s", got)
	}
	if web.Events[3].Details["failed_sibling"] != "db" {
		t.Fatalf("sibling event %+v", web.Events[3])
	}
	if db := up.TaskStates["db"]; !db.Failed {
		t.Fatal("db not failed")
	}
}

func TestLeaderDeathKillsOthers(t *testing.T) {
	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "main", Leader: true, Config: map[string]any{"run_for": "5ms"}},
		&structs.Task{Name: "sidecar"})
	a.Job.Type = structs.JobTypeBatch
	ar := h.newRunner(a)
	h.run(ar)
	h.waitStatus(ar, structs.AllocClientStatusComplete)
	side := ar.Alloc().TaskStates["sidecar"]
	if side.Events[3].Type != "Leader Task Dead" || side.Failed {
		t.Fatalf("sidecar events %s failed %v", eventTypes(side), side.Failed)
	}
}

func TestSetupFailureFailsTasks(t *testing.T) {
	h := newHarness(t)
	h.root = filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(h.root, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ar := h.newRunner(testAlloc(&structs.Task{Name: "web"}))
	h.run(ar)
	up := h.waitStatus(ar, structs.AllocClientStatusFailed)
	web := up.TaskStates["web"]
	if last := web.Events[len(web.Events)-1]; last.Type != structs.TaskSetupFailure || last.SetupError == "" {
		t.Fatalf("events %s", eventTypes(web))
	}
	if len(h.driver.Tasks()) != 0 {
		t.Fatal("task started despite setup failure")
	}
}

func TestRestoreReattaches(t *testing.T) {
	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "web"})
	ar := h.newRunner(a)
	stop := h.run(ar)
	h.waitStatus(ar, structs.AllocClientStatusRunning)
	waitFor(t, "handle", func() bool { return ar.Tasks()[0].Handle() != nil })
	stop()

	allocs, err := h.db.Allocs()
	if err != nil || len(allocs) != 1 {
		t.Fatalf("stored allocs %v, %v", allocs, err)
	}
	ar2 := h.newRunner(allocs[0])
	if err := ar2.Restore(); err != nil {
		t.Fatal(err)
	}
	h.run(ar2)
	waitFor(t, "re-attached", func() bool { return ar2.Tasks()[0].Handle() != nil })
	st := ar2.Alloc().TaskStates["web"]
	if st.State != structs.TaskStateRunning || eventTypes(st) != "Received,Task Setup,Started" {
		t.Fatalf("restored: %s %s", st.State, eventTypes(st))
	}
	if len(h.driver.Tasks()) != 1 {
		t.Fatalf("driver tasks %v", h.driver.Tasks())
	}
}

func TestDestroyForgetsState(t *testing.T) {
	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "web"})
	ar := h.newRunner(a)
	h.run(ar)
	h.waitStatus(ar, structs.AllocClientStatusRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ar.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if allocs, _ := h.db.Allocs(); len(allocs) != 0 {
		t.Fatalf("state kept: %v", allocs)
	}
	if _, err := os.Stat(ar.AllocDir().Dir); err != nil {
		t.Fatalf("alloc dir removed by Destroy: %v", err)
	}
	if !ar.IsDestroyed() || len(h.driver.Tasks()) != 0 {
		t.Fatal("not destroyed")
	}
}

func TestNewNeedsJobAndGroup(t *testing.T) {
	h := newHarness(t)
	a := testAlloc(&structs.Task{Name: "web"})
	a.TaskGroup = "missing"
	if _, err := New(Config{Alloc: a, DB: h.db}); err == nil {
		t.Fatal("no error for a missing group")
	}
	a.Job = nil
	if _, err := New(Config{Alloc: a, DB: h.db}); err == nil {
		t.Fatal("no error without a job")
	}
}

package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// dbs returns one of each DB implementation.
func dbs(t *testing.T) map[string]DB {
	t.Helper()
	fdb, err := OpenFileDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]DB{"file": fdb, "mem": NewMemDB()}
}

func TestDBNodeIdentity(t *testing.T) {
	for name, db := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			if id, err := db.NodeIdentity(); id != nil || err != nil {
				t.Fatalf("empty db: got %v, %v", id, err)
			}
			want := &NodeIdentity{ID: "n1", SecretID: "s1"}
			if err := db.PutNodeIdentity(want); err != nil {
				t.Fatal(err)
			}
			got, err := db.NodeIdentity()
			if err != nil || *got != *want {
				t.Fatalf("got %v, %v; want %v", got, err, want)
			}
		})
	}
}

func TestDBAllocLifecycle(t *testing.T) {
	for name, db := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			st := &structs.TaskState{State: structs.TaskStateRunning, StartedAt: time.Unix(100, 0).UTC(),
				Events: []*structs.TaskEvent{{Type: structs.TaskStarted, Time: 5}}}
			if err := db.PutTaskState("a1", "web", st); !errors.Is(err, ErrNoAlloc) {
				t.Fatalf("task state before alloc: got %v, want ErrNoAlloc", err)
			}
			a := &structs.Allocation{ID: "a1", Name: "j.g[0]", ClientStatus: structs.AllocClientStatusRunning}
			mustDo(t, db.PutAlloc(a))
			mustDo(t, db.PutTaskState("a1", "web", st))
			h := &drivers.TaskHandle{Version: 1, Driver: "fake", DriverState: json.RawMessage(`{"pid":7}`),
				Config: &drivers.TaskConfig{ID: "a1/web", Config: map[string]any{"run_for": "1s"}}}
			mustDo(t, db.PutTaskHandle("a1", "web", h))

			allocs, err := db.Allocs()
			if err != nil || len(allocs) != 1 || allocs[0].Name != a.Name {
				t.Fatalf("allocs: %v, %v", allocs, err)
			}
			gotSt, err := db.TaskState("a1", "web")
			if err != nil || gotSt.State != st.State || !gotSt.StartedAt.Equal(st.StartedAt) || len(gotSt.Events) != 1 {
				t.Fatalf("task state: %+v, %v", gotSt, err)
			}
			gotH, err := db.TaskHandle("a1", "web")
			if err != nil || gotH.Config.ID != "a1/web" || string(gotH.DriverState) != `{"pid":7}` {
				t.Fatalf("handle: %+v, %v", gotH, err)
			}
			mustDo(t, db.DeleteTaskHandle("a1", "web"))
			if gotH, err := db.TaskHandle("a1", "web"); gotH != nil || err != nil {
				t.Fatalf("deleted handle: %v, %v", gotH, err)
			}
			mustDo(t, db.DeleteAlloc("a1"))
			if allocs, err := db.Allocs(); len(allocs) != 0 || err != nil {
				t.Fatalf("after delete: %v, %v", allocs, err)
			}
			if err := db.PutTaskHandle("a1", "web", h); !errors.Is(err, ErrNoAlloc) {
				t.Fatalf("handle after delete: got %v, want ErrNoAlloc", err)
			}
		})
	}
}

func TestFileDBSkipsCorruptAlloc(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenFileDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, db.PutAlloc(&structs.Allocation{ID: "good"}))
	mustDo(t, db.PutAlloc(&structs.Allocation{ID: "bad"}))
	mustDo(t, os.WriteFile(filepath.Join(dir, "allocs", "bad", "alloc.json"), []byte("{trunc"), 0o600))
	allocs, err := db.Allocs()
	if err == nil || len(allocs) != 1 || allocs[0].ID != "good" {
		t.Fatalf("got %v, %v; want the good alloc and an error", allocs, err)
	}
}

func TestFileDBTaskNamesAreEscaped(t *testing.T) {
	db, err := OpenFileDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, db.PutAlloc(&structs.Allocation{ID: "a"}))
	mustDo(t, db.PutTaskState("a", "../../evil", &structs.TaskState{State: "dead"}))
	st, err := db.TaskState("a", "../../evil")
	if err != nil || st.State != "dead" {
		t.Fatalf("got %v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(db.Dir(), "evil.state.json")); err == nil {
		t.Fatal("task name escaped the alloc directory")
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

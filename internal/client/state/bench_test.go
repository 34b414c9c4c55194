package state

import (
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkFileDBPutTaskState measures persisting one task state (10
// events) atomically with fsync, as the task runner does on every event.
func BenchmarkFileDBPutTaskState(b *testing.B) {
	db, err := OpenFileDB(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := db.PutAlloc(&structs.Allocation{ID: "a1"}); err != nil {
		b.Fatal(err)
	}
	st := &structs.TaskState{State: structs.TaskStateRunning, StartedAt: time.Now()}
	for range 10 {
		st.Events = append(st.Events, &structs.TaskEvent{Type: structs.TaskStarted, Time: time.Now().UnixNano(),
			DisplayMessage: "Task started by client", Details: map[string]string{"k": "v"}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.PutTaskState("a1", "web", st); err != nil {
			b.Fatal(err)
		}
	}
}

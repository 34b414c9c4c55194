package services

import (
	"context"
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkSetCheckUnchanged is the cost of a check result that repeats
// (the steady state of thousands of checks): no copy, no write.
func BenchmarkSetCheckUnchanged(b *testing.B) {
	m, err := New(Config{Catalog: newFakeCatalog(), NodeID: "node1", Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for i := range 1000 {
		w := testWorkload(21000, &structs.Service{Name: "web", PortLabel: "http"})
		w.Task.Name = fmt.Sprintf("t%d", i)
		w.Alloc.Job.TaskGroups[0].Tasks[0] = w.Task
		if err := m.RegisterWorkload(context.Background(), w); err != nil {
			b.Fatal(err)
		}
	}
	id := RegistrationID("a1", "t500", "web", "http")
	m.desired[id].Checks = []*structs.CheckStatus{{ID: "c", Status: structs.HealthPassing, Output: "ok"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.setCheck(id, "c", structs.HealthPassing, "ok")
	}
}

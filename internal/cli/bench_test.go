package cli

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkFormatJobStatus renders `job status` for a job with 1000
// allocations.
func BenchmarkFormatJobStatus(b *testing.B) {
	m := newMeta(io.Discard, io.Discard)
	m.now = func() time.Time { return testNow }
	v := &jobStatusView{Job: seedJob(), Summary: &structs.JobSummary{Summary: map[string]structs.TaskGroupSummary{"group1": {Running: 1000}}}}
	for i := range 1000 {
		a := seedAlloc()
		a.ID = fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)
		a.CreateIndex = uint64(i)
		v.Allocations = append(v.Allocations, a.Stub("service"))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.formatJobStatus(v, false)
	}
}

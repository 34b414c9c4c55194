package cli

import (
	"testing"

	"github.com/wharf-project/wharf/internal/api"
)

// usageOf is the stats answer for the seed allocation's task www1.
func usageOf(cpu *api.CpuStats, mem *api.MemoryStats) map[string]*api.AllocResourceUsage {
	ru := &api.ResourceUsage{CpuStats: cpu, MemoryStats: mem}
	return map[string]*api.AllocResourceUsage{allocID: {ResourceUsage: ru, Timestamp: nanos(0),
		Tasks: map[string]*api.TaskResourceUsage{"www1": {ResourceUsage: ru, Timestamp: nanos(0)}}}}
}

func TestAllocStatusResourceUse(t *testing.T) {
	rss := &api.MemoryStats{RSS: 5452595, Usage: 9 << 20, Measured: []string{"RSS", "Usage"}}
	runCases(t, []cliCase{
		{name: "cpu and memory in use",
			setup: func(f *fakeAPI) {
				f.stats = usageOf(&api.CpuStats{Percent: 6.35, TotalTicks: 12.7, Measured: []string{"Percent"}}, rss)
			},
			args:   []string{"alloc", "status", allocID},
			stdout: []string{"Task Resources:\nCPU         Memory\n12/200 MHz  5.2 MiB/64 MiB\n"},
			absent: []string{"unavailable"}},
		{name: "share of a core when the node speed is unknown",
			setup: func(f *fakeAPI) {
				f.stats = usageOf(&api.CpuStats{Percent: 6.35, Measured: []string{"Percent"}}, rss)
			},
			args: []string{"alloc", "status", allocID}, stdout: []string{"6.3% of a core/200 MHz  5.2 MiB/64 MiB\n"}},
		{name: "whole charge when RSS is not measured",
			setup: func(f *fakeAPI) {
				f.stats = usageOf(&api.CpuStats{}, &api.MemoryStats{Usage: 10 << 20, Measured: []string{"Usage"}})
			},
			args: []string{"alloc", "status", allocID}, stdout: []string{"0/200 MHz  10.0 MiB/64 MiB\n"}},
		{name: "stats call fails",
			args: []string{"alloc", "status", allocID},
			stdout: []string{"\nResource use unavailable: unexpected response code 404 (unknown allocation on this node)\n",
				"Task Resources:\nCPU      Memory\n200 MHz  64 MiB\n"}},
		{name: "no task runs",
			setup: func(f *fakeAPI) { f.allocs[allocID].TaskStates["www1"].State = "dead" },
			args:  []string{"alloc", "status", allocID}, stdout: []string{"200 MHz  64 MiB\n"},
			absent: []string{"unavailable"}},
	})
}

// TestAllocStatusAsksStatsOnlyWhenRunning: a dead allocation costs no
// call to its node.
func TestAllocStatusAsksStatsOnlyWhenRunning(t *testing.T) {
	f := seededAPI(newFakeAPI(t))
	f.allocs[allocID].TaskStates["www1"].State = "dead"
	if r := f.run(t, nil, "alloc", "status", allocID); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if f.requested("GET /v1/client/allocation/") {
		t.Error("stats asked for an allocation with no running task")
	}
	f.allocs[allocID].TaskStates["www1"].State = "running"
	f.run(t, nil, "alloc", "status", allocID)
	if f.count("GET /v1/client/allocation/"+allocID+"/stats") != 1 {
		t.Error("stats not asked for a running allocation")
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {5452595, "5.2 MiB"}, {256 << 20, "256.0 MiB"},
		{3 << 30, "3.0 GiB"}, {1 << 62, "4096.0 PiB"},
	}
	for _, tc := range tests {
		if got := formatBytes(tc.in); got != tc.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

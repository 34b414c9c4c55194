package client

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// statingDriver is the fake driver reporting a task that uses half a
// core (30% user, 20% system), 5 MiB of RSS and 6 MiB in all.
type statingDriver struct{ *fake.Driver }

var _ drivers.Stater = statingDriver{}

var statsEpoch = time.Now()

func (d statingDriver) TaskStats(ctx context.Context, id string) (*drivers.TaskStats, error) {
	if _, err := d.InspectTask(ctx, id); err != nil {
		return nil, err
	}
	now := time.Now()
	wall := uint64(now.Sub(statsEpoch))
	return &drivers.TaskStats{Timestamp: now, MemoryRSS: 5 << 20, MemoryUsage: 6 << 20,
		CPUTotalNanos: wall / 2, CPUUserNanos: wall * 3 / 10, CPUSystemNanos: wall / 5,
		Measured: []string{"RSS", "Usage", "Total Ticks", "User Mode", "System Mode"}}, nil
}

// TestAllocStatsThroughServer reads a running allocation's stats through
// a server, which proxies to the node, with Nomad's own API client.
func TestAllocStatsThroughServer(t *testing.T) {
	ts := startServer(t, nil, nil)
	var handler atomic.Value
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(node.Close)
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), statingDriver{fake.New()}, func(cfg *Config) {
		cfg.HTTPAddr = strings.TrimPrefix(node.URL, "http://")
	})
	handler.Store(c.Handler())
	c.waitRegistered(t)
	ts.register(testJob("web", structs.JobTypeService, 1, nil))
	a := ts.waitAllocs("web", 1, structs.AllocClientStatusRunning)[0]

	nc, err := nomadapi.NewClient(&nomadapi.Config{Address: ts.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UnixNano()
	usage, err := nc.Allocations().Stats(&nomadapi.Allocation{ID: a.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tu := usage.Tasks["web"]
	if tu == nil || tu.ResourceUsage == nil || tu.ResourceUsage.MemoryStats == nil || tu.ResourceUsage.CpuStats == nil {
		t.Fatalf("usage = %+v", usage)
	}
	if tu.Timestamp < before || usage.Timestamp != tu.Timestamp {
		t.Errorf("timestamps: task %d, alloc %d, request at %d", tu.Timestamp, usage.Timestamp, before)
	}
	mem, cpu := tu.ResourceUsage.MemoryStats, tu.ResourceUsage.CpuStats
	if mem.RSS != 5<<20 || mem.Usage != 6<<20 || !slices.Equal(mem.Measured, []string{"RSS", "Usage"}) {
		t.Errorf("memory = %+v", mem)
	}
	if !approx(cpu.Percent, 50) || !approx(cpu.UserMode, 30) || !approx(cpu.SystemMode, 20) {
		t.Errorf("cpu = %+v, want 50%% (30 user, 20 system)", cpu)
	}
	if want := 0.5 * mhzPerCore(c.Node()); !approx(cpu.TotalTicks, want) || want <= 0 {
		t.Errorf("TotalTicks = %f, want %f MHz", cpu.TotalTicks, want)
	}
	if !slices.Contains(cpu.Measured, "Percent") || !slices.Contains(cpu.Measured, "User Mode") {
		t.Errorf("cpu Measured = %q", cpu.Measured)
	}
	if sum := usage.ResourceUsage; sum.MemoryStats.RSS != mem.RSS || !approx(sum.CpuStats.Percent, cpu.Percent) {
		t.Errorf("alloc sum = %+v %+v", sum.MemoryStats, sum.CpuStats)
	}
}

// approx allows for the timing of the two readings (the driver's counters
// follow the wall clock exactly; the readings' timestamps are taken a
// little apart from the counters).
func approx(a, b float64) bool { return math.Abs(a-b) <= 0.02*math.Abs(b)+1e-9 }

// TestAllocStatsErrors covers what the node refuses.
func TestAllocStatsErrors(t *testing.T) {
	ts := startServer(t, nil, nil)
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), fake.New(), nil)
	c.waitRegistered(t)
	ts.register(testJob("web", structs.JobTypeService, 1, nil))
	a := ts.waitAllocs("web", 1, structs.AllocClientStatusRunning)[0]
	ts.register(testJob("done", structs.JobTypeBatch, 1, map[string]any{"run_for": "1ms"}))
	done := ts.waitAllocs("done", 1, structs.AllocClientStatusComplete)[0]
	hs := httptest.NewServer(c.Handler())
	t.Cleanup(hs.Close)
	tests := []struct {
		name, alloc string
		code        int
		body        string
	}{
		{"unknown alloc", "nope", http.StatusNotFound, "unknown allocation nope"},
		{"driver without stats", a.ID, http.StatusNotImplemented, "task web (driver fake): driver does not report resource use"},
		{"nothing running", done.ID, http.StatusOK, `"Tasks":{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(hs.URL + "/v1/client/allocation/" + tt.alloc + "/stats")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			_, _ = io.Copy(&b, resp.Body)
			if resp.StatusCode != tt.code || !strings.Contains(b.String(), tt.body) {
				t.Errorf("%d %s, want %d with %q", resp.StatusCode, b.String(), tt.code, tt.body)
			}
		})
	}
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

// TestAllocStatsDecodesNomadShape serves what Nomad's own types encode
// and checks every field arrives.
func TestAllocStatsDecodesNomadShape(t *testing.T) {
	ru := &nomad.ResourceUsage{
		MemoryStats: &nomad.MemoryStats{RSS: 1, Cache: 2, Swap: 3, Usage: 4, MaxUsage: 5, KernelUsage: 6, KernelMaxUsage: 7,
			Measured: []string{"RSS", "Usage"}},
		CpuStats: &nomad.CpuStats{SystemMode: 1.5, UserMode: 2.5, TotalTicks: 3.5, ThrottledPeriods: 4, ThrottledTime: 5,
			Percent: 6.5, Measured: []string{"Percent"}},
	}
	served := nomad.AllocResourceUsage{ResourceUsage: ru, Timestamp: 42,
		Tasks: map[string]*nomad.TaskResourceUsage{"web": {ResourceUsage: ru, Timestamp: 41}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/client/allocation/a1/stats" {
			http.Error(w, "unknown allocation", http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(served)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.AllocStats(context.Background(), "a1")
	if err != nil {
		t.Fatal(err)
	}
	want := &AllocResourceUsage{ResourceUsage: &ResourceUsage{
		MemoryStats: &MemoryStats{RSS: 1, Cache: 2, Swap: 3, Usage: 4, MaxUsage: 5, KernelUsage: 6, KernelMaxUsage: 7,
			Measured: []string{"RSS", "Usage"}},
		CpuStats: &CpuStats{SystemMode: 1.5, UserMode: 2.5, TotalTicks: 3.5, ThrottledPeriods: 4, ThrottledTime: 5,
			Percent: 6.5, Measured: []string{"Percent"}},
	}, Timestamp: 42}
	want.Tasks = map[string]*TaskResourceUsage{"web": {ResourceUsage: want.ResourceUsage, Timestamp: 41}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if _, err := c.Allocations().Stats("nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown allocation: %v, want ErrNotFound", err)
	}
}

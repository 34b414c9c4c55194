//go:build linux

package main

import (
	"slices"
	"testing"
	"time"
)

func TestJobCounts(t *testing.T) {
	for _, tc := range []struct {
		allocs, count int
		want          []int
	}{
		{10000, 2000, []int{2000, 2000, 2000, 2000, 2000}},
		{25000, 10000, []int{10000, 10000, 5000}},
		{5, 10000, []int{5}},
	} {
		if got := jobCounts(tc.allocs, tc.count); !slices.Equal(got, tc.want) {
			t.Errorf("jobCounts(%d, %d) = %v, want %v", tc.allocs, tc.count, got, tc.want)
		}
	}
}

func TestPlacementRates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name     string
		samples  []sample
		lastMove time.Time
		peak     float64
	}{
		{"stalled tail", []sample{{at(0), 0}, {at(5), 5000}, {at(10), 15000}, {at(15), 15000}, {at(20), 15000}}, at(10), 2000},
		{"still moving", []sample{{at(0), 0}, {at(5), 100}, {at(10), 300}}, at(10), 40},
		{"nothing placed", []sample{{at(0), 0}, {at(5), 0}}, at(0).Add(time.Millisecond), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lastMove(tc.samples); !got.Equal(tc.lastMove) {
				t.Errorf("lastMove = %v, want %v", got, tc.lastMove)
			}
			if got := peak(tc.samples); got != tc.peak {
				t.Errorf("peak = %v, want %v", got, tc.peak)
			}
		})
	}
}

func TestArea(t *testing.T) {
	for _, tc := range []struct {
		sym    string
		kernel bool
		want   string
	}{
		{"go.etcd.io/bbolt.(*Tx).Commit", false, "etcd (raft, mvcc, bbolt, grpc server side)"},
		{"github.com/wharf-project/wharf/internal/scheduler.(*stack).Select", false, "wharf scheduler"},
		{"github.com/wharf-project/wharf/internal/state/index.(*Index).apply", false, "wharf state (index, plan apply, store)"},
		{"runtime.scanobject", false, "Go runtime (GC, allocation, scheduling)"},
		{"encoding/json.(*decodeState).object", false, "encoding/json"},
		{"copy_user_generic", true, "kernel (syscalls, network, fsync)"},
	} {
		if got := area(tc.sym, tc.kernel); got != tc.want {
			t.Errorf("area(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}

package etcdstore

import (
	"encoding/json"
	"sync"
	"unique"

	"github.com/wharf-project/wharf/internal/structs"
)

// Every server keeps each allocation decoded in its in-memory index, so
// what allocations have in common is kept once: their repeated strings
// (namespace, job, group, node, evaluation, statuses, the node IDs of
// their placement scores) are interned, and allocations whose
// AllocatedResources or NodesAvailable read the same share one decoded
// value. Objects in the index are read-only (callers Copy before
// changing one, and Copy already shares these parts).

// allocDecode is a stored allocation with the parts allocations share
// left raw (these fields shadow the embedded ones).
type allocDecode struct {
	*structs.Allocation
	AllocatedResources json.RawMessage
	Metrics            *metricDecode
	WharfServerWrite   bool `json:",omitempty"`
}

// metricDecode is a stored AllocMetric with NodesAvailable left raw.
type metricDecode struct {
	*structs.AllocMetric
	NodesAvailable json.RawMessage
}

// intern returns the canonical copy of s.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// internAlloc interns a's repeated strings in place.
func internAlloc(a *structs.Allocation) {
	for _, p := range []*string{&a.Namespace, &a.JobID, &a.TaskGroup, &a.NodeID, &a.NodeName,
		&a.EvalID, &a.DesiredStatus, &a.DesiredDescription, &a.ClientStatus, &a.ClientDescription} {
		*p = intern(*p)
	}
}

// sharedResources and sharedAvailable hold decoded values allocations
// share, by their stored JSON.
var (
	sharedResources = newSharedCache[*structs.AllocatedResources]()
	sharedAvailable = newSharedCache[map[string]int]()
)

// sharedCacheMax bounds a shared cache: values that differ for every
// allocation (dynamic ports) must not make it grow with them. A full
// cache starts over; values already shared stay shared.
const sharedCacheMax = 4096

// sharedCache maps stored JSON to the value decoded from it.
type sharedCache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

func newSharedCache[T any]() *sharedCache[T] {
	return &sharedCache[T]{m: map[string]T{}}
}

// get returns the value decoded from raw, shared with the other
// allocations whose raw reads the same.
func (c *sharedCache[T]) get(raw []byte) (T, error) {
	c.mu.Lock()
	v, ok := c.m[string(raw)]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= sharedCacheMax {
		clear(c.m)
	}
	c.m[string(raw)] = v
	return v, nil
}

// decodeShared decodes a stored allocation value into a, sharing what
// allocations have in common; it reports whether the value carries the
// server-write marker.
func decodeShared(raw []byte, a *structs.Allocation) (bool, error) {
	v := allocDecode{Allocation: a}
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, err
	}
	internAlloc(a)
	if r := v.AllocatedResources; len(r) > 0 && string(r) != "null" {
		ar, err := sharedResources.get(r)
		if err != nil {
			return false, err
		}
		a.AllocatedResources = ar
	}
	if v.Metrics != nil {
		m, err := decodeMetric(v.Metrics)
		if err != nil {
			return false, err
		}
		a.Metrics = m
	}
	return v.WharfServerWrite, nil
}

// decodeMetric completes a decoded AllocMetric: NodesAvailable shared,
// the node IDs of its scores interned.
func decodeMetric(d *metricDecode) (*structs.AllocMetric, error) {
	m := d.AllocMetric
	if m == nil {
		m = &structs.AllocMetric{}
	}
	if r := d.NodesAvailable; len(r) > 0 && string(r) != "null" {
		na, err := sharedAvailable.get(r)
		if err != nil {
			return nil, err
		}
		m.NodesAvailable = na
	}
	if len(m.Scores) > 0 {
		scores := make(map[string]float64, len(m.Scores))
		for k, v := range m.Scores {
			scores[intern(k)] = v
		}
		m.Scores = scores
	}
	return m, nil
}

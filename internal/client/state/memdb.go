package state

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// MemDB is the in-memory twin of FileDB, for tests. Values go through
// JSON on the way in and out, as they do on disk.
type MemDB struct {
	mu     sync.Mutex
	node   []byte
	allocs map[string]*memAlloc
}

var _ DB = (*MemDB)(nil)

type memAlloc struct {
	alloc   []byte
	states  map[string][]byte
	handles map[string][]byte
}

// NewMemDB returns an empty MemDB.
func NewMemDB() *MemDB { return &MemDB{allocs: map[string]*memAlloc{}} }

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}

func decode[T any](b []byte) (*T, error) {
	if b == nil {
		return nil, nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	return &v, nil
}

// NodeIdentity returns the stored identity.
func (m *MemDB) NodeIdentity() (*NodeIdentity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return decode[NodeIdentity](m.node)
}

// PutNodeIdentity stores the identity.
func (m *MemDB) PutNodeIdentity(id *NodeIdentity) error {
	b, err := encode(id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.node = b
	return nil
}

// PutAlloc stores an allocation.
func (m *MemDB) PutAlloc(a *structs.Allocation) error {
	b, err := encode(a)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.allocs[a.ID]
	if rec == nil {
		rec = &memAlloc{states: map[string][]byte{}, handles: map[string][]byte{}}
		m.allocs[a.ID] = rec
	}
	rec.alloc = b
	return nil
}

// Allocs returns every stored allocation.
func (m *MemDB) Allocs() ([]*structs.Allocation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*structs.Allocation, 0, len(m.allocs))
	for _, rec := range m.allocs {
		a, err := decode[structs.Allocation](rec.alloc)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// DeleteAlloc forgets an allocation.
func (m *MemDB) DeleteAlloc(allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.allocs, allocID)
	return nil
}

// PutTaskState stores a task state.
func (m *MemDB) PutTaskState(allocID, task string, st *structs.TaskState) error {
	return m.putTask(allocID, task, st, func(r *memAlloc, b []byte) { r.states[task] = b })
}

// TaskState returns a task state.
func (m *MemDB) TaskState(allocID, task string) (*structs.TaskState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec := m.allocs[allocID]; rec != nil {
		return decode[structs.TaskState](rec.states[task])
	}
	return nil, nil
}

// PutTaskHandle stores a task handle.
func (m *MemDB) PutTaskHandle(allocID, task string, h *drivers.TaskHandle) error {
	return m.putTask(allocID, task, h, func(r *memAlloc, b []byte) { r.handles[task] = b })
}

// TaskHandle returns a task handle.
func (m *MemDB) TaskHandle(allocID, task string) (*drivers.TaskHandle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec := m.allocs[allocID]; rec != nil {
		return decode[drivers.TaskHandle](rec.handles[task])
	}
	return nil, nil
}

// DeleteTaskHandle forgets a task handle.
func (m *MemDB) DeleteTaskHandle(allocID, task string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec := m.allocs[allocID]; rec != nil {
		delete(rec.handles, task)
	}
	return nil
}

func (m *MemDB) putTask(allocID, task string, v any, put func(*memAlloc, []byte)) error {
	b, err := encode(v)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.allocs[allocID]
	if rec == nil {
		return fmt.Errorf("store task %s/%s: %w", allocID, task, ErrNoAlloc)
	}
	put(rec, b)
	return nil
}

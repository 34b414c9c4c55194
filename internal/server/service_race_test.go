package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// racingStore runs race once, just before the first conditional service
// write: what another writer does between a handler's checks and its
// write.
type racingStore struct {
	state.Store
	race  atomic.Pointer[func()]
	calls atomic.Int32
}

func (s *racingStore) UpsertServiceRegistrationsIf(ctx context.Context, regs []*structs.ServiceRegistration, seen map[string]uint64) (uint64, error) {
	s.calls.Add(1)
	if f := s.race.Swap(nil); f != nil {
		(*f)()
	}
	return s.Store.UpsertServiceRegistrationsIf(ctx, regs, seen)
}

// TestServiceRegisterCheckRace: a node's instance stored after the
// ownership check passed and before the write is not overwritten; the
// caller gets a 409, and the same request afterwards a 403.
func TestServiceRegisterCheckRace(t *testing.T) {
	var rs *racingStore
	ts := newTestServer(t, func(c *Config) {
		rs = &racingStore{Store: c.Store}
		c.Store = rs
	})
	n := fakeNode("a", "dc1", "raw_exec")
	ts.registerNode(n)
	task := &structs.ServiceRegistration{ID: "x-1", ServiceName: "pg", Namespace: "default", NodeID: n.ID,
		Address: "10.0.0.1", Port: 5432}
	race := func() {
		if _, err := rs.Store.UpsertServiceRegistrations(context.Background(), []*structs.ServiceRegistration{task}); err != nil {
			t.Error(err)
		}
	}
	rs.race.Store(&race)
	evil := &structs.ServiceRegistration{ID: "x-1", ServiceName: "pg", Address: "6.6.6.6", Port: 5432}
	code, body := ts.do("PUT", "/v1/services/register", regBody(evil), nil)
	if code != http.StatusConflict || !strings.Contains(body, "nothing was written") {
		t.Fatalf("register racing a node's write: %d %q, want 409", code, body)
	}
	if got := ts.store.Snapshot().ServiceRegistration(task.ID); got == nil || got.Address != "10.0.0.1" {
		t.Fatalf("the node's instance was overwritten: %+v", got)
	}
	code, body = ts.do("PUT", "/v1/services/register", regBody(evil), nil)
	if code != http.StatusForbidden || !strings.Contains(body, "belongs to node") {
		t.Fatalf("the same register afterwards: %d %q, want 403", code, body)
	}
	if rs.calls.Load() != 1 {
		t.Fatalf("%d conditional writes, want 1 (the refused request must not reach the store)", rs.calls.Load())
	}
}

// TestServiceRegisterJobRace: a job declaring the service, submitted
// after the "belongs to tasks" check passed and before the write, does
// not keep an outside instance in its pool: 409, nothing kept, and 403
// on the retry.
func TestServiceRegisterJobRace(t *testing.T) {
	var rs *racingStore
	ts := newTestServer(t, func(c *Config) {
		rs = &racingStore{Store: c.Store}
		c.Store = rs
	})
	job := webServiceJob()
	race := func() {
		if _, err := rs.Store.RegisterJob(context.Background(), job, nil, nil); err != nil {
			t.Error(err)
		}
	}
	rs.race.Store(&race)
	evil := &structs.ServiceRegistration{ID: "web-ext", ServiceName: "web", Address: "6.6.6.6", Port: 80}
	code, body := ts.do("PUT", "/v1/services/register", regBody(evil), nil)
	if code != http.StatusConflict || !strings.Contains(body, "came to belong to tasks") {
		t.Fatalf("register racing a job: %d %q, want 409", code, body)
	}
	if got := ts.store.Snapshot().ServiceRegistration("web-ext"); got != nil {
		t.Fatalf("the outside instance joined the job's service: %+v", got)
	}
	code, body = ts.do("PUT", "/v1/services/register", regBody(evil), nil)
	if code != http.StatusForbidden || !strings.Contains(body, "belongs to tasks") {
		t.Fatalf("the same register afterwards: %d %q, want 403", code, body)
	}
}

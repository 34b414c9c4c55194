package consulapi

import (
	"context"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// racingStore runs race once, just before the first conditional write.
type racingStore struct {
	catalog.Store
	race func()
}

func (s *racingStore) UpsertServiceRegistrationsIf(ctx context.Context, regs []*structs.ServiceRegistration, seen map[string]uint64) (uint64, error) {
	if f := s.race; f != nil {
		s.race = nil
		f()
	}
	return s.Store.UpsertServiceRegistrationsIf(ctx, regs, seen)
}

// TestRegisterCheckRace: another node's registration of the same ID,
// stored after this agent checked the ID free and before it writes, is
// not replaced; the caller gets a 409 and, retrying, the usual refusal.
func TestRegisterCheckRace(t *testing.T) {
	f := newFixture(t)
	theirs := reg("db-1", "db", "node-2", "10.0.0.2", 5432, nil)
	theirs.AllocID, theirs.JobID, theirs.Task = "", "", ""
	rs := &racingStore{Store: f.store, race: func() { f.put(t, theirs) }}
	f.srv.cfg.Store = rs
	code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", `{"ID":"db-1","Name":"db","Address":"6.6.6.6","Port":5432}`)
	if code != 409 || !strings.Contains(out, "nothing was written") {
		t.Fatalf("register racing another node: %d %q, want 409", code, out)
	}
	if got := f.store.Snapshot().ServiceRegistration("db-1"); got == nil || got.NodeID != "node-2" || got.Address != "10.0.0.2" {
		t.Fatalf("the other node's registration was replaced: %+v", got)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", `{"ID":"db-1","Name":"db","Address":"6.6.6.6","Port":5432}`); code != 409 {
		t.Fatalf("retry: %d %q, want the other node's ID refused", code, out)
	}
}

// TestRegisterJobRace: a job declaring the service, submitted after the
// "belongs to tasks" check passed and before the write, does not leave an
// outside instance in its tasks' pool: the caller gets a 409, nothing is
// kept, and the same request afterwards is refused.
func TestRegisterJobRace(t *testing.T) {
	f := newFixture(t)
	job := statetest.NewJob("cache")
	job.TaskGroups[0].Services = []*structs.Service{{Name: "cache", Provider: "nomad"}}
	rs := &racingStore{Store: f.store, race: func() {
		if _, err := f.store.RegisterJob(context.Background(), job, nil, nil); err != nil {
			t.Error(err)
		}
	}}
	f.srv.cfg.Store = rs
	body := `{"ID":"cache-ext","Name":"cache","Address":"6.6.6.6","Port":6379}`
	code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", body)
	if code != 409 || !strings.Contains(out, "came to belong to wharf tasks") {
		t.Fatalf("register racing a job: %d %q, want 409", code, out)
	}
	if got := f.store.Snapshot().ServiceRegistration("cache-ext"); got != nil {
		t.Fatalf("the outside instance joined the job's service: %+v", got)
	}
	if code, out, _ := f.do(t, "PUT", "/v1/agent/service/register", body); code != 403 {
		t.Fatalf("retry: %d %q, want 403", code, out)
	}
}

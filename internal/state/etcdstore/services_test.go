package etcdstore_test

import (
	"fmt"
	"testing"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// TestServicesAcrossStores checks that registrations reach another
// server's index through the watch and through the initial load, with the
// same indexes, and that deletes do too.
func TestServicesAcrossStores(t *testing.T) {
	ctx := testContext(t)
	cfg := embeddedConfig(shared(), newPrefix())
	a := open(t, cfg)
	r := statetest.NewServiceRegistration("web", "node-1", "alloc-1", 20001)
	idx, err := a.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{r})
	if err != nil {
		t.Fatal(err)
	}
	loaded := open(t, cfg) // loads r by its range read
	if got := loaded.Snapshot().ServiceRegistration(r.ID); got == nil || got.CreateIndex != idx || got.ModifyIndex != idx {
		t.Fatalf("loaded store sees %+v, want indexes %d", got, idx)
	}
	r.Port = 20002
	up, err := a.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{r})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loaded.WaitForChange(ctx, idx, state.TableServices); err != nil || got != up {
		t.Fatalf("watch: %d, %v; want %d", got, err, up)
	}
	got := loaded.Snapshot().ServiceRegistration(r.ID)
	if got.Port != 20002 || got.CreateIndex != idx || got.ModifyIndex != up {
		t.Fatalf("watched store sees %+v", got)
	}
	down, err := loaded.DeleteServiceRegistrations(ctx, []string{r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitForChange(ctx, up, state.TableServices); err != nil || a.Snapshot().ServiceRegistration(r.ID) != nil {
		t.Fatalf("delete at %d not seen by the writer's store: %v", down, err)
	}
}

// TestServicesBatchTransactions checks how many etcd transactions a batch
// of 1,000 registrations takes: one under the embedded member's limits,
// ceil(1000/MaxTxnOps) under small ones.
func TestServicesBatchTransactions(t *testing.T) {
	ctx := testContext(t)
	regs := make([]*structs.ServiceRegistration, 1000)
	for i := range regs {
		regs[i] = statetest.NewServiceRegistration("web", "node-1", fmt.Sprintf("alloc-%04d", i), 20000+i)
	}
	for _, c := range []struct {
		maxOps int
		want   uint64
	}{{int(shared().MaxTxnOps()), 1}, {128, 8}} {
		cfg := embeddedConfig(shared(), newPrefix())
		cfg.MaxTxnOps = c.maxOps
		s := open(t, cfg)
		if _, err := s.UpsertServiceRegistrations(ctx, regs); err != nil {
			t.Fatal(err)
		}
		if got := s.Writes(); got != c.want {
			t.Errorf("MaxTxnOps %d: %d transactions, want %d", c.maxOps, got, c.want)
		}
	}
}

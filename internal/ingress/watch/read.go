package watch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/structs"
)

// serviceRef names one service of the list.
type serviceRef struct{ namespace, name string }

// read fetches the instances of every listed service, o.Parallel at a
// time, and returns them converted and sorted.
func (w *Watcher) read(ctx context.Context, stubs []*structs.ServiceRegistrationListStub) ([]config.Instance, error) {
	var refs []serviceRef
	for _, ns := range stubs {
		for _, s := range ns.Services {
			refs = append(refs, serviceRef{ns.Namespace, s.ServiceName})
		}
	}
	results := make([][]*structs.ServiceRegistration, len(refs))
	errs := make([]error, len(refs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(w.o.Parallel, len(refs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i], errs[i] = w.get(ctx, refs[i])
				if errs[i] != nil {
					cancel()
				}
			}
		}()
	}
	for i := range refs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := firstCause(errs); err != nil {
		return nil, err
	}
	return instances(results), nil
}

// firstCause returns the first error that is not a read cancelled
// because another one failed, or nil.
func firstCause(errs []error) error {
	var cancelled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			cancelled = cmp.Or(cancelled, err)
		default:
			return err
		}
	}
	return cancelled
}

// get reads one service's instances (nothing once ctx ended).
func (w *Watcher) get(ctx context.Context, ref serviceRef) ([]*structs.ServiceRegistration, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	regs, _, err := w.o.Catalog.Get(ref.name, &api.QueryOptions{Namespace: ref.namespace, Context: ctx, Params: routableOnly()})
	if err != nil {
		return nil, fmt.Errorf("read service %q: %w", ref.name, err)
	}
	return regs, nil
}

// instances converts registrations to config.Instance, sorted by namespace,
// service name then ID.
func instances(groups [][]*structs.ServiceRegistration) []config.Instance {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	out := make([]config.Instance, 0, n)
	for _, g := range groups {
		for _, r := range g {
			out = append(out, Instance(r))
		}
	}
	slices.SortFunc(out, func(a, b config.Instance) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.ServiceName, b.ServiceName), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Instance converts one catalog registration to what config.Build needs.
func Instance(r *structs.ServiceRegistration) config.Instance {
	return config.Instance{ID: r.ID, ServiceName: r.ServiceName, Namespace: r.Namespace, CreateIndex: r.CreateIndex,
		Address: r.Address, Port: r.Port, Tags: r.Tags, Health: r.Health()}
}

// apply builds a table from instances and hands it to the target, unless
// the instances are the same as the current table's.
func (w *Watcher) apply(in []config.Instance, index uint64, read time.Duration) {
	w.mu.Lock()
	same := w.stats.Updates > 0 && slices.EqualFunc(in, w.last, sameInstance)
	if same {
		w.stats.Index, w.stats.LastError = index, ""
	}
	w.mu.Unlock()
	if same {
		return
	}
	start := time.Now()
	cfg := config.Build(in, w.o.Build)
	cfg.Index = index
	built := time.Now()
	w.o.Target.Update(cfg)
	updated := time.Now()
	w.mu.Lock()
	first := w.stats.Updates == 0
	w.last = in
	w.stats = Stats{Index: index, Updates: w.stats.Updates + 1, Services: len(cfg.Services), Instances: len(in),
		LastRead: read, LastBuild: built.Sub(start), LastUpdate: updated.Sub(built)}
	w.mu.Unlock()
	if first {
		close(w.synced)
	}
	w.log.Info("ingress: route table updated", "index", index, "services", len(cfg.Services), "instances", len(in),
		"routers", len(cfg.Routers), "read", read, "build", built.Sub(start), "update", updated.Sub(built))
}

func sameInstance(a, b config.Instance) bool {
	return a.ID == b.ID && a.ServiceName == b.ServiceName && a.Namespace == b.Namespace && a.CreateIndex == b.CreateIndex &&
		a.Address == b.Address && a.Port == b.Port &&
		a.Health == b.Health && slices.Equal(a.Tags, b.Tags)
}

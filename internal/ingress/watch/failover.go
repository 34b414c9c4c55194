package watch

import (
	"sync/atomic"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// Failover is a BulkCatalog over the catalogs of several API servers:
// reads go to one until a read fails, then to the next, so an ingress
// keeps following the catalog while one of its servers is down. The
// servers of one cluster share the store, so a blocking query's index
// from one is valid on the others.
type Failover struct {
	cats []BulkCatalog
	cur  atomic.Uint64
}

var _ BulkCatalog = (*Failover)(nil)

// NewFailover returns a Failover over cats, tried in order (at least one).
func NewFailover(cats ...BulkCatalog) *Failover {
	if len(cats) == 0 {
		panic("watch: NewFailover without a catalog")
	}
	return &Failover{cats: cats}
}

// pick returns the catalog in use and its turn.
func (f *Failover) pick() (uint64, BulkCatalog) {
	i := f.cur.Load()
	return i, f.cats[i%uint64(len(f.cats))]
}

// done moves to the next catalog after a failed read (unless another
// read already did).
func (f *Failover) done(i uint64, err error) {
	if err != nil && len(f.cats) > 1 {
		f.cur.CompareAndSwap(i, i+1)
	}
}

// Current returns the index of the catalog reads go to now.
func (f *Failover) Current() int { i, _ := f.pick(); return int(i % uint64(len(f.cats))) }

// List lists the services.
func (f *Failover) List(q *api.QueryOptions) ([]*structs.ServiceRegistrationListStub, *api.QueryMeta, error) {
	i, c := f.pick()
	r, m, err := c.List(q)
	f.done(i, err)
	return r, m, err
}

// Get returns a service's registrations.
func (f *Failover) Get(name string, q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	i, c := f.pick()
	r, m, err := c.Get(name, q)
	f.done(i, err)
	return r, m, err
}

// Instances returns every registration.
func (f *Failover) Instances(q *api.QueryOptions) ([]*structs.ServiceRegistration, *api.QueryMeta, error) {
	i, c := f.pick()
	r, m, err := c.Instances(q)
	f.done(i, err)
	return r, m, err
}

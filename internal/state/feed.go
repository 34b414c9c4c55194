package state

// Change is one object a committed store write put or deleted. Object is
// the stored object (*structs.Job, *structs.Allocation,
// *structs.Evaluation, *structs.Node, *structs.ServiceRegistration, ...)
// as readers see it: listeners must not modify it.
type Change struct {
	Table   Table
	Object  any
	Deleted bool
}

// ChangeListener learns every change a store's index applies, in commit
// order, with the store index of the commit. It runs inside the commit,
// holding the index's write lock just before readers can see the
// changes, so it must return quickly and never call back into the store. A reload of the whole index (after
// an etcd compaction) is not reported.
type ChangeListener func(index uint64, changes []Change)

// ChangeFeed is implemented by stores whose changes can be followed (both
// stores are): the event stream is derived from it on every server.
type ChangeFeed interface {
	// SetChangeListener installs fn (nil removes it); there is one
	// listener at a time.
	SetChangeListener(fn ChangeListener)
}

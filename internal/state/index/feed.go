package index

import (
	"github.com/wharf-project/wharf/internal/state"
)

// feed collects one transaction's changes for the index's listener.
type feed struct {
	fn      state.ChangeListener
	changes []state.Change
}

// SetChangeListener installs fn, called at the end of every later commit
// with the changes of the public tables (nil removes it). Transactions
// that Clear the index report nothing.
func (x *Index) SetChangeListener(fn state.ChangeListener) {
	if fn == nil {
		x.listener.Store(nil)
		return
	}
	x.listener.Store(&fn)
}

// newFeed returns a collector when a listener is installed, else nil.
func (x *Index) newFeed() *feed {
	if fn := x.listener.Load(); fn != nil {
		return &feed{fn: *fn}
	}
	return nil
}

// record notes one change for the listener.
func (t *Txn) record(table state.Table, obj any, deleted bool) {
	if t.feed != nil && !t.cleared && obj != nil {
		t.feed.changes = append(t.feed.changes, state.Change{Table: table, Object: obj, Deleted: deleted})
	}
}

// publish hands the committed changes to the listener.
func (t *Txn) publish(index uint64) {
	if t.feed != nil && !t.cleared && len(t.feed.changes) > 0 {
		t.feed.fn(index, t.feed.changes)
	}
}

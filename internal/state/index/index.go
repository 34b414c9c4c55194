package index

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/wharf-project/wharf/internal/state"
)

// Index is the in-memory index: a go-memdb database with the store's
// tables. Any number of readers and one writer at a time may use it.
type Index struct {
	db        *memdb.MemDB
	closed    chan struct{}
	closeOnce sync.Once
	gen       atomic.Uint64 // generation of the last write transaction

	// listener learns every commit's changes (feed.go).
	listener atomic.Pointer[state.ChangeListener]
}

// New returns an empty index at store index 0.
func New() *Index {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		// The schema is a constant; an error here is a bug in schema().
		panic(fmt.Sprintf("index: invalid schema: %v", err))
	}
	x := &Index{db: db, closed: make(chan struct{})}
	txn := db.Txn(true)
	for _, key := range append([]state.Table{globalKey}, publicTables...) {
		_ = txn.Insert(tableIndex, &indexRow{Key: string(key)})
	}
	txn.Commit()
	return x
}

// Snapshot returns an immutable view of the index as it is now.
func (x *Index) Snapshot() *Snapshot {
	return &Snapshot{txn: x.db.Txn(false)}
}

// Index returns the store index the index reflects.
func (x *Index) Index() uint64 {
	return x.Snapshot().Index()
}

// Close wakes every waiter, which then returns state.ErrClosed.
func (x *Index) Close() {
	x.closeOnce.Do(func() { close(x.closed) })
}

// WaitForChange blocks until the index of any of tables exceeds min, ctx
// ends or the index is closed, and returns the tables' highest index. No
// tables means all of them. Waiters sleep on memdb watch channels of the
// index-table rows, so a write wakes exactly the waiters of the tables it
// changed, however many there are.
func (x *Index) WaitForChange(ctx context.Context, min uint64, tables ...state.Table) (uint64, error) {
	if len(tables) == 0 {
		tables = publicTables
	}
	keys := make([]string, len(tables))
	for i, t := range tables {
		keys[i] = string(t)
	}
	return x.wait(ctx, min, keys)
}

// WaitIndex blocks until the store index reaches min (not exceeds, unlike
// WaitForChange), ctx ends or the index is closed.
func (x *Index) WaitIndex(ctx context.Context, min uint64) (uint64, error) {
	if min == 0 {
		return x.Index(), nil
	}
	return x.wait(ctx, min-1, []string{globalKey})
}

// wait blocks until the highest value of the index rows keys exceeds min.
func (x *Index) wait(ctx context.Context, min uint64, keys []string) (uint64, error) {
	for {
		txn := x.db.Txn(false)
		ws := memdb.NewWatchSet()
		ws.Add(x.closed)
		var cur uint64
		for _, k := range keys {
			ch, raw, err := txn.FirstWatch(tableIndex, "id", k)
			if err != nil {
				return 0, fmt.Errorf("index: watch %s: %w", k, err)
			}
			ws.Add(ch)
			if raw != nil {
				cur = max(cur, raw.(*indexRow).Value)
			}
		}
		if cur > min {
			return cur, nil
		}
		if err := ws.WatchCtx(ctx); err != nil {
			return cur, err
		}
		select {
		case <-x.closed:
			return cur, state.ErrClosed
		default:
		}
	}
}

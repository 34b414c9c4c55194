package index

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// fieldsIndex is a memdb indexer of *T objects by one or more string
// fields, read by plain functions instead of reflection (memdb's
// StringFieldIndex looks fields up by name on every write, which is most
// of the cost of indexing allocations). Keys are encoded as memdb's
// StringFieldIndex and CompoundIndex encode them, each field followed by
// a zero byte, and an object with an empty field is left out of the
// index, so lookups, prefix scans and ordering are the same.
type fieldsIndex[T any] struct {
	fields []func(*T) string
}

var (
	_ memdb.SingleIndexer = (*fieldsIndex[struct{}])(nil)
	_ memdb.PrefixIndexer = (*fieldsIndex[struct{}])(nil)
)

// fields returns an indexer of *T by the given fields, in order.
func fields[T any](get ...func(*T) string) *fieldsIndex[T] {
	return &fieldsIndex[T]{fields: get}
}

// FromObject returns the key of obj, or false when a field is empty.
func (ix *fieldsIndex[T]) FromObject(obj any) (bool, []byte, error) {
	o, ok := obj.(*T)
	if !ok || o == nil {
		return false, nil, fmt.Errorf("index: cannot index %T", obj)
	}
	n := 0
	for _, f := range ix.fields {
		v := f(o)
		if v == "" {
			return false, nil, nil
		}
		n += len(v) + 1
	}
	key := make([]byte, 0, n)
	for _, f := range ix.fields {
		key = append(append(key, f(o)...), 0)
	}
	return true, key, nil
}

// FromArgs returns the key of one string per field.
func (ix *fieldsIndex[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != len(ix.fields) {
		return nil, fmt.Errorf("index: %d arguments for %d fields", len(args), len(ix.fields))
	}
	return encodeArgs(args, true)
}

// PrefixFromArgs returns the key prefix of up to one string per field:
// the last is a prefix of its field.
func (ix *fieldsIndex[T]) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) > len(ix.fields) {
		return nil, fmt.Errorf("index: %d arguments for %d fields", len(args), len(ix.fields))
	}
	return encodeArgs(args, false)
}

// encodeArgs encodes string arguments each followed by a zero byte, but
// for the last when terminate is false.
func encodeArgs(args []any, terminate bool) ([]byte, error) {
	n := 0
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("index: argument %d is %T, not a string", i, a)
		}
		n += len(s) + 1
	}
	key := make([]byte, 0, n)
	for i, a := range args {
		key = append(key, a.(string)...)
		if terminate || i < len(args)-1 {
			key = append(key, 0)
		}
	}
	return key, nil
}

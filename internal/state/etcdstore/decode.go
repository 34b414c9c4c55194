package etcdstore

import (
	"runtime"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/state/index"
)

// parallelDecodeMin is the batch size from which values are decoded on
// several goroutines.
const parallelDecodeMin = 256

// change is one decoded key change, ready to apply to the index.
type change struct {
	key parsedKey
	kv  *mvccpb.KeyValue
	del bool
	obj any
	err error
}

// decodeChanges parses and decodes kvs (deleted ones when del[i]), on all
// CPUs for big batches: JSON decoding is most of the cost of applying a
// large plan.
func (s *Store) decodeChanges(kvs []*mvccpb.KeyValue, del []bool) []change {
	out := make([]change, len(kvs))
	decodeRange := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = s.decodeChange(kvs[i], del != nil && del[i])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(kvs)/parallelDecodeMin+1)
	if workers <= 1 {
		decodeRange(0, len(kvs))
		return out
	}
	var wg sync.WaitGroup
	step := (len(kvs) + workers - 1) / workers
	for lo := 0; lo < len(kvs); lo += step {
		wg.Go(func() { decodeRange(lo, min(lo+step, len(kvs))) })
	}
	wg.Wait()
	return out
}

func (s *Store) decodeChange(kv *mvccpb.KeyValue, del bool) change {
	c := change{kv: kv, del: del}
	c.key, c.err = s.keys.parse(string(kv.Key))
	if c.err != nil || del {
		return c
	}
	switch c.key.kind {
	case kindJobs, kindVersions:
		c.obj, c.err = decodeJob(kv)
	case kindAllocs:
		c.obj, c.err = decodeAlloc(kv)
	case kindEvals:
		c.obj, c.err = decodeEval(kv)
	case kindNodes:
		c.obj, c.err = decodeNode(kv)
	case kindServices:
		c.obj, c.err = decodeService(kv)
	case kindPolicies:
		c.obj, c.err = decodePolicy(kv)
	case kindTokens:
		c.obj, c.err = decodeToken(kv)
	}
	return c
}

// applyChanges writes decoded changes into t in order; undecodable keys
// are logged and skipped. Each table's index becomes the revision of its
// latest change (a deletion's, or its delete marker's, included).
func (s *Store) applyChanges(t *index.Txn, changes []change) {
	for _, c := range changes {
		if c.err != nil {
			s.log.Error("etcdstore: skip key", "key", string(c.kv.Key), "err", c.err)
			continue
		}
		t.At(uint64(c.kv.ModRevision))
		if c.del {
			applyDelete(t, c.key)
		} else {
			applyPut(t, c)
		}
	}
}

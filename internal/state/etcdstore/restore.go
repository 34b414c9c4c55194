package etcdstore

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/operator"
	"github.com/wharf-project/wharf/internal/structs"
)

// RestoreLockKey is held (on a lease) while a restore writes to the
// store under prefix: leaders do no leader work while it exists. It lies
// outside the prefix ("/wharf/v1-restore" for the default), so snapshots
// never hold it.
func RestoreLockKey(prefix string) string { return strings.TrimSuffix(prefix, "/") + "-restore" }

// restoreLockTTL is the lock's lease: a restore whose process dies
// releases the cluster's leaders this long after.
const restoreLockTTL = 10

// reconcileRounds bounds the passes that undo writes made by others
// while a restore ran.
const reconcileRounds = 3

// RestoreSnapshot makes the keys under the store's prefix exactly those
// of the snapshot in f. It first reads the whole file and checks it
// (format, checksum, every key in the layout, every value decodes to the
// object its key names, every value fits a transaction): a file that
// fails any check is refused and nothing is written. It then holds
// RestoreLockKey (pausing leaders), writes the keys in as few
// transactions as fit, deletes the keys the snapshot does not hold, undoes
// what others wrote meanwhile, and returns once this server's index has
// applied it. f is read twice or more (a file, not a stream). Indexes
// never go back: every key restored gets a revision above the snapshot's
// index, and every table's delete marker is put last (restore_index.go).
func (s *Store) RestoreSnapshot(ctx context.Context, f io.ReadSeeker, opt operator.ReadOptions) (operator.RestoreResult, error) {
	want := map[string]int64{}
	// A record's error is reported only once the whole file checked out:
	// a damaged file is refused as damaged, whatever its records say.
	var invalid error
	line := 1
	sm, err := s.readSnapshot(f, opt, func(rec operator.Record) error {
		line++
		if err := s.checkRecord(rec); err != nil && invalid == nil {
			invalid = &operator.ErrLine{Line: line, Err: err}
		}
		want[rec.Key] = 0
		return nil
	})
	if err == nil {
		err = invalid
	}
	if err != nil {
		return operator.RestoreResult{}, err
	}
	release, err := s.lockRestore(ctx)
	if err != nil {
		return operator.RestoreResult{}, err
	}
	defer release()
	res := operator.RestoreResult{Snapshot: sm}
	if _, err := s.bumpRevision(ctx, int64(sm.Index)); err != nil {
		return res, fmt.Errorf("etcdstore: restore: %w", err)
	}
	last, err := s.putRecords(ctx, f, opt, want, nil)
	if err != nil {
		return res, fmt.Errorf("etcdstore: restore stopped part way (run it again to finish): %w", err)
	}
	for round := 0; round < reconcileRounds; round++ {
		deleted, stale, rev, err := s.reconcileRestore(ctx, want)
		if err != nil {
			return res, fmt.Errorf("etcdstore: restore stopped part way (run it again to finish): %w", err)
		}
		res.Deleted += deleted
		last = max(last, rev)
		if len(stale) == 0 {
			break
		}
		if rev, err = s.putRecords(ctx, f, opt, want, stale); err != nil {
			return res, fmt.Errorf("etcdstore: restore stopped part way (run it again to finish): %w", err)
		}
		last = max(last, rev)
	}
	rev, err := s.putMarkers(ctx)
	if err != nil {
		return res, fmt.Errorf("etcdstore: restore stopped part way (run it again to finish): %w", err)
	}
	last = max(last, rev)
	if last > 0 {
		if err := s.waitApplied(ctx, uint64(last)); err != nil {
			return res, err
		}
	}
	res.Index = s.idx.Index()
	return res, nil
}

// readSnapshot reads f from its start.
func (s *Store) readSnapshot(f io.ReadSeeker, opt operator.ReadOptions, fn func(operator.Record) error) (operator.Summary, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return operator.Summary{}, fmt.Errorf("etcdstore: read snapshot: %w", err)
	}
	return operator.Read(f, opt, fn)
}

// checkRecord refuses a record the store could not load: a key outside
// the layout, a value that does not decode or names another object than
// its key, or one too large for a transaction.
func (s *Store) checkRecord(rec operator.Record) error {
	key := s.cfg.Prefix + rec.Key
	if n := len(key) + len(rec.Value) + opOverhead; n > s.cfg.MaxRequestBytes-requestMargin {
		return fmt.Errorf("%w: key %s: %d bytes do not fit one etcd request (max-request-bytes %d)", operator.ErrInvalid, rec.Key, n, s.cfg.MaxRequestBytes)
	}
	c := s.decodeChange(&mvccpb.KeyValue{Key: []byte(key), Value: rec.Value, CreateRevision: 1, ModRevision: 1}, false)
	if c.err != nil {
		return fmt.Errorf("%w: key %s: %w", operator.ErrInvalid, rec.Key, c.err)
	}
	if got, want := objectKey(c.key.kind, c.obj, s.keys), key; got != "" && got != want {
		return fmt.Errorf("%w: key %s holds the object of key %s", operator.ErrInvalid, rec.Key, got[len(s.cfg.Prefix):])
	}
	return nil
}

// objectKey is the key an object is stored under, "" for keys that hold
// no object (usage, the bootstrap marker).
func objectKey(kind string, obj any, k keys) string {
	switch o := obj.(type) {
	case *structs.Job:
		if kind == kindVersions {
			return k.version(o.Namespace, o.ID, o.Version)
		}
		return k.job(o.Namespace, o.ID)
	case *structs.Allocation:
		return k.alloc(o)
	case *structs.Evaluation:
		return k.eval(o.ID)
	case *structs.Node:
		return k.node(o.ID)
	case *structs.ServiceRegistration:
		return k.service(o.ID)
	case *structs.ACLPolicy:
		return k.policy(o.Name)
	case *structs.ACLToken:
		return k.token(o.AccessorID)
	}
	return ""
}

// lockRestore takes RestoreLockKey on a lease kept alive until release.
func (s *Store) lockRestore(ctx context.Context) (func(), error) {
	gctx, cancel := context.WithTimeout(ctx, quorumTimeout)
	lease, err := s.cli.Grant(gctx, restoreLockTTL)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("etcdstore: restore lock: %w (%w)", operator.ErrNoQuorum, err)
	}
	resp, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(RestoreLockKey(s.cfg.Prefix)), "=", 0)).
		Then(clientv3.OpPut(RestoreLockKey(s.cfg.Prefix), s.now().UTC().Format(time.RFC3339), clientv3.WithLease(lease.ID))).Commit()
	if err == nil && !resp.Succeeded {
		err = operator.ErrRestoreRunning
	}
	if err != nil {
		s.revoke(lease.ID)
		return nil, fmt.Errorf("etcdstore: restore lock: %w", err)
	}
	kctx, cancel := context.WithCancel(context.Background())
	ka, err := s.cli.KeepAlive(kctx, lease.ID)
	if err != nil {
		cancel()
		s.revoke(lease.ID)
		return nil, fmt.Errorf("etcdstore: restore lock: %w", err)
	}
	go func() {
		for range ka {
		}
	}()
	return func() { cancel(); s.revoke(lease.ID) }, nil
}

func (s *Store) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.cli.Revoke(ctx, id)
}

// putRecords writes the records of f (only those in only, when non-nil)
// in batches that fit a transaction, noting each key's revision in want.
// It returns the last revision written.
func (s *Store) putRecords(ctx context.Context, f io.ReadSeeker, opt operator.ReadOptions,
	want map[string]int64, only map[string]bool) (int64, error) {
	var batch []clientv3.Op
	var keys []string
	var size int
	var last int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		s.writes.Add(1)
		resp, err := s.cli.Txn(ctx).Then(batch...).Commit()
		if err != nil {
			return fmt.Errorf("write %d keys: %w", len(batch), err)
		}
		last = resp.Header.Revision
		for _, k := range keys {
			want[k] = last
		}
		batch, keys, size = batch[:0], keys[:0], 0
		return nil
	}
	_, err := s.readSnapshot(f, opt, func(rec operator.Record) error {
		if only != nil && !only[rec.Key] {
			return nil
		}
		key := s.cfg.Prefix + rec.Key
		n := len(key) + len(rec.Value) + opOverhead
		if len(batch) >= s.cfg.MaxTxnOps || size+n > s.cfg.MaxRequestBytes-requestMargin {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, clientv3.OpPut(key, string(rec.Value)))
		keys = append(keys, rec.Key)
		size += n
		return nil
	})
	if err == nil {
		err = flush()
	}
	return last, err
}

// reconcileRestore deletes the keys under the prefix the snapshot does
// not hold, and lists the snapshot's keys someone else wrote after the
// restore did (stale). It returns the last revision it wrote.
func (s *Store) reconcileRestore(ctx context.Context, want map[string]int64) (int, map[string]bool, int64, error) {
	var dels []string
	stale := map[string]bool{}
	present := make(map[string]bool, len(want))
	_, err := s.rangeAll(ctx, func(kvs []*mvccpb.KeyValue) {
		for _, kv := range kvs {
			k := string(kv.Key[len(s.cfg.Prefix):])
			rev, ok := want[k]
			present[k] = ok
			switch {
			case !ok:
				dels = append(dels, string(kv.Key))
			case kv.ModRevision != rev:
				stale[k] = true
			}
		}
	})
	if err != nil {
		return 0, nil, 0, err
	}
	// Keys of the snapshot missing now were deleted by someone else.
	for k := range want {
		if !present[k] {
			stale[k] = true
		}
	}
	deleted := len(dels)
	var last int64
	for len(dels) > 0 {
		n := min(len(dels), s.cfg.MaxTxnOps)
		ops := make([]clientv3.Op, n)
		for i, k := range dels[:n] {
			ops[i] = clientv3.OpDelete(k)
		}
		s.writes.Add(1)
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return 0, nil, 0, fmt.Errorf("delete %d keys: %w", n, err)
		}
		last, dels = resp.Header.Revision, dels[n:]
	}
	return deleted, stale, last, nil
}

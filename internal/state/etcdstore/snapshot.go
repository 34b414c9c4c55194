package etcdstore

import (
	"context"
	"fmt"
	"io"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/operator"
)

// quorumTimeout bounds the first etcd request of a save or a restore:
// without a quorum it fails then instead of hanging.
const quorumTimeout = 1500 * time.Millisecond

// SaveSnapshot writes every key under the store's prefix, read at one
// revision in pages, to w as a snapshot file (package operator) and
// returns its summary. A failed save leaves w without the last line, so
// what was written never reads as a whole snapshot. With stale the reads
// are serializable: the member this store talks to answers from its own
// copy, without a quorum (to rescue the state of a cluster that lost
// it).
func (s *Store) SaveSnapshot(ctx context.Context, w io.Writer, stale bool) (operator.Summary, error) {
	prefix, end := s.cfg.Prefix, clientv3.GetPrefixRangeEnd(s.cfg.Prefix)
	var opts []clientv3.OpOption
	if stale {
		opts = append(opts, clientv3.WithSerializable())
	}
	hctx, cancel := context.WithTimeout(ctx, quorumTimeout)
	head, err := s.cli.Get(hctx, prefix, append(opts, clientv3.WithRange(end), clientv3.WithCountOnly())...)
	cancel()
	if err != nil {
		return operator.Summary{}, fmt.Errorf("etcdstore: snapshot: %w (%w)", operator.ErrNoQuorum, err)
	}
	rev := head.Header.Revision
	sw, err := operator.NewWriter(w, operator.Header{Index: uint64(rev), Time: s.now().UTC(), Prefix: prefix})
	if err != nil {
		return operator.Summary{}, err
	}
	key := prefix
	for {
		resp, err := s.cli.Get(ctx, key, append(opts, clientv3.WithRange(end), clientv3.WithLimit(loadPageSize), clientv3.WithRev(rev))...)
		if err != nil {
			return operator.Summary{}, fmt.Errorf("etcdstore: snapshot at revision %d: %w", rev, err)
		}
		for _, kv := range resp.Kvs {
			if err := sw.Add(string(kv.Key[len(prefix):]), kv.Value); err != nil {
				return operator.Summary{}, err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	return sw.Close()
}

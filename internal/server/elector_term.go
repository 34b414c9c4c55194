package server

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchTermKey ends a leadership term (calls lost) as soon as its
// election key is deleted or created anew. etcd may revoke a lease that is still
// renewed (a member resuming from a freeze revokes the leases it believes
// expired, and other servers then campaign at once), while the session
// learns of it only at its next keepalive, up to a third of the TTL
// later. Writes of the term are refused by its fence either way; this
// makes the deposed server stop leading when the next one starts.
func watchTermKey(ctx context.Context, cli *clientv3.Client, key string, rev int64, lost func()) {
	from := rev + 1
	for ctx.Err() == nil {
		held, next := followTermKey(ctx, cli, key, rev, from)
		if !held {
			lost()
			return
		}
		from = next
		if ctx.Err() != nil {
			return
		}
		// The watch broke (a compaction, a lost connection): read the key,
		// then watch again from the revision read.
		gctx, gcancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := cli.Get(gctx, key)
		gcancel()
		if err == nil {
			if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != rev {
				lost()
				return
			}
			from = resp.Header.Revision + 1
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// followTermKey watches key from revision from until the watch ends; it
// reports false once the key is deleted or created at another revision
// than rev, else the revision to watch from next.
func followTermKey(ctx context.Context, cli *clientv3.Client, key string, rev, from int64) (bool, int64) {
	for resp := range cli.Watch(ctx, key, clientv3.WithRev(from)) {
		if resp.Err() != nil {
			return true, from
		}
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypeDelete || ev.Kv.CreateRevision != rev {
				return false, from
			}
		}
		from = resp.Header.Revision + 1
	}
	return true, from
}

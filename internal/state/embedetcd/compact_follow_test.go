package embedetcd

import (
	"log/slog"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestDefragFollowsCompaction: deletes alone leave the file as it is; a
// compaction made through the cluster (as the leader makes after a large
// garbage collection) that frees most of the file makes the member
// defragment within a check, long before its scheduled look (an hour).
func TestDefragFollowsCompaction(t *testing.T) {
	defer func(min int64, every time.Duration) { defragMinFree, alarmCheckEvery = min, every }(defragMinFree, alarmCheckEvery)
	defragMinFree, alarmCheckEvery = 1<<20, 100*time.Millisecond
	ctx := testCtx(t)
	srv, err := Start(ctx, Config{DataDir: t.TempDir(), UnsafeNoFsync: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := fillAndDelete(t, srv, "fill", 100, 64<<10); err != nil {
		t.Fatal(err)
	}
	const full = 100 * 64 << 10
	time.Sleep(5 * alarmCheckEvery) // several checks: nothing to follow yet
	if size, _, _ := srv.SpaceUsage(); size < full {
		t.Fatalf("file %d bytes before any compaction, want at least %d", size, full)
	}
	cli := client(t, srv)
	resp, err := cli.Get(ctx, "any")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		size, _, _ := srv.SpaceUsage()
		if size < full/2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("file still %d bytes 20 s after a compaction freed most of it", size)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

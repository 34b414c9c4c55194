package embedetcd

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// fillAndDelete puts n values of size bytes under prefix, then deletes
// them all, and returns the error of the first refused put.
func fillAndDelete(t *testing.T, srv *Server, prefix string, n, size int) error {
	t.Helper()
	ctx := testCtx(t)
	cli := client(t, srv)
	value := strings.Repeat("v", size)
	var refused error
	for i := 0; i < n; i++ {
		if _, err := cli.Put(ctx, fmt.Sprintf("%s/%04d", prefix, i), value); err != nil {
			refused = err
			break
		}
	}
	if _, err := cli.Delete(ctx, prefix+"/", clientWithPrefix()...); err != nil {
		t.Fatalf("delete under the alarm: %v", err)
	}
	return refused
}

// TestHousekeepingRecoversFromSpaceAlarm: once what filled the quota is
// deleted, the member's own housekeeping compacts, defragments and
// disarms the alarm, with no call from outside.
func TestHousekeepingRecoversFromSpaceAlarm(t *testing.T) {
	defer func(every time.Duration) { alarmCheckEvery = every }(alarmCheckEvery)
	alarmCheckEvery = 100 * time.Millisecond
	ctx := testCtx(t)
	srv, err := Start(ctx, Config{DataDir: t.TempDir(), UnsafeNoFsync: true, QuotaBackendBytes: 2 << 20,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := fillAndDelete(t, srv, "fill", 1000, 64<<10); err == nil || !strings.Contains(err.Error(), "database space exceeded") {
		t.Fatalf("filling: %v, want etcd's quota error", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.Alarms()) != 0 || srv.WriteBlocked() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("alarm still raised: %v, %v", srv.Alarms(), srv.WriteBlocked())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := client(t, srv).Put(ctx, "after", "ok"); err != nil {
		t.Fatalf("write after the recovery: %v", err)
	}
}

// TestScheduledDefragGivesSpaceBack: with a short interval the member
// defragments by itself once enough of its file is free.
func TestScheduledDefragGivesSpaceBack(t *testing.T) {
	defer func(min int64) { defragMinFree = min }(defragMinFree)
	defragMinFree = 1 << 20
	ctx := testCtx(t)
	srv, err := Start(ctx, Config{DataDir: t.TempDir(), UnsafeNoFsync: true, DefragInterval: 100 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := fillAndDelete(t, srv, "fill", 100, 64<<10); err != nil {
		t.Fatal(err)
	}
	if err := srv.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	// Until compaction the file holds every value written (6.4 MB); a
	// scheduled defragmentation may run at once after it, so the goal is
	// set from what was written, not from a reading that may come late.
	const full = 100 * 64 << 10
	deadline := time.Now().Add(20 * time.Second)
	for {
		size, _, _ := srv.SpaceUsage()
		if size < full/2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("file still %d bytes (was %d) after scheduled defragmentation should have run", size, full)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func clientWithPrefix() []clientv3.OpOption { return []clientv3.OpOption{clientv3.WithPrefix()} }

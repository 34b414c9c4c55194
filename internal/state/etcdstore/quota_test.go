package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/statetest"
)

// TestSpaceQuotaRecovers fills a member with a tiny quota: writes then
// fail at once with the clear ErrNoSpace (never hang), reads go on, the
// member reports the alarm and why writes are refused; purging what
// filled it, then Reclaim (compaction, defragmentation, disarm), lets
// writes through again.
func TestSpaceQuotaRecovers(t *testing.T) {
	ctx := testContext(t)
	srv, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true,
		QuotaBackendBytes: 4 << 20, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := embeddedConfig(srv, newPrefix())
	s := open(t, cfg)

	blob := strings.Repeat("x", 200<<10)
	var filled []state.JobGarbage
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		job := statetest.NewJob(fmt.Sprintf("big-%02d", i))
		job.Meta["blob"] = blob
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, werr = s.RegisterJob(wctx, job, nil, nil)
		cancel()
		if werr == nil {
			j := s.Snapshot().Job("default", job.ID)
			filled = append(filled, state.JobGarbage{Namespace: "default", ID: j.ID, ModifyIndex: j.ModifyIndex})
		}
	}
	if !errors.Is(werr, state.ErrNoSpace) || !strings.Contains(werr.Error(), "etcd space quota exceeded: run wharf system gc") {
		t.Fatalf("write past the quota: %v, want the clear space quota error", werr)
	}
	if len(filled) == 0 {
		t.Fatal("the quota refused the first write: the test proves nothing")
	}
	start := time.Now()
	if _, err := s.UpsertNode(ctx, statetest.NewNode("small")); !errors.Is(err, state.ErrNoSpace) {
		t.Fatalf("small write with the alarm raised: %v, want ErrNoSpace", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("refused write took %s", d)
	}
	waitUntil(t, "the member reports the alarm", func() bool {
		blocked := srv.WriteBlocked()
		return len(srv.Alarms()) == 1 && blocked != nil && strings.Contains(blocked.Error(), "etcd space quota exceeded")
	})
	if a := srv.Alarms()[0]; a.Type != "NOSPACE" || !strings.Contains(a.String(), "wharf system gc") {
		t.Fatalf("alarm = %+v (%s)", a, a)
	}
	if got, err := s.Alarms(ctx); err != nil || len(got) != 1 || !strings.HasPrefix(got[0], "NOSPACE on member ") {
		t.Fatalf("store's alarm list = %v, %v", got, err)
	}
	reader := open(t, cfg) // a server starting now still loads everything
	// Every acknowledged write is there; on a loaded machine a write
	// that timed out may have been applied too, so the stores are
	// compared with each other, not with the count of acknowledgements.
	waitUntil(t, "both stores to hold the same jobs", func() bool {
		got := len(reader.Snapshot().Jobs("*"))
		return got >= len(filled) && got == len(s.Snapshot().Jobs("*"))
	})
	filled = filled[:0]
	for _, j := range s.Snapshot().Jobs("*") {
		filled = append(filled, state.JobGarbage{Namespace: j.Namespace, ID: j.ID, ModifyIndex: j.ModifyIndex})
	}

	if _, err := s.PurgeJobs(ctx, filled); err != nil {
		t.Fatalf("purging under the alarm: %v", err)
	}
	if err := srv.Reclaim(ctx); err != nil {
		t.Fatalf("reclaim: %v", err)
	}
	if len(srv.Alarms()) != 0 {
		t.Fatalf("alarms after reclaim: %v", srv.Alarms())
	}
	if got, err := s.Alarms(ctx); err != nil || len(got) != 0 {
		t.Fatalf("store's alarm list after reclaim = %v, %v", got, err)
	}
	if _, err := s.UpsertNode(ctx, statetest.NewNode("after")); err != nil {
		t.Fatalf("write after reclaim: %v", err)
	}
	waitUntil(t, "writes accepted again", func() bool { return srv.WriteBlocked() == nil })
	size, _, quota := srv.SpaceUsage()
	if size >= quota/2 {
		t.Fatalf("database %d bytes after reclaim, quota %d: defragmentation gave nothing back", size, quota)
	}
	waitUntil(t, "the reader catches up after the compaction", func() bool {
		return len(reader.Snapshot().Jobs("*")) == 0 && len(reader.Snapshot().Nodes()) == 1
	})
}

// TestReclaimWithoutRoomSaysSo: when compaction and defragmentation
// cannot bring the database under its quota, Reclaim says what to do
// and keeps the alarm.
func TestReclaimWithoutRoomSaysSo(t *testing.T) {
	ctx := testContext(t)
	srv, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true,
		QuotaBackendBytes: 2 << 20, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	s := open(t, embeddedConfig(srv, newPrefix()))
	blob := strings.Repeat("y", 16<<10) // small: the file ends up close to the quota
	for i := 0; i < 500; i++ {
		job := statetest.NewJob(fmt.Sprintf("big-%03d", i))
		job.Meta["blob"] = blob
		if _, err := s.RegisterJob(ctx, job, nil, nil); err != nil {
			break
		}
	}
	if len(srv.Alarms()) == 0 {
		t.Fatal("the quota was never reached")
	}
	err = srv.Reclaim(ctx)
	if !errors.Is(err, embedetcd.ErrNoRoom) || !strings.Contains(err.Error(), "etcd.quota_backend_bytes") {
		t.Fatalf("reclaim without room: %v", err)
	}
	if len(srv.Alarms()) == 0 {
		t.Fatal("the alarm was disarmed without room")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package embedetcd

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination safe for the member's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestHousekeepingRetriesAfterADelete: a recovery that ran while the
// data was still there (it found too little room) does not hold the
// next one back for alarmRetryAfter once something is deleted: the
// delete moves the revision and the next check recovers.
func TestHousekeepingRetriesAfterADelete(t *testing.T) {
	defer func(every, after time.Duration) { alarmCheckEvery, alarmRetryAfter = every, after }(alarmCheckEvery, alarmRetryAfter)
	alarmCheckEvery, alarmRetryAfter = 100*time.Millisecond, time.Hour
	ctx := testCtx(t)
	var logs syncBuffer
	srv, err := Start(ctx, Config{DataDir: t.TempDir(), UnsafeNoFsync: true, QuotaBackendBytes: 2 << 20,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli := client(t, srv)
	value := strings.Repeat("v", 64<<10)
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatal("1000 puts of 64 KiB fit a 2 MiB quota")
		}
		if _, err := cli.Put(ctx, fmt.Sprintf("fill/%04d", i), value); err != nil {
			break
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "recovery found too little room") {
		if time.Now().After(deadline) {
			t.Fatalf("no failed recovery logged while the data is there:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := cli.Delete(ctx, "fill/", clientWithPrefix()...); err != nil {
		t.Fatalf("delete under the alarm: %v", err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for len(srv.Alarms()) != 0 || srv.WriteBlocked() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("alarm still raised after the delete: %v, %v", srv.Alarms(), srv.WriteBlocked())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := cli.Put(ctx, "after", "ok"); err != nil {
		t.Fatalf("write after the recovery: %v", err)
	}
}

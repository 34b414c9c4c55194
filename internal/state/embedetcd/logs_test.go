package embedetcd

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestCause(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"write /d/member/snap/db: no space left on device", "ENOSPC"},
		{"open /d/member/wal/x.tmp: read-only file system", "EROFS"},
		{"open /d: permission denied", "not writable"},
		{"accept tcp: too many open files", "EMFILE"},
		{"etcdserver: mvcc: database space exceeded", "NOSPACE alarm"},
		{"something else", "something else"},
	} {
		if got := Cause(tc.text); !strings.Contains(got, tc.want) {
			t.Errorf("Cause(%q) = %q, want it to say %q", tc.text, got, tc.want)
		}
	}
}

// TestFatalIsLoggedWithCause has etcd's logger report a fatal write
// error: the agent's log gets the cause before the process would exit.
func TestFatalIsLoggedWithCause(t *testing.T) {
	var buf bytes.Buffer
	exited := 0
	exit = func(code int) { exited = code }
	t.Cleanup(func() { exit = osExit })
	lg := newLogger(slog.New(slog.NewTextHandler(&buf, nil)), "/data/etcd")
	lg.Warn("slow fdatasync") // debug: not shown
	lg.Error("setting up serving from embedded etcd failed.", zap.Error(errors.New("http: Server closed")))
	lg.Error("setting up serving from embedded etcd failed.", zap.Error(errors.New("accept tcp 127.0.0.1:1: use of closed network connection")))
	lg.Error("failed to apply", zap.Int("index", 7))
	lg.Fatal("failed to commit tx", zap.Error(errors.New("write /data/etcd/member/snap/db: "+syscall.ENOSPC.Error())))
	out := buf.String()
	for _, want := range []string{"etcd: failed to apply", "index=7", "fatal: the embedded etcd member cannot go on",
		"the disk is full (ENOSPC)", "data_dir=/data/etcd"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "slow fdatasync") {
		t.Errorf("a warning was logged above debug:\n%s", out)
	}
	if strings.Contains(out, "setting up serving") {
		t.Errorf("a closed listener on a clean stop was logged above debug:\n%s", out)
	}
	if exited != 1 {
		t.Errorf("exit code %d after a fatal entry, want 1", exited)
	}
}

// TestStartRefusesFullDisk starts a member whose reserve exceeds the free
// space: Start fails naming the full disk, before etcd writes anything.
func TestStartRefusesFullDisk(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(t.Context(), Config{DataDir: dir, DiskReserve: 1 << 60})
	if err == nil || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("Start on a disk under the reserve: %v", err)
	}
}

// TestQuotaAlarmRefusesWrites fills a member with a 1 MiB database quota
// until etcd raises its NOSPACE alarm: WriteBlocked names it, and reads
// are still served.
func TestQuotaAlarmRefusesWrites(t *testing.T) {
	ctx := testCtx(t)
	srv, err := Start(ctx, Config{DataDir: t.TempDir(), UnsafeNoFsync: true, QuotaBackendBytes: 1 << 20,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli := client(t, srv)
	if _, err := cli.Put(ctx, "first", "kept"); err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("x", 64<<10)
	for i := 0; ; i++ {
		if _, err := cli.Put(ctx, fmt.Sprintf("k%d", i), value); err != nil {
			if !strings.Contains(err.Error(), "database space exceeded") {
				t.Fatalf("put %d: %v, want etcd's quota error", i, err)
			}
			break
		}
		if i == 1000 {
			t.Fatal("1000 puts of 64 KiB within a 1 MiB quota")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.WriteBlocked() == nil {
		if time.Now().After(deadline) {
			t.Fatal("WriteBlocked still nil 10 s after etcd's NOSPACE alarm")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := srv.WriteBlocked(); !errors.Is(err, ErrWritesRefused) || !strings.Contains(err.Error(), "NOSPACE alarm") ||
		!strings.Contains(err.Error(), "etcd space quota exceeded") || !strings.Contains(err.Error(), "wharf system gc") {
		t.Errorf("WriteBlocked = %v, want it to name the NOSPACE alarm", err)
	}
	resp, err := cli.Get(ctx, "first")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "kept" {
		t.Errorf("read under the alarm: %v %v", resp, err)
	}
}

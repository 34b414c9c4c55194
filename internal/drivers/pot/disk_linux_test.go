package pot_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
)

// TestEphemeralDiskEnforced: a jail that writes 8 MiB into its rootfs
// and its local dir with an ephemeral_disk of 4 MiB is killed with
// ErrDiskExceeded; one that stays under it keeps running.
func TestEphemeralDiskEnforced(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	o.DiskCheckInterval = 100 * time.Millisecond
	d := pot.New(o)
	url := registry(t)

	under := taskConfig(t, url, map[string]any{"command": "/bin/sh",
		"args": []any{"-c", "'dd if=/dev/zero of=/local/small bs=1024 count=1024; exec sleep 1000'"}})
	under.DiskMB = 4
	if _, err := d.StartTask(ctx(t), under); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(ctx(t), under.ID, true) })

	over := taskConfig(t, url, map[string]any{"command": "/bin/sh",
		"args": []any{"-c", "'dd if=/dev/zero of=/big bs=1024 count=4096; dd if=/dev/zero of=/local/big bs=1024 count=4096; exec sleep 1000'"}})
	over.DiskMB = 4
	if _, err := d.StartTask(ctx(t), over); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(ctx(t), over.ID, true) })
	r := waitExit(t, d, over.ID)
	if !errors.Is(r.Err, pot.ErrDiskExceeded) || !strings.Contains(r.Err.Error(), "over its 4 MiB") {
		t.Fatalf("exit %+v, want ErrDiskExceeded naming the limit", r)
	}
	t.Logf("exit: %v", r.Err)
	time.Sleep(5 * o.DiskCheckInterval) // several checks of the task under its limit
	if st, err := d.InspectTask(ctx(t), under.ID); err != nil || st.State != drivers.TaskStateRunning {
		t.Errorf("the task under its limit: %+v, %v; want running", st, err)
	}
}

// TestEphemeralDiskCountsInodes: empty files hold no blocks, but a jail
// making thousands of them under a 4 MiB ephemeral_disk exhausts the
// host's inodes all the same; each file counts, and the task is stopped.
func TestEphemeralDiskCountsInodes(t *testing.T) {
	needJails(t)
	o := options(t, newTestNet(t))
	o.DiskCheckInterval = 100 * time.Millisecond
	d := pot.New(o)
	cfg := taskConfig(t, registry(t), map[string]any{"command": "/bin/sh",
		"args": []any{"-c", "'i=0; while [ $i -lt 3000 ]; do : > /local/f$i; i=$((i+1)); done; exec sleep 1000'"}})
	cfg.DiskMB = 4
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(ctx(t), cfg.ID, true) })
	done, err := d.WaitTask(ctx(t), cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if !errors.Is(r.Err, pot.ErrDiskExceeded) {
			t.Fatalf("exit %+v, want ErrDiskExceeded", r)
		}
	case <-time.After(20 * time.Second):
		ents, _ := os.ReadDir(filepath.Join(cfg.TaskDir, "local"))
		t.Fatalf("still running with %d empty files in /local under a 4 MiB ephemeral_disk", len(ents))
	}
}

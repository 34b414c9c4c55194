package pot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
)

// DefaultDiskCheckInterval is how often a jail's disk use is measured.
const DefaultDiskCheckInterval = 2 * time.Second

// ErrDiskExceeded is the exit error of a jail stopped for writing more
// than its group's ephemeral_disk.
var ErrDiskExceeded = errors.New("exceeded ephemeral_disk")

// diskWatch measures a jail's writable layer and task directories every
// interval and kills the jail once they hold more than its ephemeral_disk.
// A periodic check (rather than a loop-mounted filesystem per task) works
// on any host filesystem without loop devices or mkfs; a burst of writes
// can overshoot the limit for at most one interval before the jail dies.
type diskWatch struct {
	mu       sync.Mutex
	exceeded error
	cancel   context.CancelFunc
}

// diskPaths are what counts against a jail's ephemeral_disk: the overlay
// upper dir (everything the jail wrote over its image), its task's local
// and secrets dirs and the allocation's shared dir.
func diskPaths(j *jail, taskDir, allocDir string) []string {
	return []string{filepath.Join(j.Dir, "upper"), filepath.Join(taskDir, "local"),
		filepath.Join(taskDir, "secrets"), filepath.Join(allocDir, "alloc")}
}

// startDiskWatch starts watching j when it has a disk limit.
func (d *Driver) startDiskWatch(j *jail) {
	if j.DiskMB <= 0 || len(j.DiskPaths) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &diskWatch{cancel: cancel}
	d.mu.Lock()
	d.disk[j.TaskID] = w
	d.mu.Unlock()
	go d.watchDisk(ctx, j, w)
}

// stopDiskWatch ends the watch of a task, if any.
func (d *Driver) stopDiskWatch(id string) {
	d.mu.Lock()
	w := d.disk[id]
	delete(d.disk, id)
	d.mu.Unlock()
	if w != nil {
		w.cancel()
	}
}

// diskExceeded returns why the task was stopped for its disk use, or nil.
func (d *Driver) diskExceeded(id string) error {
	d.mu.Lock()
	w := d.disk[id]
	d.mu.Unlock()
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.exceeded
}

// watchDisk is the watch loop of one jail.
func (d *Driver) watchDisk(ctx context.Context, j *jail, w *diskWatch) {
	every := d.opts.DiskCheckInterval
	if every <= 0 {
		every = DefaultDiskCheckInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	limit := j.DiskMB << 20
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		used := diskUsage(j.DiskPaths)
		if used <= limit {
			continue
		}
		w.mu.Lock()
		w.exceeded = fmt.Errorf("%w: the task's writable layer and directories hold %d MiB, over its %d MiB",
			ErrDiskExceeded, used>>20, j.DiskMB)
		w.mu.Unlock()
		_ = d.core.Stop(ctx, j.TaskID, 0, "SIGKILL")
		return
	}
}

// inodeCharge is the least an inode counts for: empty files, fast
// symlinks and device nodes hold no blocks but use up the file system's
// inodes, so a task cannot exhaust them under its ephemeral_disk.
const inodeCharge = 4096

// fileID names an inode across file systems.
type fileID struct{ dev, ino uint64 }

// diskUsage is the space the files under paths take on disk (allocated
// blocks: sparse files count what they really use, and every inode at
// least inodeCharge), each inode once.
func diskUsage(paths []string) int64 {
	var total int64
	seen := map[fileID]bool{}
	for _, p := range paths {
		_ = filepath.WalkDir(p, func(_ string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			fi, err := e.Info()
			if err != nil {
				return nil
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				id := fileID{uint64(st.Dev), st.Ino}
				if seen[id] {
					return nil
				}
				seen[id] = true
				total += max(st.Blocks*512, inodeCharge)
			}
			return nil
		})
	}
	return total
}

// withDiskError returns the core's exit channel with ErrDiskExceeded set
// on the result of a jail stopped for its disk use.
func (d *Driver) withDiskError(id string, in <-chan *drivers.ExitResult) <-chan *drivers.ExitResult {
	out := make(chan *drivers.ExitResult, 1)
	go func() {
		defer close(out)
		for r := range in {
			if err := d.diskExceeded(id); err != nil && r != nil && r.Err == nil {
				c := *r
				c.Err = err
				r = &c
			}
			out <- r
		}
	}()
	return out
}

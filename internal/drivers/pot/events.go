package pot

import (
	"fmt"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/image/fetch"
)

// progressEvery is how often download progress becomes a task event.
const progressEvery = time.Second

// progressEvents returns a fetch progress callback that reports the
// download in task events: when it starts, about once a second, and when
// a file is done.
func progressEvents(cfg *drivers.TaskConfig) func(fetch.Progress) {
	var mu sync.Mutex
	var last time.Time
	started := map[string]bool{}
	return func(p fetch.Progress) {
		mu.Lock()
		defer mu.Unlock()
		first := !started[p.File]
		started[p.File] = true
		if !first && !p.Done && time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		cfg.EmitEvent(drivers.EventDownloading, progressText(p))
	}
}

// progressText is e.g. "nginx_1.0.tar.zst: 12.0 MiB of 40.0 MiB (3.1 MiB/s)".
func progressText(p fetch.Progress) string {
	total := "unknown size"
	if p.Total >= 0 {
		total = mib(p.Total)
	}
	if p.Done {
		return fmt.Sprintf("Downloaded %s: %s", p.File, mib(p.Bytes))
	}
	return fmt.Sprintf("Downloading %s: %s of %s (%s/s)", p.File, mib(p.Bytes), total, mib(int64(p.Rate)))
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

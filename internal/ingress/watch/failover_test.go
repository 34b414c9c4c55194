package watch

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// TestFailoverFollowsTheNextServer: the watcher reads through a Failover
// over two servers; the first goes down, and the watcher follows the
// catalog on the second, changes included.
func TestFailoverFollowsTheNextServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, second := newFakeCatalog(), newFakeCatalog()
	for _, c := range []*fakeCatalog{first, second} {
		c.set(reg("a", "web", 8001, ""))
	}
	f := NewFailover(fakeBulk{first}, fakeBulk{second})
	tgt := newFakeTarget()
	w, _ := runWatcher(ctx, f, tgt, Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	<-w.Synced()
	if f.Current() != 0 {
		t.Fatalf("reads go to server %d before any failure, want 0", f.Current())
	}

	first.setDown(true)
	second.set(reg("b", "web", 8002, ""))
	waitConfig(t, tgt, "the change on the second server", hasServers("web", "http://127.0.0.1:8001", "http://127.0.0.1:8002"))
	if f.Current() != 1 {
		t.Errorf("reads go to server %d after the first failed, want 1", f.Current())
	}
	second.remove("a")
	waitConfig(t, tgt, "a removal on the second server", hasServers("web", "http://127.0.0.1:8002"))
}

// TestFailoverWrapsAround: after the last server fails, reads go back to
// the first.
func TestFailoverWrapsAround(t *testing.T) {
	first, second := newFakeCatalog(), newFakeCatalog()
	f := NewFailover(fakeBulk{first}, fakeBulk{second})
	second.setDown(true)
	first.setDown(true)
	for _, want := range []int{1, 0, 1} {
		f.List(&api.QueryOptions{})
		if f.Current() != want {
			t.Fatalf("after a failed read: server %d, want %d", f.Current(), want)
		}
	}
	first.setDown(false)
	second.setDown(false)
	if _, _, err := f.List(&api.QueryOptions{}); err != nil || f.Current() != 1 {
		t.Errorf("a good read moved or failed: server %d, %v", f.Current(), err)
	}
}

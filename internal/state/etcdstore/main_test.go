package etcdstore

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
)

// sharedEtcd is one embedded etcd for the tests that need no etcd of
// their own; each store gets its own key prefix.
var sharedEtcd *embedetcd.Server

func TestMain(m *testing.M) {
	os.Exit(runWithEtcd(m))
}

func runWithEtcd(m *testing.M) int {
	dir, err := os.MkdirTemp("", "etcdstore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sharedEtcd, err = embedetcd.Start(ctx, embedetcd.Config{DataDir: dir, UnsafeNoFsync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sharedEtcd.Close()
	return m.Run()
}

// SharedEtcd gives the external tests the shared member.
func SharedEtcd() *embedetcd.Server { return sharedEtcd }

var prefixes atomic.Int64

// NewTestPrefix returns a key prefix no other store of this test binary
// uses.
func NewTestPrefix() string {
	return fmt.Sprintf("/wharftest/%d/", prefixes.Add(1))
}

package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/operator"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/structs"
)

// getSnapshot downloads a snapshot from ts.
func getSnapshot(t *testing.T, ts *testServer) []byte {
	t.Helper()
	resp, err := http.Get(ts.http.URL + "/v1/operator/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/gzip" {
		t.Fatalf("GET snapshot: %d %s", resp.StatusCode, data)
	}
	return data
}

// TestSnapshotOverHTTP: a snapshot taken from one server and restored
// into another brings back the job, its allocations and the node; the
// leader's work is rebuilt afterwards (it leads again and schedules).
func TestSnapshotOverHTTP(t *testing.T) {
	src := newEtcdServer(t)
	node := fakeNode("n1", "dc1", "mock")
	src.registerNode(node)
	job := testJob("web", 2, "mock")
	src.register(job)
	src.waitFor("placement", func() bool { return len(src.liveAllocs("web")) == job.TaskGroups[0].Count })
	data := getSnapshot(t, src.testServer)
	sm, err := operator.Read(bytes.NewReader(data), operator.ReadOptions{}, func(operator.Record) error { return nil })
	if err != nil || sm.Tables["allocs"] != job.TaskGroups[0].Count || sm.Tables["nodes"] != 1 {
		t.Fatalf("snapshot %+v %v", sm, err)
	}

	dst := newEtcdServer(t)
	var res operator.RestoreResult
	dst.mustDo("PUT", "/v1/operator/snapshot", data, &res)
	if res.Snapshot.Keys != sm.Keys || res.Index == 0 {
		t.Fatalf("restore answered %+v", res)
	}
	if got := dst.liveAllocs("web"); len(got) != job.TaskGroups[0].Count {
		t.Fatalf("%d allocations after the restore", len(got))
	}
	var n structs.Node
	dst.mustDo("GET", "/v1/node/"+node.ID, nil, &n)
	dst.waitFor("leadership after the restore", dst.srv.isLeader)
	// The rebuilt leader schedules: a scale-up is placed.
	job2 := testJob("web", 2, "mock")
	job2.TaskGroups[0].Count++
	dst.register(job2)
	dst.waitFor("placement after the restore", func() bool { return len(dst.liveAllocs("web")) == job2.TaskGroups[0].Count })
}

// TestSnapshotRestoreRefusesBadFiles: foreign, truncated, empty and
// oversized uploads are refused with 4xx and a reason, and the state
// stays as it was.
func TestSnapshotRestoreRefusesBadFiles(t *testing.T) {
	ts := newEtcdServer(t)
	ts.registerNode(fakeNode("n1", "dc1", "mock"))
	good := getSnapshot(t, ts.testServer)
	ts.register(testJob("keep", 1, "mock"))
	cases := []struct {
		name string
		body []byte
		code int
		want string
	}{
		{"empty", nil, http.StatusBadRequest, "empty"},
		{"foreign", []byte(`{"Job":{}}`), http.StatusBadRequest, "not a wharf snapshot"},
		{"truncated", good[:len(good)/2], http.StatusBadRequest, "corrupt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := ts.do("PUT", "/v1/operator/snapshot", c.body, nil)
			if code != c.code || !strings.Contains(body, c.want) || !strings.Contains(body, "nothing restored") && c.body != nil {
				t.Fatalf("%d %q, want %d naming %q", code, body, c.code, c.want)
			}
			if code, _ := ts.do("GET", "/v1/job/keep", nil, nil); code != http.StatusOK {
				t.Fatal("a refused restore changed the state")
			}
		})
	}
}

func TestSnapshotOnMemoryStoreIsNotImplemented(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, m := range []string{"GET", "PUT"} {
		if code, body := ts.do(m, "/v1/operator/snapshot", "x", nil); code != http.StatusNotImplemented {
			t.Errorf("%s: %d %s", m, code, body)
		}
	}
}

// TestRestoreLockPausesLeaderWork: while the restore lock is held the
// leader does no leader work; once released it leads again.
func TestRestoreLockPausesLeaderWork(t *testing.T) {
	ts := newEtcdServer(t)
	cli := ts.store.Client()
	ctx := context.Background()
	lease, err := cli.Grant(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, etcdstore.RestoreLockKey(etcdstore.DefaultPrefix), "x", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	ts.waitFor("leader work to stop", func() bool { return !ts.srv.isLeader() })
	if _, err := cli.Revoke(ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	ts.waitFor("leader work to start again", ts.srv.isLeader)
}

// TestRestoreErrorStatus: each kind of refused restore gets the status
// that fits; a store failure stays a 500.
func TestRestoreErrorStatus(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{fmt.Errorf("x: %w", operator.ErrTooLarge), http.StatusRequestEntityTooLarge},
		{fmt.Errorf("x: %w", operator.ErrCorrupt), http.StatusBadRequest},
		{fmt.Errorf("x: %w", operator.ErrNotSnapshot), http.StatusBadRequest},
		{fmt.Errorf("x: %w", operator.ErrVersion), http.StatusBadRequest},
		{&operator.ErrLine{Line: 3, Err: fmt.Errorf("%w: key", operator.ErrInvalid)}, http.StatusBadRequest},
		{fmt.Errorf("x: %w", operator.ErrRestoreRunning), http.StatusConflict},
		{fmt.Errorf("x: %w", operator.ErrNoQuorum), http.StatusServiceUnavailable},
		{errors.New("etcd exploded"), http.StatusInternalServerError},
	}
	for _, c := range cases {
		var he *httpError
		code := http.StatusInternalServerError
		if errors.As(restoreError(c.err), &he) {
			code = he.Code
		}
		if code != c.code {
			t.Errorf("%v: %d, want %d", c.err, code, c.code)
		}
	}
}

// TestSnapshotWithNomadClient: Nomad's official client saves a snapshot
// (checking the Digest header) and restores it into another server.
func TestSnapshotWithNomadClient(t *testing.T) {
	src := newEtcdServer(t)
	src.registerNode(fakeNode("n1", "dc1", "mock"))
	src.register(testJob("web", 1, "mock"))
	c, err := nomad.NewClient(&nomad.Config{Address: src.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.Operator().Snapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("read the snapshot (digest checked): %v", err)
	}
	dst := newEtcdServer(t)
	dc, err := nomad.NewClient(&nomad.Config{Address: dst.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Operator().SnapshotRestore(bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	if job, _, err := dc.Jobs().Info("web", nil); err != nil || *job.ID != "web" {
		t.Fatalf("job after a restore through Nomad's client: %v %v", job, err)
	}
}

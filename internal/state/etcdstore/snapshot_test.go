package etcdstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/operator"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
	"github.com/wharf-project/wharf/internal/state/statetest"
	"github.com/wharf-project/wharf/internal/structs"
)

// populateAll is populate plus a service registration and ACL objects.
func populateAll(t *testing.T, s state.Store) {
	t.Helper()
	ctx := testContext(t)
	populate(t, s)
	a := s.Snapshot().Allocs()[0]
	if _, err := s.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{
		statetest.NewServiceRegistration("web", a.NodeID, a.ID, 8080)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertACLPolicies(ctx, []*structs.ACLPolicy{{Name: "readers", Rules: `node { policy = "read" }`}}); err != nil {
		t.Fatal(err)
	}
	tok := &structs.ACLToken{AccessorID: structs.GenerateUUID(), SecretHash: structs.HashSecret("s3cret"),
		Name: "root", Type: structs.ACLManagementToken}
	if _, err := s.BootstrapACL(ctx, tok); err != nil {
		t.Fatal(err)
	}
}

// save writes s's snapshot to a file and returns its path and summary.
func save(t *testing.T, s *etcdstore.Store) (string, operator.Summary) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sm, err := s.SaveSnapshot(testContext(t), f, false)
	if err != nil {
		t.Fatal(err)
	}
	return path, sm
}

// records lists a snapshot file's keys and values.
func records(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if _, err := operator.Read(bytes.NewReader(data), operator.ReadOptions{}, func(r operator.Record) error {
		out[r.Key] = string(r.Value)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func restore(t *testing.T, s *etcdstore.Store, path string) (operator.RestoreResult, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return s.RestoreSnapshot(testContext(t), f, operator.ReadOptions{})
}

// TestSnapshotRestoresEverything: a snapshot of one store restored into
// another (which held other objects) leaves it with exactly the same
// keys and values (and every table's delete marker), and its in-memory index serves every object: jobs and
// versions, allocations, evaluations, nodes, services, ACL policies,
// tokens and the bootstrap.
func TestSnapshotRestoresEverything(t *testing.T) {
	a := open(t, embeddedConfig(shared(), newPrefix()))
	populateAll(t, a)
	path, sm := save(t, a)
	if sm.Keys < 15 || sm.Tables["allocs"] != 3 || sm.Tables["acl_tokens"] != 1 || sm.Index == 0 {
		t.Fatalf("summary %+v", sm)
	}

	b := open(t, embeddedConfig(shared(), newPrefix()))
	populate(t, b) // other objects, which the restore must remove
	_, err := b.RegisterJob(testContext(t), statetest.NewJob("only-in-b"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := restore(t, b, path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshot.Keys != sm.Keys || res.Deleted == 0 || res.Index == 0 {
		t.Fatalf("restore result %+v", res)
	}
	back, _ := save(t, b)
	want, got := records(t, path), records(t, back)
	// The restore puts every table's delete marker (its values are
	// empty); the rest is exactly the snapshot.
	for _, tb := range allTables {
		k := "deletes/" + string(tb)
		if v, ok := got[k]; !ok || v != "" {
			t.Errorf("no delete marker %s after the restore", k)
		}
		delete(got, k)
		delete(want, k)
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys after restore, snapshot has %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q after restore, snapshot has %q", k, got[k], v)
		}
	}
	sa, sb := a.Snapshot(), b.Snapshot()
	if sb.Job("default", "only-in-b") != nil {
		t.Error("a job the snapshot does not hold survived the restore")
	}
	counts := func(s state.Snapshot) string {
		return fmt.Sprintf("jobs %d versions %d evals %d allocs %d nodes %d services %d policies %d tokens %d boot %t",
			len(s.Jobs("*")), len(s.JobVersions("default", "web")), len(s.Evals()), len(s.Allocs()), len(s.Nodes()),
			len(s.ServiceRegistrations()), len(s.ACLPolicies()), len(s.ACLTokens()), s.ACLBootstrapIndex() > 0)
	}
	if counts(sa) != counts(sb) {
		t.Fatalf("after restore: %s\nsnapshot of: %s", counts(sb), counts(sa))
	}
	if tok := sb.ACLTokenBySecretHash(structs.HashSecret("s3cret")); tok == nil || tok.Name != "root" {
		t.Fatalf("the management token did not come back: %+v", tok)
	}
	for _, al := range sa.Allocs() {
		got := sb.Alloc(al.ID)
		if got == nil || got.ClientStatus != al.ClientStatus || got.DesiredStatus != al.DesiredStatus || got.NodeID != al.NodeID {
			t.Errorf("alloc %s: %+v, want %+v", al.ID, got, al)
		}
	}
	// A second store on the same keys (another server) loads the same.
	c := open(t, embeddedConfig(shared(), sbPrefix(t, b)))
	if counts(c.Snapshot()) != counts(sb) {
		t.Fatalf("a server opened after the restore sees %s", counts(c.Snapshot()))
	}
}

// sbPrefix finds the prefix of b's keys from a snapshot of it.
func sbPrefix(t *testing.T, b *etcdstore.Store) string {
	t.Helper()
	var buf bytes.Buffer
	sm, err := b.SaveSnapshot(testContext(t), &buf, true)
	if err != nil {
		t.Fatal(err)
	}
	return sm.Prefix
}

// TestRestoreRefusesBadSnapshotsWithoutWriting: files that are foreign,
// damaged, or hold keys and values the store could not load are refused
// with an error that says why, and the store is left exactly as it was.
func TestRestoreRefusesBadSnapshotsWithoutWriting(t *testing.T) {
	a := open(t, embeddedConfig(shared(), newPrefix()))
	populateAll(t, a)
	good, _ := save(t, a)
	goodData, _ := os.ReadFile(good)
	recs := records(t, good)
	var allocKey, jobKey string
	for k := range recs {
		switch operator.Table(k) {
		case "allocs":
			allocKey = k
		case "jobs":
			jobKey = k
		}
	}
	craft := func(mutate func(k, v string) (string, string)) []byte {
		var buf bytes.Buffer
		w, _ := operator.NewWriter(&buf, operator.Header{Index: 9})
		keys := make([]string, 0, len(recs))
		for k := range recs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			nk, nv := mutate(k, recs[k])
			if nk == "" {
				continue
			}
			if err := w.Add(nk, []byte(nv)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"foreign", []byte("SQLite format 3\x00"), "not a wharf snapshot"},
		{"truncated", goodData[:len(goodData)*2/3], "corrupt"},
		{"key outside the layout", craft(func(k, v string) (string, string) {
			if k == jobKey {
				return k + "/../../x", v
			}
			return k, v
		}), "not in the layout"},
		{"value that is not an object", craft(func(k, v string) (string, string) {
			if k == allocKey {
				return k, "[1,2"
			}
			return k, v
		}), "decode"},
		{"value of another object", craft(func(k, v string) (string, string) {
			if k == allocKey {
				return k, strings.Replace(v, `"ID":"`, `"ID":"x`, 1)
			}
			return k, v
		}), "holds the object of key"},
	}
	b := open(t, embeddedConfig(shared(), newPrefix()))
	populate(t, b)
	before, _ := save(t, b)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := restore(t, b, path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("restore: %v, want an error naming %q", err, c.want)
			}
			after, _ := save(t, b)
			if fmt.Sprint(records(t, after)) != fmt.Sprint(records(t, before)) {
				t.Fatal("a refused restore changed the store")
			}
		})
	}
}

// TestRestorePausesLeaders: WaitRestore sees a restore start and end, and
// a second restore while one holds the lock is refused.
func TestRestorePausesLeaders(t *testing.T) {
	a := open(t, embeddedConfig(shared(), newPrefix()))
	populate(t, a)
	path, _ := save(t, a)
	b := open(t, embeddedConfig(shared(), newPrefix()))
	ctx, cancel := context.WithTimeout(testContext(t), 20*time.Second)
	defer cancel()
	if err := b.WaitRestore(ctx, false); err != nil {
		t.Fatalf("no restore runs, yet: %v", err)
	}
	started := make(chan error, 1)
	go func() { started <- b.WaitRestore(ctx, true) }()
	if _, err := restore(t, b, path); err != nil {
		t.Fatal(err)
	}
	if err := <-started; err != nil {
		t.Fatalf("the restore was not seen: %v", err)
	}
	if err := b.WaitRestore(ctx, false); err != nil {
		t.Fatalf("the restore's end was not seen: %v", err)
	}
	// Hold the lock as a running restore would.
	cli := b.Client()
	lease, err := cli.Grant(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Revoke(context.Background(), lease.ID)
	if _, err := cli.Put(ctx, etcdstore.RestoreLockKey(sbPrefix(t, b)), "x", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := restore(t, b, path); !errors.Is(err, operator.ErrRestoreRunning) {
		t.Fatalf("a second restore: %v", err)
	}
}

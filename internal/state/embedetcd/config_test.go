package embedetcd

import "testing"

// TestBuildConfigBoundsTheRaftLog proves that the member keeps fewer raft
// entries in memory for catching up than etcd's default, and that its
// limits and quota are passed on.
func TestBuildConfigBoundsTheRaftLog(t *testing.T) {
	ec, err := buildConfig(&Config{DataDir: t.TempDir(), QuotaBackendBytes: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if ec.SnapshotCatchUpEntries != SnapshotCatchUpEntries || SnapshotCatchUpEntries >= 5000 {
		t.Errorf("SnapshotCatchUpEntries = %d, want %d", ec.SnapshotCatchUpEntries, SnapshotCatchUpEntries)
	}
	if ec.QuotaBackendBytes != 8<<30 || ec.MaxTxnOps != DefaultMaxTxnOps || ec.MaxRequestBytes != DefaultMaxRequestBytes {
		t.Errorf("quota %d, txn ops %d, request bytes %d", ec.QuotaBackendBytes, ec.MaxTxnOps, ec.MaxRequestBytes)
	}
}

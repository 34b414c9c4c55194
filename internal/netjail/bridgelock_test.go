//go:build linux || freebsd

package netjail

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// holdLock takes bridge's lock as another agent would: through its own
// open file, which flock tells apart from this package's.
func holdLock(t *testing.T, bridge string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(LockDir, bridge+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

func TestClaimBridge(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		held                  []string
		bridge, table         string
		wantBridge, wantTable string
		wantErr               string
	}{
		{name: "defaults, free", wantBridge: "wharf0", wantTable: "wharf"},
		{name: "default held by another agent", held: []string{"wharf0"}, wantBridge: "wharf1", wantTable: "wharf1"},
		{name: "two held", held: []string{"wharf0", "wharf1"}, wantBridge: "wharf2", wantTable: "wharf2"},
		{name: "a configured table is kept", held: []string{"wharf0"}, table: "mine", wantBridge: "wharf1", wantTable: "mine"},
		{name: "a configured bridge, free", bridge: "br-x", wantBridge: "br-x", wantTable: "wharf"},
		{name: "a configured bridge held", held: []string{"wharf0"}, bridge: "wharf0",
			wantErr: "held by another running agent on this host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			LockDir = t.TempDir()
			for _, h := range tc.held {
				holdLock(t, h)
			}
			b, tb, err := ClaimBridge(tc.bridge, tc.table)
			t.Cleanup(func() { ReleaseBridge(b) })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "client.pot.bridge") {
					t.Fatalf("ClaimBridge = %q %q %v, want an error with %q", b, tb, err, tc.wantErr)
				}
				return
			}
			if err != nil || b != tc.wantBridge || tb != tc.wantTable {
				t.Fatalf("ClaimBridge = %q %q %v, want %q %q", b, tb, err, tc.wantBridge, tc.wantTable)
			}
			// Held now: another agent (another open file) cannot take it.
			f, _ := os.OpenFile(lockPath(b), os.O_RDWR, 0)
			defer f.Close()
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
				t.Fatalf("%s is not locked", b)
			}
		})
	}
}

package netjail

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// LockDir holds one lock file per jail bridge in use on the host
// ("<bridge>.lock"): an agent holds its bridge's for as long as it runs.
var LockDir = "/run/wharf"

// maxAutoBridges bounds the default bridges tried: wharf0 to wharf63.
const maxAutoBridges = 64

// ErrBridgeInUse: another running agent on this host holds the bridge.
var ErrBridgeInUse = errors.New("held by another running agent on this host")

// held keeps the lock files this process holds open (closing one, or the
// process ending, releases its lock).
var held = struct {
	sync.Mutex
	files map[string]*os.File
}{files: map[string]*os.File{}}

// ClaimBridge takes the host-wide lock of the agent's jail bridge, so
// that two agents on one host never share a bridge and its nftables
// table (one would flush and prune the other's jails). bridge and table
// are the configured names ("" for the defaults). A configured bridge
// held by another running agent is an error naming it and the setting;
// with the default bridge the first of wharf0, wharf1, ... that no
// running agent holds is taken, and the table (when not configured) is
// named after it ("wharf" for wharf0, else the bridge's name). When the
// lock directory cannot be made (an agent without root, which runs no
// jails), the names are returned unlocked.
func ClaimBridge(bridge, table string) (string, string, error) {
	if bridge != "" {
		if err := lockBridge(bridge); err != nil {
			return "", "", fmt.Errorf("bridge %q: %w (%s); set client.pot.bridge (and nft_table) to another name",
				bridge, err, lockPath(bridge))
		}
		return bridge, orDefaultTable(table), nil
	}
	for i := range maxAutoBridges {
		name := "wharf" + strconv.Itoa(i)
		err := lockBridge(name)
		if errors.Is(err, ErrBridgeInUse) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("bridge %q: %w", name, err)
		}
		if table == "" && i > 0 {
			table = name
		}
		return name, orDefaultTable(table), nil
	}
	return "", "", fmt.Errorf("bridges wharf0 to wharf%d are all %v; set client.pot.bridge", maxAutoBridges-1, ErrBridgeInUse)
}

// orDefaultTable is table, or DefaultTable.
func orDefaultTable(table string) string {
	if table == "" {
		return DefaultTable
	}
	return table
}

// lockPath is the lock file of bridge.
func lockPath(bridge string) string { return filepath.Join(LockDir, bridge+".lock") }

// lockBridge takes bridge's lock for this process (again is a no-op):
// ErrBridgeInUse when another process holds it; nil without a lock when
// the lock directory cannot be made.
func lockBridge(bridge string) error {
	held.Lock()
	defer held.Unlock()
	if held.files[bridge] != nil {
		return nil
	}
	if err := os.MkdirAll(LockDir, 0o755); err != nil {
		return nil // no lock directory (not root): nothing to share a bridge with
	}
	f, err := os.OpenFile(lockPath(bridge), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil
	}
	if err := flockExclusive(f); err != nil {
		f.Close()
		return err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	held.files[bridge] = f
	return nil
}

// ReleaseBridge gives up this process's lock of bridge (tests, and an
// agent that stops its client).
func ReleaseBridge(bridge string) {
	held.Lock()
	defer held.Unlock()
	if f := held.files[bridge]; f != nil {
		f.Close()
		delete(held.files, bridge)
	}
}

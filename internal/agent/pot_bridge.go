package agent

import (
	"fmt"

	"github.com/wharf-project/wharf/internal/netjail"
)

// claimBridge takes the host-wide lock of the client's jail bridge
// (netjail.ClaimBridge): a second agent on the host with the default
// settings gets wharf1 (and table wharf1) instead of sharing wharf0 with
// the first; a configured bridge another agent holds is refused. A
// client whose pot driver is off claims nothing.
func (a *Agent) claimBridge(pc *PotConfig) (bridge, table string, err error) {
	if pc.Disabled {
		return pc.Bridge, pc.NFTTable, nil
	}
	bridge, table, err = netjail.ClaimBridge(pc.Bridge, pc.NFTTable)
	if err != nil {
		return "", "", fmt.Errorf("client.pot.bridge: %w", err)
	}
	if pc.Bridge == "" && bridge != netjail.DefaultBridge {
		a.log.Info("jail bridge wharf0 is held by another agent on this host: using another", "bridge", bridge, "nft_table", table)
	}
	return bridge, table, nil
}

package pot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/supervise"
)

// networkFile records, in DataDir, the jail network an agent chose by
// itself, so a restarted agent keeps its jails' leases on the same range.
const networkFile = "network.json"

// chosenNetwork is networkFile's content.
type chosenNetwork struct {
	CIDR string `json:"cidr"`
}

// chooseNetwork returns the jail network. A configured one (o.CIDR) is
// checked against the host's routes, addresses and resolvers and refused
// on overlap. Without one, the range chosen earlier on this data dir is
// kept while it is still free, else the first free candidate is chosen
// and recorded; picked is then true.
func chooseNetwork(o Options, host netjail.HostNet) (cidr string, picked bool, err error) {
	if o.CIDR != "" {
		return o.CIDR, false, host.Check(o.CIDR)
	}
	path := filepath.Join(o.DataDir, networkFile)
	var prev chosenNetwork
	err = supervise.ReadJSON(path, &prev)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", true, fmt.Errorf("pot: read %s: %w", path, err)
	}
	if prev.CIDR != "" && host.Check(prev.CIDR) == nil {
		return prev.CIDR, true, nil
	}
	cidr, err = host.PickFree(netjail.Candidates())
	if err != nil {
		return "", true, err
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return "", true, fmt.Errorf("pot: data dir: %w", err)
	}
	if err := supervise.WriteJSON(path, chosenNetwork{CIDR: cidr}); err != nil {
		return "", true, fmt.Errorf("pot: record the jail network: %w", err)
	}
	return cidr, true, nil
}

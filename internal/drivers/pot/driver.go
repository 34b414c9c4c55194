package pot

import (
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-project/wharf/internal/image/fetch"
	"github.com/wharf-project/wharf/internal/netjail"
	"github.com/wharf-project/wharf/internal/structs"
)

// Name is the driver name jobs use.
const Name = "pot"

// Fingerprint attributes beyond "driver.pot".
const (
	// AttrRuntime is the OCI runtime and its version, e.g. "runc 1.1.5".
	AttrRuntime = "driver.pot.runtime"
	// AttrNetwork describes the jail network, e.g. "wharf0 10.192.0.0/10".
	AttrNetwork = "driver.pot.network"
)

// DefaultCIDR is pot's default jail network. wharf does not take it
// whole: without a configured network an agent picks a free /16 inside it
// (netjail.Candidates), as the whole range shadows resolvers in 10.x.
const DefaultCIDR = "10.192.0.0/10"

// Options configure a Driver.
type Options struct {
	// Enabled: a disabled driver fingerprints as unhealthy and refuses
	// tasks.
	Enabled bool
	// DataDir holds the IP leases and one directory per task (bundle,
	// overlay upper and work dirs, jail record). It must survive agent
	// restarts. Default: the temp dir's "wharf-pot-data".
	DataDir string
	// StateDir holds the supervisors' state directories (short: unix
	// socket paths). Default: the temp dir's "wharf-pot".
	StateDir string
	// Cache is the node's image cache; nil makes one in DataDir/images.
	Cache *fetch.Cache
	// RuncPath is the runtime binary; default "runc" from PATH.
	RuncPath string
	// RuncRoot is runc's state directory; default DataDir/runc, so each
	// agent sees only its own containers.
	RuncRoot string
	// Bridge, CIDR and NFTTable name the jail network; defaults wharf0,
	// a free range picked at start (and kept for the data dir) and the
	// table "wharf". A configured CIDR overlapping the host's routes,
	// addresses or resolvers is refused.
	Bridge   string
	CIDR     string
	NFTTable string
	// HostVolumes are the node's host volumes: the only host paths a
	// jail's mount, mount_read_only and copy entries may name.
	HostVolumes map[string]*structs.ClientHostVolumeConfig
	// AllowHostNetwork lets jails use network_mode = "host": the host's
	// network stack, where the agent's ports and every host address are
	// in reach and the guard rules do not apply. Off by default.
	AllowHostNetwork bool
	// DiskCheckInterval is how often a jail's disk use is compared with
	// its ephemeral_disk (DefaultDiskCheckInterval when zero).
	DiskCheckInterval time.Duration
	// Guard closes the agent's ports to jails and sets the egress policy.
	Guard netjail.Guard
	// ResolvConf is the host's resolver file the jail network must not
	// shadow; default /etc/resolv.conf.
	ResolvConf string
	// SupervisorCommand runs the supervisor (default: this binary and
	// "supervise").
	SupervisorCommand []string
	// CPUTotalMHz and CPUCores describe the node, to turn MHz into cpu
	// shares.
	CPUTotalMHz int64
	CPUCores    int64
}

// withDefaults fills in the defaults.
func (o Options) withDefaults() Options {
	if o.DataDir == "" {
		o.DataDir = filepath.Join(os.TempDir(), "wharf-pot-data")
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(os.TempDir(), "wharf-pot")
	}
	if o.RuncPath == "" {
		o.RuncPath = "runc"
	}
	if o.RuncRoot == "" {
		o.RuncRoot = filepath.Join(o.DataDir, "runc")
	}
	if o.Bridge == "" {
		o.Bridge = netjail.DefaultBridge
	}
	if o.NFTTable == "" {
		o.NFTTable = netjail.DefaultTable
	}
	return o
}

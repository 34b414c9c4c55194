package client

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// Defaults of the Config knobs.
const (
	DefaultUpdateInterval      = 50 * time.Millisecond
	DefaultFingerprintInterval = 30 * time.Second
	DefaultRetryMin            = time.Second
	DefaultRetryMax            = 30 * time.Second
	DefaultBlockingWait        = 5 * time.Minute
	DefaultGCMaxAllocs         = 50
	DefaultDatacenter          = "dc1"
	DefaultNodePool            = "default"
	// DefaultNomadVersion is the nomad.version attribute: the Nomad
	// release whose API wharf speaks, for jobs that constrain on it.
	DefaultNomadVersion = "1.10.0"
)

// Config configures a client agent.
type Config struct {
	// Servers are the API addresses of the servers (host:port or URLs).
	Servers []string
	// DataDir holds the client's state and allocation directories.
	DataDir string
	// NodeName defaults to the host name.
	NodeName string
	// Datacenter defaults to "dc1".
	Datacenter string
	NodeClass  string
	// NodePool defaults to "default".
	NodePool string
	Meta     map[string]string
	// HostVolumes are the host directories the operator declared; the
	// node advertises them and they are the only host paths a job may
	// mount.
	HostVolumes map[string]*structs.ClientHostVolumeConfig
	// Drivers are the task drivers this node offers.
	Drivers []drivers.Driver
	// HTTPAddr is what the node advertises as its HTTP address.
	HTTPAddr string
	// Region defaults to "global".
	Region string
	// Token is an ACL token sent to the servers; with ACLs on, a node
	// registers for the first time only with a token that has node write
	// (later it proves itself with its node secret).
	Token string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// NetworkInterface, when set, is the interface whose IPv4 address the
	// node advertises (else the default route's).
	NetworkInterface string
	// Version is wharf's version (attribute wharf.version); default "dev".
	Version string
	// NomadVersion is the nomad.version attribute; default
	// DefaultNomadVersion.
	NomadVersion string
	// HostEnv is the base of every task's environment; nil means the
	// agent's own environment without the secrets in DefaultEnvDenylist.
	HostEnv map[string]string
	// HTTPClient sends API requests; nil means a plain http.Client.
	HTTPClient *http.Client

	// UpdateInterval is how long status changes are gathered before they
	// are sent in one request.
	UpdateInterval time.Duration
	// FingerprintInterval is how often drivers are fingerprinted again.
	FingerprintInterval time.Duration
	// RetryMin and RetryMax bound the backoff when no server answers.
	RetryMin, RetryMax time.Duration
	// BlockingWait bounds each blocking query on the node's allocations.
	BlockingWait time.Duration
	// GCMaxAllocs is how many terminal allocation directories are kept.
	GCMaxAllocs int
	// ServiceRefreshInterval is how often the node's service
	// registrations are compared with the servers' copy; default
	// services.DefaultRefreshInterval (5 min).
	ServiceRefreshInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	setDefault(&c.Datacenter, DefaultDatacenter)
	setDefault(&c.NodePool, DefaultNodePool)
	setDefault(&c.Region, structs.DefaultRegion)
	setDefault(&c.Version, "dev")
	setDefault(&c.NomadVersion, DefaultNomadVersion)
	setDuration(&c.UpdateInterval, DefaultUpdateInterval)
	setDuration(&c.FingerprintInterval, DefaultFingerprintInterval)
	setDuration(&c.RetryMin, DefaultRetryMin)
	setDuration(&c.RetryMax, DefaultRetryMax)
	setDuration(&c.BlockingWait, DefaultBlockingWait)
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.GCMaxAllocs <= 0 {
		c.GCMaxAllocs = DefaultGCMaxAllocs
	}
	if c.HostEnv == nil {
		c.HostEnv = HostEnv(os.Environ(), DefaultEnvDenylist)
	}
}

func (c *Config) validate() error {
	var errs []error
	if len(c.Servers) == 0 {
		errs = append(errs, errors.New("no servers to register with"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("no data dir"))
	}
	names := map[string]bool{}
	for i, d := range c.Drivers {
		switch {
		case d == nil:
			errs = append(errs, fmt.Errorf("driver %d is nil", i))
		case names[d.Name()]:
			errs = append(errs, fmt.Errorf("driver %q given twice", d.Name()))
		default:
			names[d.Name()] = true
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("client config: %w", errors.Join(errs...))
	}
	return nil
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

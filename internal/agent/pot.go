package agent

import (
	"fmt"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/image/fetch"
)

// potDriver makes the client's pot driver from the client's pot block:
// its data under <data_dir>/pot, a shared image cache, trusted keys.
func (a *Agent) potDriver() (*pot.Driver, error) {
	pc := a.cfg.PotConfig()
	dataDir := filepath.Join(a.cfg.DataDir, "pot")
	cc := fetch.Config{Dir: filepath.Join(dataDir, "images"), Logger: a.log.With("role", "images")}
	cc.ProgressDeadline, _ = parseDuration(pc.ProgressDeadline)
	if cl, err := a.cfg.ConnLimits(); err == nil {
		cc.MaxUnpackedBytes = cl.ImageMaxUnpacked // limits.image_max_unpacked
	}
	if a.cfg.TLSEnabled() {
		r, err := a.tlsFiles()
		if err != nil {
			return nil, err
		}
		cc.HTTPClient = webHTTPClient(r)
	}
	if pc.TrustedKeysFile != "" {
		keys, err := image.ReadPublicKeysFile(pc.TrustedKeysFile)
		if err != nil {
			return nil, fmt.Errorf("client.pot.trusted_keys_file: %w", err)
		}
		cc.TrustedKeys = keys
	}
	cache, err := fetch.NewCache(cc)
	if err != nil {
		return nil, fmt.Errorf("image cache: %w", err)
	}
	guard, err := a.jailGuard()
	if err != nil {
		return nil, err
	}
	bridge, table, err := a.claimBridge(pc)
	if err != nil {
		return nil, err
	}
	d := pot.New(pot.Options{
		Enabled: !pc.Disabled, DataDir: dataDir, Cache: cache, RuncPath: pc.Runc,
		Bridge: bridge, CIDR: pc.Network, NFTTable: table, Guard: guard,
		HostVolumes: a.cfg.HostVolumes(), AllowHostNetwork: pc.AllowHostNetwork,
	})
	if err := d.NetworkError(); err != nil {
		return nil, fmt.Errorf("client.pot.network: %w", err)
	}
	if o := d.Options(); d.NetworkPicked() {
		a.log.Info("jail network chosen (no client.pot.network set): a free range that overlaps none of the host's routes, addresses or resolvers",
			"network", o.CIDR, "bridge", o.Bridge)
	}
	return d, nil
}

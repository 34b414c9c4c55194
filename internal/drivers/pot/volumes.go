package pot

import (
	"fmt"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
	"github.com/wharf-project/wharf/internal/structs"
)

// confineMounts lets host paths into the jail only through the node's
// host volumes: each mount, read-only mount and copy source must, with
// its symlinks resolved, lie inside a volume. Sources are replaced by
// their real paths (what was checked is what is mounted), and a mount
// inside a read-only volume becomes read-only.
func confineMounts(conf *spec.Config, vols map[string]*structs.ClientHostVolumeConfig) error {
	var rw []spec.Mount
	for i, m := range conf.Mounts {
		real, v, err := confine("mount", i, m, vols)
		if err != nil {
			return err
		}
		m.Src = real
		if v.ReadOnly {
			conf.MountsReadOnly = append(conf.MountsReadOnly, m)
			continue
		}
		rw = append(rw, m)
	}
	conf.Mounts = rw
	for _, l := range []struct {
		key string
		ms  []spec.Mount
	}{{"mount_read_only", conf.MountsReadOnly}, {"copy", conf.Copies}} {
		for i := range l.ms {
			real, _, err := confine(l.key, i, l.ms[i], vols)
			if err != nil {
				return err
			}
			l.ms[i].Src = real
		}
	}
	return nil
}

// confine resolves one source and returns it with the volume holding it.
func confine(key string, i int, m spec.Mount, vols map[string]*structs.ClientHostVolumeConfig) (string, *structs.ClientHostVolumeConfig, error) {
	entry := m.Src + ":" + m.Dst
	v := structs.VolumeFor(vols, m.Src)
	if v == nil {
		return "", nil, fmt.Errorf("pot: config.%s[%d] %q: the host path %s is not inside any host volume of this node "+
			`(the operator declares them with client { host_volume "name" { path = "..." } })`, key, i, entry, m.Src)
	}
	real, err := filepath.EvalSymlinks(m.Src)
	if err != nil {
		return "", nil, fmt.Errorf("pot: config.%s[%d] %q: %w", key, i, entry, err)
	}
	rv := structs.VolumeFor(vols, real)
	if rv == nil {
		return "", nil, fmt.Errorf("pot: config.%s[%d] %q: the host path %s resolves to %s, outside every host volume of this node",
			key, i, entry, m.Src, real)
	}
	return real, rv, nil
}

// checkNetworkMode refuses network_mode = "host" unless the operator
// allowed it: a jail on the host's network stack reaches the agent's
// ports and everything the host reaches, past the guard rules.
func checkNetworkMode(conf *spec.Config, allow bool) error {
	if conf.NetworkMode == spec.NetworkHost && !allow {
		return fmt.Errorf(`pot: config.network_mode "host": a jail on the host's network reaches the agent's ports; ` +
			`the operator allows it with client { pot { allow_host_network = true } }`)
	}
	return nil
}

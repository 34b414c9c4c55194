package agent

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/structs"
)

// HostVolumeConfig is a client's host_volume block: a host directory that
// jobs may mount by name.
type HostVolumeConfig struct {
	Name     string `hcl:"name,label"`
	Path     string `hcl:"path"`
	ReadOnly bool   `hcl:"read_only,optional"`
}

// normalizeHostVolumes checks the client's host volumes: unique names,
// absolute paths of existing directories. Each path is replaced by its
// real path (symlinks resolved), the one mounts are compared against.
func (c *Config) normalizeHostVolumes() error {
	if c.Client == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, v := range c.Client.HostVolumes {
		where := fmt.Sprintf("client.host_volume %q", v.Name)
		switch {
		case v.Name == "":
			return fmt.Errorf("client.host_volume: a volume needs a name")
		case seen[v.Name]:
			return fmt.Errorf("%s: declared twice", where)
		case !filepath.IsAbs(v.Path):
			return fmt.Errorf("%s: path %q is not absolute", where, v.Path)
		}
		seen[v.Name] = true
		real, err := filepath.EvalSymlinks(v.Path)
		if err != nil {
			return fmt.Errorf("%s: path %q: %w", where, v.Path, err)
		}
		fi, err := os.Stat(real)
		if err != nil {
			return fmt.Errorf("%s: path %q: %w", where, v.Path, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: path %q is not a directory", where, v.Path)
		}
		v.Path = real
	}
	return nil
}

// HostVolumes returns the client's host volumes as the node advertises
// them, by name.
func (c *Config) HostVolumes() map[string]*structs.ClientHostVolumeConfig {
	if c.Client == nil || len(c.Client.HostVolumes) == 0 {
		return nil
	}
	out := make(map[string]*structs.ClientHostVolumeConfig, len(c.Client.HostVolumes))
	for _, v := range c.Client.HostVolumes {
		out[v.Name] = &structs.ClientHostVolumeConfig{Name: v.Name, Path: v.Path, ReadOnly: v.ReadOnly}
	}
	return out
}

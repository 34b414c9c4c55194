package agent

// HostVolumeConfig is a client's host_volume block: a host directory that
// jobs may mount by name.
type HostVolumeConfig struct {
	Name     string `hcl:"name,label"`
	Path     string `hcl:"path"`
	ReadOnly bool   `hcl:"read_only,optional"`
}

func (c *Config) normalizeHostVolumes() error { return nil }

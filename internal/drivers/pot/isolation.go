package pot

import "github.com/wharf-project/wharf/internal/drivers"

var _ drivers.ImageIsolated = (*Driver)(nil)

// IsolatesImage reports true: a jail runs on its image, so its environment
// is only the job's and Nomad's task variables, never the agent's.
func (d *Driver) IsolatesImage() bool { return true }

package pot

import (
	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
)

// ConfigSchema is pot's config block as servers check it when a job is
// submitted: keys, types and the network_mode values. spec.ParseConfig
// reads it fully when the task starts (mount paths, extra_hosts entries,
// port labels).
var ConfigSchema = drivers.ConfigSchema{
	"image":           {Kind: drivers.KindString, Required: true},
	"pot":             {Kind: drivers.KindString, Required: true},
	"tag":             {Kind: drivers.KindString, Required: true},
	"command":         {Kind: drivers.KindString},
	"network_mode":    {Kind: drivers.KindString, Enum: []string{spec.NetworkBridge, spec.NetworkHost}},
	"args":            {Kind: drivers.KindStringList},
	"extra_hosts":     {Kind: drivers.KindStringList},
	"port_map":        {Kind: drivers.KindPortMap},
	"attributes":      {Kind: drivers.KindScalarMap},
	"mount":           {Kind: drivers.KindStringList},
	"mount_read_only": {Kind: drivers.KindStringList},
	"copy":            {Kind: drivers.KindStringList},
}

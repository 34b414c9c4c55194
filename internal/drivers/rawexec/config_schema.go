package rawexec

import "github.com/wharf-project/wharf/internal/drivers"

// ConfigSchema is raw_exec's config block as servers check it when a job
// is submitted; parseConfig reads it when the task starts.
var ConfigSchema = drivers.ConfigSchema{
	"command": {Kind: drivers.KindString, Required: true},
	"args":    {Kind: drivers.KindScalarList},
}

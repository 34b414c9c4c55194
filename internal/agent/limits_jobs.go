package agent

import (
	"fmt"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/pot"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/structs"
)

// serverLimits turns the limits block's job and document fields into the
// server's Limits; zero fields keep the server's defaults. A negative
// value is an error naming the key.
func (l *LimitsConfig) serverLimits() (server.Limits, error) {
	if l == nil {
		return server.Limits{}, nil
	}
	for _, f := range []struct {
		key string
		v   int
	}{
		{"job_max_count", l.JobMaxCount}, {"job_max_groups", l.JobMaxGroups},
		{"job_max_group_tasks", l.JobMaxGroupTasks}, {"job_max_tasks", l.JobMaxTasks},
		{"job_max_bytes", l.JobMaxBytes}, {"meta_max_bytes", l.MetaMaxBytes},
		{"hcl_max_bytes", l.HCLMaxBytes}, {"hcl_max_depth", l.HCLMaxDepth}, {"json_max_depth", l.JSONMaxDepth},
	} {
		if f.v < 0 {
			return server.Limits{}, fmt.Errorf("limits.%s: %d must not be negative (0 means the default)", f.key, f.v)
		}
	}
	return server.Limits{
		Job: structs.JobLimits{MaxCount: l.JobMaxCount, MaxGroups: l.JobMaxGroups,
			MaxGroupTasks: l.JobMaxGroupTasks, MaxTasks: l.JobMaxTasks, MaxMetaBytes: l.MetaMaxBytes},
		JobMaxBytes: l.JobMaxBytes, HCLMaxBytes: l.HCLMaxBytes, HCLMaxDepth: l.HCLMaxDepth,
		JSONMaxDepth: l.JSONMaxDepth,
	}, nil
}

// jsonMaxDepth is the configured JSON depth bound, 0 for the default.
func (c *Config) jsonMaxDepth() int {
	if c.Limits == nil {
		return 0
	}
	return c.Limits.JSONMaxDepth
}

// driverSchemas are the config schemas of the drivers wharf ships; servers
// check every submitted task against them.
var driverSchemas = drivers.Schemas{rawexec.Name: rawexec.ConfigSchema, pot.Name: pot.ConfigSchema}

package taskrunner

import (
	"context"

	"github.com/wharf-project/wharf/internal/structs"
)

// logsHook tells the driver where the task's logs go (the allocation's
// alloc/logs directory, shared by its tasks as in Nomad) and how they
// rotate (the task's logs block, else 10 files of 10 MB).
type logsHook struct{}

var _ PrestartHook = logsHook{}

// Name names the hook.
func (logsHook) Name() string { return "logs" }

// Prestart sets the log fields of req.Config.
func (logsHook) Prestart(_ context.Context, req *StartRequest) error {
	lc := req.Task.LogConfig
	def := structs.DefaultLogConfig()
	if lc == nil {
		lc = def
	}
	req.Config.LogDir = req.AllocDir.LogDir
	req.Config.LogMaxFiles = lc.MaxFiles
	if req.Config.LogMaxFiles <= 0 {
		req.Config.LogMaxFiles = def.MaxFiles
	}
	req.Config.LogMaxFileSizeMB = lc.MaxFileSizeMB
	if req.Config.LogMaxFileSizeMB <= 0 {
		req.Config.LogMaxFileSizeMB = def.MaxFileSizeMB
	}
	return nil
}

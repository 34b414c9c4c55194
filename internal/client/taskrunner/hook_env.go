package taskrunner

import (
	"context"

	"github.com/wharf-project/wharf/internal/client/taskenv"
)

// envHook builds the task's environment: the host's, Nomad's NOMAD_*
// variables, then the task's env block interpolated.
type envHook struct{}

var _ PrestartHook = envHook{}

// Name names the hook.
func (envHook) Name() string { return "task_env" }

// Prestart sets req.Env and req.Config.Env.
func (envHook) Prestart(_ context.Context, req *StartRequest) error {
	req.Env = taskenv.Build(taskenv.Input{
		Node: req.Node, Alloc: req.Alloc, Task: req.Task, Region: req.Region, HostEnv: req.HostEnv,
		AllocDir: req.AllocDir.SharedDir, TaskDir: req.TaskDir.LocalDir, SecretsDir: req.TaskDir.SecretsDir,
	})
	req.Config.Env = req.Env.Map()
	return nil
}

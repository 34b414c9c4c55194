package cli

import (
	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/supervise"
)

// newSuperviseCommand returns the hidden `wharf supervise STATE_DIR`: the
// per-task supervisor process the raw_exec driver launches (the wharf
// binary re-executed). It is not for people: it expects the driver's
// spec.json in STATE_DIR and its handshake pipe on file descriptor 3, and
// it outlives the agent that started it.
func newSuperviseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "supervise STATE_DIR",
		Short: "Run one task under a supervisor (internal; started by task drivers)",
		Long: `Run one task under a supervisor. Task drivers start this command themselves
(the wharf binary re-executed in its own session); it reads the task's spec
from STATE_DIR, runs the task in its own cgroup, writes its logs and records
its exit status there, and keeps running when the agent stops.`,
		Example: `  # Started by the raw_exec driver, never by hand:
  wharf supervise /tmp/wharf-raw_exec/3f2a9c1d0b7e4a55`,
		Hidden: true,
		Args:   usageArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			return exitWith(supervise.Main(args[0]), nil)
		},
	}
}

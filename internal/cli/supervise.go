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
		Use:    "supervise STATE_DIR",
		Short:  "Run one task under a supervisor (internal; started by task drivers)",
		Hidden: true,
		Args:   usageArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			return exitWith(supervise.Main(args[0]), nil)
		},
	}
}

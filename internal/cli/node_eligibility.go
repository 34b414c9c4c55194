package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func (m *meta) nodeEligibilityCommand() *cobra.Command {
	var enable, disable, verbose bool
	cmd := &cobra.Command{
		Use:   "eligibility [flags] -enable|-disable NODE",
		Short: "Let a node take new allocations, or keep new ones off it",
		Long: `Toggle whether the scheduler may place new allocations on a node (by ID or
unique ID prefix). An ineligible node keeps running what it has; use
"node drain" to move that away. A draining node cannot be made eligible:
disable its drain instead.`,
		Example: `  wharf node eligibility -disable 4f1c2a9e
  wharf node eligibility -enable 4f1c2a9e`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if enable == disable {
				return &usageError{errors.New("exactly one of -enable and -disable is required")}
			}
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			node, _, err := c.Nodes().Resolve(args[0], nil)
			if err != nil {
				return failed(lookupError("node", args[0], err))
			}
			if _, err := c.Nodes().ToggleEligibility(node.ID, enable); err != nil {
				return failed(fmt.Errorf("updating scheduling eligibility of node %q: %w", node.Name, err))
			}
			state := map[bool]string{true: "eligible", false: "ineligible"}[enable]
			fmt.Fprintf(m.out, "Node %q scheduling eligibility set: %s for scheduling\n", shortID(node.ID, verbose), state)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&enable, "enable", false, "make the node eligible for new allocations")
	f.BoolVar(&disable, "disable", false, "make the node ineligible for new allocations")
	f.BoolVar(&verbose, "verbose", false, "print full IDs")
	return cmd
}

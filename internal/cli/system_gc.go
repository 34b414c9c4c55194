package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// systemCommand is `wharf system`: cluster-wide maintenance, as Nomad's.
func (m *meta) systemCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "Cluster maintenance (garbage collection)",
		Long: `Cluster-wide maintenance, as "nomad system": "wharf system gc" collects
dead jobs, terminal evaluations and allocations and down nodes now.`,
		Example: "  wharf system gc",
		Args:    usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(m.systemGCCommand())
	return cmd
}

func (m *meta) systemGCCommand() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Collect dead jobs, terminal evaluations and allocations, and down nodes now",
		Long: `Collect garbage now, as "nomad system gc": dead jobs (stopped, or batch jobs
that finished) with their versions, evaluations and allocations; terminal
evaluations and allocations no longer needed to reschedule; down nodes
without running allocations. The server thresholds (job_gc_threshold,
eval_gc_threshold, batch_eval_gc_threshold, node_gc_threshold) are ignored;
the leader collects by itself every job_gc_interval anyway.

When etcd's space is short (more than half its quota used, or its space
alarm raised), the servers also compact and defragment it and disarm the
alarm once there is room. Needs a management token when ACLs are on.`,
		Example: "  wharf system gc",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			res, err := c.System().GarbageCollect(nil)
			if err != nil {
				return failed(fmt.Errorf("garbage collection: %w", err))
			}
			if !quiet {
				fmt.Fprintf(m.out, "Collected %d jobs, %d evaluations, %d allocations, %d nodes\n",
					res.Jobs, res.Evals, res.Allocs, res.Nodes)
				if res.Reclaimed {
					fmt.Fprintln(m.out, "etcd space reclaimed (compacted, defragmented, space alarm disarmed)")
				}
			}
			if res.ReclaimError != "" {
				return failed(fmt.Errorf("garbage collected, but etcd space is still short: %s", res.ReclaimError))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing unless something fails, as nomad system gc")
	return cmd
}

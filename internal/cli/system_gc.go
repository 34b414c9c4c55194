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

Expired ACL tokens go too. After a collection that deleted something the
servers compact etcd's history; a member with most of its file then free
defragments, and when etcd's space is short (more than half its quota
used, or its space alarm raised) the alarm is disarmed once there is room. Needs a management token when ACLs are on.`,
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
				tokens := ""
				if res.ACLTokens > 0 {
					tokens = fmt.Sprintf(", %d expired ACL tokens", res.ACLTokens)
				}
				fmt.Fprintf(m.out, "Collected %d jobs, %d evaluations, %d allocations, %d nodes%s\n",
					res.Jobs, res.Evals, res.Allocs, res.Nodes, tokens)
				if res.Reclaimed {
					fmt.Fprintln(m.out, "etcd space reclaimed (history compacted; defragmented and space alarm disarmed where needed)")
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

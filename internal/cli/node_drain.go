package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
)

// drainOptions are the flags of `node drain`.
type drainOptions struct {
	enable, disable bool
	deadline        time.Duration
	ignoreSystem    bool
	keepIneligible  bool
	yes, detach     bool
	verbose         bool
}

func (m *meta) nodeDrainCommand() *cobra.Command {
	var o drainOptions
	cmd := &cobra.Command{
		Use:   "drain [flags] -enable|-disable NODE",
		Short: "Move allocations off a node, or stop draining it",
		Long: `Drain a node (by ID or unique ID prefix) with -enable: the node becomes
ineligible for new placements and every allocation on it is marked for
migration at once, so the scheduler stops it and places a replacement on
another node. The evaluations are followed like in "job run" unless
-detach is given. When all allocations have moved the node stays
ineligible.

This is a simple drain: -deadline is recorded in the node's events but not
enforced, and allocations are not migrated in batches (no migrate block).

-disable stops draining; the node becomes eligible again unless
-keep-ineligible is given. A confirmation is asked unless -yes is given.`,
		Example: `  wharf node drain -enable -yes 4f1c2a9e
  wharf node drain -enable -deadline 30m -detach -yes 4f1c2a9e
  wharf node drain -disable -yes 4f1c2a9e`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.enable == o.disable {
				return &usageError{errors.New("exactly one of -enable and -disable is required")}
			}
			return m.nodeDrain(cmd.InOrStdin(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.enable, "enable", false, "start draining the node")
	f.BoolVar(&o.disable, "disable", false, "stop draining the node")
	f.DurationVar(&o.deadline, "deadline", time.Hour, "drain deadline (recorded, not enforced)")
	f.BoolVar(&o.ignoreSystem, "ignore-system", false, "leave the allocations of system jobs on the node")
	f.BoolVar(&o.keepIneligible, "keep-ineligible", false, "with -disable, keep the node ineligible")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	f.BoolVar(&o.detach, "detach", false, "return once the drain is set, without following its evaluations")
	f.BoolVar(&o.verbose, "verbose", false, "print full IDs")
	return cmd
}

func (m *meta) nodeDrain(in io.Reader, arg string, o drainOptions) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	node, _, err := c.Nodes().Resolve(arg, nil)
	if err != nil {
		return failed(lookupError("node", arg, err))
	}
	verb := map[bool]string{true: "enable", false: "disable"}[o.enable]
	if !o.yes && !m.confirm(in, fmt.Sprintf("Are you sure you want to %s drain mode for node %q? [y/N] ", verb, node.Name)) {
		return failed(errors.New("drain not changed: not confirmed (use -yes to skip the question)"))
	}
	var spec *api.DrainSpec
	if o.enable {
		spec = &api.DrainSpec{Deadline: o.deadline, IgnoreSystemJobs: o.ignoreSystem}
	}
	resp, err := c.Nodes().UpdateDrain(node.ID, spec, o.disable && !o.keepIneligible)
	if err != nil {
		return failed(fmt.Errorf("updating drain of node %q: %w", node.Name, err))
	}
	if o.disable {
		fmt.Fprintf(m.out, "Node %q drain strategy unset\n", shortID(node.ID, o.verbose))
		return nil
	}
	fmt.Fprintf(m.out, "Node %q drain strategy set\n", shortID(node.ID, o.verbose))
	for _, id := range resp.EvalIDs {
		if o.detach {
			fmt.Fprintln(m.out, id)
			continue
		}
		if err := m.monitorEval(c, id, resp.EvalCreateIndex, nil, o.verbose); err != nil {
			return err
		}
	}
	return nil
}

// confirm asks question and reports whether the answer is yes.
func (m *meta) confirm(in io.Reader, question string) bool {
	fmt.Fprint(m.out, question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

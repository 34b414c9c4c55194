package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
)

// defaultDrainDeadline is the deadline of a drain without -deadline, as
// Nomad's.
const defaultDrainDeadline = time.Hour

// drainOptions are the flags of `node drain`.
type drainOptions struct {
	enable, disable  bool
	deadline         time.Duration
	deadlineSet      bool
	force            bool
	noDeadline       bool
	ignoreSystem     bool
	keepIneligible   bool
	yes, detach      bool
	monitor, verbose bool
	meta             []string
}

func (m *meta) nodeDrainCommand() *cobra.Command {
	var o drainOptions
	cmd := &cobra.Command{
		Use:   "drain [flags] -enable|-disable|-monitor NODE",
		Short: "Move allocations off a node, or stop draining it",
		Long: `Drain a node (by ID or unique ID prefix) with -enable: the node becomes
ineligible for new placements and the cluster leader migrates its
allocations to other nodes, as many of a group at once as the group's
migrate block allows (max_parallel, default 1): the next one leaves once
the replacement has run healthy for min_healthy_time, or its
healthy_deadline passed. Batch allocations are left to finish. When the
deadline passes (-deadline, default 1h), whatever is left is stopped; with
-force everything is stopped at once, with -no-deadline nothing is forced.
The drain is complete once no allocation is left; the node stays
ineligible.

Unless -detach is given the drain is followed until it completes
(Ctrl-C stops following, not the drain); -monitor follows a drain already
under way. -disable stops draining; the node becomes eligible again unless
-keep-ineligible is given. A confirmation is asked unless -yes is given.`,
		Example: `  wharf node drain -enable -yes 4f1c2a9e
  wharf node drain -enable -deadline 30m -detach -yes 4f1c2a9e
  wharf node drain -enable -force -m reason=kernel -yes 4f1c2a9e
  wharf node drain -monitor 4f1c2a9e
  wharf node drain -disable -yes 4f1c2a9e`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.deadlineSet = cmd.Flags().Changed("deadline")
			if err := o.check(); err != nil {
				return &usageError{err}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return m.nodeDrain(ctx, cmd.InOrStdin(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.enable, "enable", false, "start draining the node")
	f.BoolVar(&o.disable, "disable", false, "stop draining the node")
	f.DurationVar(&o.deadline, "deadline", defaultDrainDeadline, "stop what is left on the node once this has passed")
	f.BoolVar(&o.force, "force", false, "stop every allocation on the node at once")
	f.BoolVar(&o.noDeadline, "no-deadline", false, "never force allocations off the node")
	f.BoolVar(&o.ignoreSystem, "ignore-system", false, "leave the allocations of system jobs on the node")
	f.BoolVar(&o.keepIneligible, "keep-ineligible", false, "with -disable, keep the node ineligible")
	f.StringArrayVarP(&o.meta, "meta", "m", nil, "key=value kept with the drain (repeatable)")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	f.BoolVar(&o.detach, "detach", false, "return once the drain is set, without following it")
	f.BoolVar(&o.monitor, "monitor", false, "follow the node's drain without changing it")
	f.BoolVar(&o.verbose, "verbose", false, "print full IDs")
	return cmd
}

// check refuses flag combinations that make no sense, as Nomad does.
func (o *drainOptions) check() error {
	switch {
	case o.monitor && (o.enable || o.disable || o.detach):
		return errors.New("-monitor cannot be combined with -enable, -disable or -detach")
	case !o.monitor && o.enable == o.disable:
		return errors.New("exactly one of -enable and -disable is required")
	case o.disable && (o.force || o.noDeadline || o.deadlineSet || o.ignoreSystem):
		return errors.New("-deadline, -force, -no-deadline and -ignore-system only go with -enable")
	}
	n := 0
	for _, set := range []bool{o.deadlineSet, o.force, o.noDeadline} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("-deadline, -force and -no-deadline exclude each other")
	}
	if o.deadlineSet && o.deadline <= 0 {
		return errors.New("-deadline must be positive; use -force to stop everything at once or -no-deadline for none")
	}
	if _, err := o.metaMap(); err != nil {
		return err
	}
	return nil
}

// spec is the drain spec the flags ask for.
func (o *drainOptions) spec() *api.DrainSpec {
	if !o.enable {
		return nil
	}
	s := &api.DrainSpec{Deadline: o.deadline, IgnoreSystemJobs: o.ignoreSystem}
	switch {
	case o.force:
		s.Deadline = -time.Second
	case o.noDeadline:
		s.Deadline = 0
	}
	return s
}

// metaMap parses the -m key=value flags.
func (o *drainOptions) metaMap() (map[string]string, error) {
	if len(o.meta) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(o.meta))
	for _, kv := range o.meta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-m %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

func (m *meta) nodeDrain(ctx context.Context, in io.Reader, arg string, o drainOptions) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	node, _, err := c.Nodes().Resolve(arg, nil)
	if err != nil {
		return failed(lookupError("node", arg, err))
	}
	id := shortID(node.ID, o.verbose)
	if o.monitor {
		if node.DrainStrategy == nil {
			fmt.Fprintf(m.out, "No drain strategy set for node %q\n", id)
			return nil
		}
		return m.monitorDrain(ctx, c, node.ID, node.DrainStrategy.IgnoreSystemJobs, o.verbose)
	}
	verb := map[bool]string{true: "enable", false: "disable"}[o.enable]
	if !o.yes && !m.confirm(in, fmt.Sprintf("Are you sure you want to %s drain mode for node %q? [y/N] ", verb, node.Name)) {
		return failed(errors.New("drain not changed: not confirmed (use -yes to skip the question)"))
	}
	meta, _ := o.metaMap()
	_, err = c.Nodes().UpdateDrainOpts(node.ID, &api.DrainOptions{Spec: o.spec(),
		MarkEligible: o.disable && !o.keepIneligible, Meta: meta})
	if err != nil {
		return failed(fmt.Errorf("updating drain of node %q: %w", node.Name, err))
	}
	if o.disable {
		fmt.Fprintf(m.out, "Node %q drain strategy unset\n", id)
		return nil
	}
	fmt.Fprintf(m.out, "Node %q drain strategy set\n", id)
	if o.detach {
		return nil
	}
	return m.monitorDrain(ctx, c, node.ID, o.ignoreSystem, o.verbose)
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

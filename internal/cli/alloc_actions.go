package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// allocStopOptions are the flags of `alloc stop`.
type allocStopOptions struct {
	detach  bool
	verbose bool
}

func (m *meta) allocStopCommand() *cobra.Command {
	var o allocStopOptions
	cmd := &cobra.Command{
		Use:   "stop [flags] ALLOC",
		Short: "Stop an allocation and place a replacement",
		Long: `Stop one allocation (by ID or unique ID prefix). The servers mark it for
migration and evaluate its job: the allocation is stopped and the scheduler
places a replacement, on any eligible node (possibly the same one). The
evaluation is followed like in "job run" unless -detach is given, in which
case its ID is printed.`,
		Example: `  wharf alloc stop 8ba85cef
  wharf alloc stop -detach 8ba85cef`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.allocStop(args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.detach, "detach", false, "return once the stop is registered, printing the evaluation ID")
	f.BoolVar(&o.verbose, "verbose", false, "print full IDs")
	return cmd
}

func (m *meta) allocStop(arg string, o allocStopOptions) error {
	c, alloc, err := m.resolveAlloc(arg)
	if err != nil {
		return err
	}
	resp, err := c.Allocations().Stop(alloc.ID, nil)
	if err != nil {
		return failed(fmt.Errorf("stopping allocation %s: %w", shortID(alloc.ID, o.verbose), err))
	}
	if o.detach {
		fmt.Fprintln(m.out, resp.EvalID)
		return nil
	}
	return m.monitorEval(c, resp.EvalID, resp.Index, nil, o.verbose)
}

func (m *meta) allocRestartCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "restart [flags] ALLOC [TASK]",
		Short: "Restart the running tasks of an allocation",
		Long: `Restart a task of an allocation (by ID or unique ID prefix) in place, on the
node that runs it, or every running task when no TASK is given (or with
-all-tasks). Each task is stopped with its kill signal and kill timeout and
started again at once; its events show "Restart Signaled". The restart does
not count against the group's restart policy. The command returns once the
node has taken the request, before the task runs again.`,
		Example: `  wharf alloc restart 8ba85cef
  wharf alloc restart 8ba85cef web`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			task := ""
			if len(args) == 2 && !all {
				task = args[1]
			}
			return m.allocAction(args[0], task, "restart", func(c *api.Client, id string) error {
				return c.Allocations().Restart(id, task)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all-tasks", false, "restart every running task of the allocation")
	return cmd
}

func (m *meta) allocSignalCommand() *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "signal [flags] ALLOC [TASK]",
		Short: "Send a signal to the tasks of an allocation",
		Long: `Send a signal to a task of an allocation (by ID or unique ID prefix), or to
every running task when no TASK is given. The node's driver delivers it to
the task's main process; the task's events show "Signaling". The signal is
a name such as SIGHUP, SIGUSR1 or SIGTERM; SIGKILL when -s is not given, as
in Nomad.`,
		Example: `  wharf alloc signal -s SIGHUP 8ba85cef
  wharf alloc signal -s SIGUSR1 8ba85cef web`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			task := ""
			if len(args) == 2 {
				task = args[1]
			}
			return m.allocAction(args[0], task, "signal", func(c *api.Client, id string) error {
				return c.Allocations().Signal(id, task, signal)
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "SIGKILL", "the signal to send")
	return cmd
}

// allocAction resolves arg, checks task belongs to it and runs do.
func (m *meta) allocAction(arg, task, verb string, do func(c *api.Client, id string) error) error {
	c, alloc, err := m.resolveAlloc(arg)
	if err != nil {
		return err
	}
	if task != "" && !allocHasTask(alloc, task) {
		return failed(fmt.Errorf("allocation %s has no task %q", shortID(alloc.ID, false), task))
	}
	if err := do(c, alloc.ID); err != nil {
		return failed(fmt.Errorf("%s allocation %s: %w", verb, shortID(alloc.ID, false), err))
	}
	return nil
}

// resolveAlloc returns a client and the allocation arg names.
func (m *meta) resolveAlloc(arg string) (*api.Client, *structs.Allocation, error) {
	c, err := m.client()
	if err != nil {
		return nil, nil, failed(err)
	}
	alloc, _, err := c.Allocations().Resolve(arg, nil)
	if err != nil {
		return nil, nil, failed(lookupError("allocation", arg, err))
	}
	return c, alloc, nil
}

func allocHasTask(a *structs.Allocation, task string) bool {
	if _, ok := a.TaskStates[task]; ok {
		return true
	}
	if a.Job == nil {
		return len(a.TaskStates) == 0
	}
	if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
		return tg.LookupTask(task) != nil
	}
	return false
}
